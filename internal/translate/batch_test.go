//go:build !windows

package translate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestBatchGroupsByResourceKey(t *testing.T) {
	var created []string
	b := NewBatch(4, func(key string, res pcommon.Resource) {
		created = append(created, key)
		res.Attributes().PutStr("key", key)
	}, func(scope pcommon.InstrumentationScope) { scope.SetName("test") })
	for _, key := range []string{"", "c1", "", "c2", "c1"} {
		b.Append(key).SetEventName("event in " + key)
	}
	b.Append("c2") // left empty, as an event that could not be normalized
	assert.Equal(t, 6, b.Len())
	b.RemoveEmpty()
	assert.Equal(t, 5, b.Len())
	b.Append("c3") // a resource whose only record stays empty is removed
	b.RemoveEmpty()
	assert.Equal(t, 5, b.Len())

	assert.Equal(t, []string{"", "c1", "c2", "c3"}, created, "each resource is made once, in the order of first use")
	got := map[string][]string{}
	rls := b.Logs().ResourceLogs()
	var order []string
	for i := range rls.Len() {
		rl := rls.At(i)
		key, _ := rl.Resource().Attributes().Get("key")
		order = append(order, key.Str())
		assert.Equal(t, 1, rl.ScopeLogs().Len())
		assert.Equal(t, "test", rl.ScopeLogs().At(0).Scope().Name())
		records := rl.ScopeLogs().At(0).LogRecords()
		for j := range records.Len() {
			got[key.Str()] = append(got[key.Str()], records.At(j).EventName())
		}
	}
	assert.Equal(t, []string{"", "c1", "c2"}, order)
	assert.Equal(t, map[string][]string{
		"":   {"event in ", "event in "},
		"c1": {"event in c1", "event in c1"},
		"c2": {"event in c2"},
	}, got)
}

func TestEventThatCannotBeNormalizedLeavesTheRecordEmpty(t *testing.T) {
	lr := plog.NewLogRecord()
	assert.Error(t, Event(nil, pcommon.Timestamp(0).AsTime(), Options{}, lr))
	assert.Empty(t, lr.EventName())
	assert.Equal(t, 0, lr.Attributes().Len())
}
