//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"strings"
	"sync"
	"sync/atomic"
)

// maxCachedKeys bounds each key cache: the kernel's field names are a few
// hundred, but user-space messages (auditctl -m, PAM) can carry any name.
const maxCachedKeys = 4096

// keyCache maps a record field name to its attribute key. Building keys by
// concatenation allocated once per attribute, about 50 times per event on
// the recorded mixed stream (BenchmarkStages/translate).
type keyCache struct {
	keys  sync.Map
	size  atomic.Int64
	build func(field string) string
}

func (c *keyCache) key(field string) string {
	if key, ok := c.keys.Load(field); ok {
		return key.(string)
	}
	key := c.build(field)
	if c.size.Load() < maxCachedKeys {
		// field may be a substring of a whole record: keep only its bytes.
		if _, loaded := c.keys.LoadOrStore(strings.Clone(field), key); !loaded {
			c.size.Add(1)
		}
	}
	return key
}

func prefixed(prefix string) func(string) string {
	return func(field string) string { return prefix + field }
}

var (
	// dataKeys: fields under data, socket_* fields under socket.
	dataKeys = keyCache{build: func(field string) string {
		if socketField, ok := strings.CutPrefix(field, "socket_"); ok {
			return attrPrefix + "socket." + socketField
		}
		return attrPrefix + "data." + field
	}}
	actorAttrKeys    = keyCache{build: prefixed(attrPrefix + "actor.attrs.")}
	actorSELinuxKeys = keyCache{build: prefixed(attrPrefix + "actor.selinux.")}
	thingSELinuxKeys = keyCache{build: prefixed(attrPrefix + "thing.selinux.")}
)
