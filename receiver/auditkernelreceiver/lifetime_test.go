//go:build linux

package auditkernelreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/enrich"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/internal/schema"
	"github.com/auditkernel/auditkernel/internal/translate"
)

// TestNoRecordOutlivesItsBatch runs the receiver over every recorded stream
// with released records and events poisoned (overwritten with garbage) and
// reused, then compares each delivered log record, after the whole run,
// with a translation of the same event that nothing was released under. A
// log record that still shared a released record's or event's memory, or a
// stage that read one after its batch, would differ; under -race, a
// goroutine that read a record while the reader reused it would be reported.
func TestNoRecordOutlivesItsBatch(t *testing.T) {
	streams, err := filepath.Glob(filepath.Join(recordtest.Dir(), "*.log"))
	require.NoError(t, err)
	cfg := defaultConfig()
	cfg.IncludeRawMessage, cfg.IncludeWarnings = true, true
	opts := translate.Options{ResolveIDs: cfg.ResolveIDs, IncludeRawMessage: true, IncludeWarnings: true}
	for _, stream := range streams {
		name := filepath.Base(stream)
		t.Run(name, func(t *testing.T) {
			// The same stages as the pipeline's, enrichment included (its
			// table keeps strings of events long released), in order.
			want := map[int64]string{}
			enricher := newEnricher(&cfg.Enrich)
			for _, recs := range recordtest.Events(t, name) {
				ev, err := translate.Normalize(recs, opts.ResolveIDs)
				if err != nil {
					continue
				}
				e := enrich.FromCoalesced(ev)
				info := enricher.Enrich(&e)
				lr := plog.NewLogRecord()
				translate.EnrichedRecord(ev, recs, time.Time{}, opts, &info, lr)
				want[sequence(lr)] = string(recordtest.Render(t, lr))
			}
			require.NotEmpty(t, want)

			defer record.SetPoisonOnRelease(record.SetPoisonOnRelease(true))
			got := replay(t, cfg, name)
			assert.Len(t, got, len(want))
			for _, lr := range got {
				seq := sequence(lr)
				assert.Equal(t, want[seq], string(recordtest.Render(t, lr)), "sequence %d", seq)
			}
		})
	}
}

func sequence(lr plog.LogRecord) int64 {
	v, _ := lr.Attributes().Get(schema.Sequence)
	return v.Int()
}
