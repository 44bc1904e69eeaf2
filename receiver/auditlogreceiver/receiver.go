//go:build !windows

package auditlogreceiver // import "github.com/auditkernel/auditkernel/receiver/auditlogreceiver"

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/reassembly"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/receiver/auditlogreceiver/internal/metadata"
)

// auditLogReceiver reads audit log lines through contrib's fileconsumer
// (globs, fingerprints across rotation, positions in a storage extension),
// reassembles their records per node and hands the events on.
//
// Each batch of lines is handled synchronously in fileconsumer's callback:
// fileconsumer keeps a batch's position only once the callback returned
// and the receiver is not stopping, so what a restart reads again is what
// was not handed on.
type auditLogReceiver struct {
	cfg       *Config
	set       receiver.Settings
	telemetry *metadata.TelemetryBuilder
	out       *output

	manager *fileconsumer.Manager
	storage storage.Client
	stop    chan struct{} // closed when Shutdown starts: retries give up
	wg      sync.WaitGroup

	// gate is held for reading while a batch is handled; Shutdown takes it
	// to wait for those batches, and sets stopping so that later ones are
	// left unhandled, to be read again after a restart.
	gate     sync.RWMutex
	stopping bool
	// lastBatch is when the last handled batch returned (UnixNano).
	lastBatch atomic.Int64

	mu      sync.Mutex // guards streams, notes, ready
	streams map[string]*nodeStream
	notes   map[*record.Record][]string // why a record is not quite what it should be
	ready   []readyEvent

	lifecycle sync.Mutex
	started   bool
	stopped   bool
}

// nodeStream reassembles the records of one node. Sequence numbers are the
// recording kernel's, so each node= host has a reassembler of its own.
type nodeStream struct {
	node        string
	reassembler *reassembly.Reassembler
	r           *auditLogReceiver
}

// readyEvent is one reassembled event on its way to the next consumer.
type readyEvent struct {
	recs     []*record.Record
	node     string
	complete bool
	observed time.Time
	warnings []string
}

// maintainInterval bounds how late an event of a quiet file is emitted
// after its timeout.
const maintainInterval = 250 * time.Millisecond

// batchGrace is how long Shutdown lets fileconsumer record the position of
// a batch that has just been handled before stopping it.
const batchGrace = 250 * time.Millisecond

// maxNotes bounds the dropped-line notes one record carries as warnings.
const maxNotes = 8

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*auditLogReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "file",
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
	r := &auditLogReceiver{
		cfg:       cfg,
		set:       set,
		telemetry: telemetry,
		stop:      make(chan struct{}),
		streams:   map[string]*nodeStream{},
		notes:     map[*record.Record][]string{},
	}
	r.out = newOutput(cfg, next, obsrecv, telemetry, set.Logger, set.BuildInfo.Version, r.stop)
	return r, nil
}

// Start opens the storage extension's client, if configured, and starts
// reading.
func (r *auditLogReceiver) Start(ctx context.Context, host component.Host) error {
	r.lifecycle.Lock()
	defer r.lifecycle.Unlock()
	if r.started || r.stopped {
		return errors.New("auditlog receiver cannot be started twice")
	}
	manager, err := r.cfg.fileConsumer().Build(r.set.TelemetrySettings, r.consume)
	if err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	if r.cfg.Storage != nil {
		client, err := storageClient(ctx, host, *r.cfg.Storage, r.set.ID)
		if err != nil {
			return fmt.Errorf("auditlog: %w", err)
		}
		r.storage = client
		if err := r.loadInFlight(ctx); err != nil {
			return fmt.Errorf("auditlog: reading the events kept by the previous run: %w", errors.Join(err, r.closeStorage(ctx)))
		}
	}
	// Without storage, r.storage is a nil interface: fileconsumer keeps no
	// positions.
	if err := manager.Start(r.storage); err != nil {
		return fmt.Errorf("auditlog: %w", errors.Join(err, r.closeStorage(ctx)))
	}
	r.manager = manager
	r.started = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.maintain()
	}()
	r.set.Logger.Info("auditlog receiver started", zap.Strings("include", r.cfg.Include), zap.String("start_at", r.cfg.StartAt), zap.Bool("positions_kept", r.storage != nil))
	return nil
}

