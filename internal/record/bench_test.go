//go:build !windows

package record

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// benchLines are the records of mixed.log, with their payloads as the bytes
// a socket read gives.
func benchLines(b *testing.B) ([]rawLine, [][]byte) {
	lines := readRawLines(b, filepath.Join(rawDir, "mixed.log"))
	data := make([][]byte, len(lines))
	for i, l := range lines {
		data[i] = []byte(l.data)
	}
	return lines, data
}

// BenchmarkParse parses every record of mixed.log, header and fields; an
// op is the whole file.
func BenchmarkParse(b *testing.B) {
	lines, data := benchLines(b)
	perRecord(b, len(lines), func() {
		for i, l := range lines {
			r, err := ParseHeader(l.typ, data[i])
			if err != nil {
				b.Fatal(err)
			}
			r.ParseFields()
		}
	})
}

// BenchmarkParsePooled is BenchmarkParse with every record released after
// parsing, as the receiver does after each batch, so that ParseHeader reuses
// the record and its field storage.
func BenchmarkParsePooled(b *testing.B) {
	lines, data := benchLines(b)
	recs := make([]*Record, 1)
	perRecord(b, len(lines), func() {
		for i, l := range lines {
			r, err := ParseHeader(l.typ, data[i])
			if err != nil {
				b.Fatal(err)
			}
			r.ParseFields()
			recs[0] = r
			Release(recs)
		}
	})
}

// BenchmarkParseLibaudit is BenchmarkParse done by auparse, for reference.
func BenchmarkParseLibaudit(b *testing.B) {
	lines, data := benchLines(b)
	perRecord(b, len(lines), func() {
		for i, l := range lines {
			// The string conversion is part of the cost: the receiver gets
			// bytes from the socket.
			msg, err := auparse.Parse(l.typ, string(data[i]))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := msg.Data(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// perRecord runs parseAll, which parses n records, b.N times and reports the
// time and allocations per record.
func perRecord(b *testing.B, n int, parseAll func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		parseAll()
	}
	runtime.ReadMemStats(&after)
	records := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/records, "B/record")
}
