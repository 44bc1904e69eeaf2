//go:build linux

package auditkernelreceiver

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
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
	all := recordtest.Messages(t, "mixed.log")
	msgs := withoutSequences(t, all, 2200, 2300, 2301)
	fake := newFakeKernel(msgs)
	fake.lost.Store(5) // losses before start are not ours
	fake.errs <- kernel.ErrSocketOverrun
	fake.errs <- kernel.ErrSocketOverrun
	sink := new(consumertest.LogsSink)

	tt := runWithTelemetry(t, fake, sink)

	require.Len(t, eventRecords(sink.AllLogs()), 483)
	metadatatest.AssertEqualReceiverAuditkernelMessagesReceived(t, tt, sum(int64(len(msgs))), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelEventsEmitted(t, tt, sum(483), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelSequenceGaps(t, tt, sum(3), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelSocketOverruns(t, tt, sum(2), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelKernelLost(t, tt, sum(7), ignoreTime, ignoreExemplars)
	require.Equal(t, int32(1), fake.closed.Load())

	// The markers in the stream add up to the same losses, and say where.
	markers := notices(sink.AllLogs(), eventNameLost)
	require.NotEmpty(t, markers)
	totals := map[string]int64{}
	first, last := int64(math.MaxInt64), int64(0)
	for _, m := range markers {
		assert.Equal(t, plog.SeverityNumberWarn, m.SeverityNumber())
		attrs := m.Attributes().AsRaw()
		for _, k := range []string{"kernel", "sequence_gaps", "userspace", "socket_overruns"} {
			totals[k] += attrs[eventNameLost+"."+k].(int64)
		}
		if f, ok := attrs[eventNameLost+".sequence.first"].(int64); ok {
			first, last = min(first, f), max(last, attrs[eventNameLost+".sequence.last"].(int64))
		}
	}
	assert.Equal(t, map[string]int64{"kernel": 7, "sequence_gaps": 3, "userspace": 0, "socket_overruns": 2}, totals)
	assert.Equal(t, []int64{2200, 2301}, []int64{first, last})
}

// A marker the consumer refused is not lost: its counts are carried by the
// next marker, which says what was lost since the last one that arrived.
func TestMarkerCarriesLossesUntilDelivered(t *testing.T) {
	fake := newFakeKernel(recordtest.Messages(t, "execve.log"))
	var calls int
	var refusedMarker bool
	sink := new(consumertest.LogsSink)
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		calls++
		if calls <= 2 { // events, then a marker counting them
			refusedMarker = refusedMarker || len(notices([]plog.Logs{ld}, eventNameLost)) > 0
			return consumererror.NewPermanent(errors.New("backend says no"))
		}
		return sink.ConsumeLogs(ctx, ld)
	})
	require.NoError(t, err)

	runWithTelemetry(t, fake, next)

	// However the events were batched, a refused call carried a marker; the
	// delivered markers still add up to every loss.
	require.True(t, refusedMarker)
	var userspace, kernel int64
	for _, m := range notices(sink.AllLogs(), eventNameLost) {
		attrs := m.Attributes().AsRaw()
		userspace += attrs[eventNameLost+".userspace"].(int64)
		kernel += attrs[eventNameLost+".kernel"].(int64)
	}
	refused := int64(2 - len(eventRecords(sink.AllLogs())))
	require.Positive(t, refused)
	assert.Equal(t, refused, userspace, "the refused events, counted by the refused marker")
	assert.Equal(t, int64(7), kernel)
}

func TestRefusedEventsAreCountedAsDrops(t *testing.T) {
	fake := newFakeKernel(recordtest.Messages(t, "execve.log"))
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
	for _, m := range recordtest.Messages(t, "file_watch.log") {
		if m.Type != auparse.AUDIT_PROCTITLE && m.Type != auparse.AUDIT_EOE {
			msgs = append(msgs, m)
		}
	}
	fake := newFakeKernel(msgs)
	sink := new(consumertest.LogsSink)
	tt := runWithTelemetry(t, fake, sink)
	require.Len(t, eventRecords(sink.AllLogs()), 1, "flushed incomplete, not lost")
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
	msgs = append(msgs, recordtest.Messages(t, "user_login.log")...)
	fake := newFakeKernel(msgs)
	sink := new(consumertest.LogsSink)
	tt := runWithTelemetry(t, fake, sink)
	require.Len(t, eventRecords(sink.AllLogs()), 1)
	metadatatest.AssertEqualReceiverAuditkernelMessagesReceived(t, tt, sum(6), ignoreTime, ignoreExemplars)
	metadatatest.AssertEqualReceiverAuditkernelUserspaceDrops(t, tt, sum(3), ignoreTime, ignoreExemplars)
}

// The kernel retries what it failed to send only when a new record wakes it,
// each wake sends only what fits in the socket, and what it still holds when
// the receiver closes is dropped without a count (unless booted with
// audit=1). Shutdown wakes it until a wake brings nothing but its own record.
func TestShutdownReceivesEverythingTheKernelHeld(t *testing.T) {
	fake := newFakeKernel(nil)
	for seq := 1; seq <= 30; seq++ {
		fake.held = append(fake.held, logins(strconv.Itoa(seq))...)
	}
	fake.flushBatch = 10
	sink := new(consumertest.LogsSink)
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), defaultConfig(), sink, fake.open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), nil))
	require.NoError(t, r.Shutdown(context.Background()))

	delivered := 0
	for _, lr := range eventRecords(sink.AllLogs()) {
		if lr.EventName() == "audit.kernel.user_login" {
			delivered++
		}
	}
	assert.Equal(t, 30, delivered)
	assert.Empty(t, fake.held)
}

// While the next consumer holds the pipeline, a burst waits in the queue,
// and the queue's depth is reported when the pipeline takes it: the last
// batch took everything that was waiting.
func TestQueueLengthIsReported(t *testing.T) {
	fake := newFakeKernel(recordtest.Messages(t, "mixed.log"))
	var batches []int // events per batch taken from the queue, on the pipeline's goroutine
	next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		if len(batches) == 0 && len(eventRecords([]plog.Logs{ld})) > 0 {
			// Every message read and reassembled before the first batch is let go.
			require.Eventually(t, func() bool { return len(fake.msgs) == 0 }, 5*time.Second, time.Millisecond)
			time.Sleep(200 * time.Millisecond)
		}
		// A batch of notices only (the loss marker at shutdown) was not
		// taken from the queue.
		if events := len(eventRecords([]plog.Logs{ld})); events > 0 {
			batches = append(batches, events)
		}
		return nil
	})
	require.NoError(t, err)

	tt := runWithTelemetry(t, fake, next)

	m, err := tt.GetMetric("otelcol_receiver_auditkernel_queue_length")
	require.NoError(t, err)
	points := m.Data.(metricdata.Gauge[int64]).DataPoints
	require.Len(t, points, 1)
	require.NotEmpty(t, batches)
	assert.Equal(t, int64(batches[len(batches)-1]), points[0].Value, "batches %v", batches)
	assert.Greater(t, points[0].Value, int64(1), "batches %v", batches)
}
