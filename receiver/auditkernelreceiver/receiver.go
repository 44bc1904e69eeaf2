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

	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

// auditReceiver owns the lifecycle: Start opens the kernel and starts the
// reader (reader.go) and the pipeline (pipeline.go); Shutdown stops them in
// order so that nothing read is left behind.
type auditReceiver struct {
	cfg        *Config
	set        receiver.Settings
	next       consumer.Logs
	openKernel openKernelFunc
	telemetry  *metadata.TelemetryBuilder
	obsrecv    *receiverhelper.ObsReport

	mu       sync.Mutex // guards conn, cancel and stopped against concurrent Shutdown
	conn     kernelConn
	cancel   context.CancelFunc
	stopped  bool
	wg       sync.WaitGroup
	pipeline *pipeline
	reader   *reader
}

// drainTimeout bounds how long Shutdown keeps reading what the kernel still
// holds before it stops.
const drainTimeout = 2 * time.Second

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs, open openKernelFunc) (*auditReceiver, error) {
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
	rules, err := loadRules(r.cfg)
	if err != nil {
		return err
	}
	for _, w := range rules.warnings {
		logger.Warn("ignoring invalid audit rule (ignore_errors is true)", zap.String("error", w))
	}
	if err := checkProcPath(&r.cfg.Enrich); err != nil {
		return err
	}
	conn, err := r.openKernel(r.cfg, rules, logger)
	if err != nil {
		return fmt.Errorf("auditkernel: %w", err)
	}
	r.conn = conn
	if len(rules.rules) > 0 {
		r.telemetry.ReceiverAuditkernelRulesInstalled.Record(context.Background(), int64(len(rules.rules)))
	}

	// This reading is also the baseline of the kernel's lost counter: losses
	// before it are not this receiver's.
	status, statusErr := conn.Status()
	drop := dropsInUserspace(r.cfg.BackpressureStrategy, statusErr == nil && supportsBacklogWaitTime(status))
	setup := conn.Setup()
	logger.Info("auditkernel receiver started",
		zap.String("socket_type", setup.socketType),
		zap.String("socket_type_reason", setup.reason),
		zap.Strings("kernel_settings_changed", setup.changed),
		zap.Int("rules_installed", setup.rules),
		zap.String("backpressure_strategy", r.cfg.BackpressureStrategy),
		zap.Bool("drops_in_userspace_when_full", drop),
		zap.Int("queue_size", r.cfg.Reassembler.QueueSize))

	// Background work outlives Start's context, as the collector documents.
	ctx, cancel := context.WithCancel(context.Background()) //nolint:contextcheck // lives until Shutdown
	r.cancel = cancel
	losses := newLosses(r.telemetry)
	health := newHealth(host, logger)
	r.pipeline = newPipeline(r.cfg, r.next, losses, r.obsrecv, r.telemetry, logger, r.set.BuildInfo.Version)
	r.reader = newReader(r.cfg, conn, r.pipeline.queue, drop, losses, health, r.telemetry, logger)
	mon := &monitor{conn: conn, losses: losses, health: health, drifts: r.pipeline.reportDrift, telemetry: r.telemetry, logger: logger}
	if statusErr == nil {
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
	r.conn.Interrupt()
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
	return r.conn.Close()
}
