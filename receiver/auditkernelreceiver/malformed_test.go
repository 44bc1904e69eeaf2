//go:build linux

package auditkernelreceiver

// Malformed kernel input, through the kernel interface (the fake kernelConn):
// nothing panics, what can be emitted is emitted (with warnings when
// include_warnings is on), what cannot is counted.

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadatatest"
)

func rawRecord(typ auparse.AuditMessageType, payload string) *libaudit.RawAuditMessage {
	return &libaudit.RawAuditMessage{Type: typ, Data: []byte(payload)}
}

// deliver runs a receiver with cfg on a fake kernel that sends the batches
// one after another, waiting pause between them, and returns the telemetry
// and the audit event records that came out (loss markers left out).
func deliver(t *testing.T, cfg *Config, pause time.Duration, batches ...[]*libaudit.RawAuditMessage) (*componenttest.Telemetry, []plog.LogRecord) {
	t.Helper()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	fake := newFakeKernel(batches[0])
	sink := new(consumertest.LogsSink)
	r, err := newReceiver(metadatatest.NewSettings(tt), cfg, sink, fake.open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), nil))
	for _, batch := range batches[1:] {
		time.Sleep(pause)
		for _, m := range batch {
			fake.msgs <- m
		}
	}
	require.Eventually(t, func() bool { return len(fake.msgs) == 0 }, 5*time.Second, time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	return tt, eventRecords(sink.AllLogs())
}

func warningsConfig() *Config {
	cfg := defaultConfig()
	cfg.IncludeWarnings = true
	return cfg
}

func warningsOf(lr plog.LogRecord) []any {
	w, _ := lr.Attributes().AsRaw()["audit.kernel.warnings"].([]any)
	return w
}

const seedLogin = `pid=12635 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=%s exe="/usr/sbin/sshd" hostname=? addr=179.38.151.221 terminal=sshd res=failed'`

func login(header, acct string) *libaudit.RawAuditMessage {
	return rawRecord(auparse.AUDIT_USER_LOGIN, header+" "+strings.Replace(seedLogin, "%s", acct, 1))
}

// Headers that cannot be parsed (beyond the cases of
// TestNonEventAndMalformedMessages) are counted one by one; the good records
// around them are delivered.
func TestMalformedHeadersAreCounted(t *testing.T) {
	bad := []*libaudit.RawAuditMessage{
		login("audit(abc.def:12):", "root"),                          // not numbers
		login("audit(1492896301.818:99999999999):", "root"),          // sequence beyond 32 bits
		login("audit(99999999999999999999.818:13):", "root"),         // seconds beyond 64 bits
		rawRecord(auparse.AUDIT_SYSCALL, "audit(1795569890.9"),       // cut inside the header
		rawRecord(auparse.AUDIT_SYSCALL, ""),                         // empty
		rawRecord(auparse.AUDIT_SYSCALL, strings.Repeat("\x00", 64)), // zeros
	}
	good := []*libaudit.RawAuditMessage{login("audit(1492896301.818:10):", "root"), login("audit(1492896301.818:11):", "root")}
	msgs := append([]*libaudit.RawAuditMessage{good[0]}, append(bad, good[1])...)

	tt, records := deliver(t, warningsConfig(), 0, msgs)

	require.Len(t, records, 2)
	for i, lr := range records {
		assert.Equal(t, int64(10+i), lr.Attributes().AsRaw()["audit.kernel.sequence"])
	}
	metadatatest.AssertEqualReceiverAuditkernelMessagesReceived(t, tt, sum(int64(len(msgs))), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelUserspaceDrops(t, tt, sum(int64(len(bad))), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(2), ignoreTime, ignoreExemplars)
}

// A flood of bad headers logs a few warnings and the count of the rest,
// never one line per record.
func TestWarningsAboutBadRecordsAreRateLimited(t *testing.T) {
	const bad = 100
	msgs := make([]*libaudit.RawAuditMessage, bad)
	for i := range msgs {
		msgs[i] = rawRecord(auparse.AUDIT_SYSCALL, "audit(1795569890.9")
	}
	core, logs := observer.New(zap.WarnLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	fake := newFakeKernel(msgs)
	r, err := newReceiver(set, defaultConfig(), consumertest.NewNop(), fake.open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), nil))
	require.Eventually(t, func() bool { return len(fake.msgs) == 0 }, 5*time.Second, time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))

	assert.Equal(t, itemWarnings, logs.FilterMessage("dropped an audit record whose header cannot be parsed").Len())
	assert.Equal(t, 1, logs.FilterField(zap.Int("suppressed", bad-itemWarnings)).Len(), "Shutdown logs how many were left out")
}

