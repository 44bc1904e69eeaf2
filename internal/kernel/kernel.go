//go:build linux

package kernel

import (
	"errors"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"go.uber.org/zap"
)

// Messages is the subscription to audit messages. Only the reading
// goroutine calls Receive, Flush and Reopen; Interrupt may be called from
// any goroutine.
type Messages interface {
	// Receive waits up to timeout for one audit message. It returns
	// (nil, nil) when the timeout passes, ErrSocketOverrun when the kernel
	// dropped messages because the socket buffer was full, and
	// ErrInterrupted after Interrupt. The message is valid until the next
	// call.
	Receive(timeout time.Duration) (*libaudit.RawAuditMessage, error)
	// Flush makes the kernel send what it still holds for this receiver:
	// records it failed to send while the socket was full wait in its retry
	// queue until the next record wakes it.
	Flush() error
	// Reopen replaces a failed socket with a new one (registered as the
	// audit PID in unicast mode).
	Reopen() error
	// Interrupt wakes Receive for good.
	Interrupt()
}

// Control reads the kernel's audit status and holds on to the audit PID.
type Control interface {
	Status() (*libaudit.AuditStatus, error)
	// Register claims the audit PID again after the kernel released it.
	Register() error
}

// Rules keeps the kernel's rules the configured ones.
type Rules interface {
	// Managed are the rules this receiver installed and keeps in place (its
	// self-exclusion rule first), nil when it does not manage them.
	Managed() []Rule
	// List lists the kernel's rules in binary form.
	List() ([][]byte, error)
	// Replace replaces the kernel's rules with Managed.
	Replace() error
}

// Conn is an opened kernel: its three faces, what opening it chose and
// changed, and how to release it.
type Conn struct {
	Messages Messages
	Control  Control
	Rules    Rules
	Setup    Setup
	// Close releases the audit PID (unicast), this receiver's
	// self-exclusion rule and the sockets.
	Close func() error
}

// OpenFunc configures the kernel, installs the rules and subscribes.
type OpenFunc func(cfg Config, rules []Rule, logger *zap.Logger) (*Conn, error)

var (
	// ErrSocketOverrun is a read that found the socket buffer overrun.
	ErrSocketOverrun = errors.New("audit netlink socket overrun (ENOBUFS): the kernel dropped messages sent to this receiver")
	// ErrInterrupted is a read after Interrupt.
	ErrInterrupted = errors.New("netlink read interrupted")
)
