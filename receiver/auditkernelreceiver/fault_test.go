//go:build linux

package auditkernelreceiver

// Fault injection against the real kernel: a collector killed with SIGKILL
// under load and restarted, and a socket that overruns (ENOBUFS) under a
// syscall storm.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/kerneltest"
	"github.com/auditkernel/auditkernel/internal/metrictest"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadatatest"
)

// runReceiverEnv holds the rules of the receiver TestHelperRunReceiver runs.
const runReceiverEnv = "AUDITKERNEL_TEST_RUN_RECEIVER"

// TestHelperRunReceiver is not a test: run with runReceiverEnv set, it is a
// collector with one unicast receiver and those rules; it prints "started",
// then the number of events delivered every 20 ms, until it is killed.
func TestHelperRunReceiver(t *testing.T) {
	rules := os.Getenv(runReceiverEnv)
	if rules == "" {
		t.Skip("helper process for TestKernelRestartAfterSIGKILL")
	}
	cfg := defaultConfig()
	cfg.SocketType = kernel.SocketUnicast
	cfg.AuditRules = rules
	sink := new(consumertest.LogsSink)
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, sink, kernel.Open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	fmt.Println("started")
	for {
		time.Sleep(20 * time.Millisecond)
		fmt.Println("events", sink.LogRecordCount())
	}
}

// helperProcess runs the test binary as the named helper with env set and
// sends its output lines on the returned channel (closed at exit).
func helperProcess(t *testing.T, name string, env ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = cmd.Stdout
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			select {
			case lines <- scanner.Text():
			default: // nobody is reading the counts any more
			}
		}
	}()
	return cmd, lines
}

// waitForLine returns the first line that match accepts, failing with the
// lines seen when the process exits or timeout passes first.
func waitForLine(t *testing.T, lines <-chan string, timeout time.Duration, match func(string) bool) string {
	t.Helper()
	var seen []string
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the helper exited; its output:\n%s", strings.Join(seen, "\n"))
			}
			if match(line) {
				return line
			}
			seen = append(seen, line)
		case <-deadline:
			t.Fatalf("no matching line within %v; output:\n%s", timeout, strings.Join(seen, "\n"))
		}
	}
}

// writeLoad appends to path until stop is closed; every write is an audited
// event under a write watch on path.
func writeLoad(t *testing.T, path string) (stop func() int) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	writes := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if assert.NoError(t, err) {
				_, err = f.WriteString("x")
				assert.NoError(t, err)
				assert.NoError(t, f.Close())
			}
			writes++
		}
	}()
	return func() int {
		close(done)
		wg.Wait()
		return writes
	}
}

// A collector killed with SIGKILL leaves the kernel its rules, its
// self-exclusion rule and (until the kernel notices) its PID. Each of ten
// restarts under load must start cleanly and leave exactly the configured
// state: our PID, our self-exclusion rule, one copy of the configured rules.
func TestKernelRestartAfterSIGKILL(t *testing.T) {
	kerneltest.Require(t)
	target := filepath.Join(t.TempDir(), "target")
	require.NoError(t, os.WriteFile(target, nil, 0o600))
	watch := "-w " + target + " -p wa -k akt_sigkill"
	rules := watch + "\n-a always,exit -F arch=b64 -S getsid -F key=akt_sigkill_getsid"
	stopLoad := writeLoad(t, target)
	defer func() { t.Logf("load: %d audited writes during the restarts", stopLoad()) }()

	var previous int
	for i := range 10 {
		begin := time.Now()
		cmd, lines := helperProcess(t, "TestHelperRunReceiver", runReceiverEnv+"="+rules)
		waitForLine(t, lines, 10*time.Second, func(l string) bool { return l == "started" })
		startup := time.Since(begin)

		pid := cmd.Process.Pid
		assert.Equal(t, uint32(pid), kerneltest.Status(t).PID, "restart %d: the new collector holds the audit PID", i)
		assert.Equal(t, uint32(1), kerneltest.Status(t).Enabled)
		assert.Equal(t, []string{
			fmt.Sprintf("-a never,exit -S all -F pid=%d", pid),
			watch,
			"-a always,exit -F arch=b64 -S getsid -F key=akt_sigkill_getsid",
		}, kernelRules(t), "restart %d: exactly one set of rules, the dead collector's exclusion rule gone", i)
		events := waitForLine(t, lines, 10*time.Second, func(l string) bool {
			n, _ := strconv.Atoi(strings.TrimPrefix(l, "events "))
			return n > 0
		})
		t.Logf("restart %d: pid %d (previous %d) started in %v, delivered %s before SIGKILL", i, pid, previous, startup.Round(time.Millisecond), events)

		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		leftover := kernelRules(t)
		assert.Contains(t, leftover, fmt.Sprintf("-a never,exit -S all -F pid=%d", pid), "SIGKILL leaves the exclusion rule behind")
		previous = pid
	}
}

// A receive buffer far too small for a syscall storm: the kernel drops
// multicast messages for us (ENOBUFS); the receiver counts the overruns and
// keeps delivering. The unicast receiver installs the rules and drains the
// unicast copy; the multicast receiver under test has the tiny buffer.
func TestKernelSocketOverrun(t *testing.T) {
	kerneltest.Require(t)
	owner := defaultConfig()
	owner.SocketType = kernel.SocketUnicast
	owner.AuditRules = stormRule()
	_, ownerSink := startKernelReceiver(t, owner)

	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	cfg := defaultConfig()
	cfg.SocketType = kernel.SocketMulticast
	cfg.SocketBufferSize = 4096
	sink := new(consumertest.LogsSink)
	r, err := newReceiver(metadatatest.NewSettings(tt), cfg, sink, kernel.Open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, r.Shutdown(context.Background())) })

	const calls = 100000
	t.Logf("storm: %d getppid calls at %.0f/s", calls, storm(t, calls))

	require.Eventually(t, func() bool {
		return metrictest.Counter(t, tt, "otelcol_receiver_auditkernel_socket_overruns") > 0
	}, 10*time.Second, 50*time.Millisecond, "a 4 KiB buffer cannot take the storm")
	duringStorm := sink.LogRecordCount()
	assert.Positive(t, duringStorm, "events were delivered during the storm")

	// Still receiving after the overruns. A login message can itself be
	// dropped while the kernel still drains the storm into the tiny buffer,
	// so one is sent at each check.
	sent := 0
	require.Eventually(t, func() bool {
		sendUserLogin(t)
		sent++
		for _, lr := range logRecords(sink.AllLogs()) {
			a := lr.Attributes().AsRaw()
			if a["audit.kernel.record_type"] == "user_login" && a["process.pid"] == int64(os.Getpid()) {
				return true
			}
		}
		return false
	}, 30*time.Second, 500*time.Millisecond, "the receiver delivers again after the overruns")
	t.Logf("multicast receiver: %d records delivered, %d socket overruns counted, %d login messages sent until one arrived; unicast receiver: %d records",
		sink.LogRecordCount(), metrictest.Counter(t, tt, "otelcol_receiver_auditkernel_socket_overruns"), sent, ownerSink.LogRecordCount())
}
