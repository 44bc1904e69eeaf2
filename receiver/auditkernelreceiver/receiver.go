//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/ratelog"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

// sinks are where the reader, the pipeline and the monitor report: every
// loss, the component status, the receiver's telemetry and its log, with
// itemLog for the warnings about single items (a bad record or rule line),
// which bad input can make as many as it likes.
type sinks struct {
	losses    *losses
	health    *health
	telemetry *metadata.TelemetryBuilder
	logger    *zap.Logger
	itemLog   *ratelog.Logger
}

// At most itemWarnings warnings about single items per itemWarningInterval;
// the rest are counted in the log.
const (
	itemWarnings        = ratelog.Burst
	itemWarningInterval = ratelog.Interval
)

// openKernel opens the kernel for the factory's receivers. The package's
// tests open a fake instead (lifecycle_test.go), so that the generated
// lifecycle test runs without root; the kernel tests name kernel.Open.
var openKernel kernel.OpenFunc = kernel.Open

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(set, cfg.(*Config), next, openKernel)
}

// auditReceiver owns the lifecycle: Start opens the kernel and starts the
// reader (reader.go) and the pipeline (pipeline.go); Shutdown stops them in
// order so that nothing read is left behind.
type auditReceiver struct {
	cfg        *Config
	set        receiver.Settings
	next       consumer.Logs
	openKernel kernel.OpenFunc
	telemetry  *metadata.TelemetryBuilder
	obsrecv    *receiverhelper.ObsReport

	mu       sync.Mutex // guards conn, cancel and stopped against concurrent Shutdown
	conn     *kernel.Conn
	cancel   context.CancelFunc
	stopped  bool
	wg       sync.WaitGroup
	pipeline *pipeline
	reader   *reader
	itemLog  *ratelog.Logger
}

// drainTimeout bounds how long Shutdown keeps reading what the kernel still
// holds before it stops.
const drainTimeout = 2 * time.Second

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs, open kernel.OpenFunc) (*auditReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "netlink",
		LongLivedCtx:           true,
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &auditReceiver{cfg: cfg, set: set, next: next, openKernel: open, telemetry: telemetry, obsrecv: obsrecv}, nil
}

// Start configures the kernel and subscribes, failing fast with the cause
// when it cannot, then receives in the background.
func (r *auditReceiver) Start(_ context.Context, host component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.conn != nil {
		return errors.New("auditkernel receiver cannot be started twice")
	}
	logger := r.set.Logger
	rules, err := kernel.LoadRules(r.cfg.ruleConfig())
	if err != nil {
		return err
	}
	itemLog := ratelog.New(logger, itemWarnings, itemWarningInterval)
	for _, w := range rules.Warnings {
		itemLog.Warn("ignoring invalid audit rule (ignore_errors is true)", zap.String("error", w))
	}
	itemLog.Flush()
	if err := checkProcPath(&r.cfg.Enrich); err != nil {
		return err
	}
	conn, err := r.openKernel(r.cfg.kernelConfig(), rules.Rules, logger)
	if err != nil {
		return fmt.Errorf("auditkernel: %w", err)
	}
	r.conn = conn
	if len(rules.Rules) > 0 {
		r.telemetry.ReceiverAuditkernelRulesInstalled.Record(context.Background(), int64(len(rules.Rules)))
	}
	setup := conn.Setup
	logger.Info("auditkernel receiver started",
		zap.String("socket_type", setup.SocketType),
		zap.String("socket_type_reason", setup.Reason),
		zap.Strings("kernel_settings_changed", setup.Changed),
		zap.Int("rules_installed", setup.Rules),
		zap.String("backpressure_strategy", r.cfg.BackpressureStrategy),
		zap.Bool("drops_in_userspace_when_full", setup.Backpressure.DropWhenFull),
		zap.String("backpressure_reason", setup.Backpressure.Reason),
		zap.Int("queue_size", r.cfg.Reassembler.QueueSize),
		zap.Int("socket_buffer_bytes", setup.SocketBuffer))

	// Background work outlives Start's context, as the collector documents.
	ctx, cancel := context.WithCancel(context.Background()) //nolint:contextcheck // lives until Shutdown
	r.cancel = cancel
	s := sinks{losses: newLosses(r.telemetry), health: newHealth(host, logger), telemetry: r.telemetry, logger: logger, itemLog: itemLog}
	r.itemLog = itemLog
	r.pipeline = newPipeline(r.cfg, r.next, r.obsrecv, r.set.BuildInfo.Version, s)
	r.reader = newReader(conn.Messages, r.cfg.Reassembler, r.pipeline.queue, setup.Backpressure.DropWhenFull, s)
	mon := &monitor{sinks: s, control: conn.Control, rules: conn.Rules, pid: setup.PID, drifts: r.pipeline.reportDrift}
	// This reading is the baseline of the kernel's lost counter: losses
	// before it are not this receiver's.
	if status, err := conn.Control.Status(); err == nil {
		mon.lost.observe(status.Lost)
	}
	monitored := make(chan struct{})
	r.wg.Add(3)
	go func() {
		defer r.wg.Done()
		defer close(r.pipeline.queue) // the reader is the only sender
		r.reader.run(ctx)
	}()
	go func() {
		defer r.wg.Done()
		defer close(monitored)
		mon.run(ctx, r.cfg.KernelStatusInterval, r.cfg.RuleCheckInterval)
	}()
	go func() {
		defer r.wg.Done()
		r.pipeline.run(ctx.Done(), monitored)
	}()
	return nil
}

// Shutdown stops reading, flushes what was read through the pipeline and
// releases the kernel. It is idempotent and safe without Start.
func (r *auditReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return nil
	}
	r.stopped = true
	defer r.telemetry.Shutdown()
	if r.conn == nil {
		return nil
	}
	drainCtx, cancelDrain := context.WithTimeout(ctx, drainTimeout)
	r.reader.drain(drainCtx)
	cancelDrain()
	r.cancel()
	r.conn.Messages.Interrupt()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("auditkernel: shutdown: %w", ctx.Err())
	}
	r.itemLog.Flush()
	return r.conn.Close()
}
