//go:build linux

package translate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/internal/schema"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/translated/* from the current translate")

// goldenVariants are the options whose exact output is pinned.
var goldenVariants = []struct {
	name string
	opts Options
}{
	{"default", Options{}},
	{"raw+warnings", Options{IncludeRawMessage: true, IncludeWarnings: true}},
}

// TestTranslateGolden pins every attribute of every event of every recorded
// stream, so that a change made for speed cannot change the output. IDs are
// not resolved: names depend on the machine's user database. The JSON files
// are for reading a difference; digests.txt pins the exact OTLP protobuf
// bytes (attribute order and types included) of each stream under each
// variant of the options.
func TestTranslateGolden(t *testing.T) {
	streams, err := filepath.Glob(filepath.Join(recordtest.Dir(), "*.log"))
	require.NoError(t, err)
	require.NotEmpty(t, streams)
	var digests strings.Builder
	for _, stream := range streams {
		name := filepath.Base(stream)
		t.Run(name, func(t *testing.T) {
			got := translateStream(t, name)
			golden := filepath.Join("testdata", "translated", strings.TrimSuffix(name, ".log")+".json")
			if *updateGolden {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, got, 0o600))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -run TestTranslateGolden -update to create it")
			require.Equal(t, string(want), string(got))
			for _, v := range goldenVariants {
				fmt.Fprintf(&digests, "%s %s %s\n", name, v.name, streamDigest(t, name, v.opts))
			}
		})
	}
	golden := filepath.Join("testdata", "translated", "digests.txt")
	if *updateGolden {
		require.NoError(t, os.WriteFile(golden, []byte(digests.String()), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -run TestTranslateGolden -update to create it")
	assert.Equal(t, string(want), digests.String(), "the OTLP bytes of a recorded stream changed")
}

// translatedStream normalizes and translates every event of a recorded
// stream, checking that every key it emits is in the schema.
func translatedStream(t *testing.T, name string, opts Options) plog.LogRecordSlice {
	records := plog.NewLogRecordSlice()
	for _, recs := range recordtest.Events(t, name) {
		ev, err := Normalize(recs, opts.ResolveIDs)
		require.NoError(t, err)
		assertRecordsInData(t, ev, recs)
		lr := records.AppendEmpty()
		Record(ev, recs, time.Unix(0, 0), opts, lr)
		// A smaller bound would regrow the attribute map, costing time, not output.
		assert.LessOrEqual(t, lr.Attributes().Len(), attrCapacity(ev, opts), "attrCapacity of sequence %d", ev.Sequence)
		// The attributes are appended without a check for an existing key.
		seen := map[string]bool{}
		for k := range lr.Attributes().All() {
			assert.False(t, seen[k], "%s put twice in sequence %d", k, ev.Sequence)
			seen[k] = true
			a, ok := schema.Lookup(k)
			if assert.True(t, ok, "%s is not in internal/schema", k) {
				assert.Equal(t, schema.Event, a.Level, k)
			}
		}
	}
	return records
}

// streamDigest is the SHA-256 of the OTLP protobuf encoding of a stream's records.
func streamDigest(t *testing.T, name string, opts Options) string {
	logs := plog.NewLogs()
	translatedStream(t, name, opts).MoveAndAppendTo(logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords())
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(logs)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// translateStream renders a recorded stream as one JSON line per event:
// event name, severity, body and attributes.
func translateStream(t *testing.T, name string) []byte {
	var buf bytes.Buffer
	records := translatedStream(t, name, Options{})
	for i := range records.Len() {
		buf.Write(recordtest.Render(t, records.At(i)))
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}
