//go:build !windows

// Package translate turns reassembled audit events into OpenTelemetry log
// records. It is pure: records in, plog.LogRecord out, options as a struct;
// no kernel, no goroutines, no logger. Both receivers call it: the kernel
// receiver with the records it read from netlink, the log receiver with the
// records it read from auditd's files. Its keys are spelled by
// internal/schema.
package translate // import "github.com/auditkernel/auditkernel/internal/translate"

import (
	"path"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// eventNamePrefix prefixes the lower-case record type in an event's name.
const eventNamePrefix = "audit.kernel."

// Options are the settings that change what a log record holds.
type Options struct {
	// ResolveIDs resolves uid/gid values to user and group names (through
	// the user and group databases, cached).
	ResolveIDs bool
	// IncludeRawMessage adds the event's raw records (audit.kernel.messages).
	IncludeRawMessage bool
	// IncludeWarnings adds the parsing warnings, and the raw records.
	IncludeWarnings bool
	// MaxArgs and MaxArgBytes cap process.command_args: at most MaxArgs
	// arguments and MaxArgBytes bytes in all; 0 is DefaultMaxArgs and
	// DefaultMaxArgBytes, a negative value no cap. A cut list is marked
	// audit.kernel.process.args_truncated.
	MaxArgs, MaxArgBytes int
	// DataLayout is how the open-ended record fields are put: DataFlat, one
	// audit.kernel.data.<field> attribute each, or DataMap, one
	// audit.kernel.data map attribute.
	DataLayout DataLayout
}

// limit is the cap v gives: def for 0, none (0) for a negative v.
func limit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// DataLayout is Options.DataLayout.
type DataLayout int

const (
	// DataFlat puts each field as audit.kernel.data.<field>.
	DataFlat DataLayout = iota
	// DataMap puts the fields in one map attribute, audit.kernel.data, so that
	// a backend with a field limit (Elasticsearch, OpenSearch) maps one field
	// for all of them.
	DataMap
)

// Event normalizes the records of one reassembled event and fills lr with
// it; observed is when the event was received. An event that cannot be
// normalized leaves lr empty (no event name) and returns why.
func Event(recs []*record.Record, observed time.Time, opts Options, lr plog.LogRecord) error {
	ev, err := Normalize(recs, opts.ResolveIDs)
	if err != nil {
		return err
	}
	Record(ev, recs, observed, opts, lr)
	// lr holds strings only, none of ev's slices.
	coalesce.Release(ev)
	return nil
}

// Record fills lr from one normalized event and the records it was built
// from. It is a pure function of its arguments. It sets lr's attributes
// wholesale: attributes that lr had are replaced, so a caller adds its own
// after.
func Record(ev *coalesce.Event, recs []*record.Record, observed time.Time, opts Options, lr plog.LogRecord) {
	fill(ev, recs, observed, opts, nil, lr)
}

// extraAttrs are attributes appended after Record's own, in the same
// builder: put with pcommon.Map's Put family once lr was filled, each
// scanned the ~70 keys already there for a duplicate, 1.4k of the userspace
// path's instructions per enriched event (callgrind, recorded mixed stream).
type extraAttrs interface {
	// count bounds the attributes put.
	count() int
	put(w *attrWriter)
}

// fill is Record, with the attributes of extra (nil: none) after its own.
func fill(ev *coalesce.Event, recs []*record.Record, observed time.Time, opts Options, extra extraAttrs, lr plog.LogRecord) {
	names := recordTypeNames(ev.Type)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.Timestamp))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.SetEventName(names.eventName)
	if ev.Result == "fail" || ev.Category == aucoalesce.EventTypeAnomaly || ev.Category == aucoalesce.EventTypeAnomalyResponse {
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	} else {
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	}
	lr.Body().SetStr(record.ValidText(summary(ev)))

	// Every key is put once (internal/schema declares each; the families'
	// fields are unique per event), so the attributes are appended without
	// pcommon.Map.Put's scan for an existing key: 17% of translation's
	// instructions.
	w := attrWriter{fromRecords: validUTF8(recs)}
	capacity := attrCapacity(ev, opts)
	if extra != nil {
		capacity += extra.count()
	}
	w.b.EnsureCapacity(capacity)
	w.b.AppendEmpty(schema.Sequence).SetInt(int64(ev.Sequence))
	w.b.AppendEmpty(schema.RecordType).SetStr(names.lower)
	w.b.AppendEmpty(schema.Category).SetStr(ev.Category.String())
	w.putStr(schema.Result, ev.Result)
	w.putRecordValue(schema.Session, ev.Session)
	w.putStr(schema.Action, ev.Summary.Action)
	w.putRecordValue(schema.How, ev.Summary.How)
	w.putStr(schema.ActorPrimary, ev.Summary.Actor.Primary)
	w.putStr(schema.ActorSecondary, ev.Summary.Actor.Secondary)
	// Ids keep their numbers; resolve_ids puts the names beside them.
	w.putFields(&actorAttrKeys, ev.IDs)
	for _, n := range ev.Names {
		w.putStr(actorNameKeys.key(n.Key), n.Value)
	}
	w.putFields(&actorSELinuxKeys, ev.SubjectSELinux)
	w.putRecordValue(schema.ThingPrimary, ev.Summary.Object.Primary)
	w.putRecordValue(schema.ThingSecondary, ev.Summary.Object.Secondary)
	w.putStr(schema.ThingWhat, ev.Summary.Object.Type)
	if ev.File != nil {
		w.putFields(&thingSELinuxKeys, ev.FileSELinux)
	}
	w.putStrings(schema.Key, ev.Tags)

	w.putEventData(ev, recs, opts.DataLayout)
	if len(ev.Paths) > 0 {
		paths := w.b.AppendEmpty(schema.Paths).SetEmptySlice()
		paths.EnsureCapacity(len(ev.Paths))
		var pb xpdata.MapBuilder
		for _, p := range ev.Paths {
			// A PATH record's keys are unique.
			pb.EnsureCapacity(p.NumFields())
			for i := range p.NumFields() {
				f := p.Field(i)
				pb.AppendEmpty(f.Key).SetStr(w.recordValue(schema.Paths, f.Value))
			}
			pb.UnsafeIntoMap(paths.AppendEmpty().SetEmptyMap())
		}
	}
	if opts.IncludeRawMessage || opts.IncludeWarnings {
		raw := w.b.AppendEmpty(schema.Messages).SetEmptySlice()
		raw.EnsureCapacity(len(recs))
		for _, r := range recs {
			text := r.Raw
			// An EXECVE record holds the whole command line: capped as
			// process.command_args is.
			if maxBytes := limit(opts.MaxArgBytes, DefaultMaxArgBytes); r.Type == auparse.AUDIT_EXECVE && maxBytes > 0 && len(text) > maxBytes {
				text, w.argsCut = validPrefix(text, maxBytes), true
			}
			raw.AppendEmpty().SetStr(w.valid(schema.Messages, "type="+r.Type.String()+" msg="+text))
		}
	}
	w.putSemanticConventions(ev, opts)

	if opts.IncludeWarnings && (len(ev.Warnings) > 0 || len(w.replaced) > 0) {
		warnings := w.b.AppendEmpty(schema.Warnings).SetEmptySlice()
		for _, err := range ev.Warnings {
			warnings.AppendEmpty().SetStr(record.ValidText(err.Error()))
		}
		if len(w.replaced) > 0 {
			slices.Sort(w.replaced)
			warnings.AppendEmpty().SetStr("invalid UTF-8 replaced with U+FFFD in " + strings.Join(slices.Compact(w.replaced), ", "))
		}
	}
	if extra != nil {
		extra.put(&w)
	}
	w.b.UnsafeIntoMap(lr.Attributes())
}

