//go:build !windows

// Package benchtest reports the cost per audit event of benchmarks that
// replay a whole recorded stream per iteration, for both inputs' benchmarks.
package benchtest // import "github.com/auditkernel/auditkernel/internal/benchtest"

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Events runs fn (one pass over a stream of events events) b.N times and
// reports the cost per event: one iteration is the whole stream, so the
// default per-op figures would hide the per-event ones.
func Events(b *testing.B, events int, fn func()) {
	b.Helper()
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpuBefore := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		fn()
	}
	b.StopTimer()
	cpu := processCPU(b) - cpuBefore
	runtime.ReadMemStats(&after)
	total := float64(b.N) * float64(events)
	nsPerEvent := float64(b.Elapsed().Nanoseconds()) / total
	b.ReportMetric(nsPerEvent, "ns/event")
	// CPU time, not elapsed time, per event: the figure per core, also
	// where work is spread over several goroutines (and including GC).
	cpuPerEvent := float64(cpu.Nanoseconds()) / total
	b.ReportMetric(cpuPerEvent, "cpu-ns/event")
	b.ReportMetric(1e9/cpuPerEvent, "events/s/core")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/event")
}

// processCPU is the user+system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}
