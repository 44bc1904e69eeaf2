//go:build !windows

package coalesce

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditkernel/auditkernel/internal/record"
)

// coalesceAndRelease coalesces and resolves the event of lines and releases
// it, poisoned, so that the next Coalesce on this goroutine most likely
// reuses its storage. It returns the released event, nil if there was none.
func coalesceAndRelease(tb testing.TB, lines []string) *Event {
	recs, panicked := buildRecords(tb, lines, nil)
	if panicked != nil {
		return nil
	}
	ev, err := Coalesce(recs)
	if err != nil {
		return nil
	}
	ResolveIDs(ev)
	Release(ev)
	return ev
}

// recordedEvents are the events of every recorded stream and hand-written case.
func recordedEvents(tb testing.TB) [][]string {
	files, err := filepath.Glob(filepath.Join(rawDir, "*.log"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no fixtures in %s: %v", rawDir, err)
	}
	var events [][]string
	for _, file := range files {
		events = append(events, readEvents(tb, file)...)
	}
	for _, c := range allCases() {
		events = append(events, c.lines)
	}
	return events
}

// TestReleaseReuse coalesces every recorded event right after releasing the
// one before it, poisoned: an event built in reused storage must be what
// aucoalesce makes of it.
func TestReleaseReuse(t *testing.T) {
	defer record.SetPoisonOnRelease(record.SetPoisonOnRelease(true))
	events := recordedEvents(t)
	reused, built := 0, 0
	for i := 1; i < len(events); i++ {
		// Counts how often the pool hands the released event back.
		if prev := coalesceAndRelease(t, events[i-1]); prev != nil {
			if recs, panicked := buildRecords(t, events[i], nil); panicked == nil {
				if ev, err := Coalesce(recs); err == nil {
					built++
					if ev == prev {
						reused++
					}
					Release(ev)
				}
			}
		}
		// The check proper: event i built in event i-1's storage.
		coalesceAndRelease(t, events[i-1])
		_, _ = differential(t, events[i], nil)
	}
	// A GC between the two may trim the free list, but most events must
	// have reused one, or this proves nothing.
	if reused < built/2 {
		t.Fatalf("only %d of %d events reused the event released before", reused, built)
	}
}

// TestReleasePoisons checks that a released event reads as garbage, which is
// what the lifetime tests of the callers rely on.
func TestReleasePoisons(t *testing.T) {
	defer record.SetPoisonOnRelease(record.SetPoisonOnRelease(true))
	recs, _ := buildRecords(t, []string{
		`type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=2 success=yes exit=3 pid=1 uid=0 auid=0 comm="x" exe="/bin/x" subj=u:r:t:s0`,
		`type=CWD msg=audit(1.000:7): cwd="/"`,
		`type=PATH msg=audit(1.000:7): item=0 name="/etc" inode=1 dev=fd:00 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`,
	}, nil)
	ev, err := Coalesce(recs)
	if err != nil {
		t.Fatal(err)
	}
	data, ids, labels, file := ev.Data, ev.IDs, ev.SubjectSELinux, ev.File
	if len(data) == 0 || len(ids) == 0 || len(labels) == 0 || file == nil {
		t.Fatalf("unexpected event: %+v", ev)
	}
	Release(ev)
	for _, fields := range [][]record.Field{data, ids, labels} {
		for _, f := range fields {
			if f.Key != record.Poison || f.Value != record.Poison {
				t.Errorf("released field %q=%q not poisoned", f.Key, f.Value)
			}
		}
	}
	if ev.Result != record.Poison {
		t.Errorf("released event's Result %q not poisoned", ev.Result)
	}
	if file.Path != record.Poison {
		t.Errorf("released event's File.Path %q not poisoned", file.Path)
	}
}

// FuzzPooledCoalesce coalesces event b right after event a was coalesced,
// resolved and released (poisoned), and checks b against aucoalesce: reuse
// must not leak anything of a into b.
func FuzzPooledCoalesce(f *testing.F) {
	events := recordedEvents(f)
	for i := 1; i < len(events); i += 3 {
		f.Add(strings.Join(events[i-1], "\n"), strings.Join(events[i], "\n"))
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		defer record.SetPoisonOnRelease(record.SetPoisonOnRelease(true))
		coalesceAndRelease(t, parsableLines(a))
		_, _ = differential(t, parsableLines(b), nil)
	})
}

// parsableLines are the lines of data that auparse accepts.
func parsableLines(data string) []string {
	var lines []string
	for l := range strings.SplitSeq(data, "\n") {
		if _, err := parseLine(l); err == nil {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestReleaseClears coalesces and resolves every recorded event in turn, each
// most likely in the storage of the one before, and checks that Release
// leaves the whole capacity of the storage it pools cleared, although it
// clears only the part in use: pooled storage must keep no record text alive
// (poison, which earlier tests may have left, is none).
func TestReleaseClears(t *testing.T) {
	for _, lines := range recordedEvents(t) {
		recs, panicked := buildRecords(t, lines, nil)
		if panicked != nil {
			continue
		}
		ev, err := Coalesce(recs)
		if err != nil {
			continue
		}
		ResolveIDs(ev)
		Release(ev)
		for i, f := range ev.fields[:cap(ev.fields)] {
			if f != (record.Field{}) && f != (record.Field{Key: record.Poison, Value: record.Poison}) {
				t.Fatalf("after %q: pooled field %d holds %q=%q", lines, i, f.Key, f.Value)
			}
		}
		for i, p := range ev.paths[:cap(ev.paths)] {
			if p != nil {
				t.Fatalf("after %q: pooled path %d holds %v", lines, i, p)
			}
		}
	}
}
