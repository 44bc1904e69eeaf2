//go:build !windows

package translate

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
)

// Batch builds the plog.Logs of one batch of events: one ResourceLogs per
// resource key, in the order the keys first appear, each with one ScopeLogs.
// The key says which resource an event belongs to (the kernel input: the
// host, or a container; the file input: the node= host); "" is the
// receiver's own resource.
type Batch struct {
	logs     plog.Logs
	records  map[string]plog.LogRecordSlice
	resource func(key string, res pcommon.Resource)
	scope    func(scope pcommon.InstrumentationScope)
	hint     int
	count    int
}

// NewBatch starts a batch. resource fills the attributes of a key's
// resource and scope names the scope, both once per key; hint is the
// number of records the batch will likely hold.
func NewBatch(hint int, resource func(key string, res pcommon.Resource), scope func(pcommon.InstrumentationScope)) *Batch {
	return &Batch{logs: plog.NewLogs(), records: make(map[string]plog.LogRecordSlice, 1), resource: resource, scope: scope, hint: hint}
}

// Append appends an empty log record to the resource of key.
func (b *Batch) Append(key string) plog.LogRecord {
	records, ok := b.records[key]
	if !ok {
		rl := b.logs.ResourceLogs().AppendEmpty()
		b.resource(key, rl.Resource())
		sl := rl.ScopeLogs().AppendEmpty()
		b.scope(sl.Scope())
		records = sl.LogRecords()
		records.EnsureCapacity(b.hint) // the first resource takes most records
		b.hint = 0
		b.records[key] = records
	}
	b.count++
	return records.AppendEmpty()
}

// RemoveEmpty removes the records that were appended but not filled (no
// event name: their event could not be normalized), and the resources left
// without records.
func (b *Batch) RemoveEmpty() {
	b.count = 0
	b.logs.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		records := rl.ScopeLogs().At(0).LogRecords()
		records.RemoveIf(func(lr plog.LogRecord) bool { return lr.EventName() == "" })
		b.count += records.Len()
		return records.Len() == 0
	})
	for key, records := range b.records {
		if records.Len() == 0 {
			delete(b.records, key)
		}
	}
}

// Len is the number of records appended (and not removed).
func (b *Batch) Len() int { return b.count }

// Logs returns the batch.
func (b *Batch) Logs() plog.Logs { return b.logs }

// Hold makes the batch its producer's until Release. The collector's
// pipeline frees data when the first component that received it returns,
// unless the producer holds it: a batch that is retried must outlive the
// failed attempt. Release drops the producer's reference; with pdata's
// pdata.useProtoPooling gate on, the last reference to go (the producer's,
// or that of a component that kept the data, such as an exporter's queue)
// returns the batch's values to pdata's pools for the next batches.
func (b *Batch) Hold() { pref.MarkPipelineOwnedLogs(b.logs) }

// Release ends Hold; the batch must not be used after it.
func (b *Batch) Release() { pref.UnrefLogs(b.logs) }
