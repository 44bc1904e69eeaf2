//go:build linux

package auditkernelreceiver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/kerneltest"
)

const stormEnv = "AUDITKERNEL_TEST_STORM"

// queuedEventBound is the memory one queued event may take, as README states
// it for the memory bound.
const queuedEventBound = 4 << 10

// TestHelperStorm is not a test: run with stormEnv=N, it makes N audited
// getppid calls as fast as it can and prints how long they took.
func TestHelperStorm(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(stormEnv))
	if err != nil {
		t.Skip("helper process for TestKernelStorm")
	}
	start := time.Now()
	for range n {
		syscall.Getppid()
	}
	fmt.Println(time.Since(start).Nanoseconds())
}

// storm runs the storm helper as a child of this process, so that the rule
// "-F ppid=<this process>" selects its calls only, and returns its rate.
func storm(t *testing.T, n int) float64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStorm$")
	cmd.Env = append(os.Environ(), stormEnv+"="+strconv.Itoa(n))
	out, err := cmd.Output()
	require.NoError(t, err)
	lines := strings.Fields(string(out))
	require.NotEmpty(t, lines)
	ns, err := strconv.ParseInt(lines[0], 10, 64)
	require.NoError(t, err, string(out))
	return float64(n) / (float64(ns) / 1e9)
}

// stormConsumer counts the storm's events and the loss markers' totals
// without keeping the records; while gate is held, it blocks.
type stormConsumer struct {
	gate   sync.RWMutex
	events atomic.Int64
	lost   sync.Map // attribute -> *atomic.Int64
}

func (c *stormConsumer) consume(_ context.Context, ld plog.Logs) error {
	c.gate.RLock()
	defer c.gate.RUnlock()
	for _, lr := range logRecords([]plog.Logs{ld}) {
		attrs := lr.Attributes().AsRaw()
		switch {
		case lr.EventName() == eventNameLost:
			for k, v := range attrs {
				n, _ := c.lost.LoadOrStore(k, new(atomic.Int64))
				if i, ok := v.(int64); ok && !strings.Contains(k, ".sequence.") {
					n.(*atomic.Int64).Add(i)
				}
			}
		case kerneltest.IsSyscallWithKey(attrs, "akt_storm"):
			c.events.Add(1)
		}
	}
	return nil
}