// Records cut short (mid-value, in an open quote, an odd number of hex
// digits) still make an event: it is emitted with warnings and the raw
// records, nothing is dropped.
func TestTruncatedRecordsAreEmittedWithWarnings(t *testing.T) {
	msgs := recordtest.Messages(t, "file_watch.log")
	for _, m := range msgs {
		switch m.Type {
		case auparse.AUDIT_SYSCALL: // ends inside comm="bash"
			m.Data = m.Data[:strings.Index(string(m.Data), `comm="b`)+len(`comm="b`)]
		case auparse.AUDIT_PATH: // ends inside name="/tmp/akw/target"
			m.Data = m.Data[:strings.Index(string(m.Data), `/target"`)]
		case auparse.AUDIT_PROCTITLE: // an odd number of hex digits
			m.Data = m.Data[:len(m.Data)-1]
		}
	}

	tt, records := deliver(t, warningsConfig(), 0, msgs)

	require.Len(t, records, 1)
	attrs := records[0].Attributes().AsRaw()
	assert.Equal(t, int64(454), attrs["audit.kernel.sequence"])
	assert.Equal(t, "audit.kernel.syscall", records[0].EventName())
	assert.NotEmpty(t, warningsOf(records[0]))
	raw, _ := attrs["audit.kernel.messages"].([]any)
	require.Len(t, raw, 4, "SYSCALL, CWD, PATH, PROCTITLE as received")
	assert.True(t, strings.HasSuffix(raw[0].(string), `comm="b`), raw[0])
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(1), ignoreTime, ignoreExemplars)
	_, err := tt.GetMetric("otelcol_receiver_auditkernel_userspace_drops")
	assert.Error(t, err, "nothing dropped")
}

// A record far larger than the kernel ever sends (its limit is 8970 bytes)
// is emitted whole.
func TestOversizedRecordIsEmitted(t *testing.T) {
	acct := strings.Repeat("41", 64<<10) // hex for 64 KiB of "A"
	tt, records := deliver(t, warningsConfig(), 0, []*libaudit.RawAuditMessage{login("audit(1492896301.818:19955):", acct)})

	require.Len(t, records, 1)
	attrs := records[0].Attributes().AsRaw()
	assert.Equal(t, strings.Repeat("A", 64<<10), attrs["audit.kernel.data.acct"])
	assert.Equal(t, "179.38.151.221", attrs["source.address"], "fields after the long one are read")
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(1), ignoreTime, ignoreExemplars)
}

// Record types this receiver (and go-libaudit) has no name or normalization
// for are emitted under their number, with a warning.
func TestUnknownRecordTypesAreEmitted(t *testing.T) {
	msgs := []*libaudit.RawAuditMessage{
		rawRecord(1499, "audit(1492896301.818:20): foo=bar"),
		rawRecord(2999, "audit(1492896301.818:21): foo=bar"),
		rawRecord(65535, "audit(1492896301.818:22): foo=bar"),
	}
	tt, records := deliver(t, warningsConfig(), 0, msgs)

	require.Len(t, records, 3)
	// Types at and above 2100 end their event at once; 1499 waits for an end
	// of event that never comes, until Shutdown flushes it.
	bySequence := map[int64]plog.LogRecord{}
	for _, lr := range records {
		attrs := lr.Attributes().AsRaw()
		bySequence[attrs["audit.kernel.sequence"].(int64)] = lr
		assert.Equal(t, "bar", attrs["audit.kernel.data.foo"])
		assert.Contains(t, warningsOf(lr), "no normalization found for event")
	}
	require.Len(t, bySequence, 3)
	assert.Equal(t, "audit.kernel.unknown[65535]", bySequence[22].EventName())
	assert.Equal(t, "unknown", bySequence[22].Attributes().AsRaw()["audit.kernel.category"])
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(3), ignoreTime, ignoreExemplars)
}

// assertValidUTF8 fails for any string in v (keys included) that is not UTF-8.
func assertValidUTF8(t *testing.T, where string, v pcommon.Value) {
	t.Helper()
	switch v.Type() {
	case pcommon.ValueTypeStr:
		assert.True(t, utf8.ValidString(v.Str()), "%s: %q", where, v.Str())
	case pcommon.ValueTypeMap:
		v.Map().Range(func(k string, e pcommon.Value) bool {
			assert.True(t, utf8.ValidString(k), "%s: key %q", where, k)
			assertValidUTF8(t, where+"."+k, e)
			return true
		})
	case pcommon.ValueTypeSlice:
		for i := range v.Slice().Len() {
			assertValidUTF8(t, where, v.Slice().At(i))
		}
	default:
	}
}

