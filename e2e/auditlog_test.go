//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/record"
)

// auditLogConfig reads dir/log with the auditlog receiver, keeps positions
// in file_storage under dir/storage and writes OTLP JSON to out.
const auditLogConfig = `extensions:
  file_storage:
    directory: %[1]s/storage
    create_directory: true
receivers:
  auditlog:
    include: [%[1]s/log/audit.log*]
    start_at: beginning
    poll_interval: 50ms
    storage: file_storage
exporters:
  file:
    path: %[2]s
    format: json
    flush_interval: 100ms
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [auditlog]
      exporters: [file]
`

// TestDistroAuditLog runs the distro's auditlog receiver and file_storage
// on a recorded ENRICHED auditd log: every event once, with host.name from
// node=, and after a restart on the same storage only the lines written
// meanwhile.
func TestDistroAuditLog(t *testing.T) {
	distro := distroPath(t)
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "log"), 0o700))
	data, err := os.ReadFile(repoFile(t, "testdata/auditlog/enriched/audit.log.1"))
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	half := len(lines) / 2
	for half < len(lines) && !startsEvent(t, lines, half) {
		half++
	}
	logPath := filepath.Join(dir, "log", "audit.log")
	require.NoError(t, os.WriteFile(logPath, []byte(strings.Join(lines[:half], "")), 0o600))
	// The file exporter truncates its file at start: one file per run.
	config := func(run string) string {
		return writeFile(t, dir, run+".yaml", fmt.Sprintf(auditLogConfig, dir, filepath.Join(dir, run+".json")))
	}

	c := startCollector(t, nil, distro, "--config", config("first"))
	c.waitReady(t)
	first := events(t, lines[:half])
	waitForEvents(t, filepath.Join(dir, "first.json"), c, first)
	c.stop(t)

	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(strings.Join(lines[half:], ""))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	c = startCollector(t, nil, distro, "--config", config("second"))
	c.waitReady(t)
	second := events(t, lines[half:])
	require.NotEmpty(t, second)
	waitForEvents(t, filepath.Join(dir, "second.json"), c, second)
	// Nothing more comes: nothing was read twice.
	time.Sleep(time.Second)
	waitForEvents(t, filepath.Join(dir, "second.json"), c, second)
}

// startsEvent tells whether lines[i] starts an event: its sequence number
// differs from the line before.
func startsEvent(t *testing.T, lines []string, i int) bool {
	prev, err := record.ParseLine([]byte(lines[i-1]))
	require.NoError(t, err)
	cur, err := record.ParseLine([]byte(lines[i]))
	require.NoError(t, err)
	return prev.Sequence != cur.Sequence
}

// events returns the node/sequence keys of lines' events.
func events(t *testing.T, lines []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		rec, err := record.ParseLine([]byte(l))
		require.NoError(t, err)
		out[fmt.Sprintf("%s/%d", rec.Node, rec.Sequence)] = true
	}
	return out
}

// waitForEvents waits until the exported records are exactly want, each
// once.
func waitForEvents(t *testing.T, path string, c *collector, want map[string]bool) {
	t.Helper()
	var got map[string]int
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		exported, err := readExported(path)
		require.NoError(t, err)
		got = map[string]int{}
		for _, r := range exported {
			host, _ := r.resource.Resource().Attributes().Get("host.name")
			seq, _ := r.record.Attributes().Get("audit.kernel.sequence")
			got[fmt.Sprintf("%s/%d", host.Str(), seq.Int())]++
		}
		if len(got) >= len(want) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for k := range want {
		assert.Equal(t, 1, got[k], "event %s", k)
	}
	assert.Len(t, got, len(want), "collector log:\n%s", c.output())
}
