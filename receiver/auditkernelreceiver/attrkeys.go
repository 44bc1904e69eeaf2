//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"strings"
	"sync"
	"sync/atomic"
)

// maxCachedKeys bounds the key cache: the kernel's field names are a few
// hundred, but user-space messages (auditctl -m, PAM) can carry any name.
const maxCachedKeys = 4096

// dataKeys maps a record field name to its attribute key. Building the key
// by concatenation allocated once per attribute, about 40 times per event
// on the recorded mixed stream (BenchmarkStages/translate).
var dataKeys struct {
	sync.Map
	size atomic.Int64
}

// dataKey is the attribute key of a record field that goes under data
// (socket_* fields under socket.).
func dataKey(field string) string {
	if key, ok := dataKeys.Load(field); ok {
		return key.(string)
	}
	key := attrPrefix + "data." + field
	if socketField, ok := strings.CutPrefix(field, "socket_"); ok {
		key = attrPrefix + "socket." + socketField
	}
	if dataKeys.size.Load() < maxCachedKeys {
		if _, loaded := dataKeys.LoadOrStore(strings.Clone(field), key); !loaded {
			dataKeys.size.Add(1)
		}
	}
	return key
}
