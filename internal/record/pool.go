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
var (
	pool      = sync.Pool{New: func() any { return new(Record) }}
	storePool = sync.Pool{New: func() any { return new(fieldStore) }}
)

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

// newRecord returns a zeroed record from the pool.
func newRecord() *Record {
	r := pool.Get().(*Record)
	*r = Record{}
	return r
}

// Release hands recs back for reuse by ParseHeader, and clears recs. After
// Release nothing may use the records, their Fields or Tags, nor anything
// that shares them (a coalesced event's Paths and Tags); strings taken from
// them stay valid. Not releasing a record is always safe: the GC takes it.
func Release(recs []*Record) {
	poison := poisonReleased.Load()
	for i, r := range recs {
		if r == nil {
			continue
		}
		recs[i] = nil
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
		pool.Put(r)
	}
}

// PoisonOnRelease tells whether released records are poisoned, for the
// stages that pool what they build from records to do the same.
func PoisonOnRelease() bool { return poisonReleased.Load() }
