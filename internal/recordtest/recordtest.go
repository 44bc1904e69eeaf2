//go:build !windows

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

	"github.com/auditkernel/auditkernel/internal/reassembly"
	"github.com/auditkernel/auditkernel/internal/record"
)

// Dir is testdata/raw of the repository.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "raw")
}

// Records reads a recorded stream of "type=NAME msg=audit(...): ..." lines
// (name is a file of testdata/raw), keeping the records of the types the
// kernel receiver keeps (record.IsEvent).
func Records(tb testing.TB, name string) []*record.Record {
	tb.Helper()
	var recs []*record.Record
	for _, rec := range lines(tb, name) {
		if record.IsEvent(rec.Type) {
			recs = append(recs, rec)
		}
	}
	return recs
}

// lines parses every line of a recorded stream with record.ParseLine.
func lines(tb testing.TB, name string) []*record.Record {
	tb.Helper()
	return ParseFile(tb, filepath.Join(Dir(), name))
}

// ParseFile parses every line of a file in auditd's log format (a recorded
// stream, or an auditd log with node= and ENRICHED names) with
// record.ParseLine.
func ParseFile(tb testing.TB, path string) []*record.Record {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var recs []*record.Record
	scanner := bufio.NewScanner(f)
	scanner.Buffer(nil, 1<<20)
	for n := 1; scanner.Scan(); n++ {
		rec, err := record.ParseLine(scanner.Bytes())
		if err != nil {
			tb.Fatalf("%s:%d: %v", path, n, err)
		}
		recs = append(recs, rec)
	}
	if err := scanner.Err(); err != nil {
		tb.Fatal(err)
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

// Events reads and reassembles a recorded stream.
func Events(tb testing.TB, name string) [][]*record.Record {
	tb.Helper()
	return Reassemble(Records(tb, name))
}

// collector gathers what a reassembly.Reassembler hands out.
type collector struct{ events [][]*record.Record }

func (c *collector) Event(recs []*record.Record, _ bool) { c.events = append(c.events, recs) }
func (*collector) Retired(uint32)                        {}
