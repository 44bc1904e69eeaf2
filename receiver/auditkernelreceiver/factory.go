package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/outputconfig"

	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

// NewFactory creates the auditkernel receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

// createDefaultConfig holds Auditbeat's defaults, except backlog_limit, which
// is the power of two that Auditbeat's documented 8196 was meant to be.
func createDefaultConfig() component.Config {
	return &Config{
		SocketType:           kernel.SocketAuto,
		ResolveIDs:           true,
		FailureMode:          "silent",
		BacklogLimit:         8192,
		RateLimit:            0,
		BackpressureStrategy: kernel.BackpressureAuto,
		Output:               outputconfig.Default(),
		Reassembler: ReassemblerConfig{
			MaxInFlight: 50,
			Timeout:     2 * time.Second,
			QueueSize:   8192,
		},
		// 4 MiB lost least under bursts in bench/ (16 MiB did no better).
		SocketBufferSize:     4 << 20,
		KernelStatusInterval: 15 * time.Second,
		RuleCheckInterval:    time.Minute,
		// Lineage and container cost ~0.7 µs of CPU an event from a process
		// seen before and ~3.3 µs from a new one that has exited (a fork
		// storm), against ~31 µs for the userspace path (bench/RESULTS.md
		// §7); ancestors lengthen every record, so they are off.
		Enrich: EnrichConfig{
			Lineage:         true,
			Container:       true,
			ProcPath:        "/proc",
			TableMaxEntries: 32768,
			TableMaxBytes:   16 << 20,
		},
	}
}
