//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
)

const attrPrefix = "audit.kernel."

// translateOptions are the settings that change what a record holds.
type translateOptions struct {
	includeRawMessage bool
	includeWarnings   bool
}

// translate fills lr from one normalized event and the records it was built
// from. It is a pure function of its arguments.
func translate(ev *coalesce.Event, recs []*record.Record, observed time.Time, opts translateOptions, lr plog.LogRecord) {
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
	lr.Body().SetStr(validUTF8(summary(ev)))

	attrs := lr.Attributes()
	attrs.EnsureCapacity(attrCapacity(ev, recs))
	w := attrWriter{m: attrs}
	attrs.PutInt(attrPrefix+"sequence", int64(ev.Sequence))
	attrs.PutStr(attrPrefix+"record_type", names.lower)
	attrs.PutStr(attrPrefix+"category", ev.Category.String())
	w.putStr(attrPrefix+"result", ev.Result)
	w.putStr(attrPrefix+"session", ev.Session)
	w.putStr(attrPrefix+"action", ev.Summary.Action)
	w.putStr(attrPrefix+"how", ev.Summary.How)
	w.putStr(attrPrefix+"actor.primary", ev.Summary.Actor.Primary)
	w.putStr(attrPrefix+"actor.secondary", ev.Summary.Actor.Secondary)
	for _, id := range ev.IDs {
		w.putStr(actorAttrKeys.key(id.Key), resolvedID(ev, id))
	}
	w.putFields(&actorSELinuxKeys, ev.SubjectSELinux)
	w.putStr(attrPrefix+"thing.primary", ev.Summary.Object.Primary)
	w.putStr(attrPrefix+"thing.secondary", ev.Summary.Object.Secondary)
	w.putStr(attrPrefix+"thing.what", ev.Summary.Object.Type)
	if ev.File != nil {
		w.putFields(&thingSELinuxKeys, ev.FileSELinux)
	}
	w.putStrings(attrPrefix+"key", ev.Tags)

	w.putEventData(ev, recs)
	if len(ev.Paths) > 0 {
		paths := attrs.PutEmptySlice(attrPrefix + "paths")
		paths.EnsureCapacity(len(ev.Paths))
		for _, p := range ev.Paths {
			m := paths.AppendEmpty().SetEmptyMap()
			m.EnsureCapacity(len(p))
			for _, f := range p {
				m.PutStr(f.Key, w.valid(attrPrefix+"paths", f.Value))
			}
		}
	}
	if opts.includeRawMessage || opts.includeWarnings {
		raw := attrs.PutEmptySlice(attrPrefix + "messages")
		raw.EnsureCapacity(len(recs))
		for _, r := range recs {
			raw.AppendEmpty().SetStr(w.valid(attrPrefix+"messages", "type="+r.Type.String()+" msg="+r.Raw))
		}
	}
	w.putSemanticConventions(ev)

	if opts.includeWarnings && (len(ev.Warnings) > 0 || len(w.replaced) > 0) {
		warnings := attrs.PutEmptySlice(attrPrefix + "warnings")
		for _, err := range ev.Warnings {
			warnings.AppendEmpty().SetStr(validUTF8(err.Error()))
		}
		if len(w.replaced) > 0 {
			slices.Sort(w.replaced)
			warnings.AppendEmpty().SetStr("invalid UTF-8 replaced with U+FFFD in " + strings.Join(slices.Compact(w.replaced), ", "))
		}
	}
}

// fixedAttrs bounds the attributes translate puts besides the event's
// fields: the 16 audit.kernel.* ones of its own (sequence ... warnings) and the
// 20 semantic-convention ones (process.*, user.*, file.*, source.*, destination.*).
const fixedAttrs = 16 + 20

// attrCapacity is an upper bound on the attributes of an event: too small a
// guess grew the map's slice (a copy and a second allocation, 7% of
// translate's CPU profile), slack costs a few unused bytes.
func attrCapacity(ev *coalesce.Event, recs []*record.Record) int {
	n := fixedAttrs + len(ev.IDs) + len(ev.SubjectSELinux) + len(ev.FileSELinux) + len(ev.Data)
	for _, rec := range recs {
		if holdsData(rec) {
			n += len(rec.Fields)
		}
	}
	return n
}

// typeNames are the spellings of one record type that every record carries.
type typeNames struct {
	lower     string // audit.kernel.record_type
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
	names := typeNames{lower: lower, eventName: attrPrefix + lower}
	typeNameCache.Store(t, names)
	return names
}

// attrWriter puts attributes with valid UTF-8 values, remembering which
// keys needed a replacement for the warnings.
type attrWriter struct {
	m        pcommon.Map
	replaced []string
}

