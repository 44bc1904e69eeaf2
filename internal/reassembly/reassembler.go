//go:build !windows

// Package reassembly groups the records of a kernel audit stream into events
// as go-libaudit's Reassembler does (same completion rules, eviction on
// timeout and on max in flight, sequence order with its rollover rule), with
// one difference: an event is handed out as soon as it is complete.
//
// go-libaudit hands out events in sequence order only, so a record that never
// gets an end of event holds every later event until it times out. The kernel
// emits such records: a CONFIG_CHANGE logged inside a syscall that a "never"
// rule excludes (the receiver's own rule changes at startup, under its
// self-exclusion rule) has no SYSCALL or EOE after it. A kernel test measured
// the next file event delivered 2.04 s late (the 2 s timeout) behind one.
// Sequence numbers are still retired in order, after the event is handed out,
// so that gap accounting sees them as before.
package reassembly // import "github.com/auditkernel/auditkernel/internal/reassembly"

import (
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"

	"github.com/auditkernel/auditkernel/internal/record"
)

// Stream receives what the Reassembler produces.
type Stream interface {
	// Event receives one event's records, which it keeps. complete is false
	// for an event evicted before its end: timed out, pushed out by
	// max in flight, or flushed by Close.
	Event(recs []*record.Record, complete bool)
	// Retired receives each event's sequence number once it and every event
	// before it in sequence order have been handed out.
	Retired(seq uint32)
}

// recordsPerEvent is the capacity an event's record slice starts with: a file
// syscall is SYSCALL, CWD, two PATHs and PROCTITLE, an execve adds EXECVE and
// often a third PATH. At 6, the seven records of 40% of the recorded mixed
// stream's events moved to a slice of their own, 96 B more.
const recordsPerEvent = 8

// slabEvents is how many events' record slices are carved from one
// allocation: one allocation per event was 1% of the userspace path's.
const slabEvents = 64

// Reassembler groups records into events. It is not safe for concurrent use.
type Reassembler struct {
	maxInFlight int
	timeout     time.Duration
	stream      Stream
	// slab is the storage the next events' record slices are carved from.
	slab []*record.Record
	// events are in sequence order: those in flight, and behind the first
	// of them, those handed out but not yet retired.
	events []event
}

type event struct {
	seq     uint32
	recs    []*record.Record
	expires time.Time
	out     bool // handed out to the stream
}

// New returns a Reassembler that keeps at most maxInFlight events (handed out
// or not) behind the oldest unfinished one, and evicts an event timeout after
// its first record.
func New(maxInFlight int, timeout time.Duration, stream Stream) *Reassembler {
	// Only a few events are in flight at a time; max_in_flight may be far larger.
	return &Reassembler{maxInFlight: maxInFlight, timeout: timeout, stream: stream, events: make([]event, 0, min(maxInFlight, 63)+1)}
}

// Push adds a record received at now. An EOE record ends its event and is
// released; one for an event not in flight is ignored.
func (r *Reassembler) Push(rec *record.Record, now time.Time) {
	i, found := r.find(rec.Sequence)
	switch rec.Type {
	case auparse.AUDIT_EOE:
		if found {
			r.handOut(i, true)
		}
		// Released, it is reused for the next record: left to the GC, it
		// was one allocation (~230 B) per event.
		eoe := [1]*record.Record{rec}
		record.Release(eoe[:])
	default:
		if !found {
			i = r.insert(rec.Sequence, now)
		}
		r.events[i].recs = append(r.events[i].recs, rec)
		if endsEvent(rec.Type) {
			r.handOut(i, true)
		}
	}
	r.retire(now)
}

// Maintain evicts the events that timed out by now.
func (r *Reassembler) Maintain(now time.Time) {
	r.retire(now)
}

// Len is the number of events held: in flight, or handed out and not yet
// retired. A Reassembler at 0 holds nothing and may be dropped.
func (r *Reassembler) Len() int { return len(r.events) }

// Close hands out every event still in flight, as evicted, and retires all.
func (r *Reassembler) Close() {
	for i := range r.events {
		if !r.events[i].out {
			r.handOut(i, false)
		}
		r.stream.Retired(r.events[i].seq)
	}
	clear(r.events)
	r.events = r.events[:0]
}

// endsEvent is go-libaudit's rule: these records end an event without an EOE.
func endsEvent(t auparse.AuditMessageType) bool {
	return t == auparse.AUDIT_PROCTITLE || t <= auparse.AUDIT_LAST_DAEMON || t >= auparse.AUDIT_ANOM_LOGIN_FAILURES
}

// find returns the index of the event in flight with sequence seq. Records
// nearly always belong to one of the newest events, so it searches from the end.
func (r *Reassembler) find(seq uint32) (int, bool) {
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].seq == seq && !r.events[i].out {
			return i, true
		}
	}
	return 0, false
}

// insert adds an event for seq in sequence order, after any event with the
// same sequence number already handed out, and returns its index.
func (r *Reassembler) insert(seq uint32, now time.Time) int {
	i := len(r.events)
	for i > 0 && less(seq, r.events[i-1].seq) {
		i--
	}
	r.events = append(r.events, event{})
	copy(r.events[i+1:], r.events[i:])
	r.events[i] = event{seq: seq, recs: r.newRecs(), expires: now.Add(r.timeout)}
	return i
}

// newRecs returns an empty record slice with room for recordsPerEvent,
// carved from the slab. Its capacity is clipped, so an append beyond it
// moves the event's records out of the slab instead of into its neighbour's.
// A slab is garbage once none of its events is held any more.
func (r *Reassembler) newRecs() []*record.Record {
	if len(r.slab) < recordsPerEvent {
		r.slab = make([]*record.Record, recordsPerEvent*slabEvents)
	}
	recs := r.slab[:0:recordsPerEvent]
	r.slab = r.slab[recordsPerEvent:]
	return recs
}

func (r *Reassembler) handOut(i int, complete bool) {
	e := &r.events[i]
	e.out = true
	recs := e.recs
	e.recs = nil
	r.stream.Event(recs, complete)
}

// retire removes events from the front while they are handed out, and
// evicts the front one while there are more than maxInFlight events or it
// has timed out.
func (r *Reassembler) retire(now time.Time) {
	n := 0
	for n < len(r.events) {
		e := &r.events[n]
		if !e.out {
			if len(r.events)-n <= r.maxInFlight && !now.After(e.expires) {
				break
			}
			r.handOut(n, false)
		}
		r.stream.Retired(e.seq)
		n++
	}
	if n > 0 {
		rest := copy(r.events, r.events[n:])
		clear(r.events[rest:])
		r.events = r.events[:rest]
	}
}

// RolloverWindow is go-libaudit's: sequence numbers farther apart than this
// are taken to have wrapped, the larger being the earlier.
const RolloverWindow = 1<<24 - 1

// less orders sequence numbers as go-libaudit's Reassembler does.
func less(a, b uint32) bool {
	d := int64(a) - int64(b)
	if d > RolloverWindow || d < -RolloverWindow {
		return a > b
	}
	return a < b
}
