//go:build linux

package auditkernelreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadatatest"
)

// withoutSequences drops every record of the given events, as if the kernel
// had lost them.
func withoutSequences(t *testing.T, msgs []*libaudit.RawAuditMessage, seqs ...uint32) []*libaudit.RawAuditMessage {
	var out []*libaudit.RawAuditMessage
	for _, m := range msgs {
		parsed, err := auparse.Parse(m.Type, string(m.Data))
		require.NoError(t, err)
		drop := false
		for _, s := range seqs {
			drop = drop || parsed.Sequence == s
		}
		if !drop {
			out = append(out, m)
		}
	}
	return out
}

func runWithTelemetry(t *testing.T, fake *fakeKernel, next consumer.Logs) *componenttest.Telemetry {
	t.Helper()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	r, err := newReceiver(metadatatest.NewSettings(tt), defaultConfig(), next, fake.open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), nil))
	require.Eventually(t, func() bool { return len(fake.msgs) == 0 && len(fake.errs) == 0 }, 5*time.Second, time.Millisecond)
	fake.lost.Add(7) // read by the final status poll at shutdown
	require.NoError(t, r.Shutdown(context.Background()))
	return tt
}

var (
	ignoreTime      = metricdatatest.IgnoreTimestamp()
	ignoreExemplars = metricdatatest.IgnoreExemplars()
)

func sum(v int64) []metricdata.DataPoint[int64] {
	return []metricdata.DataPoint[int64]{{Value: v}}
}

// Every event of the stream is delivered or counted, each loss where it happened.
func TestLossIsCounted(t *testing.T) {
	all := readRawLog(t, "mixed.log")
	msgs := withoutSequences(t, all, 2200, 2300, 2301)
	fake := newFakeKernel(msgs)
	fake.lost.Store(5) // losses before start are not ours
	fake.errs <- errSocketOverrun
	fake.errs <- errSocketOverrun
	sink := new(consumertest.LogsSink)

	tt := runWithTelemetry(t, fake, sink)

	require.Equal(t, 483, sink.LogRecordCount())
	metadatatest.AssertEqualReceiverAuditkernelMessagesReceived(t, tt, sum(int64(len(msgs))), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(483), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelSequenceGaps(t, tt, sum(3), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelSocketOverruns(t, tt, sum(2), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelKernelLost(t, tt, sum(7), ignoreTime, ignoreExemplars)
	require.Equal(t, int32(1), fake.closed.Load())
}

func TestRefusedEventsAreCountedAsDrops(t *testing.T) {
	fake := newFakeKernel(readRawLog(t, "execve.log"))
	next, err := consumer.NewLogs(func(context.Context, plog.Logs) error {
		return consumererror.NewPermanent(errors.New("backend says no"))
	})
	require.NoError(t, err)

	tt := runWithTelemetry(t, fake, next)

	metadatatest.AssertEqualReceiverAuditkernelUserspaceDrops(t, tt, sum(2), ignoreTime, ignoreExemplars)
	_, err = tt.GetMetric("otelcol_receiver_auditkernel_events_emitted")
	require.Error(t, err, "nothing was emitted")
}

// An event whose records stop arriving is flushed after the reassembler
// timeout and counted as an eviction.
func TestIncompleteEventIsEvicted(t *testing.T) {
	var msgs []*libaudit.RawAuditMessage
	for _, m := range readRawLog(t, "file_watch.log") {
		if m.Type != auparse.AUDIT_PROCTITLE && m.Type != auparse.AUDIT_EOE {
			msgs = append(msgs, m)
		}
	}
	fake := newFakeKernel(msgs)
	sink := new(consumertest.LogsSink)
	tt := runWithTelemetry(t, fake, sink)
	require.Equal(t, 1, sink.LogRecordCount(), "flushed incomplete, not lost")
	metadatatest.AssertEqualReceiverAuditkernelReassemblerEvictions(t, tt, sum(1), ignoreTime, ignoreExemplars)
}

// Control replies and AUDIT_REPLACE probes are not events; a record whose
// header cannot be parsed is counted, and none of it panics.
func TestNonEventAndMalformedMessages(t *testing.T) {
	msgs := []*libaudit.RawAuditMessage{
		{Type: auparse.AuditMessageType(libaudit.AuditGet), Data: make([]byte, 40)},
		{Type: auparse.AUDIT_REPLACE, Data: []byte{1, 2, 3, 4}},
		{Type: auparse.AUDIT_USER_LOGIN, Data: []byte("no header at all")},
		{Type: auparse.AUDIT_USER_LOGIN, Data: []byte("audit(1492896301.818:): pid=1")},
		{Type: auparse.AUDIT_USER_LOGIN, Data: []byte{0xff, 0xfe, 0x00}},
	}
	msgs = append(msgs, readRawLog(t, "user_login.log")...)
	fake := newFakeKernel(msgs)
	sink := new(consumertest.LogsSink)
	tt := runWithTelemetry(t, fake, sink)
	require.Equal(t, 1, sink.LogRecordCount())
	metadatatest.AssertEqualReceiverAuditkernelMessagesReceived(t, tt, sum(6), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelUserspaceDrops(t, tt, sum(3), ignoreTime, ignoreExemplars)
}