// Bytes that are not UTF-8, raw or hex-encoded, are replaced with U+FFFD in
// the log record (OTLP strings are UTF-8) and a warning says where; hex that
// does not decode is kept as it is.
func TestNonUTF8AndHexEncodedValues(t *testing.T) {
	msgs := []*libaudit.RawAuditMessage{
		login("audit(1492896301.818:30):", "\"\xff\xfe\""),     // raw bytes
		login("audit(1492896301.818:31):", "61FF62"),           // hex for "a\xffb"
		login("audit(1492896301.818:32):", "ABC"),              // odd-length hex
		login("audit(1492896301.818:33):", "ZZ"),               // not hex
		login("audit(1492896301.818:34):", "\"x\" \xc3\x28=1"), // a field name that is not UTF-8
		rawRecord(auparse.AUDIT_SYSCALL, `audit(1795569890.914:35): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=2 auid=0 uid=0 comm="sh" exe="/bin/sh" key=(null)`),
		rawRecord(auparse.AUDIT_PROCTITLE, "audit(1795569890.914:35): proctitle=2F62696E2F736800FF2D63"), // "/bin/sh\x00\xff-c"
	}
	tt, records := deliver(t, warningsConfig(), 0, msgs)

	require.Len(t, records, 6)
	for _, lr := range records {
		assertValidUTF8(t, "body", lr.Body())
		m := pcommon.NewValueMap()
		lr.Attributes().CopyTo(m.Map())
		assertValidUTF8(t, "attributes", m)
	}
	acct := func(i int) any { return records[i].Attributes().AsRaw()["audit.kernel.data.acct"] }
	assert.Equal(t, "\uFFFD", acct(0), "one replacement per run of bad bytes")
	assert.Equal(t, "a\uFFFDb", acct(1))
	assert.Equal(t, "ABC", acct(2))
	assert.Equal(t, "ZZ", acct(3))
	assert.Contains(t, warningsOf(records[0]), "invalid UTF-8 replaced with U+FFFD in audit.kernel.actor.secondary, audit.kernel.data.acct, audit.kernel.messages, audit.kernel.related.user, audit.kernel.user.effective.name")
	assert.Equal(t, []any{"invalid UTF-8 replaced with U+FFFD in audit.kernel.messages"}, warningsOf(records[4]))
	assert.Equal(t, "/bin/sh \uFFFD-c", records[5].Attributes().AsRaw()["process.title"])
	assert.Empty(t, warningsOf(records[2]), "valid input gets no UTF-8 warning")
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(6), ignoreTime, ignoreExemplars)
}

func sequences(records []plog.LogRecord) []int64 {
	var seqs []int64
	for _, lr := range records {
		seqs = append(seqs, lr.Attributes().AsRaw()["audit.kernel.sequence"].(int64))
	}
	return seqs
}

func logins(seqs ...string) []*libaudit.RawAuditMessage {
	var msgs []*libaudit.RawAuditMessage
	for _, seq := range seqs {
		msgs = append(msgs, login("audit(1492896301.818:"+seq+"):", "root"))
	}
	return msgs
}

// The same event twice (a duplicate sequence number) is emitted twice and is
// not a gap.
func TestDuplicateSequenceNumbers(t *testing.T) {
	msgs := append(recordtest.Messages(t, "file_watch.log"), recordtest.Messages(t, "file_watch.log")...)
	tt, records := deliver(t, warningsConfig(), 0, append(msgs, logins("455", "457")...))

	assert.Equal(t, []int64{454, 454, 455, 457}, sequences(records))
	assert.Equal(t, records[0].Attributes().AsRaw(), records[1].Attributes().AsRaw())
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(4), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelSequenceGaps(t, tt, sum(1), ignoreTime, ignoreExemplars)
	_, err := tt.GetMetric("otelcol_receiver_auditkernel_reassembler_evictions")
	assert.Error(t, err, "every event was complete")
}

// Sequence numbers at the ends of the 32-bit range: the rollover is a step of
// one; a single missing number across it is one gap.
func TestSequenceNumbersAcrossRollover(t *testing.T) {
	tt, records := deliver(t, warningsConfig(), 0, logins("4294967294", "4294967295", "0", "2"))

	assert.Equal(t, []int64{4294967294, 4294967295, 0, 2}, sequences(records))
	metadatatest.AssertEqualReceiverAuditkernelSequenceGaps(t, tt, sum(1), ignoreTime, ignoreExemplars)
}

