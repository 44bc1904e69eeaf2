//go:build linux

package e2e

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/kerneltest"
)

// The least-privilege claim of packaging/systemd/otelcol-auditkernel.service:
// an unprivileged user with CAP_AUDIT_CONTROL and CAP_AUDIT_READ (unicast, with
// rules), or CAP_AUDIT_READ alone (multicast), runs the receiver; without them
// Start fails naming the capability. setpriv (util-linux) sets up the process
// as systemd's AmbientCapabilities/CapabilityBoundingSet/NoNewPrivileges do.

// unprivileged is a distro ready to run as nobody: the binary copied where
// nobody can execute it, and an output directory nobody can write.
type unprivileged struct {
	dir      string
	distro   string
	uid, gid int
}

func setUpUnprivileged(t *testing.T) unprivileged {
	t.Helper()
	distro := distroPath(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("capability test skipped: setpriv (util-linux) is not installed")
	}
	nobody, err := user.Lookup("nobody")
	require.NoError(t, err)
	u := unprivileged{dir: t.TempDir()}
	u.uid, _ = strconv.Atoi(nobody.Uid)
	u.gid, _ = strconv.Atoi(nobody.Gid)
	// t.TempDir's parent is private (0700); nobody must reach the configs, the
	// binary and the watched file.
	require.NoError(t, os.Chmod(filepath.Dir(u.dir), 0o755))
	require.NoError(t, os.Chmod(u.dir, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(u.dir, "out"), 0o755))
	require.NoError(t, os.Chown(filepath.Join(u.dir, "out"), u.uid, u.gid))
	u.distro = filepath.Join(u.dir, "otelcol-auditkernel")
	copyFile(t, distro, u.distro, 0o755)
	return u
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	require.NoError(t, err)
	defer func() { assert.NoError(t, in.Close()) }()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// argv runs the distro as nobody with exactly caps (e.g. "audit_read") as its
// inheritable, ambient and bounding sets, and no_new_privs.
func (u unprivileged) argv(config string, caps ...string) []string {
	var b strings.Builder
	b.WriteString("-all")
	for _, c := range caps {
		b.WriteString(",+" + c)
	}
	set := b.String()
	return []string{"setpriv",
		"--reuid=" + strconv.Itoa(u.uid), "--regid=" + strconv.Itoa(u.gid), "--clear-groups",
		"--inh-caps=" + set, "--ambient-caps=" + set, "--bounding-set=" + set, "--no-new-privs",
		"--", u.distro, "--config", config}
}

// config is a receiver configuration writing its records to out/events.json.
func (u unprivileged) config(t *testing.T, name, receiver string) (string, string) {
	t.Helper()
	events := filepath.Join(u.dir, "out", name+".json")
	cfg := fmt.Sprintf(`receivers:
  auditkernel:
%s
exporters:
  file:
    path: %s
    format: json
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [auditkernel]
      exporters: [file]
`, receiver, events)
	return writeFile(t, u.dir, name+".yaml", cfg), events
}

// TestKernelLeastPrivilegeUnicast runs with the capabilities the systemd unit grants.
func TestKernelLeastPrivilegeUnicast(t *testing.T) {
	u := setUpUnprivileged(t)
	kerneltest.Require(t)
	target := writeFile(t, u.dir, "watched", "")
	const key = "e2e_caps_unicast"
	config, events := u.config(t, "unicast", fmt.Sprintf("    socket_type: unicast\n    audit_rules: \"-w %s -p w -k %s\"", target, key))

	c := u.start(t, config, unitCapabilities(t)...)
	assert.Equal(t, uint32(c.cmd.Process.Pid), kerneltest.Status(t).PID, "the unprivileged collector is the audit daemon")
	u.expectWrite(t, c, events, target, key)
}

func TestKernelLeastPrivilegeMulticast(t *testing.T) {
	u := setUpUnprivileged(t)
	kerneltest.Require(t)
	// Multicast never installs rules or enables auditing: an administrator
	// (here the test, as root) does.
	target := writeFile(t, u.dir, "watched", "")
	const key = "e2e_caps_multicast"
	// Rules already in the kernel (a watch on /tmp, say) would match the write
	// first and stamp their own key; kerneltest.Require puts them back.
	auditctl(t, "-D")
	auditctl(t, "-w", target, "-p", "w", "-k", key)
	auditctl(t, "-e", "1")
	config, events := u.config(t, "multicast", "    socket_type: multicast")

	c := u.start(t, config, "audit_read")
	assert.Contains(t, c.output(), "receiving the multicast stream with CAP_AUDIT_READ only")
	u.expectWrite(t, c, events, target, key)
}

// start runs the distro as nobody with caps and waits until it is ready.
func (u unprivileged) start(t *testing.T, config string, caps ...string) *collector {
	t.Helper()
	c := startCollector(t, nil, u.argv(config, caps...)...)
	c.waitReady(t)
	return c
}

// expectWrite makes a child write target and waits for its record.
func (u unprivileged) expectWrite(t *testing.T, c *collector, events, target, key string) {
	t.Helper()
	pid := writeFromChild(t, target)
	got := waitForExported(t, events, c, fromPID(pid, target, key))
	assert.Equal(t, "audit.kernel.syscall", got.record.EventName())
}

func TestKernelLeastPrivilegeMissingCapability(t *testing.T) {
	u := setUpUnprivileged(t)
	kerneltest.Require(t)
	unicast, _ := u.config(t, "unicast", "    socket_type: unicast\n    audit_rules: \"-w /etc/passwd -p wa -k identity\"")
	multicast, _ := u.config(t, "multicast", "    socket_type: multicast")
	for _, tc := range []struct {
		name, config string
		caps         []string
		missing      string
	}{
		{"unicast without capabilities", unicast, nil, "CAP_AUDIT_CONTROL"},
		{"unicast with CAP_AUDIT_READ only", unicast, []string{"audit_read"}, "CAP_AUDIT_CONTROL"},
		{"multicast without capabilities", multicast, nil, "CAP_AUDIT_READ"},
		{"multicast with CAP_AUDIT_CONTROL only", multicast, []string{"audit_control"}, "CAP_AUDIT_READ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startCollector(t, nil, u.argv(tc.config, tc.caps...)...)
			log, err := c.waitExit(t)
			require.Error(t, err, "the collector must not start:\n%s", log)
			assert.Contains(t, log, "needs "+tc.missing)
			assert.NotContains(t, log, "Everything is ready")
			assert.Equal(t, uint32(0), kerneltest.Status(t).PID, "a failed start leaves no audit PID")
		})
	}
}

func auditctl(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("auditctl", args...).CombinedOutput()
	require.NoError(t, err, "auditctl %v: %s", args, out)
}
