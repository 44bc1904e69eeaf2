//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/kerneltest"
)

// The steady audited load of TestDistroExporterDown: loadRate getppid calls a
// second, paced, for outage (the time the backend is down).
const (
	loadEnv      = "AUDITKERNEL_E2E_LOAD"
	loadRate     = 500
	outage       = 60 * time.Second
	baselineTime = 3 * time.Second
	exporterKey  = "e2e_exporter_down"
	// rssBound is the sender's peak RSS allowed after the outage; see the test's comment.
	rssBound = 256 << 20
	// exporterQueue is the sender's exporter queue in log records: a third of
	// what the outage produces, so that the queue overflows.
	exporterQueue = 10000
)

// loadResult is what the load helper prints: how many calls it made, in how
// long, and the longest time between two consecutive calls.
type loadResult struct {
	PID     int           `json:"pid"`
	Calls   int           `json:"calls"`
	Elapsed time.Duration `json:"elapsed"`
	MaxGap  time.Duration `json:"max_gap"`
}

func (r loadResult) rate() float64 { return float64(r.Calls) / r.Elapsed.Seconds() }

// TestHelperExporterDownLoad is not a test: run with loadEnv=<duration>, it
// calls getppid loadRate times a second for that long, each call at its
// scheduled time (no catching up after a stall, so a stall shows as a lower
// rate and a long gap), and prints a loadResult.
func TestHelperExporterDownLoad(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv(loadEnv))
	if err != nil {
		t.Skip("helper process for TestDistroExporterDown")
	}
	interval := time.Second / loadRate
	r := loadResult{PID: os.Getpid()}
	start := time.Now()
	last := start
	for next := start; time.Since(start) < d; next = next.Add(interval) {
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		} else {
			next = time.Now() // behind schedule: do not burst to catch up
		}
		syscall.Getppid()
		now := time.Now()
		r.MaxGap = max(r.MaxGap, now.Sub(last))
		last = now
		r.Calls++
	}
	r.Elapsed = time.Since(start)
	out, err := json.Marshal(r)
	require.NoError(t, err)
	fmt.Println(string(out))
}

// runLoad runs the load helper as a child of this process for d (the
// sender's rule selects the helper's calls by "-F ppid=<this process>").
func runLoad(t *testing.T, d time.Duration) loadResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperExporterDownLoad$")
	cmd.Env = append(os.Environ(), loadEnv+"="+d.String())
	out, err := cmd.Output()
	require.NoError(t, err)
	var r loadResult
	line := strings.SplitN(string(out), "\n", 2)[0]
	require.NoError(t, json.Unmarshal([]byte(line), &r), string(out))
	return r
}

