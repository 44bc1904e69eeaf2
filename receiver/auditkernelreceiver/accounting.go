//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import "github.com/auditkernel/auditkernel/internal/reassembly"

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
