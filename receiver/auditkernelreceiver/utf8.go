//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"slices"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Audit records carry whatever the audited programs passed to the kernel:
// file names, command lines and hex-encoded values that decode to arbitrary
// bytes. OTLP strings must be UTF-8 (a protobuf decoder may reject the whole
// request otherwise), so invalid sequences are replaced with U+FFFD.

func validUTF8(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}

// sanitizeUTF8 replaces invalid UTF-8 in the string values of m, nested ones
// included, and returns the keys it changed. Keys need no care: auparse
// only takes word characters as field names.
func sanitizeUTF8(m pcommon.Map) []string {
	var changed []string
	m.Range(func(k string, v pcommon.Value) bool {
		if sanitizeValue(v) {
			changed = append(changed, k)
		}
		return true
	})
	slices.Sort(changed)
	return changed
}

func sanitizeValue(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if utf8.ValidString(v.Str()) {
			return false
		}
		v.SetStr(validUTF8(v.Str()))
		return true
	case pcommon.ValueTypeMap:
		return len(sanitizeUTF8(v.Map())) > 0
	case pcommon.ValueTypeSlice:
		changed := false
		s := v.Slice()
		for i := range s.Len() {
			changed = sanitizeValue(s.At(i)) || changed
		}
		return changed
	default:
		return false
	}
}
