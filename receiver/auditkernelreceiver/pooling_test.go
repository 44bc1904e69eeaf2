//go:build linux

package auditkernelreceiver

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/pooltest"
)

// contents is what a record carries apart from the time it was observed.
func contents(records []plog.LogRecord) []map[string]any {
	out := make([]map[string]any, len(records))
	for i, lr := range records {
		attrs := lr.Attributes().AsRaw()
		attrs["(event name)"] = lr.EventName()
		attrs["(body)"] = lr.Body().AsString()
		attrs["(time)"] = lr.Timestamp().String()
		attrs["(severity)"] = lr.SeverityText()
		out[i] = attrs
	}
	return out
}

// With pdata's proto pooling on, the pipeline frees each batch when its
// first component returns, and the next batches reuse its values: what
// comes out must be what comes out with the gate off.
func TestProtoPoolingDeliversTheSameRecords(t *testing.T) {
	want := contents(replay(t, defaultConfig(), "mixed.log"))

	pooltest.Enable(t)
	sink := new(pooltest.Sink)
	replayTo(t, defaultConfig(), pooltest.Pipeline(sink), "mixed.log")
	require.Equal(t, want, contents(eventRecords(sink.AllLogs())))
}

// A batch the pipeline refused must survive the failed attempt: the
// receiver holds it, so the pipeline does not free it after the first try.
func TestProtoPoolingRetryKeepsTheBatch(t *testing.T) {
	want := contents(replay(t, defaultConfig(), "execve.log"))

	pooltest.Enable(t)
	sink := new(pooltest.Sink)
	flaky := &pooltest.Flaky{Next: sink}
	replayTo(t, defaultConfig(), pooltest.Pipeline(flaky), "execve.log")
	require.Greater(t, flaky.Calls(), 1)
	require.Equal(t, want, contents(eventRecords(sink.AllLogs())))
}
