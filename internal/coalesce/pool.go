//go:build !windows

package coalesce

import (
	"sync"

	"github.com/elastic/go-libaudit/v2/aucoalesce"

	"github.com/auditkernel/auditkernel/internal/freelist"
	"github.com/auditkernel/auditkernel/internal/record"
)

// Events are reused, with the storage of their field slices and paths: the
// event struct and its fields were two of the largest allocations per event
// (about 1 KB together on the recorded mixed stream). They are kept in a
// free list under a mutex, as records are (see record's pool.go), rather
// than in a sync.Pool, whose Get and Put cost 200 more instructions per
// event on the userspace path (measured: 90.56k -> 90.35k instructions/event,
// callgrind, recorded mixed stream).
var freeEvents struct {
	sync.Mutex
	list freelist.List[Event]
}

func init() {
	freelist.AtEveryGC(func() {
		freeEvents.Lock()
		freeEvents.list.Trim()
		freeEvents.Unlock()
	})
}

// getEvent returns a zeroed event, a released one if there is one, keeping
// its storage. Only a poisoned event needs zeroing: Release zeroes the
// others, and zeroing them again cost 230 instructions per event
// (callgrind, parse_normalize).
func getEvent() *Event {
	freeEvents.Lock()
	ev := freeEvents.list.Take()
	freeEvents.Unlock()
	if ev == nil {
		return new(Event)
	}
	if ev.poisoned {
		fields, paths := ev.fields, ev.paths
		*ev = Event{fields: fields, paths: paths}
	}
	return ev
}

// takeFields returns storage for n fields, the event's own if it has room;
// what it holds is stale, to be overwritten by appends to slices of it. It
// is called once per event: ev.fields' length then bounds what the event
// can write, which is what Release clears.
func (ev *Event) takeFields(n int) []record.Field {
	if cap(ev.fields) < n {
		ev.fields = make([]record.Field, n)
	}
	ev.fields = ev.fields[:n]
	return ev.fields
}

// takePaths returns an empty slice with room for n paths, capped at n so
// that ev.paths' length bounds what the event writes, as in takeFields.
func (ev *Event) takePaths(n int) []*record.Record {
	if cap(ev.paths) < n {
		ev.paths = make([]*record.Record, n)
	}
	ev.paths = ev.paths[:n]
	return ev.paths[:0:n]
}

// Release hands ev back for reuse by Coalesce. After Release nothing may use
// ev or its slices; strings taken from it stay valid. Not releasing an event
// is always safe: the GC takes it.
func Release(ev *Event) {
	if ev == nil {
		return
	}
	// Only the used part, ev.fields and ev.paths up to their lengths,
	// can hold anything. Clearing the whole capacity, under write barriers
	// while the GC marks, made Release cost 2,843 instructions per event
	// instead of 1,200 (callgrind, recorded mixed stream, GOGC=400).
	fields, paths := ev.fields, ev.paths
	if record.PoisonOnRelease() {
		for i := range fields {
			fields[i] = record.Field{Key: record.Poison, Value: record.Poison}
		}
		for i := range paths {
			paths[i] = nil
		}
		*ev = Event{Data: ev.Data, IDs: ev.IDs, Names: ev.Names, SubjectSELinux: ev.SubjectSELinux, fields: fields[:0], paths: paths[:0], poisoned: true}
		ev.Result, ev.Session = record.Poison, record.Poison
		p := record.Poison
		ev.file = aucoalesce.File{Path: p, Device: p, Inode: p, Mode: p, UID: p, GID: p, Owner: p, Group: p}
	} else {
		// Cleared so that a pooled event keeps no record text alive.
		clear(fields)
		clear(paths)
		*ev = Event{fields: fields[:0], paths: paths[:0]}
	}
	freeEvents.Lock()
	freeEvents.list.Put(ev)
	freeEvents.Unlock()
}
