//go:build !windows

// Package coalesce combines the parsed records of one audit event into an
// Event: what aucoalesce.CoalesceMessages produces for the same records,
// ECS fields included, with slices of fields in place of its maps. It
// works on record.Record fields that are already parsed, so nothing goes
// through go-libaudit's regexp parser.
package coalesce // import "github.com/auditkernel/auditkernel/internal/coalesce"

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"

	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// Errors and warnings with fixed texts, shared because errors are immutable.
// The texts are aucoalesce's.
var (
	errEmpty           = errors.New("messages is empty")
	errNoSyscall       = errors.New("missing syscall message in compound event")
	errNoNormalization = errors.New("no normalization found for event")
	errSockaddrSyscall = errors.New("failed to add SOCKADDR data because syscall is unknown")
	errNoArgc          = errors.New("argc key not found in EXECVE message")
)

// Coalesce combines the records of one event, in the order received, into a
// single event, as aucoalesce.CoalesceMessages does for the equivalent
// auparse messages: same event, same warnings, same error, except that the
// maps are slices (see Event). A trailing EOE record
// is ignored. It returns an error if no records remain, or if there are
// several and none is a SYSCALL.
//
// Coalesce does not modify recs. The event's Paths are the PATH records and
// its Tags the subject record's Tags, as in aucoalesce, so they must be
// treated as read-only; its other slices belong to the event. Its
// Net may be shared between events and must not be modified. Warnings may
// hold error values shared between events.
func Coalesce(recs []*record.Record) (*Event, error) {
	if n := len(recs); n > 0 && recs[n-1].Type == auparse.AUDIT_EOE {
		recs = recs[:n-1]
	}

	var ev *Event
	switch len(recs) {
	case 0:
		return nil, errEmpty
	case 1:
		ev = newEvent(recs[0], recs[0], 0)
	default:
		var err error
		if ev, err = coalesceCompound(recs); err != nil {
			return nil, err
		}
	}

	normalize(ev)
	addProcess(ev)
	return ev, nil
}

// coalesceCompound takes the event's header from the first record and its
// subject from the first SYSCALL record, then merges in every record.
func coalesceCompound(recs []*record.Record) (*Event, error) {
	var syscall *record.Record
	for _, r := range recs {
		if r.Type == auparse.AUDIT_SYSCALL {
			syscall = r
			break
		}
	}
	if syscall == nil {
		return nil, errNoSyscall
	}

	// Size Data for the fields the other records may add, so that it never
	// grows, and Paths.
	extra, nPaths := 0, 0
	for _, r := range recs {
		switch r.Type {
		case auparse.AUDIT_SYSCALL:
		case auparse.AUDIT_PATH:
			if r.Err == nil {
				nPaths++
			}
		case auparse.AUDIT_EXECVE:
			extra++
		default:
			extra += r.NumFields()
		}
	}

	// The first record is the event's header even when it is not the
	// SYSCALL (e.g. an AVC that precedes it).
	ev := newEvent(recs[0], syscall, extra)
	if nPaths > 0 {
		ev.Paths = ev.takePaths(nPaths)
	}
	for _, r := range recs {
		switch r.Type {
		case auparse.AUDIT_SYSCALL:
			if i := record.Index(ev.Data, "items"); i >= 0 {
				ev.Data = remove(ev.Data, i)
			}
		case auparse.AUDIT_PATH:
			addPath(ev, r)
		case auparse.AUDIT_SOCKADDR:
			addSockaddr(ev, r)
		case auparse.AUDIT_EXECVE:
			addExecve(ev, r)
		default:
			addFields(ev, r)
		}
	}
	return ev, nil
}

