//go:build !windows

package translate

import (
	"slices"
	"strconv"

	"github.com/elastic/go-libaudit/v2/auparse"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
)

// Normalize parses the fields of one reassembled event's records, puts them
// in kernel order, coalesces them into an actor/action/thing/how event and,
// when asked, resolves uid/gid values to names.
func Normalize(recs []*record.Record, resolveIDs bool) (*coalesce.Event, error) {
	for _, r := range recs {
		r.ParseFields()
	}
	canonicalOrder(recs)
	event, err := coalesce.Coalesce(recs)
	if err != nil {
		return nil, err
	}
	if resolveIDs {
		coalesce.ResolveIDs(event)
	}
	return event, nil
}

// recordRank orders the records of one event as the kernel emits them: the
// leading record (SYSCALL, or a record such as AVC that precedes it) first,
// then auxiliary records, PROCTITLE, and EOE. The normalizer takes the first
// record as the event's type and the first PATH as its object, so records
// that arrive out of order would otherwise change the event's meaning.
func recordRank(t auparse.AuditMessageType) int {
	switch t {
	case auparse.AUDIT_PATH, auparse.AUDIT_CWD, auparse.AUDIT_EXECVE, auparse.AUDIT_SOCKADDR,
		auparse.AUDIT_BPRM_FCAPS, auparse.AUDIT_CAPSET, auparse.AUDIT_MMAP, auparse.AUDIT_FD_PAIR,
		auparse.AUDIT_OBJ_PID, auparse.AUDIT_SOCKETCALL, auparse.AUDIT_IPC:
		return 1
	case auparse.AUDIT_PROCTITLE:
		return 2
	case auparse.AUDIT_EOE:
		return 3
	default:
		return 0
	}
}

// canonicalOrder sorts recs in place by recordRank (stable), then the PATH
// records among their own positions by item number. Records from the kernel
// are normally in order already; then nothing moves and nothing is allocated.
func canonicalOrder(recs []*record.Record) {
	byRank := func(a, b *record.Record) int { return recordRank(a.Type) - recordRank(b.Type) }
	if !slices.IsSortedFunc(recs, byRank) {
		slices.SortStableFunc(recs, byRank)
	}
	if pathsInOrder(recs) {
		return
	}
	var paths []*record.Record
	var slots []int
	for i, r := range recs {
		if r.Type == auparse.AUDIT_PATH {
			paths = append(paths, r)
			slots = append(slots, i)
		}
	}
	slices.SortStableFunc(paths, func(a, b *record.Record) int { return pathItem(a) - pathItem(b) })
	for i, slot := range slots {
		recs[slot] = paths[i]
	}
}

func pathsInOrder(recs []*record.Record) bool {
	last := -1 << 31
	for _, r := range recs {
		if r.Type != auparse.AUDIT_PATH {
			continue
		}
		item := pathItem(r)
		if item < last {
			return false
		}
		last = item
	}
	return true
}

func pathItem(r *record.Record) int {
	v, _ := r.Get("item")
	item, _ := strconv.Atoi(v)
	return item
}
