//go:build !windows

package translate

import (
	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
)

// seenKeys is the set of field keys that putEventData has met: those of the
// event's Data and of the records before. Looking each record field up in
// Data and in every earlier record instead was 7% of the userspace path's
// instructions (callgrind, recorded mixed stream). An open-addressing table
// of references into those lists holds no pointers, so filling it costs no
// GC write barriers, and it lives on the stack for events of up to
// stackKeys keys.
type seenKeys struct {
	ev    *coalesce.Event
	recs  []*record.Record
	slots []uint64 // 0: empty; else a reference + 1
}

// stackKeys is how many keys the table on the stack holds at half load.
const stackKeys = 128

// A reference is a list (0: ev.Data; i+1: recs[i]'s fields) and an index in it.
const refShift = 32

func (s *seenKeys) key(ref uint64) string {
	list, i := ref>>refShift, ref&(1<<refShift-1)
	if list == 0 {
		return s.ev.Data[i].Key
	}
	return s.recs[list-1].Key(int(i))
}

// add adds the key at ref, whose hash is h (record.HashKey), and reports
// whether it was new.
func (s *seenKeys) add(ref uint64, key string, h uint32) bool {
	mask := uint64(len(s.slots) - 1)
	for i := uint64(h) & mask; ; i = (i + 1) & mask {
		e := s.slots[i]
		if e == 0 {
			s.slots[i] = ref + 1
			return true
		}
		if s.key(e-1) == key {
			return false
		}
	}
}

// tableSize is the power of two that holds n keys at half load at most.
func tableSize(n int) int {
	size := 2 * stackKeys
	for size < 2*n {
		size <<= 1
	}
	return size
}