// newEvent creates the event with head's header and the subject fields of
// subj: result, ses, ids (keys ending in uid or gid) and SELinux labels
// (subj_ keys) go to their own fields, the rest to Data. extra is the most
// Data entries other records can add.
func newEvent(head, subj *record.Record, extra int) *Event {
	ev := getEvent() // zeroed: assigning a whole aucoalesce.Event would zero it again
	ev.Timestamp = head.Timestamp
	ev.Sequence = head.Sequence
	ev.Category = aucoalesce.GetAuditEventType(head.Type)
	ev.Type = head.Type
	if subj.Err != nil {
		ev.Data = ev.takeFields(extra)[:0:extra]
		ev.Warnings = append(ev.Warnings, subj.Err)
		return ev
	}

	// Classify and count first, to carve Data, IDs, room for ResolveIDs'
	// Names (see ResolveIDs) and SubjectSELinux out of one allocation.
	// Keeping each field's class for the second pass, and filling the
	// slices by index there, took 360 instructions per event off
	// parse_normalize rather than classifying twice and appending
	// (callgrind); either change alone measured no better.
	var small [64]subjectClass // a SYSCALL record has about 30 fields
	classes := small[:]
	if subj.NumFields() > len(small) {
		classes = make([]subjectClass, subj.NumFields())
	}
	classes = classes[:subj.NumFields()]
	nData, nIDs, nLabels := extra, 0, 0
	for i := range classes {
		switch k := subj.Key(i); {
		case k == "result":
			classes[i] = resultField
		case k == "ses":
			classes[i] = sesField
		case schema.IsID(k):
			classes[i] = idField
			nIDs++
		case strings.HasPrefix(k, "subj_"):
			classes[i] = labelField
			nLabels++
		default:
			classes[i] = dataField
			nData++
		}
	}
	buf := ev.takeFields(nData + 2*nIDs + nLabels)

	// Data, IDs and SubjectSELinux are filled in place, through their
	// next indexes in buf. Record keys are unique, so each field is added
	// without a lookup.
	d, id, label := 0, nData, nData+2*nIDs
	ev.Result = "unknown"
	for i, c := range classes {
		f := subj.Field(i)
		switch c {
		case resultField:
			ev.Result = f.Value
		case sesField:
			ev.Session = f.Value
		case idField:
			switch f.Key {
			case "auid":
				ev.Summary.Actor.Primary = f.Value
			case "uid":
				ev.Summary.Actor.Secondary = f.Value
			}
			buf[id] = f
			id++
		case labelField:
			buf[label] = record.Field{Key: f.Key[len("subj_"):], Value: f.Value}
			label++
		default:
			buf[d] = f
			d++
		}
	}
	// The three-index slices keep an append to one from overwriting the
	// next.
	ev.Data = buf[:d:nData]
	if nIDs > 0 {
		ev.IDs = buf[nData : id : nData+2*nIDs]
	}
	if nLabels > 0 {
		ev.SubjectSELinux = buf[nData+2*nIDs : label]
	}
	ev.Tags = subj.Tags
	return ev
}

// subjectClass is where newEvent puts a subject field.
type subjectClass uint8

const (
	dataField   subjectClass = iota // Data
	idField                         // IDs: keys ending in uid or gid
	labelField                      // SubjectSELinux: subj_ keys
	resultField                     // Result
	sesField                        // Session
)

// addPath appends the PATH record to Paths.
func addPath(ev *Event, r *record.Record) {
	if r.Err != nil {
		ev.Warnings = append(ev.Warnings, fmt.Errorf("failed to parse PATH message: %w", r.Err))
		return
	}
	ev.Paths = append(ev.Paths, r)
}

// Directions shared by all events, saving an allocation per socket event.
var (
	incoming = &aucoalesce.Network{Direction: aucoalesce.IncomingDir}
	outgoing = &aucoalesce.Network{Direction: aucoalesce.OutgoingDir}
)

// addSockaddr adds the SOCKADDR fields to Data with a socket_ prefix and, for
// syscalls with a clear direction, sets Source or Dest and Net.
func addSockaddr(ev *Event, r *record.Record) {
	if r.Err != nil {
		ev.Warnings = append(ev.Warnings, fmt.Errorf("failed to parse SOCKADDR message: %w", r.Err))
		return
	}
	syscall, found := record.Lookup(ev.Data, "syscall")
	if !found {
		ev.Warnings = append(ev.Warnings, errSockaddrSyscall)
		return
	}

	var ip, port, path string
	for i := range r.NumFields() {
		f := r.Field(i)
		ev.set(socketKey(f.Key), f.Value)
		switch f.Key {
		case "addr":
			ip = f.Value
		case "port":
			port = f.Value
		case "path":
			path = f.Value
		}
	}

	var addr **aucoalesce.Address
	switch syscall {
	case "recvfrom", "recvmsg", "accept", "accept4":
		addr = &ev.Source
		ev.Net = incoming
	case "connect", "sendto", "sendmsg":
		addr = &ev.Dest
		ev.Net = outgoing
	default:
		// bind, listen, getpeername, getsockname: no clear direction.
		return
	}
	if ip != "" || port != "" || path != "" {
		*addr = &aucoalesce.Address{IP: ip, Port: port, Path: path}
	}
}

// socketKey returns "socket_"+key without allocating for the keys auparse's
// sockaddr decoding produces.
func socketKey(key string) string {
	switch key {
	case "family":
		return "socket_family"
	case "addr":
		return "socket_addr"
	case "port":
		return "socket_port"
	case "path":
		return "socket_path"
	case "saddr":
		return "socket_saddr"
	case "flow":
		return "socket_flow"
	}
	return "socket_" + key
}

// addExecve sets argc in Data and Process.Args from a0..a(argc-1).
func addExecve(ev *Event, r *record.Record) {
	if r.Err != nil {
		ev.Warnings = append(ev.Warnings, fmt.Errorf("failed to parse EXECVE message: %w", r.Err))
		return
	}
	argc, found := r.Get("argc")
	if !found {
		ev.Warnings = append(ev.Warnings, errNoArgc)
		return
	}
	ev.set("argc", argc)

	count, err := strconv.ParseUint(argc, 10, 32)
	if err != nil {
		ev.Warnings = append(ev.Warnings, fmt.Errorf("failed to convert argc='%v' to number: %w", argc, err))
		return
	}
	if count == 0 {
		ev.Process.Args = nil
		return
	}

	// Keys are unique, so count args filled means none is missing. There
	// cannot be count args if count exceeds the number of fields.
	if count < uint64(r.NumFields()) {
		args := make([]string, count)
		filled := uint64(0)
		for j := range r.NumFields() {
			if i, ok := argIndex(r.Key(j)); ok && i < count {
				args[i] = r.Field(j).Value
				filled++
			}
		}
		if filled == count {
			ev.Process.Args = args
			return
		}
	}
	ev.Warnings = append(ev.Warnings, fmt.Errorf("failed to find arg a%d", firstMissingArg(r, count)))
}