// validUTF8 tells whether every record vouches for its values' UTF-8.
func validUTF8(recs []*record.Record) bool {
	for _, r := range recs {
		if !r.ValidUTF8 {
			return false
		}
	}
	return true
}

// movedFromData bounds the fields that putEventData puts back from the
// records because coalescing moved them out of Data: the source address of
// a login (the process fields have attributes of their own).
const movedFromData = 1

// attrCapacity is an upper bound on the attributes of an event, those of
// extraAttrs aside. The builder's slice becomes the map's, so slack stays
// allocated with the log record, and too small a bound grows it (a copy).
// Every other field of a record that holds data is in Data already, or has
// an attribute of its own.
func attrCapacity(ev *coalesce.Event, opts Options) int {
	n := schema.FixedEventKeys() + len(ev.IDs) + len(ev.Names) + len(ev.SubjectSELinux) + len(ev.FileSELinux) + len(ev.Data) + movedFromData
	// Keys that only some events, or some options, can have, left out of
	// the bound of the others: the slack was a third of translation's
	// bytes per event, and then, on the recorded mixed stream, still 29 of
	// 84 entries (1.4 KB per event, a sixth of the userspace path's bytes);
	// now 2.1 of 69.7, the optional keys that only a lookup or a pass over
	// the values would tell apart (args_count, the file fields) bounded as
	// present.
	if ev.ECS.User == (aucoalesce.ECSEntity{}) && ev.ECS.Group == (aucoalesce.ECSEntityData{}) {
		n -= len(roleKeys)
	}
	if _, ok := record.Lookup(ev.IDs, "euid"); !ok {
		n -= len(credentialKeys)
	}
	if ev.File == nil {
		n -= len(fileKeys)
	}
	if ev.Source == nil {
		// source.address, source.port, and the login address that
		// coalescing moves from Data to Source.
		n -= 2 + movedFromData
	}
	if ev.Summary.Object.Secondary == "" {
		n-- // audit.kernel.thing.secondary
	}
	if ev.ECS.Event.Kind == "" {
		n-- // audit.kernel.event.kind
	}
	if ev.Process.CWD == "" {
		n-- // process.working_directory
	}
	if len(ev.Paths) == 0 {
		n-- // audit.kernel.paths
	}
	if len(ev.Process.Args) == 0 {
		n-- // process.command_args
		if !opts.IncludeRawMessage && !opts.IncludeWarnings {
			n-- // audit.kernel.process.args_truncated: nothing to cut
		}
	}
	if ev.Dest == nil {
		n -= 2 // destination.address, destination.port
	}
	if ev.Net == nil {
		n-- // network.direction
	}
	n -= len(enrichmentKeys) // bounded by extraAttrs.count
	if opts.DataLayout != DataMap {
		n-- // audit.kernel.data
	}
	if !opts.IncludeRawMessage && !opts.IncludeWarnings {
		n-- // audit.kernel.messages
	}
	if !opts.IncludeWarnings {
		n-- // audit.kernel.warnings
	}
	return n
}

