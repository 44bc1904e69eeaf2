//go:build !windows

package translate

import (
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/auditkernel/auditkernel/internal/schema"
)

// maxCachedKeys bounds each key cache: the kernel's field names are a few
// hundred, but user-space messages (auditctl -m, PAM) can carry any name.
const maxCachedKeys = 4096

// keyCache maps a record field name to its attribute key. Building keys by
// concatenation allocated once per attribute, about 50 times per event on
// the recorded mixed stream (BenchmarkStages/translate). Lookups read an
// immutable map through an atomic pointer and a miss copies it: after the
// first events every lookup hits, and a plain map read costs half of what
// sync.Map's did (7% of translate's CPU profile).
type keyCache struct {
	keys  atomic.Pointer[map[string]string]
	mu    sync.Mutex // serializes the copies on a miss
	build func(field string) string
}

func (c *keyCache) key(field string) string {
	if keys := c.keys.Load(); keys != nil {
		if key, ok := (*keys)[field]; ok {
			return key
		}
	}
	key := c.build(field)
	c.mu.Lock()
	defer c.mu.Unlock()
	grown := map[string]string{}
	if old := c.keys.Load(); old != nil {
		if len(*old) >= maxCachedKeys {
			return key
		}
		grown = maps.Clone(*old)
	}
	// field may be a substring of a whole record: keep only its bytes.
	grown[strings.Clone(field)] = key
	c.keys.Store(&grown)
	return key
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
