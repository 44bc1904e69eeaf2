//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"errors"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

// maintainInterval bounds how late a timed-out event is flushed.
const maintainInterval = 250 * time.Millisecond

// readErrorBackoff keeps a persistent socket error from becoming a busy loop.
const readErrorBackoff = 100 * time.Millisecond

// queuedEvent is one reassembled event on its way to the pipeline.
type queuedEvent struct {
	msgs     []*auparse.AuditMessage
	received time.Time
}

// reader reads netlink messages, parses their headers and reassembles them
// into events with go-libaudit's Reassembler. It runs on one goroutine, so
// its accounting needs no locks.
type reader struct {
	conn        kernelConn
	queue       chan<- queuedEvent
	drop        bool // drop when the queue is full instead of blocking
	reassembler *libaudit.Reassembler
	sequences   sequenceTracker
	telemetry   *metadata.TelemetryBuilder
	logger      *zap.Logger
}

func newReader(cfg *Config, conn kernelConn, queue chan<- queuedEvent, drop bool, telemetry *metadata.TelemetryBuilder, logger *zap.Logger) (*reader, error) {
	r := &reader{conn: conn, queue: queue, drop: drop, telemetry: telemetry, logger: logger}
	reassembler, err := libaudit.NewReassembler(cfg.Reassembler.MaxInFlight, cfg.Reassembler.Timeout, r)
	if err != nil {
		return nil, err
	}
	r.reassembler = reassembler
	return r, nil
}

// run reads until the connection is interrupted, then flushes the events
// still being reassembled.
func (r *reader) run(ctx context.Context) {
	// Close flushes the events still in flight; it fails only when already closed.
	defer func() { _ = r.reassembler.Close() }()
	lastMaintain := time.Now()
	for {
		msg, err := r.conn.Receive(maintainInterval)
		switch {
		case errors.Is(err, errInterrupted):
			return
		case errors.Is(err, errSocketOverrun):
			r.telemetry.ReceiverAuditkernelSocketOverruns.Add(ctx, 1)
			r.logger.Warn("audit messages lost: the socket receive buffer overran; raise socket_buffer_size or make the rules more selective")
		case err != nil:
			r.logger.Error("reading audit messages failed", zap.Error(err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(readErrorBackoff):
			}
		case msg != nil:
			r.handle(ctx, msg)
		}
		if now := time.Now(); now.Sub(lastMaintain) >= maintainInterval {
			lastMaintain = now
			_ = r.reassembler.Maintain()
		}
	}
}

func (r *reader) handle(ctx context.Context, raw *libaudit.RawAuditMessage) {
	r.telemetry.ReceiverAuditkernelMessagesReceived.Add(ctx, 1)
	if !isEventMessage(raw.Type) {
		return
	}
	// string() copies: raw.Data is the socket's read buffer.
	msg, err := auparse.Parse(raw.Type, string(raw.Data))
	if err != nil {
		r.telemetry.ReceiverAuditkernelUserspaceDrops.Add(ctx, 1)
		r.logger.Warn("dropped an audit record whose header cannot be parsed", zap.Error(err),
			zap.Uint16("type", uint16(raw.Type)), zap.ByteString("data", truncate(raw.Data, 256)))
		return
	}
	r.reassembler.PushMessage(msg)
}

// ReassemblyComplete implements libaudit.Stream.
func (r *reader) ReassemblyComplete(msgs []*auparse.AuditMessage) {
	ctx := context.Background()
	if gap := r.sequences.observe(msgs[0].Sequence); gap > 0 {
		r.telemetry.ReceiverAuditkernelSequenceGaps.Add(ctx, gap)
	}
	if !completesEvent(msgs) {
		r.telemetry.ReceiverAuditkernelReassemblerEvictions.Add(ctx, 1)
	}
	ev := queuedEvent{msgs: msgs, received: time.Now()}
	if !r.drop {
		r.queue <- ev
		return
	}
	select {
	case r.queue <- ev:
	default:
		r.telemetry.ReceiverAuditkernelUserspaceDrops.Add(ctx, 1)
	}
}

// EventsLost implements libaudit.Stream. It is ignored: the Reassembler
// subtracts sequence numbers unsigned, so a late event reads as ~2^32 lost;
// sequenceTracker counts gaps instead.
func (*reader) EventsLost(int) {}

// completesEvent applies the Reassembler's own notion of a finished event
// (a PROCTITLE, daemon or anomaly record); an event without one was flushed
// because it timed out or max_in_flight was exceeded.
func completesEvent(msgs []*auparse.AuditMessage) bool {
	for _, m := range msgs {
		if m.RecordType == auparse.AUDIT_PROCTITLE || m.RecordType <= auparse.AUDIT_LAST_DAEMON || m.RecordType >= auparse.AUDIT_ANOM_LOGIN_FAILURES {
			return true
		}
	}
	return false
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