func storageClient(ctx context.Context, host component.Host, id, owner component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("storage extension %q not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("extension %q is not a storage extension", id)
	}
	return se.GetClient(ctx, component.KindReceiver, owner, "")
}

// Shutdown waits for the batches being handled, stops reading (fileconsumer
// saves the positions), keeps the events still being reassembled in the
// storage for the next run (emits them, without storage) and closes the
// storage client. It is idempotent and safe without Start.
func (r *auditLogReceiver) Shutdown(ctx context.Context) error {
	r.lifecycle.Lock()
	defer r.lifecycle.Unlock()
	if r.stopped {
		return nil
	}
	r.stopped = true
	defer r.telemetry.Shutdown()
	if !r.started {
		return nil
	}
	close(r.stop)
	r.wg.Wait()
	r.gate.Lock()
	r.stopping = true
	r.gate.Unlock()
	// fileconsumer records a batch's position after the callback returns,
	// and only while it is not stopping: a Stop right behind the return
	// would leave the batch to be read again. The step between is a few
	// instructions; this grace gives the reader time to be scheduled.
	if wait := batchGrace - time.Since(time.Unix(0, r.lastBatch.Load())); wait > 0 {
		time.Sleep(wait)
	}
	err := r.manager.Stop()

	r.mu.Lock()
	for _, s := range r.streams {
		s.reassembler.Close()
	}
	ready := r.takeReady()
	r.mu.Unlock()
	r.out.deliver(r.keepInFlight(ctx, ready))
	r.out.items.Flush()
	return errors.Join(err, r.closeStorage(ctx))
}

func (r *auditLogReceiver) closeStorage(ctx context.Context) error {
	if r.storage == nil {
		return nil
	}
	return r.storage.Close(ctx)
}

// maintain emits the events of quiet files once they time out.
func (r *auditLogReceiver) maintain() {
	ticker := time.NewTicker(min(maintainInterval, r.cfg.Reassembler.Timeout/4))
	defer ticker.Stop()
	for {
		select {
		case <-r.stop:
			return
		case now := <-ticker.C:
			r.mu.Lock()
			for node, s := range r.streams {
				s.reassembler.Maintain(now)
				// A log of many nodes (an aggregator) keeps a
				// reassembler only for those with events in flight.
				if s.reassembler.Len() == 0 {
					delete(r.streams, node)
				}
			}
			ready := r.takeReady()
			r.mu.Unlock()
			r.out.deliver(ready)
		}
	}
}

// consume is fileconsumer's callback: one batch of lines of one file.
func (r *auditLogReceiver) consume(ctx context.Context, lines [][]byte, attrs map[string]any, _ int64, _ []int64) error {
	r.gate.RLock()
	if r.stopping {
		// Left unhandled and, since fileconsumer is stopping, not marked
		// as read.
		r.gate.RUnlock()
		<-ctx.Done()
		return ctx.Err()
	}
	defer r.gate.RUnlock()
	defer func() { r.lastBatch.Store(time.Now().UnixNano()) }()

	now := time.Now()
	var c lineCounts
	r.mu.Lock()
	var dropped []string // notes of dropped lines, for the next record's warnings
	for _, line := range lines {
		rec, notes := r.parse(line, &c)
		if rec == nil || rec.Type == auparse.AUDIT_EOE {
			// The reassembler keeps no EOE record, so it carries no notes.
			dropped = append(dropped, notes...)
			if rec != nil {
				r.stream(rec.Node).reassembler.Push(rec, now)
			}
			continue
		}
		if len(dropped) > 0 || len(notes) > 0 {
			all := slices.Concat(dropped, notes)
			r.notes[rec] = all[:min(len(all), maxNotes)]
			dropped = nil
		}
		r.stream(rec.Node).reassembler.Push(rec, now)
	}
	ready := r.takeReady()
	r.mu.Unlock()

	c.report(ctx, r.telemetry, len(lines))
	if len(dropped) > 0 {
		// No event of this batch follows them to carry them as warnings.
		r.out.items.Warn("dropped audit log lines at the end of a batch", zap.Any("file", attrs["log.file.name"]), zap.Strings("why", dropped))
	}
	r.out.deliver(ready)
	return nil
}

