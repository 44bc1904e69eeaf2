//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/reassembly"
	"github.com/auditkernel/auditkernel/internal/record"
)

// maintainInterval bounds how late a timed-out event is flushed.
const maintainInterval = 250 * time.Millisecond

// drainQuiet is how long the socket must stay quiet, once draining, for the
// kernel to have sent everything.
const drainQuiet = 100 * time.Millisecond

// discardTimeout bounds how long Shutdown, out of time, waits for the events
// still arriving to be counted (reassembled, not normalized: microseconds each).
const discardTimeout = time.Second

// A socket that fails to read is reopened, waiting reopenBackoff before the
// first attempt and doubling it; after reopenAttempts failures the receiver
// gives up, as the socket cannot be had back.
const (
	reopenBackoff  = 50 * time.Millisecond
	reopenAttempts = 6 // over about 3 s
)

// queuedEvent is one reassembled event on its way to the pipeline.
type queuedEvent struct {
	recs     []*record.Record
	received time.Time
}

// reader reads netlink messages, parses their headers and reassembles them
// into events. It runs on one goroutine, so its accounting needs no locks.
type reader struct {
	sinks
	msgs        kernel.Messages
	queue       chan<- queuedEvent
	drop        bool // drop when the queue is full instead of blocking
	reassembler *reassembly.Reassembler
	sequences   sequenceTracker
	// draining makes run return once the socket is quiet, so that Shutdown
	// receives what the kernel still had; done closes when run returns.
	draining atomic.Bool
	// sinceFlush counts the records other than CONFIG_CHANGE received since
	// the last Flush.
	sinceFlush atomic.Int64
	// received counts the messages not yet added to the messages_received
	// metric: adding one at a time cost ~2% of the CPU at 20k events/s.
	received int64
	done     chan struct{}
	// discard closes when Shutdown runs out of time: the events still
	// arriving are counted as dropped instead of waiting for the queue.
	discard chan struct{}
}

// newReader reads msgs into queue, blocking when it is full unless drop.
func newReader(msgs kernel.Messages, cfg ReassemblerConfig, queue chan<- queuedEvent, drop bool, s sinks) *reader {
	r := &reader{sinks: s, msgs: msgs, queue: queue, drop: drop, done: make(chan struct{}), discard: make(chan struct{})}
	r.reassembler = reassembly.New(cfg.MaxInFlight, cfg.Timeout, r)
	return r
}

// run reads until the connection is interrupted, then flushes the events
// still being reassembled.
func (r *reader) run(ctx context.Context) {
	defer close(r.done)
	defer r.countReceived(ctx)
	// Close flushes the events still in flight.
	defer r.reassembler.Close()
	lastMaintain := time.Now()
	for {
		timeout := maintainInterval
		if r.draining.Load() {
			timeout = drainQuiet
		}
		msg, err := r.msgs.Receive(timeout)
		now := time.Now()
		switch {
		case errors.Is(err, kernel.ErrInterrupted):
			return
		case msg == nil && err == nil && r.draining.Load():
			// The kernel's sender retries what it failed to send only when
			// woken, and drops it silently once the PID is released (unless
			// booted with audit=1). Until a flush brings nothing but its own
			// CONFIG_CHANGE, it may hold more.
			if r.sinceFlush.Load() == 0 {
				return
			}
			r.flush()
		case errors.Is(err, kernel.ErrSocketOverrun):
			r.losses.socketOverrun(ctx)
			r.logger.Warn("audit messages lost: the socket receive buffer overran; raise socket_buffer_size or make the rules more selective")
		case err != nil:
			if !r.reopen(ctx, err) {
				return
			}
		case msg != nil:
			if msg.Type != auparse.AUDIT_CONFIG_CHANGE {
				r.sinceFlush.Add(1)
			}
			r.handle(ctx, msg, now)
		}
		if now.Sub(lastMaintain) >= maintainInterval {
			lastMaintain = now
			r.reassembler.Maintain(now)
			r.countReceived(ctx)
		}
	}
}

// drain makes run return once the kernel has sent what it holds, or when
// ctx ends.
func (r *reader) drain(ctx context.Context) {
	r.flush()
	r.draining.Store(true)
	select {
	case <-r.done:
		return
	case <-ctx.Done():
	}
	close(r.discard)
	select {
	case <-r.done:
	case <-time.After(discardTimeout):
	}
}

// flush wakes the kernel's sender, which then sends what it held back.
func (r *reader) flush() {
	r.sinceFlush.Store(0)
	if err := r.msgs.Flush(); err != nil {
		r.logger.Debug("cannot make the kernel send what it holds", zap.Error(err))
	}
}

// reopen replaces the failed socket, reporting the receiver degraded
// meanwhile and failed when it cannot. It returns false when reading must stop.
func (r *reader) reopen(ctx context.Context, readErr error) bool {
	r.logger.Error("reading audit messages failed; reopening the audit socket", zap.Error(readErr))
	r.health.set(conditionSocket, fmt.Errorf("the audit socket failed and is being reopened: %w", readErr))
	wait := reopenBackoff
	var err error
	for range reopenAttempts {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		if err = r.msgs.Reopen(); err == nil {
			r.logger.Info("reopened the audit socket")
			r.health.set(conditionSocket, nil)
			return true
		}
		r.logger.Warn("reopening the audit socket failed", zap.Error(err))
		wait *= 2
	}
	r.health.fail(fmt.Errorf("the audit socket failed (%w) and could not be reopened: %w", readErr, err))
	return false
}

// handle takes a message received at now.
func (r *reader) handle(ctx context.Context, raw *libaudit.RawAuditMessage, now time.Time) {
	r.received++
	if !record.IsEvent(raw.Type) {
		return
	}
	// Only the header is parsed here, on the one reading goroutine; the
	// fields are parsed by the pipeline's workers (normalize).
	rec, err := record.ParseHeader(raw.Type, raw.Data)
	if err != nil {
		r.losses.userspaceDrop(ctx, 1)
		r.itemLog.Warn("dropped an audit record whose header cannot be parsed", zap.Error(err),
			zap.Uint16("type", uint16(raw.Type)), zap.ByteString("data", truncate(raw.Data, 256)))
		return
	}
	r.reassembler.Push(rec, now)
}

// countReceived adds the messages received since the last call to the
// metric, so that it lags by at most about maintainInterval.
func (r *reader) countReceived(ctx context.Context) {
	if r.received > 0 {
		r.telemetry.ReceiverAuditkernelMessagesReceived.Add(ctx, r.received)
		r.received = 0
	}
}

// Retired implements reassembly.Stream: sequence numbers arrive in order, so
// a number skipped is an event the kernel did not deliver.
func (r *reader) Retired(seq uint32) {
	if gap := r.sequences.observe(seq); gap.count > 0 {
		r.losses.sequenceGap(context.Background(), gap)
	}
}

// Event implements reassembly.Stream.
func (r *reader) Event(recs []*record.Record, complete bool) {
	ctx := context.Background()
	if !complete {
		r.telemetry.ReceiverAuditkernelReassemblerEvictions.Add(ctx, 1)
	}
	ev := queuedEvent{recs: recs, received: time.Now()}
	if !r.drop {
		select {
		case r.queue <- ev:
			return
		case <-r.discard:
		}
	}
	select {
	case r.queue <- ev:
	default:
		r.losses.userspaceDrop(ctx, 1, recs[0].Sequence)
		record.Release(recs)
	}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
