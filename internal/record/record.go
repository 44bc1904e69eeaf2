//go:build !windows

// Package record parses the text of one kernel audit record: the header
// (timestamp, sequence) and the interpreted key=value fields, as go-libaudit's
// auparse does, without its regular expression and maps.
package record // import "github.com/auditkernel/auditkernel/internal/record"

import (
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// Field is one interpreted key=value pair of a record.
type Field struct {
	Key   string
	Value string
}

// Record is one audit record. Header fields are set by ParseHeader (or
// ParseLine); Fields, Tags and Err by ParseFields.
type Record struct {
	Type      auparse.AuditMessageType
	Timestamp time.Time
	Sequence  uint32
	// Raw is the record's text after the netlink header, trimmed of
	// surrounding space: auparse's AuditMessage.RawData.
	Raw string
	// Fields holds auparse's AuditMessage.Data() as a slice: unique keys,
	// values interpreted. Nil when Err is set.
	Fields []Field
	// Tags are the rule keys, auparse's AuditMessage.Tags().
	Tags []string
	// Err is auparse's AuditMessage.Data() error, with the same text.
	Err error
	// ValidUTF8 is set by ParseFields when every value in Fields and every
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
	// store holds Fields' storage, taken from the free list by ParseFields
	// and handed back by Release.
	store *fieldStore
}

// Get returns the value of key and whether the record has it.
func (r *Record) Get(key string) (string, bool) {
	return Lookup(r.Fields, key)
}

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
