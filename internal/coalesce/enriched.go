//go:build !windows

package coalesce

import (
	"strings"

	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// ResolveEnriched resolves the event's ids as ResolveIDs does, with the
// names that auditd's log_format = ENRICHED wrote beside the records
// (record.Record.Enriched: UID="root", OUID="root", ...). Those are the
// recording host's names, which this host's databases may not know. With
// local set, the ids the records name nothing for are looked up in this
// host's databases as ResolveIDs does; without it, they stay ids.
func ResolveEnriched(ev *Event, recs []*record.Record, local bool) {
	users, groups := &enrichedNames{}, &enrichedNames{}
	if local {
		users.local, groups.local = userCache, groupCache
	}
	for _, r := range recs {
		for _, e := range r.Enriched {
			key := strings.ToLower(e.Key)
			if !schema.IsID(key) || !usableName(e.Value) {
				continue
			}
			// auparse has already replaced an unset id with "unset":
			// only numbers are ids that can be named.
			id, ok := r.Get(key)
			if !ok || !isNumber(id) {
				continue
			}
			names := groups
			if schema.IsUserID(key) {
				names = users
			}
			names.byID = append(names.byID, record.Field{Key: id, Value: e.Value})
		}
	}
	if len(users.byID) == 0 && len(groups.byID) == 0 && !local {
		return
	}
	ResolveIDsWith(ev, users, groups)
}

// enrichedNames is a Resolver of the ids named in the records (Key: id,
// Value: name), falling back to local when it is set.
type enrichedNames struct {
	byID  []record.Field
	local Resolver
}

func (n *enrichedNames) LookupID(id string) string {
	if name, ok := record.Lookup(n.byID, id); ok {
		return name
	}
	if n.local != nil {
		return n.local.LookupID(id)
	}
	return ""
}

func (n *enrichedNames) LookupName(name string) string {
	for _, f := range n.byID {
		if f.Value == name {
			return f.Key
		}
	}
	if n.local != nil {
		return n.local.LookupName(name)
	}
	return ""
}

// usableName tells whether auditd's translation is a name: it writes
// "unknown(1234)" for an id its host could not name, and "unset" for -1,
// where ResolveIDs finds no name either.
func usableName(name string) bool {
	return name != "" && name != "unset" && !strings.HasPrefix(name, "unknown(")
}

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
