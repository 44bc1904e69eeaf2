//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"golang.org/x/sys/unix"

	"github.com/auditkernel/auditkernel/internal/kerneltest"
)

// TestKernelOTLPRoundTrip runs examples/otlp-sender.yaml (auditkernel -> batch
// -> OTLP exporter) against examples/otlp-gateway-to-file.yaml (otlp receiver
// -> file exporter) on loopback, causes a real audited write, and checks that
// the record the gateway wrote is the one the sender produced (the sender also
// writes what it exports to a file), field for field.
func TestKernelOTLPRoundTrip(t *testing.T) {
	for _, tc := range []struct{ name, exporter string }{
		{"grpc", "otlp_grpc"},
		{"http", "otlp_http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			distro := distroPath(t)
			dir := t.TempDir()
			grpcPort, httpPort := freePort(t), freePort(t)
			gateway, received := startGateway(t, distro, dir, grpcPort, httpPort)

			locking := time.Now()
			kerneltest.Require(t) // held while the sender owns the audit socket
			t.Logf("waited %v for the kernel test lock", time.Since(locking).Round(time.Millisecond))
			target := writeFile(t, dir, "watched", "")
			const key = "e2e_roundtrip"
			sent := filepath.Join(dir, "sent.json")
			senderOverlay := fmt.Sprintf(`receivers:
  auditkernel:
    audit_rules: "-w %s -p w -k %s"
exporters:
  file/sent:
    path: %s
    format: json
service:
  pipelines:
    logs:
      exporters: [%s, file/sent]
`, target, key, sent, tc.exporter)
			begin := time.Now()
			sender := startCollector(t, []string{
				fmt.Sprintf("OTLP_ENDPOINT=127.0.0.1:%d", grpcPort),
				fmt.Sprintf("OTLP_HTTP_ENDPOINT=http://127.0.0.1:%d", httpPort),
			}, distro, "--config", repoFile(t, "examples/otlp-sender.yaml"),
				"--config", writeFile(t, dir, "sender-overlay.yaml", senderOverlay),
				"--config", writeFile(t, dir, "no-telemetry.yaml", noTelemetry))
			sender.waitReady(t)
			ready := time.Now()

			// The kernel stamps an event with its coarse clock, which lags
			// time.Now by up to a tick (more when a VM's tick is late), in
			// milliseconds: the write starts after this reading of that clock.
			actionStart := coarseNow(t).Truncate(time.Millisecond)
			pid := writeFromChild(t, target)
			actionEnd := time.Now()
			match := fromPID(pid, target, key)
			got := waitForExported(t, received, gateway, match)
			arrived := time.Since(actionEnd)
			want := waitForExported(t, sent, sender, match)
			t.Logf("%s: sender ready in %v; the event reached the gateway's file %v after the write",
				tc.exporter, ready.Sub(begin).Round(time.Millisecond), arrived.Round(time.Millisecond))

			assertSameRecord(t, want, got)
			assertKnownWrite(t, got, pid, target, key, actionStart, actionEnd)
		})
	}
}

// coarseNow reads CLOCK_REALTIME_COARSE, the clock of the kernel's audit
// timestamps.
func coarseNow(t *testing.T) time.Time {
	var now unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &now))
	return time.Unix(now.Unix())
}

// noTelemetry keeps the collectors' own metrics endpoint (:8888) closed, so
// that several of them and other tests can run at once.
// startGateway runs examples/otlp-gateway-to-file.yaml on the given ports
// and returns it once ready, with the file it writes what it receives to.
func startGateway(t *testing.T, distro, dir string, grpcPort, httpPort int) (*collector, string) {
	t.Helper()
	received := filepath.Join(dir, "gateway.json")
	gateway := startCollector(t, []string{
		fmt.Sprintf("OTLP_GRPC_LISTEN=127.0.0.1:%d", grpcPort),
		fmt.Sprintf("OTLP_HTTP_LISTEN=127.0.0.1:%d", httpPort),
		"OTLP_OUTPUT=" + received,
	}, distro, "--config", repoFile(t, "examples/otlp-gateway-to-file.yaml"),
		"--config", writeFile(t, dir, "gateway-overlay.yaml", noTelemetry))
	gateway.waitReady(t)
	return gateway, received
}

