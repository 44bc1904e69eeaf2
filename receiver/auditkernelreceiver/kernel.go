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
	// errInterrupted after Interrupt.
	Receive(timeout time.Duration) (*libaudit.RawAuditMessage, error)
	// Interrupt wakes Receive for good; it is safe to call from any goroutine.
	Interrupt()
	// Status reads the kernel's audit status.
	Status() (*libaudit.AuditStatus, error)
	// Close releases the audit PID (unicast) and the sockets.
	Close() error
}

// openKernelFunc configures the kernel as cfg says, installs the rules and
// subscribes to audit messages.
type openKernelFunc func(cfg *Config, rules ruleSet, logger *zap.Logger) (kernelConn, error)

var errSocketOverrun = errors.New("audit netlink socket overrun (ENOBUFS): the kernel dropped messages sent to this receiver")