func (c *stormConsumer) lostTotal(name string) int64 {
	n, ok := c.lost.Load(eventNameLost + "." + name)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// stormRule selects the storm helper's getppid calls only.
func stormRule() string {
	return fmt.Sprintf("-a always,exit -F arch=b64 -S getppid -F ppid=%d -k akt_storm", os.Getpid())
}

// recordsPerStormEvent counts the records the kernel emits for one storm
// call: the kernel's lost counter counts records, not events.
func recordsPerStormEvent(t *testing.T) int64 {
	t.Helper()
	cfg := defaultConfig()
	cfg.AuditRules = stormRule()
	cfg.IncludeRawMessage = true
	r, sink := startKernelReceiver(t, cfg)
	storm(t, 1)
	lr := waitForRecord(t, sink, func(a map[string]any) bool { return kerneltest.IsSyscallWithKey(a, "akt_storm") })
	require.NoError(t, r.Shutdown(context.Background()))
	raw, _ := lr.Attributes().AsRaw()["audit.kernel.messages"].([]any)
	require.NotEmpty(t, raw)
	// The reassembler consumes the EOE record that ends a syscall event; the
	// kernel sends and counts it.
	return int64(len(raw)) + 1
}

// waitForDrain waits until the kernel has sent everything queued: its
// backlog is empty and c has seen nothing new for a while. Records the
// kernel failed to send while our socket was full wait in its retry queue,
// which the backlog does not show and which it only flushes when a new
// record wakes it, so each check sends one.
func waitForDrain(t *testing.T, c *stormConsumer) {
	t.Helper()
	last := int64(-1)
	require.Eventually(t, func() bool {
		sendUserLogin(t)
		now := c.events.Load()
		settled := now == last && kerneltest.Status(t).Backlog == 0
		last = now
		return settled
	}, 30*time.Second, 500*time.Millisecond)
}

// A storm of audited syscalls while the next consumer blocks, then an
// immediate shutdown: the storming process is not slowed down, memory stays
// bounded, and every event is either delivered or counted as lost in the
// loss markers. With "auto" the
// kernel drops (backlog_wait_time 0); with "both" this receiver drops too.
func TestKernelStorm(t *testing.T) {
	kerneltest.Require(t)
	const n = 100_000
	perEvent := recordsPerStormEvent(t)

	run := func(strategy string, c *stormConsumer, blocked bool) (rate float64, heapGrowth int64) {
		cfg := defaultConfig()
		cfg.AuditRules = stormRule()
		cfg.KernelStatusInterval = 100 * time.Millisecond
		cfg.BackpressureStrategy = strategy
		next, err := consumer.NewLogs(c.consume)
		require.NoError(t, err)
		if blocked {
			c.gate.Lock()
		}
		runtime.GC()
		var before, during runtime.MemStats
		runtime.ReadMemStats(&before)
		r := startKernelReceiverTo(t, cfg, next)
		rate = storm(t, n)
		if blocked {
			time.Sleep(time.Second) // the queue fills up behind the blocked consumer
			runtime.GC()
			runtime.ReadMemStats(&during)
			c.gate.Unlock()
			// Shutdown itself must receive what the kernel still holds.
			require.NoError(t, r.Shutdown(context.Background()))
			return rate, int64(during.HeapInuse) - int64(before.HeapInuse)
		}
		waitForDrain(t, c)
		require.NoError(t, r.Shutdown(context.Background()))
		return rate, int64(during.HeapInuse) - int64(before.HeapInuse)
	}

	free := &stormConsumer{}
	freeRate, _ := run(kernel.BackpressureAuto, free, false)
	t.Logf("storm of %d calls, %d records each, consumer not blocking: %.0f calls/s, %d delivered (lost: %d kernel records, %d gaps, %d userspace)",
		n, perEvent, freeRate, free.events.Load(), free.lostTotal("kernel"), free.lostTotal("sequence_gaps"), free.lostTotal("userspace"))

	for _, strategy := range []string{kernel.BackpressureAuto, kernel.BackpressureBoth} {
		c := &stormConsumer{}
		rate, heapGrowth := run(strategy, c, true)
		delivered, kernelLost := c.events.Load(), c.lostTotal("kernel")
		gaps, userspace := c.lostTotal("sequence_gaps"), c.lostTotal("userspace")
		accounted := delivered + gaps + userspace + kernelLost
		t.Logf("%s, consumer blocked: %.0f calls/s (%.2f of not blocking), delivered %d, kernel lost %d records, gaps %d, userspace %d: accounted %d of %d; heap grew %d KiB",
			strategy, rate, rate/freeRate, delivered, kernelLost, gaps, userspace, accounted, n, heapGrowth>>10)

		// Throttled by the kernel (backlog_wait_time > 0), the storm would wait
		// up to a minute at each full backlog; the two rates are logged for
		// comparison, but on a shared machine they vary too much to compare.
		assert.Less(t, float64(n)/rate, 10.0, "%s: a blocked pipeline must not throttle the audited process", strategy)
		assert.Less(t, delivered, int64(n), "%s: the consumer blocked long enough to cause loss", strategy)
		// The kernel abandons an event whose first record finds the backlog
		// full and counts that one record; a later record of an event that
		// got in is counted on its own; a stamped record the kernel's sender
		// drops later is counted and leaves a sequence gap too. So every
		// event is delivered or counted at least once; on top, at most
		// perEvent-1 records of each event that reached us (delivered or
		// dropped here), and perEvent records of each gap.
		assert.GreaterOrEqual(t, accounted, int64(n), "%s: an event was neither delivered nor counted", strategy)
		assert.LessOrEqual(t, accounted, int64(n)+(perEvent-1)*(delivered+userspace)+perEvent*gaps,
			"%s: more loss counted than the kernel can have reported", strategy)
		assert.Less(t, heapGrowth, int64(queuedEventBound)*int64(defaultConfig().Reassembler.QueueSize+maxBatch+defaultConfig().Reassembler.MaxInFlight),
			"%s: memory is bounded by the queue", strategy)
	}
}
