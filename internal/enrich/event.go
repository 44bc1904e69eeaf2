//go:build linux

package enrich

import (
	"math"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
)

// FromCoalesced is what enrichment needs of a coalesced event.
func FromCoalesced(ev *coalesce.Event) Event {
	syscall, _ := record.Lookup(ev.Data, "syscall")
	exit, _ := record.Lookup(ev.Data, "exit")
	a0, _ := record.Lookup(ev.Data, "a0")
	return Event{
		Time:    ev.Timestamp,
		PID:     parsePID(ev.Process.PID),
		PPID:    parsePID(ev.Process.PPID),
		Exe:     ev.Process.Exe,
		Name:    ev.Process.Name,
		Title:   ev.Process.Title,
		Syscall: syscall,
		Exit:    exit,
		A0:      a0,
		Success: ev.Result == "success",
	}
}

// parsePID returns 0 for what is not a pid: what strconv.ParseInt(s, 10, 32)
// rejects, or a negative number. strconv.ParseInt took ~210 instructions a
// call, two calls per event; record.ParseInt's fast path (with the arch's in
// record) took ~300 instructions per event off the userspace path.
func parsePID(s string) int32 {
	n, ok := record.ParseInt(s)
	if !ok || n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int32(n)
}
