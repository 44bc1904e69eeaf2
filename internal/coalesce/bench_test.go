//go:build !windows

package coalesce

import (
	"path/filepath"
	"testing"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"

	"github.com/auditkernel/auditkernel/internal/record"
)

// mixedEvents returns the events of mixed.log, a realistic mix of execve,
// file, connect and USER events.
func mixedEvents(b *testing.B) [][]string {
	events := readEvents(b, filepath.Join(rawDir, "mixed.log"))
	if len(events) == 0 {
		b.Fatal("no events")
	}
	return events
}

// BenchmarkCoalesce measures Coalesce per event (ns/op, allocs/op) on
// records parsed beforehand, and Coalesce followed by ResolveIDs.
func BenchmarkCoalesce(b *testing.B) {
	var events [][]*record.Record
	for _, lines := range mixedEvents(b) {
		events = append(events, toRecords(parseEvent(b, lines, nil)))
	}
	for _, resolve := range []bool{false, true} {
		name := "coalesce"
		if resolve {
			name = "coalesce_resolve_ids"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ev, err := Coalesce(events[i%len(events)])
				if err != nil {
					b.Fatal(err)
				}
				if resolve {
					ResolveIDs(ev)
				}
				i++
			}
		})
	}
}

// BenchmarkCoalesceLibaudit measures aucoalesce.CoalesceMessages per event
// on messages whose Data() was parsed beforehand, to isolate coalescing. It
// mutates that data, so each batch is parsed afresh with the timer stopped.
func BenchmarkCoalesceLibaudit(b *testing.B) {
	events := mixedEvents(b)
	parse := func(n int) [][]*auparse.AuditMessage {
		batch := make([][]*auparse.AuditMessage, n)
		for i := range batch {
			msgs := parseEvent(b, events[i%len(events)], nil)
			for _, m := range msgs {
				_, _ = m.Data()
			}
			batch[i] = msgs
		}
		return batch
	}
	b.ReportAllocs()
	b.StopTimer()
	for done := 0; done < b.N; {
		batch := parse(min(b.N-done, 4*len(events)))
		b.StartTimer()
		for _, msgs := range batch {
			if _, err := aucoalesce.CoalesceMessages(msgs); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		done += len(batch)
	}
}
