//go:build linux

package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const unitPath = "packaging/systemd/otelcol-auditkernel.service"

// serviceSettings reads the [Service] section of the unit: key -> values
// (a key may repeat).
func serviceSettings(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(repoFile(t, unitPath))
	require.NoError(t, err)
	defer func() { assert.NoError(t, f.Close()) }()
	settings := map[string][]string{}
	section := ""
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			key, value, ok := strings.Cut(line, "=")
			require.True(t, ok, "not a setting: %q", line)
			settings[key] = append(settings[key], value)
		}
	}
	require.NoError(t, scanner.Err())
	return settings
}

// unitCapabilities returns the unit's ambient capabilities in setpriv's
// spelling (audit_control), so that the capability tests run the distro with
// exactly what the service grants.
func unitCapabilities(t *testing.T) []string {
	t.Helper()
	var caps []string
	for _, v := range serviceSettings(t)["AmbientCapabilities"] {
		for _, c := range strings.Fields(v) {
			caps = append(caps, strings.ToLower(strings.TrimPrefix(c, "CAP_")))
		}
	}
	return caps
}

func TestSystemdUnitLeastPrivilege(t *testing.T) {
	s := serviceSettings(t)
	one := func(key string) string {
		require.Len(t, s[key], 1, key)
		return s[key][0]
	}
	assert.Equal(t, "otelcol-auditkernel", one("User"), "a dedicated user, not root")
	assert.Equal(t, "CAP_AUDIT_CONTROL CAP_AUDIT_READ", one("AmbientCapabilities"))
	assert.Equal(t, "CAP_AUDIT_CONTROL CAP_AUDIT_READ", one("CapabilityBoundingSet"))
	assert.Equal(t, []string{"audit_control", "audit_read"}, unitCapabilities(t))
	assert.Equal(t, "yes", one("NoNewPrivileges"))
	assert.Equal(t, "strict", one("ProtectSystem"))
	assert.Equal(t, "otelcol-auditkernel", one("StateDirectory"))
	assert.Equal(t, "otelcol-auditkernel", one("LogsDirectory"))
	assert.Equal(t, "/usr/bin/otelcol-auditkernel --config /etc/otelcol-auditkernel/config.yaml", one("ExecStart"))
	for _, breaks := range []string{"PrivateNetwork", "PrivateTmp", "ProtectProc", "PrivateUsers"} {
		assert.NotContains(t, s, breaks, "%s would hide the audit socket, watched paths or /proc from the receiver", breaks)
	}
}

// The Go runtime settings the distribution ships (bench/RESULTS.md, "GC and
// scheduling"), before the EnvironmentFile that may override them.
func TestSystemdUnitGoRuntime(t *testing.T) {
	s := serviceSettings(t)
	require.Len(t, s["Environment"], 1)
	assert.ElementsMatch(t, []string{"GOGC=400", "GOMEMLIMIT=256MiB"}, strings.Fields(s["Environment"][0]))
	assert.Equal(t, []string{"-/etc/default/otelcol-auditkernel"}, s["EnvironmentFile"], "an operator's overrides")
}

// TestDistroSystemdUnitVerifies runs systemd-analyze verify on the unit, with
// ExecStart pointing at the built distro (verify checks that it exists).
func TestDistroSystemdUnitVerifies(t *testing.T) {
	distro := distroPath(t)
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed: the unit was only parsed")
	}
	unit, err := os.ReadFile(repoFile(t, unitPath))
	require.NoError(t, err)
	local := filepath.Join(t.TempDir(), filepath.Base(unitPath))
	require.NoError(t, os.WriteFile(local, []byte(strings.ReplaceAll(string(unit), "/usr/bin/otelcol-auditkernel", distro)), 0o644))
	out, err := exec.Command("systemd-analyze", "verify", local).CombinedOutput()
	require.NoError(t, err, "systemd-analyze verify: %s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "warnings from systemd-analyze verify")
}
