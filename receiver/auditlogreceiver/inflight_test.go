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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/metrictest"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/recordtest"
)

// TestLogLine checks that every recorded line, written back by logLine,
// parses as the same record.
func TestLogLine(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(recordedDir, "*", "audit.log*"))
	require.NoError(t, err)
	paths = append(paths, filepath.Join(recordedDir, "multinode.log"))
	n := 0
	for _, p := range paths {
		for _, want := range recordtest.ParseFile(t, p) {
			got, err := record.ParseLine(logLine(want))
			require.NoError(t, err, "%s", logLine(want))
			assert.Equal(t, want, got)
			n++
		}
	}
	assert.Greater(t, n, 200)
	// Values with spaces or quotes.
	rec := &record.Record{Raw: "audit(1.2:3): a=1", Enriched: []record.Field{{Key: "SADDR", Value: "fam=inet laddr=1.2.3.4"}, {Key: "X", Value: `say "hi"`}}}
	got, err := record.ParseLine(logLine(rec))
	require.NoError(t, err)
	assert.Equal(t, rec.Enriched, got.Enriched)
}

// TestRestartMidEvent stops the receiver when auditd has written only part
// of an event: the next run, on the same storage, emits that event once and
// whole.
func TestRestartMidEvent(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(recordedDir, "enriched", "audit.log.1"))
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	cut := -1 // inside the printf execve: after its EXECVE record
	for i, l := range lines {
		if strings.Contains(l, `type=EXECVE`) && strings.Contains(l, `a0="/usr/bin/printf"`) {
			cut = i + 1
		}
	}
	require.Positive(t, cut)
	cutRec, err := record.ParseLine([]byte(lines[cut-1]))
	require.NoError(t, err)
	cutKey := fmt.Sprintf("%s/%d", cutRec.Node, cutRec.Sequence)

	logDir, storageDir := t.TempDir(), t.TempDir()
	logPath := filepath.Join(logDir, "audit.log")
	require.NoError(t, os.WriteFile(logPath, []byte(strings.Join(lines[:cut], "")), 0o600))
	before := recordedEvents(t, logPath)
	delete(before, cutKey)

	host, id, stopStorage := fileStorage(t, storageDir)
	cfg := testConfig(logDir)
	cfg.Storage = &id
	cfg.Reassembler.Timeout = time.Second // the stop comes first
	first := start(t, cfg, host)
	first.waitEvents(t, len(before))
	require.NoError(t, first.r.Shutdown(context.Background()))
	stopStorage()
	checkExactlyOnce(t, first.events(), before)

	appendTo(t, logPath, strings.Join(lines[cut:], ""))
	host, id, _ = fileStorage(t, storageDir)
	cfg.Storage = &id
	second := start(t, cfg, host)
	all := recordedEvents(t, logPath)
	second.waitEvents(t, len(all)-len(before))
	second.settle(cfg)
	got := append(first.events(), second.events()...)
	checkExactlyOnce(t, got, all)
	for _, e := range second.events() {
		if e.key() == "testnode/"+strings.TrimPrefix(cutKey, "testnode/") {
			assert.Equal(t, []any{"/usr/bin/printf", "%s %s\\n", "hello world", "/tmp"}, e.attrs["process.command_args"])
			assert.Equal(t, "printf", e.attrs["process.executable.name"])
		}
	}
	assert.Zero(t, metrictest.Counter(t, first.tt, "otelcol_receiver_auditlog_events_incomplete"))
	assert.Zero(t, metrictest.Counter(t, second.tt, "otelcol_receiver_auditlog_events_incomplete"))
}
