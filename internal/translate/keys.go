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
// first events every lookup hits. The table is probed with fieldHash in
// place of a Go map: a map lookup (hash, probe, compare) cost some 180
// instructions, a probe of this table 85, which took 1.3% off the userspace
// path's instructions (callgrind, recorded mixed stream).
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

type keySlot struct {
	field, key string
	word       uint64 // field's word, see key
}

// load32 returns the first 4 bytes of s as a little-endian number: the
// compiler makes one load of the byte reads.
func load32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// fieldHash returns the hash of field, whose word (see key) is w, if short.
func fieldHash(field string, w uint64, short bool) uint32 {
	if !short {
		return record.HashKey(field)
	}
	// The high half of the product depends on every bit of w.
	return uint32(w * 0x9e3779b97f4a7c15 >> 32)
}

func (c *keyCache) key(field string) string {
	// A field of up to 8 bytes, most of the kernel's, is read as a number,
	// its word: its bytes little-endian, read as two overlapping pieces
	// whose common bytes agree. Two fields of one length are the same if
	// their words are. Comparing words rather than bytes (a call to
	// runtime.memequal) and hashing the word rather than each byte
	// (record.HashKey, still used for longer fields) took the cost of the
	// lookups from 3.4k to 2.7k instructions per event on the userspace
	// path (callgrind, recorded mixed stream). The word is read here, not
	// in a function, which the compiler would not inline.
	var w uint64
	short := true
	switch n := len(field); {
	case n > 8:
		short = false
	case n >= 4:
		w = load32(field) | load32(field[n-4:])<<(8*(n-4))
	case n > 0:
		m := n / 2
		w = uint64(field[0]) | uint64(field[m])<<(8*m) | uint64(field[n-1])<<(8*(n-1))
	}
	h := fieldHash(field, w, short)
	if t := c.table.Load(); t != nil {
		if key, ok := t.lookup(field, h, w, short); ok {
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
		if _, ok := old.lookup(field, h, w, short); ok || old.n >= maxCachedKeys {
			return key
		}
	}
	// field may be a substring of a whole record: keep only its bytes.
	c.table.Store(old.with(keySlot{strings.Clone(field), key, w}, h))
	return key
}

// lookup returns the key of field, whose hash is h and whose word (see key)
// is w, if short.
func (t *keyTable) lookup(field string, h uint32, w uint64, short bool) (string, bool) {
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		// Checked first, so that "" is never found.
		s := &t.slots[i]
		if s.field == "" {
			return "", false
		}
		if short {
			if s.word == w && len(s.field) == len(field) {
				return s.key, true
			}
		} else if s.field == field {
			return s.key, true
		}
	}
}

// with returns a copy of t (nil: empty) with s, whose field's hash is h,
// added.
func (t *keyTable) with(s keySlot, h uint32) *keyTable {
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
		for _, old := range t.slots {
			if old.field != "" {
				grown.insert(old, fieldHash(old.field, old.word, len(old.field) <= 8))
			}
		}
	}
	grown.insert(s, h)
	return grown
}

func (t *keyTable) insert(s keySlot, h uint32) {
	mask := uint32(len(t.slots) - 1)
	i := h & mask
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
