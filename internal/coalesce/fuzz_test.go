//go:build !windows

package coalesce

import (
	"path/filepath"
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
