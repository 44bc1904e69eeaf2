//go:build !windows

package coalesce

import (
	"sync"
	"time"

	"github.com/elastic/go-libaudit/v2/aucoalesce"

	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// The caches ResolveIDs uses, with aucoalesce's one-minute expiry (and its
// "0" → root). They are our own rather than aucoalesce's, which only
// aucoalesce.ResolveIDs can reach and which takes a map-based event.
var (
	userCache  = newBoundedCache(maxCacheKeys, func() *aucoalesce.EntityCache { return aucoalesce.NewUserCache(time.Minute) })
	groupCache = newBoundedCache(maxCacheKeys, func() *aucoalesce.EntityCache { return aucoalesce.NewGroupCache(time.Minute) })
)

// maxCacheKeys bounds the ids, and the names, a cache is asked about before
// it is replaced by an empty one.
const maxCacheKeys = 1 << 16

// boundedCache is an aucoalesce.EntityCache that is replaced by a fresh one
// once it has been asked about bound distinct ids, or names. An
// EntityCache keeps every key it was asked about, expired or not, and the
// ECS roles are looked up by name from user-space records: the account of a
// failed login is whatever the one attempting it typed, so a cache of every
// name would grow with each guess.
type boundedCache struct {
	mu         sync.Mutex
	cache      *aucoalesce.EntityCache
	ids, names map[string]struct{} // the keys cache was asked about
	bound      int
	fresh      func() *aucoalesce.EntityCache
}

func newBoundedCache(bound int, fresh func() *aucoalesce.EntityCache) *boundedCache {
	return &boundedCache{cache: fresh(), ids: map[string]struct{}{}, names: map[string]struct{}{}, bound: bound, fresh: fresh}
}

// current returns the cache to ask about key, noting it in seen.
func (c *boundedCache) current(seen map[string]struct{}, key string) *aucoalesce.EntityCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := seen[key]; !ok {
		if len(seen) >= c.bound {
			c.cache = c.fresh()
			clear(c.ids)
			clear(c.names)
		}
		seen[key] = struct{}{}
	}
	return c.cache
}

// LookupID answers "0" itself: every EntityCache aucoalesce makes, of users
// as of groups, holds "0" → root with no expiry, and the locks, the map of
// seen ids and the clock read cost 460 instructions a lookup, with "0"
// two of the three lookups per event that the per-event memo misses
// (callgrind, recorded mixed stream). Not counting "0" among the seen ids
// delays a cache's replacement by at most one id.
func (c *boundedCache) LookupID(id string) string {
	if id == "0" {
		return "root"
	}
	return c.current(c.ids, id).LookupID(id)
}

func (c *boundedCache) LookupName(name string) string {
	return c.current(c.names, name).LookupName(name)
}

// Resolver resolves user or group ids to names and back; an
// *aucoalesce.EntityCache is one. The value it returns for an unknown id or
// name is "".
type Resolver interface {
	LookupID(id string) string
	LookupName(name string) string
}

// ResolveIDs resolves the event's user and group ids to names as
// aucoalesce.ResolveIDs does, with the system's user database: the actor's
// primary and secondary ids are replaced by their names when found, Names
// gets the name of each id in IDs that has one (and stays as it was when none
// has), File's Owner and Group are set from its UID and GID, and each ECS
// entity that has only an id or only a name gains the other. Lookups are
// cached for a minute; the caches are safe for concurrent use.
func ResolveIDs(ev *Event) {
	ResolveIDsWith(ev, userCache, groupCache)
}

// ResolveIDsWith is ResolveIDs with the given user and group resolvers, as
// aucoalesce.ResolveIDsFromCaches.
func ResolveIDsWith(ev *Event, users, groups Resolver) {
	seen := lookups{users: users, groups: groups}
	if v := seen.byID(false, ev.Summary.Actor.Primary); v != "" {
		ev.Summary.Actor.Primary = v
	}
	if v := seen.byID(false, ev.Summary.Actor.Secondary); v != "" {
		ev.Summary.Actor.Secondary = v
	}

	// Coalesce leaves room for Names in IDs' spare capacity, saving an
	// allocation. Clipping IDs hands that room over: an append to IDs can
	// then no longer overwrite Names. If IDs has less spare room than it
	// needs, append allocates.
	names := ev.IDs[len(ev.IDs):len(ev.IDs)]
	ev.IDs = ev.IDs[:len(ev.IDs):len(ev.IDs)]
	for _, id := range ev.IDs {
		var group bool
		switch {
		case schema.IsUserID(id.Key):
		case schema.IsGroupID(id.Key):
			group = true
		default:
			continue
		}
		if v := seen.byID(group, id.Value); v != "" {
			names = append(names, record.Field{Key: id.Key, Value: v})
		}
	}
	if len(names) > 0 {
		ev.Names = names
	}

	if ev.File != nil {
		if ev.File.UID != "" {
			ev.File.Owner = seen.byID(false, ev.File.UID)
		}
		if ev.File.GID != "" {
			ev.File.Group = seen.byID(true, ev.File.GID)
		}
	}

	u := &ev.ECS.User
	for _, e := range [...]*aucoalesce.ECSEntityData{&u.ECSEntityData, &u.Effective, &u.Target, &u.Changes} {
		seen.complete(false, e)
	}
	seen.complete(true, &ev.ECS.Group)
}

// lookups remembers one event's lookups. An event names the same few ids
// many times (uid, euid, suid, fsuid and auid are mostly one user), and each
// EntityCache lookup reads the clock for its expiry: 5% of the userspace
// path's CPU profile before this memo.
type lookups struct {
	users, groups Resolver
	done          [8]lookup
	n             int
}

// A lookup is told apart by flags rather than by its Resolver, and the
// flags are compared before the key: comparing Resolvers (interfaces, a
// call to runtime.ifaceeq) cost 820 more instructions per event of
// parse_normalize, the key first 200 more on UserspacePath (callgrind).
type lookup struct {
	group, byName bool
	key, value    string
}

func (l *lookups) byID(group bool, id string) string { return l.lookup(group, false, id) }

func (l *lookups) lookup(group, byName bool, key string) string {
	for i := range l.done[:l.n] {
		if d := &l.done[i]; d.group == group && d.byName == byName && d.key == key {
			return d.value
		}
	}
	r := l.users
	if group {
		r = l.groups
	}
	var value string
	if byName {
		value = r.LookupName(key)
	} else {
		value = r.LookupID(key)
	}
	if l.n < len(l.done) {
		l.done[l.n] = lookup{group, byName, key, value}
		l.n++
	}
	return value
}

// complete gives an ECS entity that has only an id its name, or only a name
// its id, as aucoalesce's ECSEntityData.lookup does; group tells whether it
// is a group.
func (l *lookups) complete(group bool, e *aucoalesce.ECSEntityData) {
	switch {
	case (e.ID == "") == (e.Name == ""):
	case e.ID != "":
		e.Name = l.lookup(group, false, e.ID)
	default:
		e.ID = l.lookup(group, true, e.Name)
	}
}
