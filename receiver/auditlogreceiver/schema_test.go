//go:build linux

package auditlogreceiver

import (
	"path/filepath"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/internal/translate"
)

// kernelPath translates the records of audit log files as the auditkernel
// receiver translates the same records from netlink: each line's payload
// (without node= and ENRICHED names) as a kernel message, through its
// header parsing, reassembly and translate. The log records are keyed by
// sequence number.
func kernelPath(t *testing.T, opts translate.Options, paths ...string) map[int64]plog.LogRecord {
	t.Helper()
	var msgs []*libaudit.RawAuditMessage
	for _, p := range paths {
		for _, rec := range recordtest.ParseFile(t, p) {
			msgs = append(msgs, &libaudit.RawAuditMessage{Type: rec.Type, Data: []byte(rec.Raw)})
		}
	}
	logs := plog.NewLogs()
	records := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	out := map[int64]plog.LogRecord{}
	for _, recs := range recordtest.Reassemble(recordtest.Headers(t, msgs)) {
		lr := records.AppendEmpty()
		require.NoError(t, translate.Event(recs, time.Now(), opts, lr))
		out[int64(recs[0].Sequence)] = lr
	}
	return out
}

// TestSameAsKernel (Linux: the kernel path reads netlink messages) reads the kernel streams of testdata/raw, which are in
// auditd's RAW format, as audit logs: every event's log record is the one
// the auditkernel receiver makes of the same records, but for the observed
// time (when the line was read, not when the kernel sent it) and the
// resource.
func TestSameAsKernel(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/raw/*.log")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			opts := translate.Options{IncludeRawMessage: true, IncludeWarnings: true}
			want := kernelPath(t, opts, p)
			dir := copyFiles(t, map[string]string{"audit.log": p})
			cfg := testConfig(dir)
			cfg.IncludeRawMessage, cfg.IncludeWarnings = true, true
			ru := start(t, cfg, nil)
			ru.waitEvents(t, len(want))
			ru.settle(cfg)
			got := ru.events()
			assert.Len(t, got, len(want))
			for _, e := range got {
				w, ok := want[e.seq]
				if !assert.True(t, ok, "event %d", e.seq) {
					continue
				}
				assert.Equal(t, w.Attributes().AsRaw(), e.attrs, "event %d", e.seq)
				assert.Equal(t, w.Body().AsRaw(), e.lr.Body().AsRaw(), "event %d", e.seq)
				assert.Equal(t, w.Timestamp(), e.lr.Timestamp(), "event %d", e.seq)
				assert.Equal(t, w.EventName(), e.lr.EventName(), "event %d", e.seq)
				assert.Equal(t, w.SeverityNumber(), e.lr.SeverityNumber(), "event %d", e.seq)
			}
		})
	}
}