// valid returns s with invalid UTF-8 replaced, noting key when it was.
func (w *attrWriter) valid(key, s string) string {
	if utf8.ValidString(s) {
		return s
	}
	w.replaced = append(w.replaced, key)
	return validUTF8(s)
}

// putStr puts a non-empty value.
func (w *attrWriter) putStr(key, value string) {
	if value != "" {
		w.m.PutStr(key, w.valid(key, value))
	}
}

func (w *attrWriter) putFields(keys *keyCache, fields []record.Field) {
	for _, f := range fields {
		key := keys.key(f.Key)
		w.m.PutStr(key, w.valid(key, f.Value))
	}
}

func (w *attrWriter) putStrings(key string, values []string) {
	if len(values) == 0 {
		return
	}
	slice := w.m.PutEmptySlice(key)
	slice.EnsureCapacity(len(values))
	for _, v := range values {
		slice.AppendEmpty().SetStr(w.valid(key, v))
	}
}

func (w *attrWriter) putInt(key, value string) {
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		w.m.PutInt(key, n)
	}
}

// putSemanticConventions adds the OpenTelemetry semantic-convention
// attributes that the event has.
func (w *attrWriter) putSemanticConventions(ev *coalesce.Event) {
	w.putInt("process.pid", ev.Process.PID)
	w.putInt("process.parent_pid", ev.Process.PPID)
	w.putStr("process.executable.path", ev.Process.Exe)
	switch {
	case ev.Process.Exe != "":
		w.putStr("process.executable.name", path.Base(ev.Process.Exe))
	case ev.Process.Name != "":
		w.putStr("process.executable.name", ev.Process.Name)
	}
	w.putStr("process.command_line", ev.Process.Title)
	w.putStrings("process.command_args", ev.Process.Args)
	w.putStr("process.working_directory", ev.Process.CWD)
	if uid, ok := record.Lookup(ev.IDs, "uid"); ok && uid != "unset" {
		w.putStr("user.id", uid)
		name, _ := record.Lookup(ev.Names, "uid")
		w.putStr("user.name", name)
	}
	if ev.File != nil {
		w.putStr("file.path", ev.File.Path)
		w.putStr("file.inode", ev.File.Inode)
		w.putStr("file.mode", ev.File.Mode)
		w.putStr("file.owner.id", ev.File.UID)
		w.putStr("file.owner.name", ev.File.Owner)
		w.putStr("file.group.id", ev.File.GID)
		w.putStr("file.group.name", ev.File.Group)
	}
	w.putAddress("source.", ev.Source)
	w.putAddress("destination.", ev.Dest)
}

func (w *attrWriter) putAddress(prefix string, addr *aucoalesce.Address) {
	if addr == nil {
		return
	}
	if addr.IP != "" {
		w.putStr(prefix+"address", addr.IP)
	} else {
		w.putStr(prefix+"address", addr.Path)
	}
	w.putInt(prefix+"port", addr.Port)
}

// summary is "<actor> <action> <thing> via <how>", skipping empty parts.
func summary(ev *coalesce.Event) string {
	var b strings.Builder
	for _, p := range [...]string{ev.Summary.Actor.Primary, ev.Summary.Action, ev.Summary.Object.Primary} {
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
// audit.kernel.* attribute holds. aucoalesce moves some fields out of its
// Data map (pid, exe, cwd, ... into Process; a login's addr into Source);
// they are put back from the records because Auditbeat's document keeps
// them under data. A field present in ev.Data or in an earlier record is
// not put again.
func (w *attrWriter) putEventData(ev *coalesce.Event, recs []*record.Record) {
	w.putFields(&dataKeys, ev.Data)
	for i, rec := range recs {
		if !holdsData(rec) {
			continue
		}
		for _, f := range rec.Fields {
			if _, present := record.Lookup(ev.Data, f.Key); present || representedElsewhere(f.Key) || inEarlierRecord(recs[:i], f.Key) {
				continue
			}
			key := dataKeys.key(f.Key)
			w.m.PutStr(key, w.valid(key, f.Value))
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

func inEarlierRecord(earlier []*record.Record, key string) bool {
	for _, rec := range earlier {
		if holdsData(rec) {
			if _, present := rec.Get(key); present {
				return true
			}
		}
	}
	return false
}

// representedElsewhere tells whether a record field has an attribute of its
// own: result, session, actor.attrs (ids) and actor.selinux (subj_*).
func representedElsewhere(key string) bool {
	return key == "result" || key == "ses" || key == "items" ||
		strings.HasSuffix(key, "uid") || strings.HasSuffix(key, "gid") ||
		strings.HasPrefix(key, "subj_")
}

// resolvedID is the name resolve_ids found for an id, or the id itself.
func resolvedID(ev *coalesce.Event, id record.Field) string {
	if name, ok := record.Lookup(ev.Names, id.Key); ok && name != "" {
		return name
	}
	return id.Value
}
