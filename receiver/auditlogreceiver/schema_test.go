package auditlogreceiver

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/reassembly"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/translate"
)

// kernelEvents collects the kernel path's reassembled events.
type kernelEvents [][]*record.Record

func (k *kernelEvents) Event(recs []*record.Record, _ bool) { *k = append(*k, recs) }
func (*kernelEvents) Retired(uint32)                        {}

// kernelPath translates a recorded kernel stream as the auditkernel
// receiver does: netlink payloads through ParseHeader, the reassembler, and
// translate, keyed by sequence number.
func kernelPath(t *testing.T, path string, opts translate.Options) map[int64]plog.LogRecord {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	var events kernelEvents
	ra := reassembly.New(50, time.Minute, &events)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, payload, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "type="), " msg=")
		require.True(t, ok)
		typ, err := auparse.GetAuditMessageType(name)
		require.NoError(t, err)
		rec, err := record.ParseHeader(typ, []byte(payload))
		require.NoError(t, err)
		ra.Push(rec, time.Now())
	}
	require.NoError(t, sc.Err())
	ra.Close()
	out := map[int64]plog.LogRecord{}
	logs := plog.NewLogs()
	records := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, recs := range events {
		lr := records.AppendEmpty()
		require.NoError(t, translate.Event(recs, time.Now(), opts, lr))
		out[int64(recs[0].Sequence)] = lr
	}
	return out
}

// TestSameAsKernel reads the kernel streams of testdata/raw, which are in
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
			want := kernelPath(t, p, opts)
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
