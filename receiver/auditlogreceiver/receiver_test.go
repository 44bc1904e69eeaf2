//go:build !windows

package auditlogreceiver

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/auditkernel/auditkernel/internal/metrictest"
	"github.com/auditkernel/auditkernel/internal/record"
)

// checkExactlyOnce fails unless the sink's events are want's, each once,
// with host.name the node (or this host for lines without node=).
func checkExactlyOnce(t *testing.T, got []emitted, want map[string]int) {
	t.Helper()
	hostname, err := os.Hostname()
	require.NoError(t, err)
	wantKeys := map[string]bool{}
	for k := range want {
		if strings.HasPrefix(k, "/") {
			k = hostname + k
		}
		wantKeys[k] = true
	}
	seen := map[string]int{}
	for _, e := range got {
		seen[e.key()]++
	}
	for k, n := range seen {
		assert.True(t, wantKeys[k], "event %s was not recorded", k)
		assert.Equal(t, 1, n, "event %s emitted %d times", k, n)
	}
	for k := range wantKeys {
		assert.Contains(t, seen, k, "event %s is missing", k)
	}
}

// settle waits long enough for a stray or late event to be emitted.
func (ru *run) settle(cfg *Config) {
	time.Sleep(cfg.Reassembler.Timeout + 5*cfg.PollInterval)
}

// TestRecordedEnriched reads auditd's ENRICHED log of testnode, rotated in
// the middle (audit.log.1, then audit.log).
func TestRecordedEnriched(t *testing.T) {
	src := filepath.Join(recordedDir, "enriched")
	dir := copyFiles(t, map[string]string{"audit.log.1": filepath.Join(src, "audit.log.1"), "audit.log": filepath.Join(src, "audit.log")})
	want := recordedEvents(t, filepath.Join(dir, "audit.log.1"), filepath.Join(dir, "audit.log"))
	cfg := testConfig(dir)
	ru := start(t, cfg, nil)
	ru.waitEvents(t, len(want))
	ru.settle(cfg)
	got := ru.events()
	checkExactlyOnce(t, got, want)

	// The names are the recording host's, without a local lookup.
	var execs int
	for _, e := range got {
		assert.Equal(t, "testnode", e.host)
		if e.attrs["audit.kernel.record_type"] == "syscall" {
			assert.Equal(t, "root", e.attrs["user.name"], "%s", e.key())
			assert.Equal(t, "root", e.attrs["audit.kernel.actor.secondary"], "%s", e.key())
		}
		if slices.Contains(anySlice(e.attrs["audit.kernel.key"]), "alexec") && e.attrs["process.executable.path"] == "/usr/bin/printf" {
			execs++
			assert.Equal(t, []any{"/usr/bin/printf", "%s %s\\n", "hello world", "/tmp"}, e.attrs["process.command_args"])
		}
	}
	assert.Equal(t, 1, execs, "the printf execve")
	assert.Equal(t, int64(90), metrictest.Counter(t, ru.tt, "otelcol_receiver_auditlog_lines_read"))
	assert.Equal(t, int64(len(want)), metrictest.Counter(t, ru.tt, "otelcol_receiver_auditlog_events_emitted"))
	for _, bad := range []string{"lines_invalid", "lines_truncated", "lines_capped", "records_unknown_type", "events_incomplete", "events_dropped"} {
		assert.Zero(t, metrictest.Counter(t, ru.tt, "otelcol_receiver_auditlog_"+bad), bad)
	}
}