// One sequence number far from its neighbors is delivered like the others
// and does not distort the gap count: only 103 is missing.
func TestWildSequenceNumberIsDelivered(t *testing.T) {
	tt, records := deliver(t, warningsConfig(), 0, logins("100", "1073741924", "101", "102", "104"))

	assert.Equal(t, []int64{100, 1073741924, 101, 102, 104}, sequences(records))
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(5), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelSequenceGaps(t, tt, sum(1), ignoreTime, ignoreExemplars)
	_, err := tt.GetMetric("otelcol_receiver_auditkernel_reassembler_evictions")
	assert.Error(t, err)
}

// The records of one event split by a pause longer than the reassembler
// timeout: the first part is flushed incomplete and counted as an eviction,
// the late part is emitted on its own; nothing is lost.
func TestEventSplitAcrossLongDelay(t *testing.T) {
	cfg := warningsConfig()
	cfg.Reassembler.Timeout = 100 * time.Millisecond
	all := recordtest.Messages(t, "file_watch.log") // SYSCALL CWD PATH PROCTITLE EOE
	tt, records := deliver(t, cfg, 3*maintainInterval, all[:3], all[3:])

	require.Len(t, records, 2)
	first, late := records[0].Attributes().AsRaw(), records[1].Attributes().AsRaw()
	assert.Equal(t, int64(454), first["audit.kernel.sequence"])
	assert.Equal(t, "opened-file", first["audit.kernel.action"])
	assert.Equal(t, "/tmp/akw/target", first["file.path"])
	assert.Equal(t, int64(454), late["audit.kernel.sequence"])
	assert.Equal(t, "bash -c echo hi >> /tmp/akw/target", late["process.title"])
	metadatatest.AssertEqualReceiverAuditkernelReassemblerEvictions(t, tt, sum(1), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(2), ignoreTime, ignoreExemplars)
	_, err := tt.GetMetric("otelcol_receiver_auditkernel_sequence_gaps")
	assert.Error(t, err, "a late part of a known event is not a gap")
}

// A standalone LOGIN (1006), the record pam_loginuid's write of the login uid
// makes, is an event: it reaches the output with Auditbeat's action, and its
// sequence number is not a gap. On newer kernels it shares the serial of the
// write syscall, whose records follow it: both are emitted, and that serial
// is no gap either.
func TestLoginRecordIsAnEvent(t *testing.T) {
	msgs := append(logins("100"),
		rawRecord(auparse.AUDIT_LOGIN, "audit(1611244872.857:101): pid=27681 uid=0 old-auid=4294967295 auid=1000 tty=(none) old-ses=4294967295 ses=58 res=1"),
		rawRecord(auparse.AUDIT_LOGIN, "audit(1611244872.900:102): pid=27700 uid=0 subj=unconfined old-auid=4294967295 auid=1000 tty=(none) old-ses=4294967295 ses=59 res=1"),
		rawRecord(auparse.AUDIT_SYSCALL, `audit(1611244872.900:102): arch=c000003e syscall=1 success=yes exit=4 a0=1 a1=5581 a2=4 a3=0 items=0 ppid=1 pid=27700 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=59 comm="sh" exe="/usr/bin/dash" key=(null)`),
		rawRecord(auparse.AUDIT_PROCTITLE, "audit(1611244872.900:102): proctitle=7368"),
		rawRecord(auparse.AUDIT_EOE, "audit(1611244872.900:102): "),
	)
	msgs = append(msgs, logins("103")...)
	tt, records := deliver(t, warningsConfig(), 0, msgs)

	assert.Equal(t, []int64{100, 101, 102, 102, 103}, sequences(records))
	login := records[1]
	attrs := login.Attributes().AsRaw()
	assert.Equal(t, "audit.kernel.login", login.EventName())
	assert.Equal(t, "changed-login-id-to", attrs["audit.kernel.action"])
	assert.Equal(t, "1000", attrs["audit.kernel.thing.primary"], "the new login uid")
	assert.Equal(t, "58", attrs["audit.kernel.session"])
	assert.Equal(t, "audit.kernel.login", records[2].EventName(), "the LOGIN sharing the write's serial")
	assert.Equal(t, "audit.kernel.syscall", records[3].EventName())
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(5), ignoreTime, ignoreExemplars)
	_, err := tt.GetMetric("otelcol_receiver_auditkernel_sequence_gaps")
	assert.Error(t, err, "no sequence gap was counted")
}
