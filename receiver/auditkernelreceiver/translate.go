//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

const attrPrefix = "audit.kernel."

// translateOptions are the settings that change what a record holds.
type translateOptions struct {
	includeRawMessage bool
	includeWarnings   bool
}

// translate fills lr from one normalized event and the raw records it was
// built from. It is a pure function of its arguments.
func translate(ev *aucoalesce.Event, msgs []*auparse.AuditMessage, observed time.Time, opts translateOptions, lr plog.LogRecord) {
	recordType := strings.ToLower(ev.Type.String())
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.Timestamp))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.SetEventName(attrPrefix + recordType)
	if ev.Result == "fail" || ev.Category == aucoalesce.EventTypeAnomaly || ev.Category == aucoalesce.EventTypeAnomalyResponse {
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	} else {
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	}
	lr.Body().SetStr(validUTF8(summary(ev)))

	attrs := lr.Attributes()
	attrs.EnsureCapacity(32)
	attrs.PutInt(attrPrefix+"sequence", int64(ev.Sequence))
	attrs.PutStr(attrPrefix+"record_type", recordType)
	attrs.PutStr(attrPrefix+"category", ev.Category.String())
	putStr(attrs, attrPrefix+"result", ev.Result)
	putStr(attrs, attrPrefix+"session", ev.Session)
	putStr(attrs, attrPrefix+"action", ev.Summary.Action)
	putStr(attrs, attrPrefix+"how", ev.Summary.How)
	putStr(attrs, attrPrefix+"actor.primary", ev.Summary.Actor.Primary)
	putStr(attrs, attrPrefix+"actor.secondary", ev.Summary.Actor.Secondary)
	for key, id := range ev.User.IDs {
		attrs.PutStr(attrPrefix+"actor.attrs."+key, resolvedID(ev, key, id))
	}
	putMap(attrs, attrPrefix+"actor.selinux.", ev.User.SELinux)
	putStr(attrs, attrPrefix+"thing.primary", ev.Summary.Object.Primary)
	putStr(attrs, attrPrefix+"thing.secondary", ev.Summary.Object.Secondary)
	putStr(attrs, attrPrefix+"thing.what", ev.Summary.Object.Type)
	if ev.File != nil {
		putMap(attrs, attrPrefix+"thing.selinux.", ev.File.SELinux)
	}
	putStrings(attrs, attrPrefix+"key", ev.Tags)

	putEventData(attrs, ev, msgs)
	if len(ev.Paths) > 0 {
		paths := attrs.PutEmptySlice(attrPrefix + "paths")
		paths.EnsureCapacity(len(ev.Paths))
		for _, p := range ev.Paths {
			m := paths.AppendEmpty().SetEmptyMap()
			for k, v := range p {
				m.PutStr(k, v)
			}
		}
	}
	if opts.includeRawMessage || opts.includeWarnings {
		raw := attrs.PutEmptySlice(attrPrefix + "messages")
		for _, m := range msgs {
			raw.AppendEmpty().SetStr("type=" + m.RecordType.String() + " msg=" + m.RawData)
		}
	}
	putSemanticConventions(ev, attrs)

	replaced := sanitizeUTF8(attrs)
	if opts.includeWarnings && (len(ev.Warnings) > 0 || len(replaced) > 0) {
		warnings := attrs.PutEmptySlice(attrPrefix + "warnings")
		for _, w := range ev.Warnings {
			warnings.AppendEmpty().SetStr(validUTF8(w.Error()))
		}
		if len(replaced) > 0 {
			warnings.AppendEmpty().SetStr("invalid UTF-8 replaced with U+FFFD in " + strings.Join(replaced, ", "))
		}
	}
}

