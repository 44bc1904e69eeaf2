//go:build !windows

package coalesce

import (
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/elastic/go-libaudit/v2/auparse"

	"github.com/auditkernel/auditkernel/internal/recordtest"
)

// rawDir holds the repository's recorded kernel audit fixtures.
const rawDir = "../../testdata/raw"

func TestDifferentialTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(rawDir, "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", rawDir, err)
	}
	n := 0
	for _, file := range files {
		for _, lines := range readEvents(t, file) {
			n++
			t.Run(filepath.Base(file)+"/"+sequenceOf(t, lines[0]), func(t *testing.T) {
				_, _ = differential(t, lines, nil)
			})
		}
	}
	t.Logf("%d events", n)
}

// TestDifferentialKernelOrder coalesces the interleaved events after putting
// their records in the order the kernel emits them.
func TestDifferentialKernelOrder(t *testing.T) {
	for _, lines := range readEvents(t, filepath.Join(rawDir, "interleaved.log")) {
		lines = kernelOrder(t, lines)
		if !strings.HasPrefix(lines[0], "type=SYSCALL ") {
			t.Fatalf("kernel order starts with %q", lines[0])
		}
		t.Run(sequenceOf(t, lines[0]), func(t *testing.T) {
			_, _ = differential(t, lines, nil)
		})
	}
}

// TestDifferentialLibauditTestdata runs the events of go-libaudit's own
// aucoalesce tests (real records of many types from many kernels), read from
// the module cache.
func TestDifferentialLibauditTestdata(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/elastic/go-libaudit/v2").Output()
	if err != nil {
		t.Skipf("go-libaudit module not found: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "aucoalesce", "testdata", "*.yaml"))
	if len(files) == 0 {
		t.Skip("go-libaudit testdata not found")
	}
	for _, file := range files {
		tests := recordtest.LibauditTests(t, file)
		for _, name := range slices.Sorted(maps.Keys(tests)) {
			t.Run(filepath.Base(file)+"/"+name, func(t *testing.T) {
				_, _ = differential(t, tests[name], nil)
			})
		}
	}
}

func sequenceOf(tb testing.TB, line string) string {
	m, err := parseLine(line)
	if err != nil {
		tb.Fatal(err)
	}
	return strconv.FormatUint(uint64(m.Sequence), 10)
}

// kernelOrder sorts an event's lines as the kernel emits them: SYSCALL, the
// auxiliary records (PATH by item), PROCTITLE, EOE.
func kernelOrder(tb testing.TB, lines []string) []string {
	rank := func(l string) int {
		switch {
		case strings.HasPrefix(l, "type=SYSCALL "):
			return 0
		case strings.HasPrefix(l, "type=PROCTITLE "):
			return 2
		case strings.HasPrefix(l, "type=EOE "):
			return 3
		}
		return 1
	}
	item := func(l string) int {
		m, err := parseLine(l)
		if err != nil || m.RecordType != auparse.AUDIT_PATH {
			return 0
		}
		data, _ := m.Data()
		n, _ := strconv.Atoi(data["item"])
		return n
	}
	out := slices.Clone(lines)
	slices.SortStableFunc(out, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return item(a) - item(b)
	})
	return out
}
