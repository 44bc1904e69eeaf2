//go:build linux

package auditkernelreceiver

import (
	"context"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadatatest"
)

// replay runs the whole userspace path (reader, reassembler, normalizer,
// translator, consumer) over recorded streams and returns the log records.
func replay(t *testing.T, cfg *Config, files ...string) []plog.LogRecord {
	t.Helper()
	sink := new(consumertest.LogsSink)
	replayTo(t, cfg, sink, files...)
	return eventRecords(sink.AllLogs())
}

// replayTo is replay with the consumer next.
func replayTo(t *testing.T, cfg *Config, next consumer.Logs, files ...string) {
	t.Helper()
	var msgs []*libaudit.RawAuditMessage
	for _, f := range files {
		msgs = append(msgs, recordtest.Messages(t, f)...)
	}
	fake := newFakeKernel(msgs)
	// Recorded streams are complete: a slow machine must not flush an event
	// before its last record arrives.
	cfg.Reassembler.Timeout = time.Minute
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, next, fake.open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), nil))
	require.Eventually(t, func() bool { return len(fake.msgs) == 0 }, 5*time.Second, time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
}

// eventRecords are the records of audit events, without the receiver's notices.
func eventRecords(all []plog.Logs) []plog.LogRecord {
	return filterRecords(all, func(name string) bool { return name != eventNameLost && name != eventNameRulesDrift })
}

// notices are the receiver's records named name.
func notices(all []plog.Logs, name string) []plog.LogRecord {
	return filterRecords(all, func(n string) bool { return n == name })
}

func filterRecords(all []plog.Logs, keep func(eventName string) bool) []plog.LogRecord {
	var out []plog.LogRecord
	for _, lr := range logRecords(all) {
		if keep(lr.EventName()) {
			out = append(out, lr)
		}
	}
	return out
}