// putSemanticConventions adds the OpenTelemetry semantic-convention
// attributes that the event has.
func putSemanticConventions(ev *aucoalesce.Event, attrs pcommon.Map) {
	putInt(attrs, "process.pid", ev.Process.PID)
	putInt(attrs, "process.parent_pid", ev.Process.PPID)
	putStr(attrs, "process.executable.path", ev.Process.Exe)
	switch {
	case ev.Process.Exe != "":
		attrs.PutStr("process.executable.name", path.Base(ev.Process.Exe))
	case ev.Process.Name != "":
		attrs.PutStr("process.executable.name", ev.Process.Name)
	}
	putStr(attrs, "process.command_line", ev.Process.Title)
	putStrings(attrs, "process.command_args", ev.Process.Args)
	putStr(attrs, "process.working_directory", ev.Process.CWD)
	if uid, ok := ev.User.IDs["uid"]; ok && uid != "unset" {
		attrs.PutStr("user.id", uid)
		putStr(attrs, "user.name", ev.User.Names["uid"])
	}
	if ev.File != nil {
		putStr(attrs, "file.path", ev.File.Path)
		putStr(attrs, "file.inode", ev.File.Inode)
		putStr(attrs, "file.mode", ev.File.Mode)
		putStr(attrs, "file.owner.id", ev.File.UID)
		putStr(attrs, "file.owner.name", ev.File.Owner)
		putStr(attrs, "file.group.id", ev.File.GID)
		putStr(attrs, "file.group.name", ev.File.Group)
	}
	putAddress(attrs, "source.", ev.Source)
	putAddress(attrs, "destination.", ev.Dest)
}

func putAddress(attrs pcommon.Map, prefix string, addr *aucoalesce.Address) {
	if addr == nil {
		return
	}
	if addr.IP != "" {
		attrs.PutStr(prefix+"address", addr.IP)
	} else {
		putStr(attrs, prefix+"address", addr.Path)
	}
	putInt(attrs, prefix+"port", addr.Port)
}

// summary is "<actor> <action> <thing> via <how>", skipping empty parts.
func summary(ev *aucoalesce.Event) string {
	parts := make([]string, 0, 5)
	for _, p := range []string{ev.Summary.Actor.Primary, ev.Summary.Action, ev.Summary.Object.Primary} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if ev.Summary.How != "" {
		parts = append(parts, "via", ev.Summary.How)
	}
	return strings.Join(parts, " ")
}

// putEventData puts every field of the event's records that no other
// audit.kernel.* attribute holds. aucoalesce moves some fields out of its
// Data map (pid, exe, cwd, ... into Process; a login's addr into Source);
// they are put back from the records because Auditbeat's document keeps
// them under data. A field present in ev.Data or in an earlier record is
// not put again; those lookups replace a merged map, which cost a map
// allocation and a copy of every field per event.
func putEventData(attrs pcommon.Map, ev *aucoalesce.Event, msgs []*auparse.AuditMessage) {
	for k, v := range ev.Data {
		attrs.PutStr(dataKey(k), v)
	}
	for i, msg := range msgs {
		fields, ok := recordFields(msg)
		if !ok {
			continue
		}
		for k, v := range fields {
			if _, present := ev.Data[k]; present || representedElsewhere(k) || inEarlierRecord(msgs[:i], k) {
				continue
			}
			attrs.PutStr(dataKey(k), v)
		}
	}
}

// recordFields returns the fields of a record whose fields belong under
// data: PATH, EXECVE, SOCKADDR and EOE are held by paths,
// process.command_args and socket.*, and a record that failed to parse
// is reported by aucoalesce in ev.Warnings.
func recordFields(msg *auparse.AuditMessage) (map[string]string, bool) {
	switch msg.RecordType {
	case auparse.AUDIT_PATH, auparse.AUDIT_EXECVE, auparse.AUDIT_SOCKADDR, auparse.AUDIT_EOE:
		return nil, false
	}
	fields, err := msg.Data()
	return fields, err == nil
}

func inEarlierRecord(earlier []*auparse.AuditMessage, key string) bool {
	for _, msg := range earlier {
		if fields, ok := recordFields(msg); ok {
			if _, present := fields[key]; present {
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
func resolvedID(ev *aucoalesce.Event, key, id string) string {
	if name, ok := ev.User.Names[key]; ok && name != "" {
		return name
	}
	return id
}

func putStr(attrs pcommon.Map, key, value string) {
	if value != "" {
		attrs.PutStr(key, value)
	}
}

func putInt(attrs pcommon.Map, key, value string) {
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		attrs.PutInt(key, n)
	}
}

func putMap(attrs pcommon.Map, prefix string, m map[string]string) {
	for k, v := range m {
		attrs.PutStr(prefix+k, v)
	}
}

func putStrings(attrs pcommon.Map, key string, values []string) {
	if len(values) == 0 {
		return
	}
	slice := attrs.PutEmptySlice(key)
	slice.EnsureCapacity(len(values))
	for _, v := range values {
		slice.AppendEmpty().SetStr(v)
	}
}
