//go:build !windows

package record

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestUpperHexDigits puts every byte value at every place of hex strings
// around the lengths where upperHexDigits changes how it reads.
func TestUpperHexDigits(t *testing.T) {
	for n := range 26 {
		s := strings.Repeat("09AF", 7)[:n]
		if !upperHexDigits(s) {
			t.Fatalf("%q is hex", s)
		}
		for i := range n {
			for c := range 256 {
				b := []byte(s)
				b[i] = byte(c)
				if got, want := upperHexDigits(string(b)), isUpperHexDigit(byte(c)); got != want {
					t.Fatalf("upperHexDigits(%q) = %v", b, got)
				}
			}
		}
	}
}

// TestHexDecode decodes strings of every length up to past two words, with
// NULs at every place, in each of the ways hexDecode treats NULs.
func TestHexDecode(t *testing.T) {
	for n := range 40 {
		for nulAt := -1; nulAt < n; nulAt++ {
			raw := []byte(strings.Repeat("\x01\x9a\xff\x10az\x7f", 6)[:n])
			if nulAt >= 0 {
				raw[nulAt] = 0
			}
			digits := strings.ToUpper(hex.EncodeToString(raw))
			toNUL, _, _ := strings.Cut(string(raw), "\x00")
			for nul, want := range map[int]string{
				hexRaw:        string(raw),
				hexNULToSpace: strings.ReplaceAll(string(raw), "\x00", " "),
				hexToNUL:      toNUL,
			} {
				if got := hexDecode(digits, nul); got != want {
					t.Fatalf("hexDecode(%s, %d) = %q, want %q", digits, nul, got, want)
				}
			}
		}
	}
}