// lineCounts are one batch's outcomes, reported once per batch.
type lineCounts struct {
	invalid, truncated, capped, unknownType int64
}

func (c *lineCounts) report(ctx context.Context, t *metadata.TelemetryBuilder, lines int) {
	t.ReceiverAuditlogLinesRead.Add(ctx, int64(lines))
	for _, m := range [...]struct {
		n   int64
		add func(context.Context, int64)
	}{
		{c.invalid, func(ctx context.Context, n int64) { t.ReceiverAuditlogLinesInvalid.Add(ctx, n) }},
		{c.truncated, func(ctx context.Context, n int64) { t.ReceiverAuditlogLinesTruncated.Add(ctx, n) }},
		{c.capped, func(ctx context.Context, n int64) { t.ReceiverAuditlogLinesCapped.Add(ctx, n) }},
		{c.unknownType, func(ctx context.Context, n int64) { t.ReceiverAuditlogRecordsUnknownType.Add(ctx, n) }},
	} {
		if m.n > 0 {
			m.add(ctx, m.n)
		}
	}
}

// parse parses one line, counting what is wrong with it, and returns its
// record (nil when it has none) and notes saying what was wrong.
func (r *auditLogReceiver) parse(line []byte, c *lineCounts) (*record.Record, []string) {
	var notes []string
	if len(line) >= int(r.cfg.MaxLineSize) {
		c.capped++
		notes = append(notes, fmt.Sprintf("line capped at max_line_size (%d bytes); the rest was dropped", r.cfg.MaxLineSize))
	}
	rec, err := record.ParseLine(line)
	switch {
	case err == nil:
	case errors.Is(err, record.ErrTruncated):
		c.truncated++
	case errors.Is(err, record.ErrUnknownType):
		c.unknownType++
	default:
		c.invalid++
	}
	if err != nil {
		notes = append(notes, err.Error())
	}
	if rec != nil && isUnknownType(rec) {
		c.unknownType++
		notes = append(notes, "record type "+rec.Type.String()+" is unknown to the parser")
	}
	return rec, notes
}

// isUnknownType tells whether auditd wrote the record's type as a number,
// UNKNOWN[n], and the parser has no name for it either.
func isUnknownType(rec *record.Record) bool {
	name := rec.Type.String()
	return len(name) > len("UNKNOWN[") && name[:len("UNKNOWN[")] == "UNKNOWN["
}

// stream returns the node's stream, creating it. r.mu must be held.
func (r *auditLogReceiver) stream(node string) *nodeStream {
	s, ok := r.streams[node]
	if !ok {
		s = &nodeStream{node: node, r: r}
		s.reassembler = reassembly.New(r.cfg.Reassembler.MaxInFlight, r.cfg.Reassembler.Timeout, s)
		r.streams[node] = s
	}
	return s
}

// takeReady hands over the events reassembled so far. r.mu must be held.
func (r *auditLogReceiver) takeReady() []readyEvent {
	ready := r.ready
	r.ready = nil
	return ready
}

// Event is reassembly.Stream's: called with r.mu held.
func (s *nodeStream) Event(recs []*record.Record, complete bool) {
	ev := readyEvent{recs: recs, node: s.node, complete: complete, observed: time.Now()}
	for _, rec := range recs {
		if notes, ok := s.r.notes[rec]; ok {
			ev.warnings = append(ev.warnings, notes...)
			delete(s.r.notes, rec)
		}
	}
	s.r.ready = append(s.r.ready, ev)
}

// Retired is reassembly.Stream's. Files have no gap accounting: auditd's
// own records and the kernel's share the log but not the sequence.
func (*nodeStream) Retired(uint32) {}
