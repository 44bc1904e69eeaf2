//go:build !windows

package coalesce

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzCoalesceDifferential checks Coalesce against aucoalesce on events made
// of the input's lines that auparse accepts.
func FuzzCoalesceDifferential(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(rawDir, "*.log"))
	for _, file := range files {
		for _, lines := range readEvents(f, file) {
			f.Add(strings.Join(lines, "\n"))
		}
	}
	for _, c := range allCases() {
		f.Add(strings.Join(c.lines, "\n"))
	}

	f.Fuzz(func(t *testing.T, data string) {
		_, _ = differential(t, parsableLines(data), nil)
	})
}

// FuzzParseMode checks parseMode against strconv.ParseUint.
func FuzzParseMode(f *testing.F) {
	for _, s := range []string{"", "0", "0100644", "040755", "8", "-1", "+7", "0o7", "7_7",
		"777777777777777777777", "1777777777777777777777", "7777777777777777777777"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gotErr := parseMode(s)
		want, wantErr := strconv.ParseUint(s, 8, 64)
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("parseMode(%q) = %v, %v; ParseUint: %v, %v", s, got, gotErr, want, wantErr)
		}
	})
}
