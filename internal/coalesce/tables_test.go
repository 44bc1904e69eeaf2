//go:build !windows

package coalesce

import (
	"fmt"
	"slices"
	"testing"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
)

// TestNormalizationTables fails if the go:linkname'd tables are missing: an
// upgrade of go-libaudit that renames or restructures aucoalesce's
// syscallNorms or recordTypeNorms leaves them empty.
func TestNormalizationTables(t *testing.T) {
	if len(syscallNorms) == 0 || len(recordTypeNorms) == 0 {
		t.Fatalf("go-libaudit's normalization tables are empty (syscallNorms: %d, recordTypeNorms: %d); "+
			"check the go:linkname declarations in tables.go against aucoalesce/normalize.go",
			len(syscallNorms), len(recordTypeNorms))
	}
	if defaultSyscallNorm == nil {
		t.Fatal(`syscallNorms has no catch-all "*" entry`)
	}
	if n := syscallNorms["connect"]; n == nil || n.ObjectWhat != "socket" {
		t.Errorf("syscallNorms[connect] = %+v, want a socket normalization", n)
	}
	if n := len(recordTypeNorms["AVC"]); n < 2 {
		t.Errorf("recordTypeNorms[AVC] has %d entries, want several chosen by has_fields", n)
	}
}

// TestTypeNorms checks that typeNorms finds, for every message type, what
// aucoalesce finds by the type's name.
func TestTypeNorms(t *testing.T) {
	found := 0
	for i := range 1 << 16 {
		typ := auparse.AuditMessageType(i)
		want := recordTypeNorms[typ.String()]
		if got := typeNorms[typ]; !slices.Equal(got, want) {
			t.Errorf("%v: got %v, want %v", typ, got, want)
		}
		if want != nil {
			found++
		}
	}
	if found != len(typeNorms) || found == 0 {
		t.Errorf("%d types have normalizations, typeNorms has %d", found, len(typeNorms))
	}
}

// TestMissingKeys checks the warnings of normalizations outside the tables,
// which are built on demand.
func TestMissingKeys(t *testing.T) {
	n := &aucoalesce.Normalization{How: aucoalesce.Strings{Values: []string{"a", "b"}}}
	if got, want := missingKeys(n, how).Error(), "failed to set how using keys=[a b] because they were not found"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for n, ws := range missingKeyWarnings {
		if len(n.SourceIP.Values) == 0 {
			continue
		}
		if got, want := ws[sourceIP].Error(), fmt.Sprintf("failed to set source IP using keys=%v because they were not found", n.SourceIP.Values); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
