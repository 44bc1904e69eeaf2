//go:build !windows

package coalesce

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"

	"github.com/auditkernel/auditkernel/internal/record"
)

// modeBlockDevice is the bit aucoalesce tests for block devices.
const modeBlockDevice = 0o60000

// normalize applies go-libaudit's normalization for the event's syscall and
// record type: the summary (actor, action, object, how), the file object, the
// source address, and the ECS categorization and entity roles (ev.ECS).
func normalize(ev *Event) {
	setHowDefaults(ev)

	var syscallNorm *aucoalesce.Normalization
	if syscall, found := record.Lookup(ev.Data, "syscall"); found {
		var ok bool
		if syscallNorm, ok = syscallNorms[syscall]; !ok {
			syscallNorm = defaultSyscallNorm
		}
	}
	norm := syscallNorm
	if ev.Type != auparse.AUDIT_SYSCALL {
		norm = recordTypeNorm(ev)
	}
	if norm == nil {
		ev.Warnings = append(ev.Warnings, errNoNormalization)
		return
	}

	setCategorization(ev, norm, syscallNorm)
	ev.Summary.Action = norm.Action
	ev.Summary.Object.Type = norm.ObjectWhat
	switch norm.ObjectWhat {
	case "file", "filesystem":
		if len(ev.Paths) > 0 {
			if err := setFileObject(ev, norm.ObjectPathIndex); err != nil {
				ev.Warnings = append(ev.Warnings, fmt.Errorf("failed to set file object: %w", err))
			}
		}
	case "socket":
		setSocketObject(ev)
	}

	// Each summary field takes the first of its keys found.
	lists := keyLists(norm)
	targets := [...]*string{
		subjectPrimary:   &ev.Summary.Actor.Primary,
		subjectSecondary: &ev.Summary.Actor.Secondary,
		objectPrimary:    &ev.Summary.Object.Primary,
		objectSecondary:  &ev.Summary.Object.Secondary,
		how:              &ev.Summary.How,
	}
	for i, target := range targets {
		if keys := lists[i]; len(keys) > 0 {
			if v, found := firstValue(ev, keys); found {
				*target = v
			} else {
				ev.Warnings = append(ev.Warnings, missingKeys(norm, i))
			}
		}
	}
	if keys := lists[sourceIP]; ev.Source == nil && len(keys) > 0 {
		setSourceIP(ev, norm, keys)
	}
	if len(norm.ECS.Mappings) > 0 {
		setEntities(ev, norm)
	}
}

// setCategorization sets the ECS kind, category and type of the record
// type's normalization, extended with the syscall's when the event is not a
// SYSCALL but has one (an AVC or CONFIG_CHANGE inside a syscall), as
// aucoalesce does. The categories stay shared with the tables unless they
// are extended; Event's ECS slices are read-only.
func setCategorization(ev *Event, norm, syscallNorm *aucoalesce.Normalization) {
	e := &ev.ECS.Event
	e.Kind = norm.ECS.Kind
	e.Category = norm.ECS.Category.Values
	e.Type = norm.ECS.Type.Values
	if syscallNorm == nil || syscallNorm == norm {
		return
	}
	e.Category = slices.Concat(e.Category, syscallNorm.ECS.Category.Values)
	e.Type = slices.Concat(e.Type, syscallNorm.ECS.Type.Values)
	if ev.Result == "fail" {
		e.Outcome = "failure"
	}
}

// setEntities fills the ECS user, effective, target, changes and group
// entities through the normalization's own mappings (go-libaudit's
// closures, so their meaning cannot drift from aucoalesce's). A mapping may
// read Data or User.IDs by key, which the embedded event holds as maps, so
// those are built for the mappings' duration: only user-space record types
// (logins, PAM, account changes) have mappings, not the syscall stream.
func setEntities(ev *Event, norm *aucoalesce.Normalization) {
	ev.Event.Data = fieldMap(ev.Data)
	ev.User.IDs = fieldMap(ev.IDs)
	for _, m := range norm.ECS.Mappings {
		if m.To != nil && m.From != nil {
			m.To(&ev.Event, m.From(&ev.Event))
		}
	}
	ev.Event.Data, ev.User.IDs = nil, nil
}

func fieldMap(fields []record.Field) map[string]string {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		m[f.Key] = f.Value
	}
	return m
}

// Indexes of a normalization's key lists, as returned by keyLists.
const (
	subjectPrimary = iota
	subjectSecondary
	objectPrimary
	objectSecondary
	how
	sourceIP
	nKeyLists
)