// The keys of the user roles, the process credentials, the file object and
// enrichment.
var (
	roleKeys = [...]string{
		schema.EffectiveID, schema.EffectiveName, schema.TargetID, schema.TargetName,
		schema.ChangesID, schema.ChangesName, schema.GroupID, schema.GroupName, schema.RelatedUser,
	}
	credentialKeys = [...]string{
		schema.ProcessUserID, schema.ProcessUserName, schema.ProcessRealID,
		schema.ProcessRealName, schema.ProcessSavedID, schema.ProcessSavedName,
	}
	fileKeys = [...]string{
		schema.FilePath, schema.FileInode, schema.FileMode, schema.FileOwnerID,
		schema.FileOwnerName, schema.FileGroupID, schema.FileGroupName,
	}
	// enrichmentKeys are the keys that EnrichedRecord adds.
	enrichmentKeys = [...]string{
		schema.ProcessCgroup, schema.ProcessSystemdUnit, schema.ProcessSessionLeader,
		schema.ParentExecPath, schema.ParentExecName, schema.ParentCommand,
		schema.SessionLeaderExecPath, schema.SessionLeaderExecName, schema.SessionLeaderCommand,
		schema.ProcessAncestors,
	}
)

// typeNames are the spellings of one record type that every record carries.
type typeNames struct {
	lower     string // schema.RecordType
	eventName string // the log record's event name
}

var typeNameCache sync.Map // auparse.AuditMessageType -> typeNames

// recordTypeNames caches what lower-casing and concatenating a record type's
// name cost (two allocations per event).
func recordTypeNames(t auparse.AuditMessageType) typeNames {
	if names, ok := typeNameCache.Load(t); ok {
		return names.(typeNames)
	}
	lower := strings.ToLower(t.String())
	names := typeNames{lower: lower, eventName: eventNamePrefix + lower}
	typeNameCache.Store(t, names)
	return names
}

// attrWriter appends attributes with valid UTF-8 values, remembering which
// keys needed a replacement for the warnings. Each key must be appended once.
type attrWriter struct {
	b        xpdata.MapBuilder
	replaced []string
	// fromRecords is set when every record vouched for its values' UTF-8
	// (record.Record.ValidUTF8): then the values taken from the records'
	// fields need no check of their own. Other values (resolved names,
	// warnings) are checked in any case.
	fromRecords bool
	argsCut     bool // an EXECVE message was cut to Options.MaxArgBytes
}

