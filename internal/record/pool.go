//go:build !windows

package record

import (
	"sync"
	"sync/atomic"

	"github.com/auditkernel/auditkernel/internal/freelist"
)

// Records are reused, and so is the storage of their fields: a record and
// its field slice were two of the ~114 allocations per event on the
// userspace path, and their garbage is what the GC scans and sweeps at 20k+
// events/s. Strings are never reused: Raw is a fresh copy of the socket
// buffer per record and every value is Raw's or newly decoded, so strings
// handed on (into log records) stay valid after Release.
//
// Both are kept in free lists, stacks under one mutex, rather than in
// sync.Pools. Records are taken one at a time by one goroutine (the
// receiver's reader), field storage by ParseFields on the pipeline's
// workers, and both are given back an event's worth at a time by the
// pipeline: a sync.Pool cost ~115 instructions per Get or Put there, and its
// storage, dropped at every GC, was allocated again (~290 B per event). The
// mutex is held for a few instructions at a time.
//
// The field storage is apart from the record while it is in use, taken by
// ParseFields: a record waiting in the receiver's queue, not yet parsed,
// then holds none. Kept with the record, it made a full queue (8192 events)
// of reused records hold some 1.3 KB of idle storage per record. A released
// record keeps its storage in the free list until newRecord takes the record.
//
// As a sync.Pool gives back what stays unused through a GC cycle, so do the
// free lists (trimmed at every GC): idle, their memory goes back to the GC
// within two cycles. Under load, they hold at most freelist.Max records
// (232 B each, zeroed) with their storage, and freelist.Max storages apart,
// of a few dozen fields each: room for a batch of the receiver's pipeline
// (1024 events of ~6 records), which it releases at once.
var free struct {
	sync.Mutex
	recs   freelist.List[Record]
	stores freelist.List[fieldStore]
}

func init() {
	freelist.AtEveryGC(func() {
		free.Lock()
		free.recs.Trim()
		free.stores.Trim()
		free.Unlock()
	})
}

// fieldStore is reusable storage for a record's fields: their refs, which
// hold no pointers and need no clearing, and the strings of made refs, which
// Release clears so that pooled storage keeps no text alive.
type fieldStore struct {
	pairs []pair
	made  []string
	text  string // the text being parsed, while ParseFields runs
}

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
	r := free.recs.Take()
	if r != nil && r.store != nil {
		free.stores.Put(r.store)
	}
	free.Unlock()
	if r == nil {
		return new(Record)
	}
	*r = Record{}
	return r
}

// newStore returns empty field storage, a released one if there is one.
func newStore() *fieldStore {
	free.Lock()
	s := free.stores.Take()
	free.Unlock()
	if s == nil {
		return new(fieldStore)
	}
	// A poisoned release leaves Poison in made.
	s.clearMade()
	return s
}

// clearMade empties made, clearing its strings so that pooled storage keeps
// no text alive.
func (s *fieldStore) clearMade() {
	clear(s.made)
	s.made = s.made[:0]
}

// Release hands recs back for reuse by ParseHeader, and clears recs. After
// Release nothing may use the records, their fields or Tags, nor anything
// that shares them (a coalesced event's Paths and Tags); strings taken from
// them stay valid. Not releasing a record is always safe: the GC takes it.
func Release(recs []*Record) {
	poison := poisonReleased.Load()
	for _, r := range recs {
		if r == nil {
			continue
		}
		if s := r.store; s != nil {
			s.clearMade()
			if poison {
				// Every key and value now reads as Poison.
				s.made = append(s.made, Poison)
				for j := range r.fields {
					r.fields[j] = pair{ref{0, madeRef}, ref{0, madeRef}}
				}
			}
		}
		if poison {
			for j := range r.Tags {
				r.Tags[j] = Poison
			}
			*r = Record{Raw: Poison, Sequence: ^uint32(0), fields: r.fields, Tags: r.Tags, tag: [1]string{Poison}, store: r.store}
		} else {
			*r = Record{store: r.store}
		}
	}
	free.Lock()
	for i, r := range recs {
		if r != nil {
			free.recs.Put(r)
		}
		recs[i] = nil
	}
	free.Unlock()
}

// PoisonOnRelease tells whether released records are poisoned, for the
// stages that pool what they build from records to do the same.
func PoisonOnRelease() bool { return poisonReleased.Load() }
