//go:build linux

package e2e

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/kerneltest"
)

// TestKernelFilterExampleDropsNoisyEvents runs examples/filter-noisy-events.yaml
// with its rules replaced by two watches, one keyed "noisy": the write under
// that key is dropped by the filter processor, the other one is delivered.
func TestKernelFilterExampleDropsNoisyEvents(t *testing.T) {
	distro := distroPath(t)
	dir := t.TempDir()
	kerneltest.Require(t)
	noisy := writeFile(t, dir, "noisy", "")
	kept := writeFile(t, dir, "kept", "")
	out := filepath.Join(dir, "out.json")
	overlay := fmt.Sprintf(`receivers:
  auditkernel:
    audit_rules: |
      -w %s -p w -k noisy
      -w %s -p w -k kept
exporters:
  file/out:
    path: %s
    format: json
service:
  pipelines:
    logs:
      exporters: [file/out]
`, noisy, kept, out)
	c := startCollector(t, nil, distro, "--config", repoFile(t, "examples/filter-noisy-events.yaml"),
		"--config", writeFile(t, dir, "overlay.yaml", overlay),
		"--config", writeFile(t, dir, "no-telemetry.yaml", noTelemetry))
	c.waitReady(t)

	noisyPID := writeFromChild(t, noisy)
	keptPID := writeFromChild(t, kept)
	waitForExported(t, out, c, fromPID(keptPID, kept, "kept"))
	// The noisy write happened first and went through the same ordered
	// pipeline: had it not been dropped, it would be in the file by now.
	exported, err := readExported(out)
	require.NoError(t, err)
	for _, r := range exported {
		assert.False(t, fromPID(noisyPID, noisy, "noisy")(r.record), "the noisy event was exported: %v", r.record.Attributes().AsRaw())
	}
}
