//go:build !windows

package record

import (
	"runtime"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// parseAndRelease parses a record and releases it, poisoned, so that the
// next ParseHeader on this goroutine most likely reuses its storage. It
// returns the released record, for checking that it was reused.
func parseAndRelease(typ auparse.AuditMessageType, data string) *Record {
	r, err := ParseHeader(typ, []byte(data))
	if err != nil {
		return nil
	}
	r.ParseFields()
	Release([]*Record{r})
	return r
}

// TestReleaseReuse parses every recorded record right after releasing the
// one before it, poisoned: a reused record must parse exactly as auparse
// does, whatever storage it inherits (more fields, fewer fields, tags, an
// error).
func TestReleaseReuse(t *testing.T) {
	defer SetPoisonOnRelease(SetPoisonOnRelease(true))
	lines := allRawLines(t)
	reused := 0
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		// Counts how often the pool hands the released record back.
		prev := parseAndRelease(lines[i-1].typ, lines[i-1].data)
		if r, err := ParseHeader(l.typ, []byte(l.data)); err == nil {
			if r == prev {
				reused++
			}
			Release([]*Record{r})
		}
		// The check proper: line i parsed into line i-1's storage.
		parseAndRelease(lines[i-1].typ, lines[i-1].data)
		checkSame(t, l.typ, l.data)
	}
	// sync.Pool may drop what it is given (under -race it drops a quarter on
	// purpose), but most parses must have reused a record, or this test
	// proves nothing.
	if reused < len(lines)/2 {
		t.Fatalf("only %d of %d parses reused the record released before", reused, len(lines)-1)
	}
}

// TestReleasePoisons checks that a released record reads as garbage, which is
// what the lifetime tests of the callers rely on, and that Release clears the
// slice it is given.
func TestReleasePoisons(t *testing.T) {
	defer SetPoisonOnRelease(SetPoisonOnRelease(true))
	r, err := ParseHeader(auparse.AUDIT_SYSCALL, []byte(`audit(1.000:7): arch=c000003e syscall=2 success=yes exit=3 pid=1 exe="/bin/x" key="k"`))
	if err != nil {
		t.Fatal(err)
	}
	r.ParseFields()
	// Fields are read through the record: what AppendFields gave is a copy.
	n, tags := r.NumFields(), r.Tags
	if n == 0 || len(tags) != 1 || tags[0] != "k" {
		t.Fatalf("unexpected parse: %v %v", r.AppendFields(nil), tags)
	}
	recs := []*Record{r}
	Release(recs)
	if recs[0] != nil {
		t.Error("Release left the record in the slice")
	}
	if r.NumFields() != n {
		t.Fatalf("released record has %d fields, had %d", r.NumFields(), n)
	}
	for i := range n {
		if f := r.Field(i); f.Key != Poison || f.Value != Poison {
			t.Errorf("released field %q=%q not poisoned", f.Key, f.Value)
		}
	}
	for _, f := range r.AppendFields(nil) {
		if f.Key != Poison || f.Value != Poison {
			t.Errorf("released field %q=%q not poisoned by AppendFields", f.Key, f.Value)
		}
	}
	if tags[0] != Poison {
		t.Errorf("released tag %q not poisoned", tags[0])
	}
}

// FuzzPooledParse parses record b right after record a was parsed and
// released (poisoned), and checks b against auparse: reuse must not leak
// anything of a into b.
func FuzzPooledParse(f *testing.F) {
	lines := allRawLines(f)
	for i := 1; i < len(lines); i += 7 {
		f.Add(uint16(lines[i-1].typ), lines[i-1].data, uint16(lines[i].typ), lines[i].data)
	}
	for i := 1; i < len(cases); i++ {
		f.Add(uint16(cases[i-1].typ), cases[i-1].data, uint16(cases[i].typ), cases[i].data)
	}
	f.Fuzz(func(t *testing.T, typA uint16, a string, typB uint16, b string) {
		defer SetPoisonOnRelease(SetPoisonOnRelease(true))
		if _, panicked := reference(auparse.AuditMessageType(typA), a); panicked {
			t.Skip("auparse panics on a")
		}
		parseAndRelease(auparse.AuditMessageType(typA), a)
		checkSame(t, auparse.AuditMessageType(typB), b)
	})
}

// TestReleaseClears parses every recorded record in turn, each most likely
// into the storage of the one before, and checks that Release leaves the
// whole capacity of the storage it pools cleared, although it clears only
// the part in use: pooled storage must keep no record text alive (poison,
// which earlier tests may have left, is none). Only made holds strings: the
// pairs are offsets.
func TestReleaseClears(t *testing.T) {
	for _, l := range allRawLines(t) {
		r, err := ParseHeader(l.typ, []byte(l.data))
		if err != nil {
			continue
		}
		r.ParseFields()
		s := r.store
		Release([]*Record{r})
		if s == nil {
			continue
		}
		for i, m := range s.made[:cap(s.made)] {
			if m != "" && m != Poison {
				t.Fatalf("after %q: pooled string %d holds %q", l.data, i, m)
			}
		}
	}
}

// TestFreeListsTrimmedAtGC checks that released records and their field
// storage that stay unused go back to the GC, as from a sync.Pool: the free
// lists are empty after a few GC cycles with nothing parsed.
func TestFreeListsTrimmedAtGC(t *testing.T) {
	r, err := ParseHeader(auparse.AUDIT_SYSCALL, []byte(`audit(1.000:7): arch=c000003e syscall=2 success=yes`))
	if err != nil {
		t.Fatal(err)
	}
	r.ParseFields()
	Release([]*Record{r})
	for deadline := time.Now().Add(10 * time.Second); ; {
		runtime.GC()
		free.Lock()
		n := free.recs.Len() + free.stores.Len()
		free.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries still free after GC cycles", n)
		}
		time.Sleep(time.Millisecond)
	}
}
