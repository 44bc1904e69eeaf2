//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"os"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

// maxBatch bounds how many queued events go into one ConsumeLogs call.
const maxBatch = 1024

// pipeline turns queued events into log records and hands them to the next
// consumer, batching whatever is already queued into one call.
type pipeline struct {
	queue     chan queuedEvent
	next      consumer.Logs
	obsrecv   *receiverhelper.ObsReport
	telemetry *metadata.TelemetryBuilder
	logger    *zap.Logger
	resolve   bool
	opts      translateOptions
	hostname  string
	version   string
}

func newPipeline(cfg *Config, next consumer.Logs, obsrecv *receiverhelper.ObsReport, telemetry *metadata.TelemetryBuilder, logger *zap.Logger, version string) *pipeline {
	hostname, err := os.Hostname()
	if err != nil {
		logger.Warn("cannot read the host name; host.name is left out", zap.Error(err))
	}
	return &pipeline{
		queue:     make(chan queuedEvent, cfg.Reassembler.QueueSize),
		next:      next,
		obsrecv:   obsrecv,
		telemetry: telemetry,
		logger:    logger,
		resolve:   cfg.ResolveIDs,
		opts:      translateOptions{includeRawMessage: cfg.IncludeRawMessage, includeWarnings: cfg.IncludeWarnings},
		hostname:  hostname,
		version:   version,
	}
}

// run consumes the queue until it is closed and drained.
func (p *pipeline) run() {
	for first := range p.queue {
		batch := []queuedEvent{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case ev, ok := <-p.queue:
				if !ok {
					break fill
				}
				batch = append(batch, ev)
			default:
				break fill
			}
		}
		p.consume(batch)
	}
}

func (p *pipeline) consume(batch []queuedEvent) {
	ctx := p.obsrecv.StartLogsOp(context.Background())
	logs := p.newLogs()
	records := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	records.EnsureCapacity(len(batch))
	for _, qe := range batch {
		ev, err := normalize(qe.msgs, p.resolve)
		if err != nil {
			p.telemetry.ReceiverAuditkernelUserspaceDrops.Add(ctx, 1)
			p.logger.Warn("dropped an audit event that cannot be normalized", zap.Error(err),
				zap.Uint32("sequence", qe.msgs[0].Sequence))
			continue
		}
		translate(ev, qe.msgs, qe.received, p.opts, records.AppendEmpty())
	}
	count := records.Len()
	if count == 0 {
		return
	}
	err := p.next.ConsumeLogs(ctx, logs)
	p.obsrecv.EndLogsOp(ctx, metadata.Type.String(), count, err)
	if err != nil {
		p.telemetry.ReceiverAuditkernelUserspaceDrops.Add(ctx, int64(count))
		p.logger.Error("the next consumer refused audit events; they are dropped", zap.Int("events", count), zap.Error(err))
		return
	}
	p.telemetry.ReceiverAuditkernelEventsEmitted.Add(ctx, int64(count))
}

// newLogs returns Logs with one resource (this host) and one scope (this receiver).
func (p *pipeline) newLogs() plog.Logs {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	res := rl.Resource().Attributes()
	if p.hostname != "" {
		res.PutStr("host.name", p.hostname)
	}
	res.PutStr("os.type", "linux")
	scope := rl.ScopeLogs().AppendEmpty()
	scope.Scope().SetName(metadata.ScopeName)
	scope.Scope().SetVersion(p.version)
	return logs
}
