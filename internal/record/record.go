//go:build !windows

// Package record parses the text of one kernel audit record: the header
// (timestamp, sequence) and the interpreted key=value fields, as go-libaudit's
// auparse does, without its regular expression and maps.
package record // import "github.com/auditkernel/auditkernel/internal/record"

import (
	"time"
	"unsafe"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// Field is one interpreted key=value pair of a record.
type Field struct {
	Key   string
	Value string
}

// Record is one audit record. Header fields are set by ParseHeader (or
// ParseLine); the fields (NumFields, Field), Tags and Err by ParseFields.
type Record struct {
	Type      auparse.AuditMessageType
	Timestamp time.Time
	Sequence  uint32
	// Raw is the record's text after the netlink header, trimmed of
	// surrounding space: auparse's AuditMessage.RawData.
	Raw string
	// Tags are the rule keys, auparse's AuditMessage.Tags().
	Tags []string
	// Err is auparse's AuditMessage.Data() error, with the same text.
	Err error
	// ValidUTF8 is set by ParseFields when every value of the fields and every
	// Tag is known to be valid UTF-8; when it is false, check each.
	ValidUTF8 bool
	// Node is the node= prefix of an auditd log line (ParseLine): the host
	// that recorded it. Empty for kernel records and lines without one.
	Node string
	// Enriched holds the names that auditd's log_format = ENRICHED appends
	// to a line (ParseLine), as written: upper-case keys (UID, AUID,
	// SYSCALL, OUID, ...) and their translations ("root", openat, ...).
	// They are side values: ParseFields does not read them.
	Enriched []Field

	// offset is where the text that ParseFields reads starts in Raw, -1
	// when the header is not followed by ':' or ' '. Like auparse's, it is
	// measured from the header's closing ')' but applied from the start of
	// Raw, so for a normal record that text starts at Raw's second byte.
	offset int
	// skip is the length of the start of that text that cannot hold a
	// key=value pair, the rest of the header, which need not be scanned.
	skip   int
	parsed bool      // ParseFields has run
	tag    [1]string // holds Tags when there is one, saving an allocation
	// fields holds auparse's AuditMessage.Data() (unique keys, values
	// interpreted) as references into text and store.made; empty when Err
	// is set. See ref.
	fields []pair
	// text is the record text that ParseFields read: Raw's, or a rewrite of
	// it (normalize).
	text string
	// store holds the storage of fields, taken from the free list by
	// ParseFields (or SetFields) and handed back by Release.
	store *fieldStore
}

// NumFields returns how many fields ParseFields found.
func (r *Record) NumFields() int { return len(r.fields) }

// Field returns field i, 0 <= i < NumFields(). The fields are in the order
// of the text, followed by those that interpretation added.
func (r *Record) Field(i int) Field {
	p := r.fields[i]
	return Field{r.str(p.key), r.str(p.value)}
}

// Key returns the key of field i.
func (r *Record) Key(i int) string { return r.str(r.fields[i].key) }

// AppendFields appends the fields to dst and returns the result.
func (r *Record) AppendFields(dst []Field) []Field {
	for i := range r.fields {
		dst = append(dst, r.Field(i))
	}
	return dst
}

// Get returns the value of key and whether the record has it.
func (r *Record) Get(key string) (string, bool) {
	for _, p := range r.fields {
		if r.str(p.key) == key {
			return r.str(p.value), true
		}
	}
	return "", false
}

// SetFields makes fields the record's fields, as if ParseFields had found
// them, for a record built from another parser's output: ParseFields will
// not run on it. fields must have unique, non-empty keys.
func (r *Record) SetFields(fields []Field) {
	r.parsed = true
	if r.store == nil {
		r.store = newStore()
	}
	fs := fieldSet{st: r.store}
	r.fields = r.store.pairs[:0]
	for _, f := range fields {
		r.fields = append(r.fields, pair{fs.ref(f.Key), fs.ref(f.Value)})
	}
	r.store.pairs = r.fields
	r.fields = r.fields[:len(r.fields):len(r.fields)]
}

// str returns the string x refers to.
func (r *Record) str(x ref) string {
	if x.n&madeRef != 0 {
		return r.store.made[x.off]
	}
	return piece(r.text, x)
}

// piece returns text[x.off:x.off+x.n] without the two bounds checks, which
// took ~4 of the ~10 instructions of every key or value read: a text ref is
// made only of a piece of the same text, which never changes.
func piece(text string, x ref) string {
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(text)), x.off)), x.n)
}

// A ref is where a record keeps a string of its fields: text[off:off+n], or
// store.made[off] when n has madeRef set. Most keys and values are pieces of
// the record's text; what interpretation makes (decoded hex, names of
// numbers, constants) is kept apart. Fields held as strings cost a GC write
// barrier on every key and value written, copied or cleared while the GC
// marks: ~10k instructions per event at GOGC=400 and ~18k at GOGC=100 on the
// userspace path went to the field storage's barriers (callgrind, recorded
// mixed stream). A pair of refs holds no pointer, so neither writing it nor
// reusing its storage involves the GC; reading a string back costs a few
// instructions more than loading it. Net: -5% instructions per event at
// GOGC=400, -4.6% at GOGC=100, +4% with the GC off (bench/RESULTS.md §17).
type ref struct{ off, n uint32 }

// madeRef marks a ref to store.made.
const madeRef = 1 << 31

// pair is a field as two refs.
type pair struct{ key, value ref }

// Index returns the position of key in fields, or -1. A linear scan:
// records and events have a few dozen fields at most.
func Index(fields []Field, key string) int {
	for i := range fields {
		if fields[i].Key == key {
			return i
		}
	}
	return -1
}

// Lookup returns the value of key in fields and whether it is there.
func Lookup(fields []Field, key string) (string, bool) {
	if i := Index(fields, key); i >= 0 {
		return fields[i].Value, true
	}
	return "", false
}
