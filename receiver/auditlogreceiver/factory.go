package auditlogreceiver // import "github.com/auditkernel/auditkernel/receiver/auditlogreceiver"

import (
	"context"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator/helper"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/auditkernel/auditkernel/internal/outputconfig"
	"github.com/auditkernel/auditkernel/receiver/auditlogreceiver/internal/metadata"
)

// NewFactory creates the auditlog receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Include:         []string{"/var/log/audit/audit.log*"},
		StartAt:         "end",
		PollInterval:    200 * time.Millisecond,
		FingerprintSize: 1000,
		// auditd's own limit on a record is 8970 bytes (MAX_AUDIT_MESSAGE_LENGTH
		// plus its prefix); ENRICHED names add some.
		MaxLineSize: 64 * helper.ByteSize(1024),
		Output:      outputconfig.Default(),
		Reassembler: ReassemblerConfig{
			MaxInFlight: 50,
			Timeout:     2 * time.Second,
		},
	}
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(set, cfg.(*Config), next)
}
