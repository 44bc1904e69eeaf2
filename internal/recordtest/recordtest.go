//go:build linux

// Package recordtest reads the recorded streams of testdata/raw for the
// tests of several packages, as the kernel receiver would have read them.
package recordtest // import "github.com/auditkernel/auditkernel/internal/recordtest"

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"

	"github.com/auditkernel/auditkernel/internal/reassembly"
	"github.com/auditkernel/auditkernel/internal/record"
)

// Dir is testdata/raw of the repository.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "raw")
}

// Messages reads a recorded stream of "type=NAME msg=audit(...): ..." lines
// (name is a file of testdata/raw) with record.ParseLine into netlink
// messages as the kernel sends them.
func Messages(tb testing.TB, name string) []*libaudit.RawAuditMessage {
	tb.Helper()
	f, err := os.Open(filepath.Join(Dir(), name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var msgs []*libaudit.RawAuditMessage
	scanner := bufio.NewScanner(f)
	scanner.Buffer(nil, 1<<20)
	for n := 1; scanner.Scan(); n++ {
		rec, err := record.ParseLine(scanner.Bytes())
		if err != nil {
			tb.Fatalf("%s:%d: %v", name, n, err)
		}
		msgs = append(msgs, &libaudit.RawAuditMessage{Type: rec.Type, Data: []byte(rec.Raw)})
	}
	if err := scanner.Err(); err != nil {
		tb.Fatal(err)
	}
	return msgs
}

// Headers parses the headers of the messages that carry records, as the
// kernel receiver's reader does.
func Headers(tb testing.TB, msgs []*libaudit.RawAuditMessage) []*record.Record {
	recs := make([]*record.Record, 0, len(msgs))
	for _, m := range msgs {
		if !record.IsEvent(m.Type) {
			continue
		}
		rec, err := record.ParseHeader(m.Type, m.Data)
		if err != nil {
			tb.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// Reassemble groups records into events as the reader does, with the
// receiver's default reassembler settings.
func Reassemble(recs []*record.Record) [][]*record.Record {
	var out collector
	r := reassembly.New(50, 2*time.Second, &out)
	now := time.Now()
	for _, rec := range recs {
		r.Push(rec, now)
	}
	r.Close()
	return out.events
}

// Events reads, parses and reassembles a recorded stream.
func Events(tb testing.TB, name string) [][]*record.Record {
	tb.Helper()
	return Reassemble(Headers(tb, Messages(tb, name)))
}

// collector gathers what a reassembly.Reassembler hands out.
type collector struct{ events [][]*record.Record }

func (c *collector) Event(recs []*record.Record, _ bool) { c.events = append(c.events, recs) }
func (*collector) Retired(uint32)                        {}
