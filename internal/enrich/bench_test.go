//go:build linux

package enrich

import (
	"fmt"
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

// BenchmarkTableBound drives the table with b.N distinct short-lived
// processes (children of this one, exited, pids above any pid_max so that
// none replaces another: only the bounds hold the table) and reports the
// table's size and the heap after a GC at each quarter of the run: both stay
// at the bound whatever the number of processes. bench/RESULTS.md runs it
// with -benchtime 1048576x.
func BenchmarkTableBound(b *testing.B) {
	self := int32(os.Getpid())
	e := New(Options{Lineage: true, Container: true, MaxEntries: benchMaxEntries, MaxBytes: benchMaxBytes})
	ev := Event{PPID: self, Exe: "/usr/bin/touch", Name: "touch", Title: "touch /tmp/some-file-name", Syscall: "openat", Exit: "3", Success: true}
	quarter := max(b.N/4, 1)
	var heap [4]float64
	for i := 1; i <= b.N; i++ {
		ev.PID = 1<<22 + int32(i%(1<<30))
		ev.Time = time.Now()
		e.Enrich(&ev)
		if q := i / quarter; i%quarter == 0 && q <= len(heap) {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			heap[q-1] = float64(ms.HeapAlloc) / (1 << 20)
		}
	}
	st := e.Stats()
	b.ReportMetric(float64(st.Entries), "entries")
	b.ReportMetric(float64(st.Bytes)/(1<<20), "table-MiB")
	b.ReportMetric(float64(st.Evictions), "evictions")
	for q, h := range heap {
		b.ReportMetric(h, fmt.Sprintf("heap-MiB-at-%d%%", 25*(q+1)))
	}
}