// TestDistroExporterDown: the sender (examples/otlp-sender.yaml) exports to a
// port where nothing listens while a steady audited load runs for a minute.
// The audited program must not stall, the sender's memory must stay bounded,
// and once the gateway comes up on that port every generated event must be
// delivered or counted as lost.
//
// Exporter settings: the example's, whose sending queue is sized in log
// records (exporterQueue, set here too); sized in requests (5000 of up to a
// batch of 1024 records each) it bounded nothing in practice: this test
// measured the sender at 266 MiB after holding the minute's 30,000 records,
// growing with the outage (145 MiB holding 10,000: about 6 KiB per record). The retry
// interval is capped at 5 s (the default is 30 s ± 50%) so that the queue
// drains within seconds of the gateway's return.
//
// Memory bound: 10,000 queued records at about 6 KiB each, plus the
// receiver's own (at most about 37 MiB with the default queues, README
// Memory) and the process's base; measured 145 MiB. 256 MiB is below what
// the example's request-sized queue reached in the same minute.
func TestDistroExporterDown(t *testing.T) {
	distro := distroPath(t)
	dir := t.TempDir()
	kerneltest.Require(t)

	baseline := runLoad(t, baselineTime)
	t.Logf("baseline, nothing audited: %d calls in %v (%.0f/s), longest gap %v",
		baseline.Calls, baseline.Elapsed.Round(time.Millisecond), baseline.rate(), baseline.MaxGap)

	grpcPort, httpPort, metricsPort := freePort(t), freePort(t), freePort(t)
	overlay := fmt.Sprintf(`receivers:
  auditkernel:
    audit_rules: "-a always,exit -F arch=b64 -S getppid -F ppid=%d -k %s"
exporters:
  otlp_grpc:
    sending_queue:
      sizer: items
      queue_size: %d
    retry_on_failure:
      max_interval: 5s
service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
`, os.Getpid(), exporterKey, exporterQueue, metricsPort)
	sender := startCollector(t, []string{fmt.Sprintf("OTLP_ENDPOINT=127.0.0.1:%d", grpcPort)},
		distro, "--config", repoFile(t, "examples/otlp-sender.yaml"),
		"--config", writeFile(t, dir, "sender-overlay.yaml", overlay))
	sender.waitReady(t)

	load := runLoad(t, outage)
	hwm := peakRSS(t, sender.cmd.Process.Pid)
	t.Logf("backend down: %d calls in %v (%.0f/s), longest gap %v; sender peak RSS %d MiB",
		load.Calls, load.Elapsed.Round(time.Millisecond), load.rate(), load.MaxGap, hwm>>20)
	assert.GreaterOrEqual(t, load.rate(), 0.8*baseline.rate(), "the audited program slowed down while the backend was down")
	assert.Less(t, load.MaxGap, time.Second, "the audited program stalled while the backend was down")
	assert.Less(t, hwm, uint64(rssBound), "sender's peak RSS")
	down := scrape(t, metricsPort)
	t.Logf("sender after the outage: %v", down)
	require.Positive(t, down["otelcol_exporter_enqueue_failed_log_records"], "the outage did not overflow the exporter's queue: the drops this test accounts for never happened")

	gatewayUp := time.Now()
	gateway, received := startGateway(t, distro, dir, grpcPort, httpPort)

	// Delivered once the sender's exporter queue is empty and nothing is
	// being retried; then the sender is stopped, which flushes its batch.
	deadline := time.Now().Add(60 * time.Second)
	var m map[string]float64
	for {
		m = scrape(t, metricsPort)
		if m["otelcol_exporter_queue_size"] == 0 && m["otelcol_exporter_in_flight_requests"] == 0 && m["otelcol_exporter_sent_log_records"] > 0 &&
			m["otelcol_receiver_auditkernel_events_emitted"] >= float64(load.Calls) {
			break
		}
		require.False(t, time.Now().After(deadline), "sender did not drain in 60s after the gateway came up: %v\n%s", m, sender.output())
		time.Sleep(200 * time.Millisecond)
	}
	drained := time.Since(gatewayUp)
	sender.stop(t)
	gateway.stop(t) // the file exporter writes what it buffered
	t.Logf("sender drained %v after the gateway came up; its final metrics: %v", drained.Round(time.Millisecond), m)

	delivered, markers := countDelivered(t, received, load.PID)
	lostEvents := m["otelcol_receiver_auditkernel_userspace_drops"] +
		m["otelcol_exporter_send_failed_log_records"] +
		m["otelcol_exporter_enqueue_failed_log_records"]
	t.Logf("generated %d, delivered %d, counted lost: %.0f events (receiver drops + exporter failures), kernel lost %.0f records, sequence gaps %.0f; loss markers at the gateway: %v",
		load.Calls, delivered, lostEvents, m["otelcol_receiver_auditkernel_kernel_lost"], m["otelcol_receiver_auditkernel_sequence_gaps"], markers)
	assert.LessOrEqual(t, delivered, load.Calls, "more events than calls: duplicates")
	// The kernel counts lost records, not events (README, How the kernel
	// counts): an event lost by the kernel is at least one lost record.
	accounted := float64(delivered) + lostEvents + m["otelcol_receiver_auditkernel_kernel_lost"]
	assert.GreaterOrEqual(t, accounted, float64(load.Calls), "events neither delivered nor counted")
}

// peakRSS reads the process's peak resident set size (VmHWM) in bytes.
func peakRSS(t *testing.T, pid int) uint64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	require.Fail(t, "no VmHWM in /proc/<pid>/status")
	return 0
}

// scrape reads the collector's Prometheus endpoint and sums each metric's
// series over their labels (only the sender's own counters are of interest).
func scrape(t *testing.T, port int) map[string]float64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	require.NoError(t, err)
	defer func() { require.NoError(t, resp.Body.Close()) }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := map[string]float64{}
	scanner := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		fields := strings.Fields(line)
		name, _, _ := strings.Cut(fields[0], "{")
		name = strings.TrimSuffix(name, "_total")
		if !strings.HasPrefix(name, "otelcol_receiver_auditkernel_") && !strings.HasPrefix(name, "otelcol_exporter_") {
			continue
		}
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		require.NoError(t, err, line)
		out[name] += v
	}
	require.NoError(t, scanner.Err())
	return out
}

// countDelivered counts the load's events in the gateway's file (the key and
// the helper's PID) and sums the loss markers' counts by attribute.
func countDelivered(t *testing.T, path string, pid int) (int, map[string]int64) {
	t.Helper()
	exported, err := readExported(path)
	require.NoError(t, err)
	delivered := 0
	markers := map[string]int64{}
	for _, r := range exported {
		lr := r.record
		if lr.EventName() == "audit.kernel.lost" {
			for k, v := range lr.Attributes().AsRaw() {
				if n, ok := v.(int64); ok && !strings.Contains(k, ".sequence.") {
					markers[k] += n
				}
			}
			continue
		}
		if p, ok := lr.Attributes().Get("process.pid"); ok && p.Int() == int64(pid) && kerneltest.HasKey(lr.Attributes().AsRaw(), exporterKey) {
			delivered++
			continue
		}
		// The receiver's own CONFIG_CHANGE events (audit PID, backlog limit) are the rest.
		t.Logf("other record at the gateway: %s", lr.EventName())
	}
	return delivered, markers
}
