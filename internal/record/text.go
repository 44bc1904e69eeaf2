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
// valid; an ASCII check settles the common case first, at half its cost on
// the event bodies, and longASCII's 16 bytes at a time did better than
// ASCII's byte at a time there (measured: 89.57k -> 89.39k instructions/event
// on the userspace path; callgrind, recorded mixed stream).
func ValidText(s string) string {
	if longASCII(s) {
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

// longASCII is ASCII for longer strings, such as whole record texts, values
// decoded from hex and event bodies: it reads 16 bytes at a time, the last
// 16 apart, overlapping what the loop leaves. utf8.ValidString, which goes a
// byte at a time through the end of each run of 32 bytes, cost more than
// twice as much on record texts and decoded values (measured: 90.35k ->
// 89.57k instructions/event on the userspace path, callgrind, recorded
// mixed stream).
func longASCII(s string) bool {
	n := len(s)
	if n < 16 {
		return ASCII(s)
	}
	or := load64(s[n-16:]) | load64(s[n-8:])
	for i := 0; i+16 <= n; i += 16 {
		// Of a known length, w is read without bounds checks.
		w := s[i : i+16]
		or |= load64(w) | load64(w[8:])
	}
	return or&(0x80*0x0101010101010101) == 0
}

// load64 returns the first 8 bytes of s as a little-endian number: the
// compiler makes one load of the byte reads.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// lanes01 has 1 in each byte of a word.
const lanes01 = 0x0101010101010101

// zeroBytes returns w with the high bit of each byte that is zero set, and
// all other bits clear. No byte carries into the next.
func zeroBytes(w uint64) uint64 {
	const low7 = 0x7f * lanes01
	return ^((w&low7 + low7) | w) &^ low7
}
