//go:build linux

package auditkernelreceiver

import (
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/kernel"
)

// The factory's receivers open a fake kernel in this package's tests, so
// that the generated TestComponentLifecycle starts and stops them without
// root. Every test that needs the real kernel passes kernel.Open to
// newReceiver.
func init() {
	openKernel = func(cfg kernel.Config, rules []kernel.Rule, logger *zap.Logger) (*kernel.Conn, error) {
		return newFakeKernel(nil).open(cfg, rules, logger)
	}
}
