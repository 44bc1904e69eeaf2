//go:build !windows

package recordtest

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// LibauditTests reads a testdata/*.yaml file of go-libaudit's aucoalesce
// package: each test's name and its record lines, trimmed, without the blank
// ones.
func LibauditTests(tb testing.TB, file string) map[string][]string {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Tests map[string]string `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	tests := make(map[string][]string, len(doc.Tests))
	for name, text := range doc.Tests {
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		tests[name] = lines
	}
	return tests
}
