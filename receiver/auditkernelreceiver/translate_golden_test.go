//go:build linux

package auditkernelreceiver

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/translated/*.json from the current translate")

// TestTranslateGolden pins every attribute of every event of every recorded
// stream, so that a change made for speed cannot change the output. IDs are
// not resolved: names depend on the machine's user database.
func TestTranslateGolden(t *testing.T) {
	streams, err := filepath.Glob("../../testdata/raw/*.log")
	require.NoError(t, err)
	require.NotEmpty(t, streams)
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
		})
	}
}

// translateStream reassembles, normalizes and translates a recorded stream
// into one JSON line per event: event name, severity, body and attributes.
func translateStream(t *testing.T, name string) []byte {
	var buf bytes.Buffer
	for _, recs := range reassemble(parseHeaders(t, readRawLog(t, name))) {
		ev, err := normalize(recs, false)
		require.NoError(t, err)
		lr := plog.NewLogRecord()
		translate(ev, recs, time.Unix(0, 0), translateOptions{}, lr)
		// A smaller bound would regrow the attribute map, costing time, not output.
		assert.LessOrEqual(t, lr.Attributes().Len(), attrCapacity(ev, recs), "attrCapacity of sequence %d", ev.Sequence)
		line, err := json.Marshal(map[string]any{
			"event_name": lr.EventName(),
			"severity":   lr.SeverityText(),
			"body":       lr.Body().Str(),
			"timestamp":  lr.Timestamp().AsTime().UnixNano(),
			"attributes": lr.Attributes().AsRaw(),
		})
		require.NoError(t, err)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}