// TestOutputOptions: data_layout and command_args reach the log records
// (the printf execve of the ENRICHED log has 4 arguments).
func TestOutputOptions(t *testing.T) {
	src := filepath.Join(recordedDir, "enriched")
	for _, c := range []struct {
		layout   string
		maxCount int
		maxBytes int
		want     []any
	}{
		{"map", 2, 64 << 10, []any{"/usr/bin/printf", "%s %s\\n"}},
		{"flat", 1024, 18, []any{"/usr/bin/printf", "%s "}},
	} {
		dir := copyFiles(t, map[string]string{"audit.log.1": filepath.Join(src, "audit.log.1"), "audit.log": filepath.Join(src, "audit.log")})
		cfg := testConfig(dir)
		cfg.DataLayout = c.layout
		cfg.CommandArgs.MaxCount, cfg.CommandArgs.MaxBytes = c.maxCount, c.maxBytes
		ru := start(t, cfg, nil)
		ru.waitEvents(t, len(recordedEvents(t, filepath.Join(dir, "audit.log.1"), filepath.Join(dir, "audit.log"))))
		var execs int
		for _, e := range ru.events() {
			_, isMap := e.attrs["audit.kernel.data"].(map[string]any)
			flat := slices.ContainsFunc(slices.Collect(maps.Keys(e.attrs)), func(k string) bool { return strings.HasPrefix(k, "audit.kernel.data.") })
			if c.layout == "map" {
				assert.False(t, flat, "%s: %v", e.key(), e.attrs)
			} else {
				assert.False(t, isMap, "%s", e.key())
			}
			if e.attrs["process.executable.path"] == "/usr/bin/printf" && e.attrs["process.command_args"] != nil {
				execs++
				assert.Equal(t, c.want, e.attrs["process.command_args"], c.layout)
				assert.Equal(t, true, e.attrs["audit.kernel.process.args_truncated"], c.layout)
				assert.Equal(t, int64(4), e.attrs["process.args_count"], c.layout)
				assert.Equal(t, c.layout == "map", isMap, "%s: %v", c.layout, e.attrs)
				assert.Equal(t, c.layout == "flat", flat, "%s: %v", c.layout, e.attrs)
			}
		}
		assert.Equal(t, 1, execs, "the printf execve (%s)", c.layout)
	}
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestRecordedRaw reads auditd's RAW log: no node (this host's name), and
// no names unless resolve_ids looks them up here.
func TestRecordedRaw(t *testing.T) {
	for _, resolve := range []bool{false, true} {
		src := filepath.Join(recordedDir, "raw")
		dir := copyFiles(t, map[string]string{"audit.log.1": filepath.Join(src, "audit.log.1"), "audit.log": filepath.Join(src, "audit.log")})
		want := recordedEvents(t, filepath.Join(dir, "audit.log.1"), filepath.Join(dir, "audit.log"))
		cfg := testConfig(dir)
		cfg.ResolveIDs = resolve
		ru := start(t, cfg, nil)
		ru.waitEvents(t, len(want))
		ru.settle(cfg)
		got := ru.events()
		checkExactlyOnce(t, got, want)
		for _, e := range got {
			if e.attrs["audit.kernel.record_type"] != "syscall" {
				continue
			}
			if resolve {
				assert.Equal(t, "root", e.attrs["user.name"])
			} else {
				assert.NotContains(t, e.attrs, "user.name")
				assert.Equal(t, "0", e.attrs["audit.kernel.actor.secondary"])
			}
		}
	}
}

// TestRecordedMultiNode reads a log of two nodes whose lines alternate, and
// the same log with the second node renamed to the first's sequence numbers'
// twin, so that both nodes' sequence numbers collide.
func TestRecordedMultiNode(t *testing.T) {
	dir := copyFiles(t, map[string]string{"audit.log": filepath.Join(recordedDir, "multinode.log")})
	want := recordedEvents(t, filepath.Join(dir, "audit.log"))
	cfg := testConfig(dir)
	ru := start(t, cfg, nil)
	ru.waitEvents(t, len(want))
	ru.settle(cfg)
	checkExactlyOnce(t, ru.events(), want)
	ru.r.mu.Lock()
	assert.Empty(t, ru.r.streams, "a reassembler kept for a node with nothing in flight")
	ru.r.mu.Unlock()
	// One ResourceLogs per node in each batch.
	for _, logs := range ru.sink.AllLogs() {
		var hosts []string
		for i := 0; i < logs.ResourceLogs().Len(); i++ {
			h, _ := logs.ResourceLogs().At(i).Resource().Attributes().Get("host.name")
			hosts = append(hosts, h.Str())
		}
		slices.Sort(hosts)
		assert.Equal(t, slices.Compact(slices.Clone(hosts)), hosts, "a node twice in one batch")
	}

	// The same lines twice, the copy under another node: same sequence
	// numbers, interleaved line by line, still two events each.
	data, err := os.ReadFile(filepath.Join(recordedDir, "enriched", "audit.log.1"))
	require.NoError(t, err)
	var mixed []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l != "" {
			mixed = append(mixed, l, strings.Replace(l, "node=testnode ", "node=twin ", 1))
		}
	}
	dir = t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "audit.log"), []byte(strings.Join(mixed, "")), 0o600))
	want = recordedEvents(t, filepath.Join(dir, "audit.log"))
	cfg = testConfig(dir)
	ru = start(t, cfg, nil)
	ru.waitEvents(t, len(want))
	ru.settle(cfg)
	checkExactlyOnce(t, ru.events(), want)
}

