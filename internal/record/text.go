//go:build !windows

package record

import (
	"strings"
	"unicode/utf8"
)

// ValidText returns s with invalid UTF-8 replaced with U+FFFD, the one form
// every string takes before it leaves in a log record. Audit records carry
// whatever the audited programs passed to the kernel: file names, command
// lines and hex-encoded values that decode to arbitrary bytes. OTLP strings
// must be UTF-8 (a protobuf decoder may reject the whole request otherwise).
// strings.ToValidUTF8 returns s itself, without allocating, when it is
// valid; ASCII settles the common case first, at half its cost on the event
// bodies (callgrind, recorded mixed stream).
func ValidText(s string) string {
	if ASCII(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// ASCII tells whether s is all ASCII. On short values (ids, names,
// normalization words) this loop costs some 20 instructions per value,
// utf8.ValidString some 100 (callgrind, recorded mixed stream).
func ASCII(s string) bool {
	var or byte
	for i := 0; i < len(s); i++ {
		or |= s[i]
	}
	return or < utf8.RuneSelf
}
