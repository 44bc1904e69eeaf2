//go:build !windows

package translate

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
)

// translateLines translates the event of auditd log lines.
func translateLines(t *testing.T, lines ...string) map[string]any {
	t.Helper()
	var recs []*record.Record
	for _, l := range lines {
		r, err := record.ParseLine([]byte(l))
		require.NoError(t, err, l)
		recs = append(recs, r)
	}
	lr := plog.NewLogRecord()
	require.NoError(t, Event(recs, time.Unix(0, 0), Options{}, lr))
	return lr.Attributes().AsRaw()
}

// putEventData puts each field once: Data's, then those of the records that
// hold data and are not in Data, each from the first record that has it.
func TestEventDataFirstRecordWins(t *testing.T) {
	ev := &coalesce.Event{Data: []record.Field{{Key: "a", Value: "data"}}}
	recs := []*record.Record{
		{Type: auparse.AUDIT_USER, Fields: []record.Field{{Key: "a", Value: "first"}, {Key: "b", Value: "first"}}},
		{Type: auparse.AUDIT_PATH, Fields: []record.Field{{Key: "c", Value: "path"}}},
		{Type: auparse.AUDIT_USER, Fields: []record.Field{{Key: "b", Value: "second"}, {Key: "d", Value: "second"}, {Key: "pid", Value: "1"}}},
	}
	for _, layout := range []DataLayout{DataFlat, DataMap} {
		var w attrWriter
		w.putEventData(ev, recs, layout)
		m := pcommon.NewMap()
		w.b.UnsafeIntoMap(m)
		got := m.AsRaw()
		if layout == DataMap {
			got = got["audit.kernel.data"].(map[string]any)
		} else {
			flat := map[string]any{}
			for k, v := range got {
				flat[strings.TrimPrefix(k, "audit.kernel.data.")] = v
			}
			got = flat
		}
		assert.Equal(t, map[string]any{"a": "data", "b": "first", "d": "second"}, got, "layout %d", layout)
	}
}

// An event with more keys than the table on the stack holds gets a larger one.
func TestEventDataManyFields(t *testing.T) {
	var fields strings.Builder
	for i := range 3 * stackKeys {
		fmt.Fprintf(&fields, " f%d=%d", i, i)
	}
	attrs := translateLines(t, `type=USER msg=audit(1.000:9): pid=10 uid=0 auid=0 ses=1 msg='op=x`+fields.String()+` res=success'`)
	for i := range 3 * stackKeys {
		assert.Equal(t, strconv.Itoa(i), attrs[fmt.Sprintf("audit.kernel.data.f%d", i)], "f%d", i)
	}
}
