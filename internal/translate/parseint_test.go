//go:build !windows

package translate

import (
	"strconv"
	"testing"
)

// FuzzParseInt checks parseInt against strconv.ParseInt.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"", "0", "007", "4294967295", "-1", "+7", "1_000", " 1", "1 ", "x",
		"999999999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "12345678901234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseInt(s)
		want, err := strconv.ParseInt(s, 10, 64)
		if ok != (err == nil) || (ok && got != want) {
			t.Errorf("parseInt(%q) = %d, %t; strconv.ParseInt: %d, %v", s, got, ok, want, err)
		}
	})
}
