//go:build !windows

package auditlogreceiver // import "github.com/auditkernel/auditkernel/receiver/auditlogreceiver"

import (
	"context"
	"errors"
	"os"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/ratelog"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
	"github.com/auditkernel/auditkernel/internal/translate"
	"github.com/auditkernel/auditkernel/receiver/auditlogreceiver/internal/metadata"
)

// errIncomplete is the warning of an event emitted without its last record.
var errIncomplete = errors.New("event emitted without its last record (the file went quiet or the receiver stopped in the middle of it)")

// Retry of a batch the next consumer refused with a retryable error. A file
// waits where it is, so the receiver retries until it stops; the wait
// between attempts is bounded.
const (
	retryInitialInterval = 100 * time.Millisecond
	retryMaxInterval     = 5 * time.Second
)

// output normalizes and translates reassembled events and hands them to the
// next consumer, one ResourceLogs per node.
type output struct {
	next      consumer.Logs
	obsrecv   *receiverhelper.ObsReport
	telemetry *metadata.TelemetryBuilder
	logger    *zap.Logger
	// items logs the warnings about single events and lines at a bounded rate.
	items    *ratelog.Logger
	opts     translate.Options
	resolve  bool
	hostname string
	version  string
	stop     <-chan struct{}
}

func newOutput(cfg *Config, next consumer.Logs, obsrecv *receiverhelper.ObsReport, telemetry *metadata.TelemetryBuilder, logger *zap.Logger, version string, stop <-chan struct{}) *output {
	hostname, err := os.Hostname()
	if err != nil {
		logger.Warn("cannot read the host name; events without node= have no host.name", zap.Error(err))
	}
	opts := translate.Options{IncludeRawMessage: cfg.IncludeRawMessage, IncludeWarnings: cfg.IncludeWarnings}
	cfg.ApplyOutput(&opts)
	return &output{
		next:      next,
		obsrecv:   obsrecv,
		telemetry: telemetry,
		logger:    logger,
		items:     ratelog.New(logger, ratelog.Burst, ratelog.Interval),
		opts:      opts,
		resolve:   cfg.ResolveIDs,
		hostname:  hostname,
		version:   version,
		stop:      stop,
	}
}

// deliver translates events into one batch and hands it on. What is dropped
// is counted.
func (o *output) deliver(events []readyEvent) {
	if len(events) == 0 {
		return
	}
	ctx := context.Background()
	batch := translate.NewBatch(len(events), o.resource, o.scope)
	var incomplete, failed int64
	for _, e := range events {
		lr := batch.Append(e.node)
		ev, err := translate.Normalize(e.recs, false)
		if err != nil {
			failed++
			o.items.Warn("dropped an audit event that cannot be normalized", zap.Error(err), zap.Uint32("sequence", e.recs[0].Sequence), zap.String("node", e.node))
			continue
		}
		coalesce.ResolveEnriched(ev, e.recs, o.resolve)
		if !e.complete {
			incomplete++
			ev.Warnings = append(ev.Warnings, errIncomplete)
		}
		for _, w := range e.warnings {
			ev.Warnings = append(ev.Warnings, errors.New(w))
		}
		translate.Record(ev, e.recs, e.observed, o.opts, lr)
		// lr holds strings only, none of ev's slices.
		coalesce.Release(ev)
	}
	// The log records hold strings only: the records are reused from here.
	for _, e := range events {
		record.Release(e.recs)
	}
	if failed > 0 {
		batch.RemoveEmpty()
		o.telemetry.ReceiverAuditlogEventsDropped.Add(ctx, failed)
	}
	if incomplete > 0 {
		o.telemetry.ReceiverAuditlogEventsIncomplete.Add(ctx, incomplete)
	}
	n := batch.Len()
	if n == 0 {
		return
	}
	batch.Hold()
	defer batch.Release()
	ctx = o.obsrecv.StartLogsOp(ctx)
	err := o.send(ctx, batch)
	o.obsrecv.EndLogsOp(ctx, metadata.Type.String(), n, err)
	if err != nil {
		o.telemetry.ReceiverAuditlogEventsDropped.Add(ctx, int64(n))
		o.logger.Error("the next consumer refused audit events; they are dropped", zap.Int("events", n), zap.Error(err))
		return
	}
	o.telemetry.ReceiverAuditlogEventsEmitted.Add(ctx, int64(n))
}

// send hands the batch to the next consumer, retrying retryable errors with
// an exponential backoff until the receiver stops.
func (o *output) send(ctx context.Context, batch *translate.Batch) error {
	wait := retryInitialInterval
	for {
		err := o.next.ConsumeLogs(ctx, batch.Logs())
		if err == nil || consumererror.IsPermanent(err) {
			return err
		}
		o.logger.Debug("the next consumer failed; retrying", zap.Duration("in", wait), zap.Error(err))
		select {
		case <-o.stop:
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMaxInterval)
	}
}

// resource sets a node's resource: host.name is the node= name, or this
// host's name for lines without one (auditd's own log).
func (o *output) resource(node string, res pcommon.Resource) {
	attrs := res.Attributes()
	switch {
	case node != "":
		attrs.PutStr(schema.HostName, node)
	case o.hostname != "":
		attrs.PutStr(schema.HostName, o.hostname)
	}
	attrs.PutStr(schema.OSType, "linux")
}

func (o *output) scope(scope pcommon.InstrumentationScope) {
	scope.SetName(metadata.ScopeName)
	scope.SetVersion(o.version)
}