// valid returns s with invalid UTF-8 replaced, noting key when it was.
func (w *attrWriter) valid(key, s string) string {
	if record.ASCII(s) || utf8.ValidString(s) {
		return s
	}
	w.replaced = append(w.replaced, key)
	return record.ValidText(s)
}

// recordValue is valid for a value taken from a record's fields.
func (w *attrWriter) recordValue(key, s string) string {
	if w.fromRecords {
		return s
	}
	return w.valid(key, s)
}

// putStr puts a non-empty value.
func (w *attrWriter) putStr(key, value string) {
	if value != "" {
		w.b.AppendEmpty(key).SetStr(w.valid(key, value))
	}
}

// putRecordValue puts a non-empty value taken from a record's fields.
func (w *attrWriter) putRecordValue(key, value string) {
	if value != "" {
		w.b.AppendEmpty(key).SetStr(w.recordValue(key, value))
	}
}

// putFields puts fields taken from the records, under the keys of keys.
func (w *attrWriter) putFields(keys *keyCache, fields []record.Field) {
	for _, f := range fields {
		key := keys.key(f.Key)
		w.b.AppendEmpty(key).SetStr(w.recordValue(key, f.Value))
	}
}

// putStrings puts values taken from the records as a slice.
func (w *attrWriter) putStrings(key string, values []string) {
	if len(values) == 0 {
		return
	}
	slice := w.b.AppendEmpty(key).SetEmptySlice()
	slice.EnsureCapacity(len(values))
	for _, v := range values {
		slice.AppendEmpty().SetStr(w.recordValue(key, v))
	}
}

// putInt puts a decimal integer value (strconv.ParseInt's, base 10); a value
// that is not one is left out.
func (w *attrWriter) putInt(key, value string) {
	if n, ok := record.ParseInt(value); ok {
		w.b.AppendEmpty(key).SetInt(n)
	}
}

// putSemanticConventions adds the OpenTelemetry semantic-convention
// attributes that the event has.
func (w *attrWriter) putSemanticConventions(ev *coalesce.Event, opts Options) {
	w.putInt(schema.ProcessPID, ev.Process.PID)
	w.putInt(schema.ProcessParentPID, ev.Process.PPID)
	w.putRecordValue(schema.ProcessExecPath, ev.Process.Exe)
	w.putProcess(ev, opts)
	w.putRecordValue(schema.ProcessWorkingDir, ev.Process.CWD)
	w.putRoles(ev)
	w.putCategorization(ev)
	if ev.File != nil {
		w.putRecordValue(schema.FilePath, ev.File.Path)
		w.putRecordValue(schema.FileInode, ev.File.Inode)
		w.putStr(schema.FileMode, ev.File.Mode)
		w.putRecordValue(schema.FileOwnerID, ev.File.UID)
		w.putStr(schema.FileOwnerName, ev.File.Owner)
		w.putRecordValue(schema.FileGroupID, ev.File.GID)
		w.putStr(schema.FileGroupName, ev.File.Group)
	}
	w.putAddress(schema.SourceAddress, schema.SourcePort, ev.Source)
	w.putAddress(schema.DestAddress, schema.DestPort, ev.Dest)
}

// executableName is an ancestor's process.executable.name (enrich): the
// executable's base name, or the command name when the executable is
// unknown. The event's own process has comm in audit.kernel.process.comm.
func executableName(exe, comm string) string {
	if exe != "" {
		return path.Base(exe)
	}
	return comm
}

func (w *attrWriter) putAddress(addressKey, portKey string, addr *aucoalesce.Address) {
	if addr == nil {
		return
	}
	if addr.IP != "" {
		w.putRecordValue(addressKey, addr.IP)
	} else {
		w.putRecordValue(addressKey, addr.Path)
	}
	w.putInt(portKey, addr.Port)
}

// summary is "<actor> <action> <thing> via <how>", skipping empty parts.
func summary(ev *coalesce.Event) string {
	parts := [...]string{ev.Summary.Actor.Primary, ev.Summary.Action, ev.Summary.Object.Primary}
	// Sized first, each part with the space before it (the first has
	// none): growing as it went, the builder allocated 3 times per event
	// on the recorded mixed stream.
	n := 0
	for _, p := range parts {
		if p != "" {
			n += len(p) + 1
		}
	}
	if ev.Summary.How != "" {
		n += len("via ") + len(ev.Summary.How) + 1
	}
	if n == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(n - 1)
	for _, p := range parts {
		if p != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p)
		}
	}
	if ev.Summary.How != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("via ")
		b.WriteString(ev.Summary.How)
	}
	return b.String()
}

