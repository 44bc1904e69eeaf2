//go:build !windows

package auditlogreceiver // import "github.com/auditkernel/auditkernel/receiver/auditlogreceiver"

import (
	"bytes"
	"context"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/record"
)

// inFlightKey is where Shutdown keeps, in the storage extension, the records
// of the events still being reassembled. Their lines count as read, so
// without this the next run would read the rest of such an event alone and
// the event would come out in two parts.
const inFlightKey = "auditlog.in_flight"

// keepInFlight stores the records of the incomplete events among ready and
// returns the events to emit now: all of them when there is no storage or
// it fails.
func (r *auditLogReceiver) keepInFlight(ctx context.Context, ready []readyEvent) []readyEvent {
	if r.storage == nil {
		return ready
	}
	var emit []readyEvent
	var lines bytes.Buffer
	kept := 0
	for _, e := range ready {
		if e.complete {
			emit = append(emit, e)
			continue
		}
		kept++
		for _, rec := range e.recs {
			lines.Write(logLine(rec))
			lines.WriteByte('\n')
		}
	}
	if kept == 0 {
		return ready
	}
	if err := r.storage.Set(ctx, inFlightKey, lines.Bytes()); err != nil {
		r.set.Logger.Warn("cannot keep the events being reassembled for the next run; they are emitted incomplete", zap.Int("events", kept), zap.Error(err))
		return ready
	}
	r.set.Logger.Info("kept the events being reassembled for the next run", zap.Int("events", kept))
	return emit
}

// loadInFlight pushes the records a previous run kept into the
// reassemblers, ahead of the lines still to be read.
func (r *auditLogReceiver) loadInFlight(ctx context.Context) error {
	data, err := r.storage.Get(ctx, inFlightKey)
	if err != nil || len(data) == 0 {
		return err
	}
	now := time.Now()
	r.mu.Lock()
	for line := range bytes.Lines(data) {
		// The lines were written by logLine: they parse.
		if rec, _ := record.ParseLine(line); rec != nil {
			r.stream(rec.Node).reassembler.Push(rec, now)
		}
	}
	r.mu.Unlock()
	return r.storage.Delete(ctx, inFlightKey)
}

// logLine writes rec back as the auditd log line that ParseLine reads as
// the same record: node, type, payload and the ENRICHED names.
func logLine(rec *record.Record) []byte {
	var b []byte
	if rec.Node != "" {
		b = append(append(append(b, "node="...), rec.Node...), ' ')
	}
	b = append(append(append(append(b, "type="...), rec.Type.String()...), " msg="...), rec.Raw...)
	for i, f := range rec.Enriched {
		if i == 0 {
			b = append(b, 0x1d)
		} else {
			b = append(b, ' ')
		}
		b = append(append(b, f.Key...), '=')
		switch {
		case !strings.Contains(f.Value, `"`):
			b = append(append(append(b, '"'), f.Value...), '"')
		case !strings.Contains(f.Value, "}"):
			b = append(append(append(b, "{ "...), f.Value...), " }"...)
		default: // neither quotes nor braces can hold it; auditd writes none such
			b = append(b, `""`...)
		}
	}
	return b
}
