//go:build !windows

package record

import (
	"fmt"
	"strconv"
	"testing"
)

// FuzzParseInt checks ParseInt against strconv.ParseInt.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"", "0", "007", "4294967295", "-1", "+7", "1_000", " 1", "1 ", "x",
		"999999999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "12345678901234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseInt(s)
		want, err := strconv.ParseInt(s, 10, 64)
		if ok != (err == nil) || (ok && got != want) {
			t.Errorf("ParseInt(%q) = %d, %t; strconv.ParseInt: %d, %v", s, got, ok, want, err)
		}
	})
}

// FuzzParseHex checks parseHex64 and hexToDec against the strconv.ParseInt
// calls they stand for, errors included.
func FuzzParseHex(f *testing.F) {
	for _, s := range []string{"", "0", "c000003e", "C000003E", "40000028", "7fffffff", "80000000", "-1", "+a",
		"0x10", "1_0", "fffffffffffffff", "7fffffffffffffff", "8000000000000000", "g", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n32, err32 := hexToDec(s)
		n64, err64 := parseHex64(s)
		for _, c := range []struct {
			name string
			bits int
			got  int64
			err  error
		}{{"hexToDec", 32, int64(n32), err32}, {"parseHex64", 64, n64, err64}} {
			want, wantErr := strconv.ParseInt(s, 16, c.bits)
			if c.got != want || fmt.Sprint(c.err) != fmt.Sprint(wantErr) {
				t.Errorf("%s(%q) = %d, %v; strconv.ParseInt(s, 16, %d): %d, %v", c.name, s, c.got, c.err, c.bits, want, wantErr)
			}
		}
	})
}