// putEventData puts every field of the event's records that no other
// attribute holds: those of ev.Data, then those that coalescing left out of
// it (recordsAddData), each from the first record that has it. With DataMap
// the fields go into one map attribute; the socket fields stay flat either
// way.
func (w *attrWriter) putEventData(ev *coalesce.Event, recs []*record.Record, layout DataLayout) {
	var data xpdata.MapBuilder
	inMap := 0
	put := func(f record.Field) {
		if layout == DataMap && !strings.HasPrefix(f.Key, "socket_") {
			data.AppendEmpty(f.Key).SetStr(w.recordValue(schema.DataMap, f.Value))
			inMap++
			return
		}
		key := dataKeys.key(f.Key)
		w.b.AppendEmpty(key).SetStr(w.recordValue(key, f.Value))
	}
	if layout == DataMap {
		data.EnsureCapacity(len(ev.Data) + movedFromData)
	}
	// Data's keys are unique.
	for _, f := range ev.Data {
		put(f)
	}
	if recordsAddData(ev, recs) {
		putRecordsData(ev, recs, put)
	}
	if inMap > 0 {
		data.UnsafeIntoMap(w.b.AppendEmpty(schema.DataMap).SetEmptyMap())
	}
}

// recordsAddData tells whether a field of recs that holds data may be
// missing from ev.Data without an attribute of its own. Coalescing puts
// every other field of the records in Data but those of two cases: it
// moves a login's address to Source, and it takes the fields of the first
// SYSCALL record only. Looking every record field up in a set of the keys
// met, for events of neither case, put nothing and cost 4,000 instructions
// per event, 4% of the userspace path's (callgrind, recorded mixed stream).
// assertRecordsInData checks this on every recorded and reference event.
func recordsAddData(ev *coalesce.Event, recs []*record.Record) bool {
	if ev.Source != nil {
		return true
	}
	syscalls := 0
	for _, r := range recs {
		if r.Type == auparse.AUDIT_SYSCALL {
			syscalls++
		}
	}
	return syscalls > 1
}

// putRecordsData puts the fields of the records that hold data whose keys
// are neither in ev.Data nor in an earlier record.
func putRecordsData(ev *coalesce.Event, recs []*record.Record, put func(record.Field)) {
	n := len(ev.Data)
	for _, rec := range recs {
		if holdsData(rec) {
			n += rec.NumFields()
		}
	}
	var stack [2 * stackKeys]uint64
	seen := seenKeys{ev: ev, recs: recs, slots: stack[:]}
	if size := tableSize(n); size > len(stack) {
		seen.slots = make([]uint64, size)
	}
	for i, f := range ev.Data {
		seen.add(uint64(i), f.Key, record.HashKey(f.Key))
	}
	for i, rec := range recs {
		if !holdsData(rec) {
			continue
		}
		list := uint64(i+1) << refShift
		for j := range rec.NumFields() {
			key := rec.Key(j)
			// A key represented elsewhere is never put, wherever it
			// comes from, so it need not be seen: tested first, it
			// spares most of the records' fields (ids, process fields)
			// a hash and a probe, 1.4% of the userspace path's
			// instructions (callgrind, recorded mixed stream).
			if schema.RepresentedElsewhere(key) {
				continue
			}
			// A record's keys are unique, so adding them as they come
			// leaves the record's own keys out of what counts as earlier.
			if seen.add(list|uint64(j), key, record.HashKey(key)) {
				put(rec.Field(j))
			}
		}
	}
}

// holdsData tells whether a record's fields belong under data: PATH,
// EXECVE, SOCKADDR and EOE are held by paths, process.command_args and
// socket.*, and a record that failed to parse is reported by the
// normalizer in ev.Warnings.
func holdsData(rec *record.Record) bool {
	switch rec.Type {
	case auparse.AUDIT_PATH, auparse.AUDIT_EXECVE, auparse.AUDIT_SOCKADDR, auparse.AUDIT_EOE:
		return false
	}
	return rec.Err == nil
}
