//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"sync"

	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

// lossCounts are the losses not yet reported by a delivered loss marker.
type lossCounts struct {
	kernel         int64 // records, as the kernel counts them
	sequenceGaps   int64 // sequence numbers that never arrived
	userspace      int64 // events dropped by this receiver
	socketOverruns int64 // ENOBUFS reads: the kernel dropped an unknown number of messages
	// The sequence numbers affected by gaps and userspace drops, where known.
	hasRange    bool
	first, last uint32
}

func (c lossCounts) any() bool {
	return c.kernel > 0 || c.sequenceGaps > 0 || c.userspace > 0 || c.socketOverruns > 0
}

// cover widens the affected range to [first, last], comparing in signed
// 32-bit space so that a range across the rollover stays small.
func (c *lossCounts) cover(first, last uint32) {
	if !c.hasRange {
		c.hasRange, c.first, c.last = true, first, last
		return
	}
	if int32(first-c.first) < 0 {
		c.first = first
	}
	if int32(last-c.last) > 0 {
		c.last = last
	}
}

func (c *lossCounts) merge(o lossCounts) {
	c.kernel += o.kernel
	c.sequenceGaps += o.sequenceGaps
	c.userspace += o.userspace
	c.socketOverruns += o.socketOverruns
	if o.hasRange {
		c.cover(o.first, o.last)
	}
}

// losses is where every loss is counted: it feeds the telemetry counters
// and the in-band loss markers, so the two cannot disagree. It is used by
// the reader, the pipeline and the status monitor concurrently.
type losses struct {
	telemetry *metadata.TelemetryBuilder
	// due is signalled when a loss is counted so that the pipeline emits a
	// marker even when no event follows.
	due chan struct{}

	mu       sync.Mutex
	pending  lossCounts
	overruns int64 // since the monitor last asked, for component status
}

func newLosses(telemetry *metadata.TelemetryBuilder) *losses {
	return &losses{telemetry: telemetry, due: make(chan struct{}, 1)}
}

func (l *losses) add(c lossCounts) {
	l.mu.Lock()
	l.pending.merge(c)
	l.overruns += c.socketOverruns
	l.mu.Unlock()
	select {
	case l.due <- struct{}{}:
	default:
	}
}

func (l *losses) kernelLost(ctx context.Context, records int64) {
	l.telemetry.ReceiverAuditkernelKernelLost.Add(ctx, records)
	l.add(lossCounts{kernel: records})
}

func (l *losses) sequenceGap(ctx context.Context, gap sequenceGap) {
	l.telemetry.ReceiverAuditkernelSequenceGaps.Add(ctx, gap.count)
	l.add(lossCounts{sequenceGaps: gap.count, hasRange: true, first: gap.first, last: gap.last})
}

// userspaceDrop counts events this receiver dropped; seqs are their
// sequence numbers where known.
func (l *losses) userspaceDrop(ctx context.Context, events int64, seqs ...uint32) {
	l.telemetry.ReceiverAuditkernelUserspaceDrops.Add(ctx, events)
	c := lossCounts{userspace: events}
	for _, s := range seqs {
		c.cover(s, s)
	}
	l.add(c)
}

func (l *losses) socketOverrun(ctx context.Context) {
	l.telemetry.ReceiverAuditkernelSocketOverruns.Add(ctx, 1)
	l.add(lossCounts{socketOverruns: 1})
}

// take hands the pending losses to a marker; give them back with restore
// when the marker could not be delivered.
func (l *losses) take() (lossCounts, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.pending
	l.pending = lossCounts{}
	return c, c.any()
}

// restore puts back the counts of an undelivered marker without signalling
// due, so that a consumer that refuses everything is not retried in a loop.
func (l *losses) restore(c lossCounts) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending.merge(c)
}

// takeOverruns returns the socket overruns since the previous call.
func (l *losses) takeOverruns() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.overruns
	l.overruns = 0
	return n
}
