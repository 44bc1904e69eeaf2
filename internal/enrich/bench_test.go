//go:build linux

package enrich

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// Default-like bounds for the benchmarks.
const (
	benchMaxEntries = 32768
	benchMaxBytes   = 16 << 20
)

// BenchmarkEnrich measures one event against the real /proc: from a
// process seen before (the common case), and from a new process that has
// exited already, child of a live one (a fork/exec storm).
func BenchmarkEnrich(b *testing.B) {
	self, parent := int32(os.Getpid()), int32(os.Getppid())
	opts := Options{Lineage: true, Container: true, MaxEntries: benchMaxEntries, MaxBytes: benchMaxBytes}
	b.Run("seen_process", func(b *testing.B) {
		e := New(opts)
		ev := Event{PID: self, PPID: parent, Exe: "/usr/bin/touch", Name: "touch", Title: "touch /tmp/x", Syscall: "openat", Exit: "3", Success: true}
		b.ReportAllocs()
		for b.Loop() {
			ev.Time = time.Now()
			e.Enrich(&ev)
		}
	})
	b.Run("new_exited_process", func(b *testing.B) {
		e := New(opts)
		ev := Event{PPID: self, Exe: "/usr/bin/touch", Name: "touch", Title: "touch /tmp/x", Syscall: "openat", Exit: "3", Success: true}
		pid := int32(0)
		b.ReportAllocs()
		for b.Loop() {
			// Pids above any pid_max: /proc has none of them.
			ev.PID = 1<<22 + 1 + pid%(1<<20)
			pid++
			ev.Time = time.Now()
			e.Enrich(&ev)
		}
	})
}

// BenchmarkTableBound drives the table with 1M distinct short-lived
// processes (children of this one, exited) and reports the table's size and
// the heap at the end: both stay at the bound whatever the number of
// processes.
func BenchmarkTableBound(b *testing.B) {
	const processes = 1 << 20
	self := int32(os.Getpid())
	for b.Loop() {
		e := New(Options{Lineage: true, Container: true, MaxEntries: benchMaxEntries, MaxBytes: benchMaxBytes})
		ev := Event{PPID: self, Exe: "/usr/bin/touch", Name: "touch", Title: "touch /tmp/some-file-name", Syscall: "openat", Exit: "3", Success: true}
		var heap [4]uint64
		for i := range processes {
			ev.PID = 1<<22 + 1 + int32(i)
			ev.Time = time.Now()
			e.Enrich(&ev)
			if (i+1)%(processes/4) == 0 {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				heap[(i+1)/(processes/4)-1] = ms.HeapAlloc
			}
		}
		st := e.Stats()
		b.ReportMetric(float64(st.Entries), "entries")
		b.ReportMetric(float64(st.Bytes)/(1<<20), "table-MiB")
		b.ReportMetric(float64(st.Evictions), "evictions")
		for i, h := range heap {
			b.ReportMetric(float64(h)/(1<<20), "heap-MiB-at-"+[...]string{"256k", "512k", "768k", "1M"}[i])
		}
	}
}
