//go:build !windows

package auditlogreceiver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/receiver/auditlogreceiver/internal/metadatatest"
)

// recordedDir holds auditd logs recorded on this kind of machine (README there).
const recordedDir = "../../testdata/auditlog"

// testConfig reads the files of dir from the beginning, polling fast.
func testConfig(dir string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Include = []string{filepath.Join(dir, "audit.log*")}
	cfg.StartAt = "beginning"
	cfg.PollInterval = 20 * time.Millisecond
	cfg.Reassembler.Timeout = 300 * time.Millisecond
	return cfg
}

// linesConfig writes lines as the audit.log of a new directory, read as
// testConfig reads it.
func linesConfig(t *testing.T, lines []string) *Config {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "audit.log"), []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return testConfig(dir)
}

// run is one receiver under test with its sink and telemetry.
type run struct {
	r    *auditLogReceiver
	sink *consumertest.LogsSink
	tt   *componenttest.Telemetry
}

// start starts a receiver on cfg; host may be nil.
func start(t *testing.T, cfg *Config, host component.Host) *run {
	t.Helper()
	sink := new(consumertest.LogsSink)
	return startTo(t, cfg, host, sink, sink)
}

// startTo is start with the consumer next, which delivers to sink.
func startTo(t *testing.T, cfg *Config, host component.Host, next consumer.Logs, sink *consumertest.LogsSink) *run {
	t.Helper()
	require.NoError(t, cfg.Validate())
	// A record used after the receiver released it reads as garbage.
	prev := record.SetPoisonOnRelease(true)
	t.Cleanup(func() { record.SetPoisonOnRelease(prev) })
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	r, err := newReceiver(metadatatest.NewSettings(tt), cfg, next)
	require.NoError(t, err)
	if host == nil {
		host = componenttest.NewNopHost()
	}
	require.NoError(t, r.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return &run{r: r, sink: sink, tt: tt}
}

// waitEvents waits until the sink holds n events.
func (ru *run) waitEvents(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return ru.sink.LogRecordCount() >= n }, 10*time.Second, 10*time.Millisecond,
		"want %d events", n)
}

// emitted is one log record with its resource's host.name.
type emitted struct {
	host  string
	seq   int64
	attrs map[string]any
	lr    plog.LogRecord
}

func (e emitted) key() string { return fmt.Sprintf("%s/%d", e.host, e.seq) }

// events flattens the sink.
func (ru *run) events() []emitted {
	var out []emitted
	for _, logs := range ru.sink.AllLogs() {
		for i := 0; i < logs.ResourceLogs().Len(); i++ {
			rl := logs.ResourceLogs().At(i)
			host, _ := rl.Resource().Attributes().Get("host.name")
			records := rl.ScopeLogs().At(0).LogRecords()
			for j := 0; j < records.Len(); j++ {
				lr := records.At(j)
				seq, _ := lr.Attributes().Get("audit.kernel.sequence")
				out = append(out, emitted{host: host.Str(), seq: seq.Int(), attrs: lr.Attributes().AsRaw(), lr: lr})
			}
		}
	}
	return out
}

// recordedEvents counts the events of auditd log files: distinct node and
// sequence number pairs (auditd writes no EOE, and each event's records
// share its sequence number).
func recordedEvents(t *testing.T, paths ...string) map[string]int {
	t.Helper()
	events := map[string]int{}
	for _, p := range paths {
		for _, rec := range recordtest.ParseFile(t, p) {
			events[fmt.Sprintf("%s/%d", rec.Node, rec.Sequence)]++
		}
	}
	return events
}

// copyFiles copies files into a new temporary directory and returns it.
func copyFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		data, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	return dir
}

// appendTo appends s to the file at path, as auditd does.
func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}
