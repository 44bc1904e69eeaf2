//go:build !windows

package record

import (
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
