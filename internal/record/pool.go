//go:build !windows

package record

import (
	"sync"
	"sync/atomic"
)

// Records are reused, and so is the storage of their fields: a record and
// its field slice were two of the ~114 allocations per event on the
// userspace path, and their garbage is what the GC scans and sweeps at 20k+
// events/s. Strings are never reused: Raw is a fresh copy of the socket
// buffer per record and every value is Raw's or newly decoded, so strings
// handed on (into log records) stay valid after Release.
//
// The field storage is pooled apart from the records, taken by ParseFields:
// a record waiting in the receiver's queue, not yet parsed, then holds none.
// Kept with the record, it made a full queue (8192 events) of reused records
// hold some 1.3 KB of idle storage per record.
var storePool = sync.Pool{New: func() any { return new(fieldStore) }}

// free holds the released records, for newRecord to take the last one in.
// Records are taken one at a time by one goroutine (the receiver's reader)
// and given back an event's worth at a time by another: a sync.Pool cost
// ~115 instructions a Get or Put there, and its storage, dropped at every
// GC, was allocated again (~290 B per event with the pools below). A
// mutex taken once per ParseHeader and once per Release costs less.
//
// Unlike a sync.Pool's, the records kept are never given to the GC: at
// most maxFree of them, 1.7 MB, zeroed, so that they keep nothing else
// alive. That is room for the records of a batch of the receiver's
// pipeline (1024 events of ~6 records), which it releases at once.
var free struct {
	sync.Mutex
	recs []*Record
}

const maxFree = 8192

// fieldStore is reusable storage for a record's fields. It is pooled by
// pointer, so that handing it back allocates nothing. The length of fields
// is how much of it the record uses: all that Release has to clear.
type fieldStore struct{ fields []Field }

// poisonReleased makes Release overwrite what it releases, so that a use
// after Release shows as garbage in the output (or as a data race under
// -race) instead of going unseen. Tests of the callers' lifetimes set it.
var poisonReleased atomic.Bool

// SetPoisonOnRelease turns poisoning of released records on or off and
// returns the previous setting. It is for tests: with it on, a record used
// after Release reads as garbage.
func SetPoisonOnRelease(on bool) bool { return poisonReleased.Swap(on) }

// Poison is the key and value that poisoned fields hold.
const Poison = "\x00released-record"

// newRecord returns a zeroed record, a released one if there is one.
func newRecord() *Record {
	free.Lock()
	n := len(free.recs) - 1
	if n < 0 {
		free.Unlock()
		return new(Record)
	}
	r := free.recs[n]
	free.recs[n] = nil
	free.recs = free.recs[:n]
	free.Unlock()
	*r = Record{}
	return r
}

// Release hands recs back for reuse by ParseHeader, and clears recs. After
// Release nothing may use the records, their Fields or Tags, nor anything
// that shares them (a coalesced event's Paths and Tags); strings taken from
// them stay valid. Not releasing a record is always safe: the GC takes it.
func Release(recs []*Record) {
	poison := poisonReleased.Load()
	for _, r := range recs {
		if r == nil {
			continue
		}
		if poison {
			for j := range r.Fields {
				r.Fields[j] = Field{Key: Poison, Value: Poison}
			}
			for j := range r.Tags {
				r.Tags[j] = Poison
			}
		}
		if s := r.store; s != nil {
			if !poison {
				// Cleared so that pooled storage keeps no record text
				// alive. Only the used part: the rest was cleared by an
				// earlier release.
				clear(s.fields)
			}
			s.fields = s.fields[:0]
			storePool.Put(s)
		}
		if poison {
			*r = Record{Raw: Poison, Sequence: ^uint32(0), Fields: r.Fields, Tags: r.Tags, tag: [1]string{Poison}}
		} else {
			*r = Record{}
		}
	}
	free.Lock()
	for i, r := range recs {
		if r != nil && len(free.recs) < maxFree {
			free.recs = append(free.recs, r)
		}
		recs[i] = nil
	}
	free.Unlock()
}

// PoisonOnRelease tells whether released records are poisoned, for the
// stages that pool what they build from records to do the same.
func PoisonOnRelease() bool { return poisonReleased.Load() }