// keyListNames names the key lists in warnings.
var keyListNames = [nKeyLists]string{
	subjectPrimary:   "subject primary",
	subjectSecondary: "subject secondary",
	objectPrimary:    "object primary",
	objectSecondary:  "object secondary",
	how:              "how",
	sourceIP:         "source IP",
}

// keyLists returns the lists of keys that norm takes summary fields from.
func keyLists(norm *aucoalesce.Normalization) [nKeyLists][]string {
	return [nKeyLists][]string{
		subjectPrimary:   norm.SubjectPrimaryFieldName.Values,
		subjectSecondary: norm.SubjectSecondaryFieldName.Values,
		objectPrimary:    norm.ObjectPrimaryFieldName.Values,
		objectSecondary:  norm.ObjectSecondaryFieldName.Values,
		how:              norm.How.Values,
		sourceIP:         norm.SourceIP.Values,
	}
}

// missingKeyWarnings holds, for each normalization in the tables, the
// warnings for key lists none of whose keys is found. They are built once
// because they are common (USER records lack addr, for one).
var missingKeyWarnings = func() map[*aucoalesce.Normalization]*[nKeyLists]error {
	out := map[*aucoalesce.Normalization]*[nKeyLists]error{}
	add := func(n *aucoalesce.Normalization) {
		if _, done := out[n]; !done {
			out[n] = newMissingKeyWarnings(n)
		}
	}
	for _, n := range syscallNorms {
		add(n)
	}
	for _, norms := range recordTypeNorms {
		for _, n := range norms {
			add(n)
		}
	}
	return out
}()

func newMissingKeyWarnings(n *aucoalesce.Normalization) *[nKeyLists]error {
	var ws [nKeyLists]error
	for i, keys := range keyLists(n) {
		if len(keys) == 0 {
			continue // never looked up
		}
		ws[i] = fmt.Errorf("failed to set %s using keys=%v because they were not found", keyListNames[i], keys)
	}
	return &ws
}

// missingKeys returns the warning for norm's key list i.
func missingKeys(norm *aucoalesce.Normalization, i int) error {
	ws, found := missingKeyWarnings[norm]
	if !found {
		ws = newMissingKeyWarnings(norm)
	}
	return ws[i]
}

// recordTypeNorm returns the normalization for the event's record type. Of
// several, the last whose has_fields are all in Data wins, as in aucoalesce.
func recordTypeNorm(ev *Event) *aucoalesce.Normalization {
	norms := typeNorms[ev.Type]
	if len(norms) == 1 {
		return norms[0]
	}
	var norm *aucoalesce.Normalization
next:
	for _, n := range norms {
		for _, f := range n.HasFields.Values {
			if record.Index(ev.Data, f) < 0 {
				continue next
			}
		}
		norm = n
	}
	return norm
}

// firstValue returns the value of the first of keys present in Data or,
// failing that, in IDs.
func firstValue(ev *Event, keys []string) (string, bool) {
	for _, k := range keys {
		if v, found := record.Lookup(ev.Data, k); found {
			return v, true
		}
		if v, found := record.Lookup(ev.IDs, k); found {
			return v, true
		}
	}
	return "", false
}

// setSourceIP moves the first of keys found in Data to Source as an incoming
// address.
func setSourceIP(ev *Event, norm *aucoalesce.Normalization, keys []string) {
	for _, k := range keys {
		if i := record.Index(ev.Data, k); i >= 0 {
			ev.Source = &aucoalesce.Address{IP: ev.Data[i].Value}
			ev.Net = incoming
			ev.Data = remove(ev.Data, i)
			return
		}
	}
	ev.Warnings = append(ev.Warnings, missingKeys(norm, sourceIP))
}

// setHowDefaults sets How to the executable, or to comm when there is no
// executable or it is an interpreter (whose comm names the script).
func setHowDefaults(ev *Event) {
	exe, found := record.Lookup(ev.Data, "exe")
	if !found {
		if comm, found := record.Lookup(ev.Data, "comm"); found {
			ev.Summary.How = comm
		}
		return
	}
	ev.Summary.How = exe
	if strings.HasPrefix(exe, "/usr/bin/python") ||
		strings.HasPrefix(exe, "/usr/bin/sh") ||
		strings.HasPrefix(exe, "/usr/bin/bash") ||
		strings.HasPrefix(exe, "/usr/bin/perl") {
		if comm, found := record.Lookup(ev.Data, "comm"); found {
			ev.Summary.How = comm
		}
	}
}

