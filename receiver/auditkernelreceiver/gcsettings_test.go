//go:build linux

package auditkernelreceiver

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// goRuntimeSettings reads the process-wide settings that the distribution
// sets through its environment (GOGC, GOMEMLIMIT, GOMAXPROCS).
func goRuntimeSettings() (gcPercent int, memoryLimit int64, procs int) {
	gcPercent = debug.SetGCPercent(100)
	debug.SetGCPercent(gcPercent)
	return gcPercent, debug.SetMemoryLimit(-1), runtime.GOMAXPROCS(0)
}

// The GC and scheduler settings are the operator's, shipped as environment
// settings of the systemd unit and the DaemonSet: a receiver running the
// whole path must leave them as it found them.
func TestReceiverLeavesGoRuntimeSettings(t *testing.T) {
	gcPercent, memoryLimit, procs := goRuntimeSettings()
	replay(t, defaultConfig(), "mixed.log")
	gotGC, gotLimit, gotProcs := goRuntimeSettings()
	assert.Equal(t, gcPercent, gotGC, "GOGC")
	assert.Equal(t, memoryLimit, gotLimit, "GOMEMLIMIT")
	assert.Equal(t, procs, gotProcs, "GOMAXPROCS")
}
