//go:build !windows

package translate

import (
	"path"
	"slices"

	"github.com/elastic/go-libaudit/v2/aucoalesce"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// putRoles puts who acted and on whom, with Auditbeat's meaning: the
// subject (user.*), the account acted on (user.effective), the target
// account (user.target), the changed identity (user.changes), the group, and
// every user named among them (related.user). They are the normalization's
// ECS entities; an event whose normalization names no subject (syscalls)
// has its uid as the subject, as in Auditbeat. An unset id ("unset",
// 4294967295) is not an id and is left out.
func (w *attrWriter) putRoles(ev *coalesce.Event) {
	u := &ev.ECS.User
	if u.ECSEntityData == (aucoalesce.ECSEntityData{}) {
		if uid, ok := record.Lookup(ev.IDs, "uid"); ok && uid != "unset" {
			w.putStr(schema.UserID, uid)
			name, _ := record.Lookup(ev.Names, "uid")
			w.putStr(schema.UserName, name)
		}
	} else {
		w.putEntity(schema.UserID, schema.UserName, u.ECSEntityData)
	}
	w.putEntity(schema.EffectiveID, schema.EffectiveName, u.Effective)
	w.putEntity(schema.TargetID, schema.TargetName, u.Target)
	w.putEntity(schema.ChangesID, schema.ChangesName, u.Changes)
	w.putEntity(schema.GroupID, schema.GroupName, ev.ECS.Group)

	var related [4]string
	n := 0
	for _, e := range [...]*aucoalesce.ECSEntityData{&u.ECSEntityData, &u.Effective, &u.Target, &u.Changes} {
		if e.Name != "" && !slices.Contains(related[:n], e.Name) {
			related[n] = e.Name
			n++
		}
	}
	if n > 0 {
		// Names may come from the user database: checked, not vouched for.
		slices.Sort(related[:n])
		list := w.b.AppendEmpty(schema.RelatedUser).SetEmptySlice()
		list.EnsureCapacity(n)
		for _, name := range related[:n] {
			list.AppendEmpty().SetStr(w.valid(schema.RelatedUser, name))
		}
	}

	// The process's own credentials, only on the records that have euid,
	// which the kernel writes with uid and suid.
	if _, hasEUID := record.Lookup(ev.IDs, "euid"); hasEUID {
		w.putCredential(ev, "euid", schema.ProcessUserID, schema.ProcessUserName)
		w.putCredential(ev, "uid", schema.ProcessRealID, schema.ProcessRealName)
		w.putCredential(ev, "suid", schema.ProcessSavedID, schema.ProcessSavedName)
	}
}

func (w *attrWriter) putEntity(idKey, nameKey string, e aucoalesce.ECSEntityData) {
	if e.ID != "unset" {
		w.putStr(idKey, e.ID)
	}
	w.putStr(nameKey, e.Name)
}

// putCredential puts the numeric id of the process credential field and its
// name when resolved.
func (w *attrWriter) putCredential(ev *coalesce.Event, field, idKey, nameKey string) {
	id, _ := record.Lookup(ev.IDs, field)
	w.putInt(idKey, id)
	name, _ := record.Lookup(ev.Names, field)
	w.putStr(nameKey, name)
}

// putCategorization puts the ECS event.category and event.type arrays of the
// event's normalization, its event.kind where it gives one (alert, for
// anomalies), and the network direction.
func (w *attrWriter) putCategorization(ev *coalesce.Event) {
	w.putStrings(schema.EventCategory, ev.ECS.Event.Category)
	w.putStrings(schema.EventType, ev.ECS.Event.Type)
	w.putStr(schema.EventKind, ev.ECS.Event.Kind)
	if ev.Net != nil {
		w.putStr(schema.NetworkDirection, ev.Net.Direction.String())
	}
}

// putProcess puts the process attributes other than the ids: the title
// (PROCTITLE), comm, the executable's base name, whether it has a terminal,
// and the execve arguments, at most opts.MaxArgs of them and
// opts.MaxArgBytes in all; a cut list (or EXECVE message) is marked
// args_truncated.
func (w *attrWriter) putProcess(ev *coalesce.Event, opts Options) {
	p := &ev.Process
	w.putRecordValue(schema.ProcessTitle, p.Title)
	w.putRecordValue(schema.ProcessComm, p.Name)
	if p.Exe != "" {
		w.putRecordValue(schema.ProcessExecName, path.Base(p.Exe))
	}
	if tty, ok := record.Lookup(ev.Data, "tty"); ok && tty != "" {
		w.b.AppendEmpty(schema.ProcessInteract).SetBool(tty != "(none)")
	}
	if argc, ok := record.Lookup(ev.Data, "argc"); ok {
		w.putInt(schema.ProcessArgsCount, argc)
	}
	args, truncated := capArgs(p.Args, limit(opts.MaxArgs, DefaultMaxArgs), limit(opts.MaxArgBytes, DefaultMaxArgBytes))
	w.putStrings(schema.ProcessArgs, args)
	if truncated || w.argsCut {
		w.b.AppendEmpty(schema.ArgsTruncated).SetBool(true)
	}
}

// capArgs returns the leading arguments that fit maxArgs and maxBytes (in
// total; the argument that crosses it is cut), and whether any was left
// out or cut. A limit of 0 or less is no limit.
func capArgs(args []string, maxArgs, maxBytes int) ([]string, bool) {
	truncated := false
	if maxArgs > 0 && len(args) > maxArgs {
		args, truncated = args[:maxArgs], true
	}
	if maxBytes <= 0 {
		return args, truncated
	}
	total := 0
	for i, a := range args {
		if total+len(a) <= maxBytes {
			total += len(a)
			continue
		}
		cut := slices.Clone(args[:i+1])
		cut[i] = validPrefix(a, maxBytes-total)
		if cut[i] == "" {
			cut = cut[:i]
		}
		return cut, true
	}
	return args, truncated
}

// validPrefix is s cut to at most n bytes, not inside a UTF-8 sequence.
func validPrefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
