//go:build !windows

package translate

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// maxCachedKeys bounds each key cache: the kernel's field names are a few
// hundred, but user-space messages (auditctl -m, PAM) can carry any name.
const maxCachedKeys = 4096

// keyCache maps a record field name to its attribute key. Building keys by
// concatenation allocated once per attribute, about 50 times per event on
// the recorded mixed stream (BenchmarkStages/translate). Lookups read an
// immutable table through an atomic pointer and a miss copies it: after the
// first events every lookup hits. The table is probed with the parser's key
// hash (record.HashKey) in place of a Go map: a map lookup (hash, probe,
// compare) cost some 180 instructions, a probe of this table 85, which took
// 1.3% off the userspace path's instructions (callgrind, recorded mixed
// stream).
type keyCache struct {
	table atomic.Pointer[keyTable]
	mu    sync.Mutex // serializes the copies on a miss
	build func(field string) string
}

// keyTable is an open-addressing table of fields and their keys, at most
// half full, with a power-of-two size. An empty slot has the field "",
// which is never cached.
type keyTable struct {
	slots []keySlot
	n     int
}

type keySlot struct{ field, key string }

func (c *keyCache) key(field string) string {
	h := record.HashKey(field)
	if t := c.table.Load(); t != nil {
		if key, ok := t.lookup(field, h); ok {
			return key
		}
	}
	key := c.build(field)
	if field == "" {
		return key
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.table.Load()
	if old != nil {
		if _, ok := old.lookup(field, h); ok || old.n >= maxCachedKeys {
			return key
		}
	}
	// field may be a substring of a whole record: keep only its bytes.
	c.table.Store(old.with(strings.Clone(field), key))
	return key
}

func (t *keyTable) lookup(field string, h uint32) (string, bool) {
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		// Checked first, so that "" is never found.
		s := &t.slots[i]
		if s.field == "" {
			return "", false
		}
		if s.field == field {
			return s.key, true
		}
	}
}

// with returns a copy of t (nil: empty) with field added.
func (t *keyTable) with(field, key string) *keyTable {
	n := 1
	if t != nil {
		n += t.n
	}
	size := 16
	for size < 2*n {
		size <<= 1
	}
	grown := &keyTable{slots: make([]keySlot, size), n: n}
	if t != nil {
		for _, s := range t.slots {
			if s.field != "" {
				grown.insert(s)
			}
		}
	}
	grown.insert(keySlot{field, key})
	return grown
}

func (t *keyTable) insert(s keySlot) {
	mask := uint32(len(t.slots) - 1)
	i := record.HashKey(s.field) & mask
	for t.slots[i].field != "" {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func prefixed(prefix string) func(string) string {
	return func(field string) string { return prefix + field }
}

var (
	// dataKeys: fields under data, socket_* fields under socket.
	dataKeys = keyCache{build: func(field string) string {
		if socketField, ok := strings.CutPrefix(field, "socket_"); ok {
			return schema.Socket + socketField
		}
		return schema.Data + field
	}}
	actorAttrKeys    = keyCache{build: prefixed(schema.ActorAttrs)}
	actorNameKeys    = keyCache{build: prefixed(schema.ActorNames)}
	actorSELinuxKeys = keyCache{build: prefixed(schema.ActorSELinux)}
	thingSELinuxKeys = keyCache{build: prefixed(schema.ThingSELinux)}
)
