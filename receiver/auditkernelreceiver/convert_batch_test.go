//go:build linux

package auditkernelreceiver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receiverhelper"

	"github.com/auditkernel/auditkernel/internal/metrictest"
	"github.com/auditkernel/auditkernel/internal/ratelog"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadatatest"
)

// TestDeliverBatchWithUnnormalizableEvents: a batch large enough to be
// converted by several goroutines, where some events cannot be normalized
// (compound events without a SYSCALL record), delivers every other event in
// order, leaves no empty record behind and counts the rest as dropped.
func TestDeliverBatchWithUnnormalizableEvents(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tt)
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "netlink", ReceiverCreateSettings: set})
	require.NoError(t, err)
	sink := new(consumertest.LogsSink)
	p := newPipeline(defaultConfig(), sink, obsrecv, "test", sinks{losses: newLosses(telemetry), telemetry: telemetry, logger: set.Logger, itemLog: ratelog.New(set.Logger, itemWarnings, itemWarningInterval)})

	const events = 8 * minEventsPerWorker
	var batch []queuedEvent
	var want []int64
	for seq := 1; seq <= events; seq++ {
		var recs []*record.Record
		if seq%5 == 0 {
			recs = append(recs, headerOnly(t, auparse.AUDIT_CWD, seq, `cwd="/"`), headerOnly(t, auparse.AUDIT_PATH, seq, `item=0 name="/"`), headerOnly(t, auparse.AUDIT_EOE, seq, ""))
		} else {
			recs = append(recs, headerOnly(t, auparse.AUDIT_USER, seq, `pid=1 uid=0 auid=4294967295 ses=4294967295 msg='text=x exe="/bin/true" res=success'`))
			want = append(want, int64(seq))
		}
		batch = append(batch, queuedEvent{recs: recs, received: time.Now()})
	}
	p.deliver(batch, nil)

	records := logRecords(sink.AllLogs())
	got := make([]int64, 0, len(records))
	for _, lr := range records {
		require.NotEmpty(t, lr.EventName())
		seq, ok := lr.Attributes().Get("audit.kernel.sequence")
		if ok {
			got = append(got, seq.Int())
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, int64(events-len(want)), metrictest.Counter(t, tt, "otelcol_receiver_auditkernel_userspace_drops"))
}

func headerOnly(t *testing.T, typ auparse.AuditMessageType, seq int, fields string) *record.Record {
	rec, err := record.ParseHeader(typ, fmt.Appendf(nil, "audit(1700000000.000:%d): %s", seq, fields))
	require.NoError(t, err)
	return rec
}