const noTelemetry = `service:
  telemetry:
    metrics:
      level: none
`

// assertSameRecord compares everything the sender produced with what the
// gateway received: resource, scope and the record itself.
func assertSameRecord(t *testing.T, want, got exportedRecord) {
	t.Helper()
	assert.Equal(t, want.resource.Resource().Attributes().AsRaw(), got.resource.Resource().Attributes().AsRaw(), "resource")
	assert.Equal(t, want.scope.Scope().Name(), got.scope.Scope().Name(), "scope name")
	assert.Equal(t, want.scope.Scope().Version(), got.scope.Scope().Version(), "scope version")
	w, g := want.record, got.record
	assert.Equal(t, w.EventName(), g.EventName(), "EventName")
	assert.Equal(t, w.SeverityNumber(), g.SeverityNumber(), "SeverityNumber")
	assert.Equal(t, w.SeverityText(), g.SeverityText(), "SeverityText")
	assert.Equal(t, w.Timestamp(), g.Timestamp(), "Timestamp")
	assert.Equal(t, w.ObservedTimestamp(), g.ObservedTimestamp(), "ObservedTimestamp")
	assert.Equal(t, w.Body().AsRaw(), g.Body().AsRaw(), "Body")
	assert.Equal(t, w.Attributes().AsRaw(), g.Attributes().AsRaw(), "attributes")
	assert.Equal(t, w.Flags(), g.Flags(), "flags")
}

// assertKnownWrite checks the record against what the test knows about the
// write it caused, so that the comparison above cannot pass on two empty records.
func assertKnownWrite(t *testing.T, got exportedRecord, pid int, target, key string, from, to time.Time) {
	t.Helper()
	host, err := os.Hostname()
	require.NoError(t, err)
	res := got.resource.Resource().Attributes().AsRaw()
	assert.Equal(t, host, res["host.name"])
	assert.Equal(t, "linux", res["os.type"])
	assert.Equal(t, "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver", got.scope.Scope().Name())
	assert.NotEmpty(t, got.scope.Scope().Version())

	lr := got.record
	assert.Equal(t, "audit.kernel.syscall", lr.EventName())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	assert.Equal(t, "INFO", lr.SeverityText())
	ts := lr.Timestamp().AsTime()
	assert.False(t, ts.Before(from) || ts.After(to), "event time %v within the write [%v, %v]", ts, from, to)
	assert.False(t, lr.ObservedTimestamp().AsTime().Before(ts), "observed after the event")

	shell, err := filepath.EvalSymlinks("/bin/sh")
	require.NoError(t, err)
	attrs := lr.Attributes().AsRaw()
	for k, v := range map[string]any{
		"audit.kernel.record_type":     "syscall",
		"audit.kernel.result":          "success",
		"audit.kernel.action":          "opened-file",
		"audit.kernel.thing.primary":   target,
		"audit.kernel.thing.what":      "file",
		"audit.kernel.key":             []any{key},
		"audit.kernel.data.syscall":    "openat",
		"process.pid":                  int64(pid),
		"process.parent_pid":           int64(os.Getpid()),
		"process.executable.path":      shell,
		"process.executable.name":      filepath.Base(shell),
		"file.path":                    target,
		"user.id":                      strconv.Itoa(os.Getuid()),
		"audit.kernel.actor.attrs.uid": strconv.Itoa(os.Getuid()),
	} {
		assert.Equal(t, v, attrs[k], k)
	}
	assert.Contains(t, lr.Body().Str(), "opened-file "+target)
}
