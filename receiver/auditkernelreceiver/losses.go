//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"sync"

	"github.com/auditkernel/auditkernel/internal/reassembly"
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
	// due is signaled when a loss is counted so that the pipeline emits a
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

// restore puts back the counts of an undelivered marker without signaling
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

// lostCounter turns readings of the kernel's 32-bit lost counter into deltas.
type lostCounter struct {
	last    uint32
	started bool
}

// observe returns how many records were lost since the previous reading. The
// first reading is the baseline: losses from before we started are not ours.
// A smaller reading means the counter was reset (auditctl --reset-lost), so
// all of it is new loss.
func (c *lostCounter) observe(lost uint32) int64 {
	defer func() { c.last, c.started = lost, true }()
	switch {
	case !c.started:
		return 0
	case lost < c.last:
		return int64(lost)
	default:
		return int64(lost - c.last)
	}
}

// sequenceTracker finds gaps in the audit sequence numbers of delivered
// events, comparing in signed 32-bit space so that a rollover
// (4294967295 -> 0) is a step of one and a late event is not a gap of 2^32.
type sequenceTracker struct {
	highest uint32
	started bool
	// credit is the number of late events seen whose sequence numbers were
	// already counted as a gap; later gaps are reduced by it so that the
	// total stays exact while the counter stays monotonic.
	credit int64
	// outlier is the previous event's sequence number when it was out of
	// range (hasOutlier).
	outlier    uint32
	hasOutlier bool
}

// maxSequenceStep bounds a believable distance between the sequence numbers
// of two delivered events (the reassembler's rollover window).
// The kernel numbers events one by one, so a farther jump is a corrupt
// header: that event is delivered but neither counts as a gap nor moves the
// tracker, or one bad number would count a billion lost events and hide
// every later gap. Two such events in a row close to each other mean the
// stream really moved (after a loss the kernel's lost counter reports), and
// the tracker follows.
const maxSequenceStep = reassembly.RolloverWindow

// sequenceGap is what one observed sequence number reveals: count newly
// missing sequence numbers, all of them within [first, last].
type sequenceGap struct {
	count       int64
	first, last uint32
}

// observe returns the gap that seq reveals: none for the first event, a
// duplicate or a late event (which fills a gap counted before, so it is
// credited against the next gap).
func (t *sequenceTracker) observe(seq uint32) sequenceGap {
	if !t.started {
		t.highest, t.started = seq, true
		return sequenceGap{}
	}
	step := int32(seq - t.highest)
	if step > maxSequenceStep || step < -maxSequenceStep {
		if near := int32(seq - t.outlier); t.hasOutlier && near > -maxSequenceStep && near < maxSequenceStep {
			t.highest, t.credit, t.hasOutlier = seq, 0, false
		} else {
			t.outlier, t.hasOutlier = seq, true
		}
		return sequenceGap{}
	}
	t.hasOutlier = false
	if step < 0 {
		t.credit++
	}
	if step <= 0 {
		return sequenceGap{}
	}
	gap := sequenceGap{count: int64(step - 1), first: t.highest + 1, last: seq - 1}
	t.highest = seq
	settled := min(gap.count, t.credit)
	t.credit -= settled
	gap.count -= settled
	return gap
}