func logRecords(all []plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	for _, logs := range all {
		for i := 0; i < logs.ResourceLogs().Len(); i++ {
			sls := logs.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

func defaultConfig() *Config {
	return createDefaultConfig().(*Config)
}

// The seed document of Auditbeat's audit kernel metricset, field by field.
func TestTranslateUserLoginMatchesAuditbeatDocument(t *testing.T) {
	records := replay(t, defaultConfig(), "user_login.log")
	require.Len(t, records, 1)
	lr := records[0]

	assert.Equal(t, "2017-04-22T21:25:01.818Z", lr.Timestamp().AsTime().UTC().Format("2006-01-02T15:04:05.000Z"))
	assert.NotZero(t, lr.ObservedTimestamp())
	assert.Equal(t, "audit.kernel.user_login", lr.EventName())
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	assert.Equal(t, "WARN", lr.SeverityText())
	assert.Equal(t, "unset logged-in sshd via /usr/sbin/sshd", lr.Body().Str())
	// The subject is the auid, unset here: no user.*, as in Auditbeat. The
	// account the login tried is the effective user.
	want := map[string]any{
		"audit.kernel.actor.attrs.auid": "unset",
		"audit.kernel.actor.primary":    "unset",
		"audit.kernel.sequence":         int64(19955),
		"audit.kernel.session":          "unset",
		"process.pid":                   int64(12635),
		"process.executable.path":       "/usr/sbin/sshd",
		"process.executable.name":       "sshd",
	}
	for k, v := range seedUserLoginAttributes {
		want[k] = v
	}
	assert.Equal(t, want, lr.Attributes().AsRaw())
}

// seedUserLoginAttributes are the attributes of the seed's USER_LOGIN record
// that do not depend on the process that sent it.
var seedUserLoginAttributes = map[string]any{
	"audit.kernel.action":              "logged-in",
	"audit.kernel.actor.attrs.uid":     "0",
	"audit.kernel.actor.names.uid":     "root",
	"audit.kernel.actor.secondary":     "(invalid user)",
	"audit.kernel.category":            "user-login",
	"audit.kernel.event.category":      []any{"authentication"},
	"audit.kernel.event.type":          []any{"start"},
	"audit.kernel.user.effective.name": "(invalid user)",
	"audit.kernel.related.user":        []any{"(invalid user)"},
	"audit.kernel.network.direction":   "ingress",
	"audit.kernel.data.acct":           "(invalid user)",
	"audit.kernel.data.addr":           "179.38.151.221",
	"audit.kernel.data.op":             "login",
	"audit.kernel.data.terminal":       "sshd",
	"audit.kernel.how":                 "/usr/sbin/sshd",
	"audit.kernel.record_type":         "user_login",
	"audit.kernel.result":              "fail",
	"audit.kernel.thing.primary":       "sshd",
	"audit.kernel.thing.secondary":     "179.38.151.221",
	"audit.kernel.thing.what":          "user-session",
	"source.address":                   "179.38.151.221",
}

func TestTranslateFileWatch(t *testing.T) {
	records := replay(t, defaultConfig(), "file_watch.log")
	require.Len(t, records, 1)
	lr := records[0]
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, "audit.kernel.syscall", lr.EventName())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	assert.Equal(t, "unset opened-file /tmp/akw/target via bash", lr.Body().Str())
	for key, want := range map[string]any{
		"audit.kernel.sequence":        int64(454),
		"audit.kernel.action":          "opened-file",
		"audit.kernel.thing.primary":   "/tmp/akw/target",
		"audit.kernel.thing.what":      "file",
		"audit.kernel.key":             []any{"akwatch"},
		"audit.kernel.data.syscall":    "openat",
		"audit.kernel.actor.attrs.uid": "0",
		"audit.kernel.actor.names.uid": "root",
		"audit.kernel.process.comm":    "bash",
		"audit.kernel.event.category":  []any{"file"},
		"audit.kernel.event.type":      []any{"info"},
		"process.pid":                  int64(6817),
		"process.parent_pid":           int64(6806),
		"process.executable.path":      "/usr/bin/bash",
		"process.executable.name":      "bash",
		"process.title":                "bash -c echo hi >> /tmp/akw/target",
		"process.user.id":              int64(0),
		"process.user.name":            "root",
		"process.interactive":          false,
		"process.working_directory":    "/work/main",
		"file.path":                    "/tmp/akw/target",
		"file.mode":                    "0644",
	} {
		assert.Equal(t, want, attrs[key], key)
	}
	paths := attrs["audit.kernel.paths"].([]any)
	require.Len(t, paths, 1)
	assert.Equal(t, "/tmp/akw/target", paths[0].(map[string]any)["name"])
	assert.NotContains(t, attrs, "audit.kernel.data.items", "items is reassembly bookkeeping")
	assert.NotContains(t, attrs, "audit.kernel.messages", "raw messages are off by default")
}

func TestTranslateExecve(t *testing.T) {
	records := replay(t, defaultConfig(), "execve.log")
	require.Len(t, records, 2)
	attrs := records[0].Attributes().AsRaw()
	assert.Equal(t, "executed", attrs["audit.kernel.action"])
	assert.Equal(t, "/usr/bin/printf", attrs["audit.kernel.thing.primary"])
	assert.Equal(t, []any{"/usr/bin/printf", `%s %s\n`, "hello world", "/tmp"}, attrs["process.command_args"])
	assert.Equal(t, "4", attrs["audit.kernel.data.argc"])
	assert.Len(t, attrs["audit.kernel.paths"], 2)
	assert.Equal(t, []any{"/bin/ls", "-la", "/tmp"}, records[1].Attributes().AsRaw()["process.command_args"])
}

func TestTranslateConnect(t *testing.T) {
	records := replay(t, defaultConfig(), "connect.log")
	require.Len(t, records, 2)
	lr := records[0]
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber(), "a refused connect is a failure")
	for key, want := range map[string]any{
		"audit.kernel.action":        "connected-to",
		"audit.kernel.result":        "fail",
		"audit.kernel.thing.what":    "socket",
		"audit.kernel.thing.primary": "127.0.0.1",
		"audit.kernel.socket.family": "ipv4",
		"audit.kernel.socket.addr":   "127.0.0.1",
		"audit.kernel.socket.port":   "22",
		"audit.kernel.data.exit":     "ECONNREFUSED",
		"destination.address":        "127.0.0.1",
		"destination.port":           int64(22),
	} {
		assert.Equal(t, want, attrs[key], key)
	}
	assert.NotContains(t, attrs, "audit.kernel.data.socket_addr", "socket fields live under socket.*")
}

func TestTranslateFailedOpenAsUnprivilegedUser(t *testing.T) {
	records := replay(t, defaultConfig(), "eacces.log")
	require.Len(t, records, 1)
	attrs := records[0].Attributes().AsRaw()
	assert.Equal(t, plog.SeverityNumberWarn, records[0].SeverityNumber())
	assert.Equal(t, "EACCES", attrs["audit.kernel.data.exit"])
	assert.Equal(t, "65534", attrs["audit.kernel.actor.attrs.uid"], "the id keeps its number")
	assert.Equal(t, "nobody", attrs["audit.kernel.actor.names.uid"])
	assert.Equal(t, "65534", attrs["user.id"])
	assert.Equal(t, "nobody", attrs["user.name"])
	assert.Equal(t, []any{"akaccess"}, attrs["audit.kernel.key"])
}

func TestTranslateWithoutResolvingIDs(t *testing.T) {
	cfg := defaultConfig()
	cfg.ResolveIDs = false
	attrs := replay(t, cfg, "eacces.log")[0].Attributes().AsRaw()
	assert.Equal(t, "65534", attrs["audit.kernel.actor.attrs.uid"])
	assert.Equal(t, "65534", attrs["audit.kernel.actor.secondary"])
	assert.NotContains(t, attrs, "user.name")
	assert.NotContains(t, attrs, "audit.kernel.actor.names.uid")
}

// Interleaved and out-of-order records reassemble into exactly the events
// recorded on their own.
func TestInterleavedOutOfOrderRecordsReassemble(t *testing.T) {
	want := append(replay(t, defaultConfig(), "file_watch.log"), replay(t, defaultConfig(), "execve.log")[0])
	got := replay(t, defaultConfig(), "interleaved.log")
	require.Len(t, got, 2)
	for i := range want {
		assert.Equal(t, want[i].Attributes().AsRaw(), got[i].Attributes().AsRaw())
		assert.Equal(t, want[i].Body().Str(), got[i].Body().Str())
	}
}

// A CONFIG_CHANGE logged inside a syscall that a "never" rule excludes (here
// the receiver's own rule install, as a kernel test recorded it) never gets
// an end of event. The file event after it is delivered while it is still in
// flight, long before its minute-long timeout; Shutdown flushes it, as an
// eviction, and no sequence number is missing.
func TestEventIsNotHeldBehindAnUnfinishedOne(t *testing.T) {
	orphan := rawRecord(auparse.AUDIT_CONFIG_CHANGE, `audit(1795569890.910:453): auid=4294967295 ses=4294967295 op=add_rule key="akt_watch" list=4 res=1`)
	fake := newFakeKernel(append([]*libaudit.RawAuditMessage{orphan}, recordtest.Messages(t, "file_watch.log")...))
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	cfg := defaultConfig()
	cfg.Reassembler.Timeout = time.Minute
	sink := new(consumertest.LogsSink)
	r, err := newReceiver(metadatatest.NewSettings(tt), cfg, sink, fake.open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), nil))
	require.Eventually(t, func() bool { return len(eventRecords(sink.AllLogs())) == 1 }, 5*time.Second, 5*time.Millisecond,
		"the file event is delivered while the CONFIG_CHANGE before it waits for its end")
	assert.Equal(t, "audit.kernel.syscall", eventRecords(sink.AllLogs())[0].EventName())
	require.NoError(t, r.Shutdown(context.Background()))

	records := eventRecords(sink.AllLogs())
	require.Len(t, records, 2)
	assert.Equal(t, "audit.kernel.config_change", records[1].EventName())
	metadatatest.AssertEqualReceiverAuditkernelReassemblerEvictions(t, tt, sum(1), ignoreTime, ignoreExemplars)
	assert.Empty(t, notices(sink.AllLogs(), eventNameLost), "no sequence gap")
}

