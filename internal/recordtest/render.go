//go:build !windows

package recordtest

import (
	"encoding/json"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

// Render is one JSON line of everything a log record holds but its observed
// time, which differs from run to run: the form in which tests compare
// translated events.
func Render(tb testing.TB, lr plog.LogRecord) []byte {
	tb.Helper()
	b, err := json.Marshal(map[string]any{
		"event_name": lr.EventName(),
		"severity":   lr.SeverityText(),
		"body":       lr.Body().Str(),
		"timestamp":  lr.Timestamp().AsTime().UnixNano(),
		"attributes": lr.Attributes().AsRaw(),
	})
	if err != nil {
		tb.Fatalf("render log record: %v", err)
	}
	return b
}
