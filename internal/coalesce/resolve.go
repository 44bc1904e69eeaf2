package coalesce

import (
	"strings"
	"time"

	"github.com/elastic/go-libaudit/v2/aucoalesce"

	"github.com/auditkernel/auditkernel/internal/record"
)

// The caches ResolveIDs uses, with aucoalesce's one-minute expiry (and its
// "0" → root). They are our own rather than aucoalesce's, which only
// aucoalesce.ResolveIDs can reach and which takes a map-based event.
var (
	userCache  = aucoalesce.NewUserCache(time.Minute)
	groupCache = aucoalesce.NewGroupCache(time.Minute)
)

// ResolveIDs resolves the event's user and group ids to names as
// aucoalesce.ResolveIDs does, except for the ECS fields, which Coalesce does
// not set: the actor's primary and secondary ids are replaced by their
// names when found, Names gets the name of each id in IDs that has one (and
// stays as it was when none has), and File's Owner and Group are set from
// its UID and GID. Lookups are cached for a minute; the caches are safe for
// concurrent use.
func ResolveIDs(ev *Event) {
	var seen lookups
	if v := seen.lookup(userCache, ev.Summary.Actor.Primary); v != "" {
		ev.Summary.Actor.Primary = v
	}
	if v := seen.lookup(userCache, ev.Summary.Actor.Secondary); v != "" {
		ev.Summary.Actor.Secondary = v
	}

	// Coalesce leaves room for Names in IDs' spare capacity, saving an
	// allocation. Clipping IDs hands that room over: an append to IDs can
	// then no longer overwrite Names. If IDs has less spare room than it
	// needs, append allocates.
	names := ev.IDs[len(ev.IDs):len(ev.IDs)]
	ev.IDs = ev.IDs[:len(ev.IDs):len(ev.IDs)]
	for _, id := range ev.IDs {
		var cache *aucoalesce.EntityCache
		switch {
		case strings.HasSuffix(id.Key, "uid"):
			cache = userCache
		case strings.HasSuffix(id.Key, "gid"):
			cache = groupCache
		default:
			continue
		}
		if v := seen.lookup(cache, id.Value); v != "" {
			names = append(names, record.Field{Key: id.Key, Value: v})
		}
	}
	if len(names) > 0 {
		ev.Names = names
	}

	if ev.File != nil {
		if ev.File.UID != "" {
			ev.File.Owner = seen.lookup(userCache, ev.File.UID)
		}
		if ev.File.GID != "" {
			ev.File.Group = seen.lookup(groupCache, ev.File.GID)
		}
	}
}

// lookups remembers one event's cache lookups. An event names the same few
// ids many times (uid, euid, suid, fsuid and auid are mostly one user), and
// each EntityCache lookup reads the clock for its expiry: 5% of the
// userspace path's CPU profile before this memo.
type lookups struct {
	done [8]lookup
	n    int
}

type lookup struct {
	cache    *aucoalesce.EntityCache
	id, name string
}

func (l *lookups) lookup(cache *aucoalesce.EntityCache, id string) string {
	for _, d := range l.done[:l.n] {
		if d.cache == cache && d.id == id {
			return d.name
		}
	}
	name := cache.LookupID(id)
	if l.n < len(l.done) {
		l.done[l.n] = lookup{cache, id, name}
		l.n++
	}
	return name
}
