//go:build linux

package enrich

import (
	"strconv"

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

// parsePID returns 0 for what is not a pid.
func parsePID(s string) int32 {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0
	}
	return int32(n)
}
