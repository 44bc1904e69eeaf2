//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"errors"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"go.uber.org/zap"
)

// kernelConn is everything the receiver needs from the kernel once it is
// configured and subscribed. The netlink implementation is in
// kernel_netlink.go; tests replay recorded streams through a fake.
type kernelConn interface {
	// Receive waits up to timeout for one audit message. It returns
	// (nil, nil) when the timeout passes, errSocketOverrun when the kernel
	// dropped messages because our socket buffer was full, and
	// errInterrupted after Interrupt. The message is valid until the next
	// call.
	Receive(timeout time.Duration) (*libaudit.RawAuditMessage, error)
	// Interrupt wakes Receive for good; it is safe to call from any goroutine.
	Interrupt()
	// Flush makes the kernel send what it still holds for this receiver:
	// records it failed to send while the socket was full wait in its retry
	// queue until the next record wakes it.
	Flush() error
	// Reopen replaces a failed data socket with a new one (and registers it
	// as the audit PID in unicast mode). Only the reading goroutine calls it.
	Reopen() error
	// Status reads the kernel's audit status.
	Status() (*libaudit.AuditStatus, error)
	// PID is the audit PID this receiver registered, 0 in multicast mode.
	PID() uint32
	// Register registers this receiver as the audit PID again after the
	// kernel released it.
	Register() error
	// ManagedRules are the rules this receiver installed and keeps in place,
	// nil when it does not manage the kernel's rules.
	ManagedRules() []auditRule
	// Rules lists the kernel's rules in binary form.
	Rules() ([][]byte, error)
	// InstallRules replaces the kernel's rules with ManagedRules.
	InstallRules() error
	// Setup is what opening the kernel chose and changed.
	Setup() kernelSetup
	// Close releases the audit PID (unicast) and the sockets.
	Close() error
}

// kernelSetup is what opening the kernel chose and changed; Start logs it
// with the receiver's own choices in one line.
type kernelSetup struct {
	socketType string
	reason     string   // why socketType
	changed    []string // kernel settings changed, as "name old->new"
	rules      int      // audit rules installed
}

// openKernelFunc configures the kernel as cfg says, installs the rules and
// subscribes to audit messages.
type openKernelFunc func(cfg *Config, rules ruleSet, logger *zap.Logger) (kernelConn, error)

var errSocketOverrun = errors.New("audit netlink socket overrun (ENOBUFS): the kernel dropped messages sent to this receiver")