func TestRawMessagesAndWarnings(t *testing.T) {
	cfg := defaultConfig()
	cfg.IncludeRawMessage = true
	attrs := replay(t, cfg, "file_watch.log")[0].Attributes().AsRaw()
	messages := attrs["audit.kernel.messages"].([]any)
	require.Len(t, messages, 4, "SYSCALL, CWD, PATH, PROCTITLE; EOE carries nothing")
	assert.Contains(t, messages[0], "type=SYSCALL msg=audit(1795569890.914:454): arch=c000003e syscall=257")
	assert.NotContains(t, attrs, "audit.kernel.warnings")

	cfg = defaultConfig()
	cfg.IncludeWarnings = true
	var warned []plog.LogRecord
	for _, lr := range replay(t, cfg, "mixed.log") {
		if _, ok := lr.Attributes().Get("audit.kernel.warnings"); ok {
			warned = append(warned, lr)
			_, hasRaw := lr.Attributes().Get("audit.kernel.messages")
			assert.True(t, hasRaw, "include_warnings includes the raw messages")
		}
	}
	// The 8 USER messages sent with auditctl -m lack the addr field their normalization expects.
	require.Len(t, warned, 8)
	assert.Equal(t, "audit.kernel.user", warned[0].EventName())
}

// A realistic recorded stream: every event comes out once, in order, and
// nothing is counted lost.
func TestMixedStreamDeliversEveryEvent(t *testing.T) {
	records := replay(t, defaultConfig(), "mixed.log")
	require.Len(t, records, 486)
	for i, lr := range records {
		seq, _ := lr.Attributes().Get("audit.kernel.sequence")
		require.Equal(t, int64(2161+i), seq.Int())
	}
}
