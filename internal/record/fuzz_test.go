//go:build !windows

package record

import (
	"testing"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// FuzzParseDifferential checks that ParseHeader and ParseFields agree with
// auparse on any record. It is seeded with the recorded streams and the
// hand-written cases; regressions are in testdata/fuzz/FuzzParseDifferential.
func FuzzParseDifferential(f *testing.F) {
	for _, l := range allRawLines(f) {
		f.Add(uint16(l.typ), l.data)
	}
	for _, c := range cases {
		f.Add(uint16(c.typ), c.data)
	}
	f.Fuzz(func(t *testing.T, typ uint16, data string) {
		checkSame(t, auparse.AuditMessageType(typ), data)
	})
}
