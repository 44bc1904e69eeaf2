//go:build !windows

package record

import (
	"strings"
	"testing"
)

// TestLongASCII puts one non-ASCII byte at every place of strings around the
// lengths where longASCII changes how it reads.
func TestLongASCII(t *testing.T) {
	for n := range 50 {
		s := strings.Repeat("a", n)
		if !longASCII(s) {
			t.Fatalf("%q is ASCII", s)
		}
		for i := range n {
			b := []byte(s)
			b[i] = 0x80
			if longASCII(string(b)) {
				t.Fatalf("%q is not ASCII", b)
			}
		}
	}
}
