package auditlogreceiver // import "github.com/auditkernel/auditkernel/receiver/auditlogreceiver"

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// newReceiver makes a receiver that cannot start on Windows, where
// go-libaudit's record parser (auparse) does not build, so that a
// distribution listing it still builds and validates its configuration.
func newReceiver(receiver.Settings, *Config, consumer.Logs) (receiver.Logs, error) {
	return unsupported{}, nil
}

type unsupported struct{}

func (unsupported) Start(context.Context, component.Host) error {
	return errors.New("the auditlog receiver does not run on Windows: go-libaudit's audit record parser does not build there")
}

func (unsupported) Shutdown(context.Context) error { return nil }