// extHost is a host with extensions.
type extHost map[component.ID]component.Component

func (h extHost) GetExtensions() map[component.ID]component.Component { return h }

// fileStorage starts a real file_storage extension on dir; stop shuts it
// down (also at the end of the test).
func fileStorage(t *testing.T, dir string) (host component.Host, id component.ID, stop func()) {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	id = component.MustNewID("file_storage")
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	host = extHost{id: ext}
	require.NoError(t, ext.Start(context.Background(), host))
	var stopped bool
	stop = func() {
		if !stopped {
			stopped = true
			require.NoError(t, ext.Shutdown(context.Background()))
		}
	}
	t.Cleanup(stop)
	return host, id, stop
}

// TestRestartAndRotation stops the receiver, lets auditd write on and
// rotate, and starts a new receiver (and file_storage) on the same
// positions: every event once across both.
func TestRestartAndRotation(t *testing.T) {
	var lines []string
	for _, name := range []string{"audit.log.1", "audit.log"} {
		data, err := os.ReadFile(filepath.Join(recordedDir, "enriched", name))
		require.NoError(t, err)
		lines = append(lines, strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\n") + "\n"
	}
	// Cut at event boundaries (each event's records are adjacent).
	cuts := eventStarts(t, lines)
	a, b := cuts[len(cuts)/3], cuts[2*len(cuts)/3]
	logDir, storageDir := t.TempDir(), t.TempDir()
	logPath := filepath.Join(logDir, "audit.log")
	require.NoError(t, os.WriteFile(logPath, []byte(strings.Join(lines[:a], "")), 0o600))
	want := recordedEvents(t, logPath)

	host, id, stopStorage := fileStorage(t, storageDir)
	cfg := testConfig(logDir)
	cfg.Storage = &id
	first := start(t, cfg, host)
	first.waitEvents(t, len(want))
	first.settle(cfg)
	require.NoError(t, first.r.Shutdown(context.Background()))
	stopStorage()

	// While the collector is down: more lines, then auditd's rotation.
	appendTo(t, logPath, strings.Join(lines[a:b], ""))
	require.NoError(t, os.Rename(logPath, logPath+".1"))
	require.NoError(t, os.WriteFile(logPath, []byte(strings.Join(lines[b:], "")), 0o600))

	all := recordedEvents(t, logPath+".1", logPath)
	host, id, _ = fileStorage(t, storageDir)
	cfg = testConfig(logDir)
	cfg.Storage = &id
	second := start(t, cfg, host)
	second.waitEvents(t, len(all)-len(want))
	second.settle(cfg)
	checkExactlyOnce(t, append(first.events(), second.events()...), all)
}

// eventStarts returns the indexes of the lines that start an event.
func eventStarts(t *testing.T, lines []string) []int {
	t.Helper()
	var starts []int
	var last uint32
	for i, l := range lines {
		rec, err := record.ParseLine([]byte(l))
		require.NoError(t, err)
		if i == 0 || rec.Sequence != last {
			starts = append(starts, i)
		}
		last = rec.Sequence
	}
	return starts
}

// TestBadInput feeds each kind of bad line and an event cut off at the end
// of the file: each is counted once and told in the warnings of the event
// it belongs to (or of the next event, for a line with no record).
func TestBadInput(t *testing.T) {
	long := "type=USER msg=audit(1700000000.100:3): pid=1 uid=0 auid=0 ses=1 msg='text=" + strings.Repeat("x", 1500) + " res=success'"
	lines := []string{
		"hello, not an audit line",
		"type=SYSCALL msg=audit(1700000000.1",
		"type=USER msg=audit(1700000000.100:1): pid=1 uid=0 auid=0 ses=1 msg='text=after garbage res=success'",
		"type=NEW_THING msg=audit(1700000000.100:2): a=1",
		long,
		"type=UNKNOWN[1999] msg=audit(1700000000.100:4): a=1",
		"type=USER msg=audit(1700000000.100:5): pid=1 uid=0 auid=0 ses=1 msg='text=cut res=success'\x1dUID=\"root\" AUID=\"ro",
		// An event whose PROCTITLE was never written.
		"type=SYSCALL msg=audit(1700000000.100:6): arch=c000003e syscall=257 success=yes exit=3 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"cat\" exe=\"/usr/bin/cat\" key=(null)",
		"type=PATH msg=audit(1700000000.100:6): item=0 name=\"/etc/hosts\" inode=1 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
	}
	cfg := linesConfig(t, lines)
	cfg.MaxLineSize = 1024
	cfg.IncludeWarnings = true
	ru := start(t, cfg, nil)
	ru.waitEvents(t, 5)
	ru.settle(cfg)

	warnings := map[int64][]string{}
	for _, e := range ru.events() {
		for _, w := range anySlice(e.attrs["audit.kernel.warnings"]) {
			warnings[e.seq] = append(warnings[e.seq], w.(string))
		}
	}
	assert.Len(t, ru.events(), 5, "events 1, 3, 4, 5 and 6")
	// Each event has the receiver's warnings given, in this order, besides
	// the normalizer's own (e.g. a USER record without addr).
	assertWarnings := func(seq int64, parts ...string) {
		t.Helper()
		var ours []string
		for _, w := range warnings[seq] {
			if strings.Contains(w, "line") || strings.Contains(w, "record type") || strings.Contains(w, "without its last record") {
				ours = append(ours, w)
			}
		}
		require.Len(t, ours, len(parts), "warnings of %d: %q", seq, warnings[seq])
		for i, p := range parts {
			assert.Contains(t, ours[i], p, "event %d", seq)
		}
	}
	assertWarnings(1, "not an audit log line", "truncated audit log line (ends in the audit(...) header)")
	assertWarnings(3, "unknown audit record type (type=NEW_THING)", "line capped at max_line_size (1024 bytes)")
	// 1999 is in the range of records that belong to a syscall event, so
	// it waits for one, as in the kernel receiver, until it times out.
	assertWarnings(4, "event emitted without its last record", "record type UNKNOWN[1999] is unknown to the parser")
	assertWarnings(5, "truncated audit log line (ends inside an ENRICHED name)")
	assertWarnings(6, "event emitted without its last record")

	for name, want := range map[string]int64{
		"lines_read": 9, "lines_invalid": 1, "lines_truncated": 2, "lines_capped": 1,
		"records_unknown_type": 2, "events_incomplete": 2, "events_emitted": 5, "events_dropped": 0,
	} {
		assert.Equal(t, want, metrictest.Counter(t, ru.tt, "otelcol_receiver_auditlog_"+name), name)
	}
}

// TestNotesFollowRecords checks that the notes of bad lines go to the next
// record that an event keeps (not to an EOE, which the reassembler drops),
// and that no note is left behind once every event is out.
func TestNotesFollowRecords(t *testing.T) {
	lines := []string{
		"type=USER msg=audit(1700000000.100:1): pid=1 uid=0 auid=0 ses=1 msg='text=one res=success'",
		"garbage one",
		"type=EOE msg=audit(1700000000.100:1): ",
		"garbage two",
		"type=USER msg=audit(1700000000.100:2): pid=1 uid=0 auid=0 ses=1 msg='text=two res=success'",
		"type=EOE msg=audit(1700000000.100:2): ",
	}
	cfg := linesConfig(t, lines)
	cfg.IncludeWarnings = true
	ru := start(t, cfg, nil)
	ru.waitEvents(t, 2)
	ru.settle(cfg)
	var notes []string
	for _, e := range ru.events() {
		for _, w := range anySlice(e.attrs["audit.kernel.warnings"]) {
			if strings.Contains(w.(string), "garbage") {
				assert.Equal(t, int64(2), e.seq, "notes of the lines before event 2")
				notes = append(notes, w.(string))
			}
		}
	}
	assert.Len(t, notes, 2)
	ru.r.mu.Lock()
	assert.Empty(t, ru.r.notes)
	ru.r.mu.Unlock()
}