// firstMissingArg returns the lowest index below count that has no aN field;
// the caller knows there is one. With f fields there are at most f-1 args, so
// one of 0..f is missing and larger indexes need not be tracked.
func firstMissingArg(r *record.Record, count uint64) uint64 {
	seen := make([]bool, min(count, uint64(r.NumFields())+1))
	for j := range r.NumFields() {
		if i, ok := argIndex(r.Key(j)); ok && i < uint64(len(seen)) {
			seen[i] = true
		}
	}
	i := 0
	for i < len(seen) && seen[i] {
		i++
	}
	return uint64(i)
}

// argIndex parses key as "a" followed by the decimal index in the form
// strconv.Itoa writes it (no sign, no leading zeros).
func argIndex(key string) (uint64, bool) {
	if len(key) < 2 || len(key) > 11 || key[0] != 'a' || (key[1] == '0' && len(key) > 2) {
		return 0, false
	}
	var n uint64
	for i := 1; i < len(key); i++ {
		c := key[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// addFields adds the record's fields to Data; keys already there are kept and
// reported as duplicates.
func addFields(ev *Event, r *record.Record) {
	if r.Err != nil {
		ev.Warnings = append(ev.Warnings, fmt.Errorf("failed to parse message: %w", r.Err))
		return
	}
	if !ev.keys.built {
		for i := range ev.Data {
			ev.keys.add(ev.Data[i].Key)
		}
		ev.keys.built = true
	}
	for i := range r.NumFields() {
		f := r.Field(i)
		if ev.keys.mayHave(f.Key) && record.Index(ev.Data, f.Key) >= 0 {
			ev.Warnings = append(ev.Warnings, fmt.Errorf("duplicate key (%v) from %v message", f.Key, r.Type))
			continue
		}
		ev.keys.add(f.Key)
		ev.Data = append(ev.Data, f)
	}
}

// keyFilter is a Bloom filter with one hash over Data's keys, built by the
// first addFields and kept by every later addition to Data, so that
// addFields scans Data for a duplicate only when the filter may have the
// key. Removing a key from Data leaves its bit set, which costs a scan,
// never a wrong answer. Scanning for every field cost 1,690 more
// instructions per event of parse_normalize (callgrind).
type keyFilter struct {
	bits  [4]uint64
	built bool // bits holds every key of Data
}

// bit hashes key's length, first and last bytes, which tell apart the keys
// of a record that share a length (a0..a3, auid/euid/suid, fp/fi/fe), to
// one of 256 bits.
func (f *keyFilter) bit(key string) (*uint64, uint64) {
	h := uint64(len(key))
	if len(key) > 0 {
		h |= uint64(key[0])<<8 | uint64(key[len(key)-1])<<16
	}
	h = h * 0x9E3779B97F4A7C15 >> 56 // Fibonacci hashing: the top bits mix all of h
	return &f.bits[h>>6], 1 << (h & 63)
}

func (f *keyFilter) add(key string) {
	w, b := f.bit(key)
	*w |= b
}

func (f *keyFilter) mayHave(key string) bool {
	w, b := f.bit(key)
	return *w&b != 0
}

// addProcess moves the process fields out of Data, in one pass rather than
// a lookup per field. It runs after normalization, which may read them from
// Data.
func addProcess(ev *Event) {
	p := &ev.Process
	for i := 0; i < len(ev.Data); {
		var dst *string
		switch ev.Data[i].Key {
		case "pid":
			dst = &p.PID
		case "ppid":
			dst = &p.PPID
		case "proctitle":
			dst = &p.Title
		case "comm":
			dst = &p.Name
		case "exe":
			dst = &p.Exe
		case "cwd":
			dst = &p.CWD
		default:
			i++
			continue
		}
		*dst = ev.Data[i].Value
		ev.Data = remove(ev.Data, i) // moves an unvisited field to i
	}
}

// Data and the other slices of an Event are sets: each key at most once, in
// no particular order. These helpers keep them so, in place of map
// operations; a linear scan is cheaper than hashing at a few dozen keys.

// set gives key the value in Data, in place if Data has key, else appended.
func (ev *Event) set(key, value string) {
	if i := record.Index(ev.Data, key); i >= 0 {
		ev.Data[i].Value = value
		return
	}
	ev.keys.add(key)
	ev.Data = append(ev.Data, record.Field{Key: key, Value: value})
}

// remove deletes fields[i] by moving the last field into its place, since
// order does not matter, and clears the vacated slot.
func remove(fields []record.Field, i int) []record.Field {
	last := len(fields) - 1
	fields[i] = fields[last]
	fields[last] = record.Field{}
	return fields[:last]
}
