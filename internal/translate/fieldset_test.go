//go:build !windows

package translate

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
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

// recordWith returns a record of typ that holds fields, as if parsed.
func recordWith(typ auparse.AuditMessageType, fields ...record.Field) *record.Record {
	r := &record.Record{Type: typ}
	r.SetFields(fields)
	return r
}

// putEventData puts each field once: Data's, then, when coalescing may have
// left some out of Data (a login's address moved to Source, a second
// SYSCALL record), those of the records that hold data and are not in Data,
// each from the first record that has it.
func TestEventDataFirstRecordWins(t *testing.T) {
	recs := []*record.Record{
		recordWith(auparse.AUDIT_USER, record.Field{Key: "a", Value: "first"}, record.Field{Key: "b", Value: "first"}),
		recordWith(auparse.AUDIT_PATH, record.Field{Key: "c", Value: "path"}),
		recordWith(auparse.AUDIT_USER, record.Field{Key: "b", Value: "second"}, record.Field{Key: "d", Value: "second"}, record.Field{Key: "pid", Value: "1"}),
	}
	syscall := recordWith(auparse.AUDIT_SYSCALL, record.Field{Key: "e", Value: "syscall"})
	for _, c := range []struct {
		name   string
		source *aucoalesce.Address
		recs   []*record.Record
		want   map[string]any
	}{
		{"moved to Source", &aucoalesce.Address{IP: "10.0.0.1"}, recs, map[string]any{"a": "data", "b": "first", "d": "second"}},
		{"second SYSCALL", nil, append([]*record.Record{syscall, syscall}, recs...), map[string]any{"a": "data", "b": "first", "d": "second", "e": "syscall"}},
		{"nothing left out", nil, append([]*record.Record{syscall}, recs...), map[string]any{"a": "data"}},
	} {
		ev := &coalesce.Event{Data: []record.Field{{Key: "a", Value: "data"}}}
		ev.Source = c.source
		for _, layout := range []DataLayout{DataFlat, DataMap} {
			var w attrWriter
			w.putEventData(ev, c.recs, layout)
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
			assert.Equal(t, c.want, got, "%s, layout %d", c.name, layout)
		}
	}
}

// assertRecordsInData checks what recordsAddData relies on: unless it says
// otherwise, every field of recs that holds data and has no attribute of
// its own is in ev.Data.
func assertRecordsInData(t *testing.T, ev *coalesce.Event, recs []*record.Record) {
	t.Helper()
	if recordsAddData(ev, recs) {
		return
	}
	for _, rec := range recs {
		if !holdsData(rec) {
			continue
		}
		for i := range rec.NumFields() {
			k := rec.Key(i)
			if _, ok := record.Lookup(ev.Data, k); !ok && !schema.RepresentedElsewhere(k) {
				t.Errorf("sequence %d: %s of %v is not in Data", ev.Sequence, k, rec.Type)
			}
		}
	}
}

// An event with more keys than the table on the stack holds gets a larger
// one (a login, whose address coalescing moves out of Data).
func TestEventDataManyFields(t *testing.T) {
	var fields strings.Builder
	for i := range 3 * stackKeys {
		fmt.Fprintf(&fields, " f%d=%d", i, i)
	}
	attrs := translateLines(t, `type=USER_LOGIN msg=audit(1.000:9): pid=10 uid=0 auid=0 ses=1 msg='op=login addr=10.0.0.1`+fields.String()+` res=success'`)
	assert.Equal(t, "10.0.0.1", attrs["audit.kernel.data.addr"])
	for i := range 3 * stackKeys {
		assert.Equal(t, strconv.Itoa(i), attrs[fmt.Sprintf("audit.kernel.data.f%d", i)], "f%d", i)
	}
}
