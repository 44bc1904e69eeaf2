//go:build !linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"fmt"
	"runtime"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// createLogs creates a receiver that cannot start off Linux, so that a
// distribution listing it builds, and validates its configuration, anywhere.
func createLogs(context.Context, receiver.Settings, component.Config, consumer.Logs) (receiver.Logs, error) {
	return unsupported{}, nil
}

type unsupported struct{}

func (unsupported) Start(context.Context, component.Host) error {
	return fmt.Errorf("the auditkernel receiver needs Linux (its source is the kernel's audit netlink socket); this collector runs on %s", runtime.GOOS)
}

func (unsupported) Shutdown(context.Context) error { return nil }