// setFileObject sets File and the object from a PATH record: the one at
// pathIndexHint (or the first if there are not that many), or the first
// after it that is not a PARENT or UNKNOWN, in case the hint was wrong.
func setFileObject(ev *Event, pathIndexHint int) error {
	pathIndex := 0
	if len(ev.Paths) > pathIndexHint {
		pathIndex = pathIndexHint
	}
	path := ev.Paths[pathIndex]
	for _, p := range ev.Paths[pathIndex:] {
		if nt, _ := p.Get("nametype"); nt != "PARENT" && nt != "UNKNOWN" {
			path = p
			break
		}
	}

	var (
		name, inode, rdev, mode, ouid, ogid string
		hasName, hasMode                    bool
		nLabels                             int
	)
	for i := range path.NumFields() {
		switch f := path.Field(i); f.Key {
		case "name":
			name, hasName = f.Value, true
		case "inode":
			inode = f.Value
		case "rdev":
			rdev = f.Value
		case "mode":
			mode, hasMode = f.Value, true
		case "ouid":
			ouid = f.Value
		case "ogid":
			ogid = f.Value
		default:
			if strings.HasPrefix(f.Key, "obj_") {
				nLabels++
			}
		}
	}

	// The event's own File, saving an allocation per file event.
	file := &ev.file
	*file = aucoalesce.File{Path: name, Inode: inode, Device: rdev}
	ev.File = file
	if hasName {
		ev.Summary.Object.Primary = name
	}

	if hasMode {
		v, err := parseMode(mode)
		if err != nil {
			return fmt.Errorf("failed to parse file mode: %w", err)
		}
		m := fs.FileMode(v) // truncated to 32 bits, as in aucoalesce
		file.Mode = octal4(uint32(m & 0o7777))

		// These are Go's mode bits, not the kernel's S_IFMT bits, so every
		// kernel mode is "file"; kept as aucoalesce has it.
		switch {
		case m.IsRegular():
			ev.Summary.Object.Type = "file"
		case m.IsDir():
			ev.Summary.Object.Type = "directory"
		case m&fs.ModeCharDevice != 0:
			ev.Summary.Object.Type = "character-device"
		case m&modeBlockDevice != 0:
			ev.Summary.Object.Type = "block-device"
		case m&fs.ModeNamedPipe != 0:
			ev.Summary.Object.Type = "named-pipe"
		case m&fs.ModeSymlink != 0:
			ev.Summary.Object.Type = "symlink"
		case m&fs.ModeSocket != 0:
			ev.Summary.Object.Type = "socket"
		}
	}

	file.UID = ouid
	file.GID = ogid
	if nLabels > 0 {
		// PATH keys are unique, so the labels are too.
		ev.FileSELinux = make([]record.Field, 0, nLabels)
		for i := range path.NumFields() {
			if f := path.Field(i); strings.HasPrefix(f.Key, "obj_") {
				ev.FileSELinux = append(ev.FileSELinux, record.Field{Key: f.Key[len("obj_"):], Value: f.Value})
			}
		}
	}
	return nil
}

// parseMode is strconv.ParseUint(mode, 8, 64) with the common case, up to
// 21 octal digits (which cannot overflow), done inline: ParseUint cost 240
// instructions a call (callgrind). Anything else goes to ParseUint, for
// its result and error.
func parseMode(mode string) (uint64, error) {
	if len(mode) == 0 || len(mode) > 21 {
		return strconv.ParseUint(mode, 8, 64)
	}
	var v uint64
	for i := 0; i < len(mode); i++ {
		d := mode[i] - '0'
		if d > 7 {
			return strconv.ParseUint(mode, 8, 64)
		}
		v = v<<3 | uint64(d)
	}
	return v, nil
}

// octalModes holds every permission mode 0000..7777 as four octal digits,
// back to back, so that formatting a mode does not allocate.
var octalModes = func() string {
	b := make([]byte, 0, 4*0o10000)
	for m := range 0o10000 {
		b = append(b, '0'+byte(m>>9&7), '0'+byte(m>>6&7), '0'+byte(m>>3&7), '0'+byte(m&7))
	}
	return string(b)
}()

// octal4 formats m (at most 0o7777) as fmt.Sprintf("%04o", m) does.
func octal4(m uint32) string {
	return octalModes[4*m : 4*m+4]
}

// setSocketObject sets the object to the socket's address (or path) and port.
func setSocketObject(ev *Event) {
	if v, found := record.Lookup(ev.Data, "socket_addr"); found {
		ev.Summary.Object.Primary = v
	} else if v, found := record.Lookup(ev.Data, "socket_path"); found {
		ev.Summary.Object.Primary = v
	}
	if v, found := record.Lookup(ev.Data, "socket_port"); found {
		ev.Summary.Object.Secondary = v
	}
}
