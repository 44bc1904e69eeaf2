//go:build linux

package auditlogreceiver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/kerneltest"
	"github.com/auditkernel/auditkernel/internal/translate"
)

// auditdConf is a test auditd that writes ENRICHED lines with node=testnode
// into dir/log, loads no plugins and never acts on disk space.
const auditdConf = `local_events = yes
write_logs = yes
log_file = %[1]s/log/audit.log
log_format = ENRICHED
flush = INCREMENTAL_ASYNC
freq = 1
max_log_file = 8
num_logs = 5
max_log_file_action = ROTATE
name_format = user
name = testnode
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
plugin_dir = %[1]s/plugins
q_depth = 2000
overflow_action = IGNORE
`

// auditd is a running test auditd.
type auditd struct {
	cmd *exec.Cmd
	dir string
}

// startAuditd starts Debian's auditd on a temporary directory as the
// kernel's audit daemon, and stops it when the test ends, even on failure.
// The caller holds kerneltest's lock, which also restores the kernel's audit
// PID, rules and settings after the test (cleanups run last in, first out,
// so auditd is gone by then).
func startAuditd(t *testing.T) *auditd {
	t.Helper()
	bin, err := exec.LookPath("auditd")
	if err != nil {
		t.Skipf("kernel test skipped: no auditd (Debian's auditd package; make deps installs it): %v", err)
	}
	dir := t.TempDir()
	for _, d := range []string{"conf", "plugins", "log", "w"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, d), 0o700))
	}
	// auditd refuses a configuration file that others can write.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "conf", "auditd.conf"), fmt.Appendf(nil, auditdConf, dir), 0o600))

	cmd := exec.Command(bin, "-n", "-c", filepath.Join(dir, "conf"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	a := &auditd{cmd: cmd, dir: dir}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			t.Logf("auditd stopped: %v", err)
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			t.Logf("auditd killed: %v", <-exited)
		}
		// auditd removes its pid file unless it was killed.
		if pid, err := os.ReadFile("/var/run/auditd.pid"); err == nil && strings.TrimSpace(string(pid)) == strconv.Itoa(cmd.Process.Pid) {
			_ = os.Remove("/var/run/auditd.pid")
		}
		if now := kerneltest.Status(t); int(now.PID) == cmd.Process.Pid {
			t.Errorf("the test auditd (pid %d) still owns the audit socket", now.PID)
		}
	})
	require.Eventually(t, func() bool {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("auditd exited: %v: %s", err, stderr.String())
		default:
		}
		return int(kerneltest.Status(t).PID) == cmd.Process.Pid
	}, 5*time.Second, 20*time.Millisecond, "auditd did not register as the audit daemon")
	return a
}

func (a *auditd) logDir() string { return filepath.Join(a.dir, "log") }

// rotate makes auditd rotate its log (SIGUSR1) and waits for audit.log.1.
func (a *auditd) rotate(t *testing.T) {
	t.Helper()
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGUSR1))
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(a.logDir(), "audit.log.1"))
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "auditd did not rotate")
}

// stop stops auditd, which writes DAEMON_END, and waits for it.
func (a *auditd) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return kerneltest.Status(t).PID == 0 }, 5*time.Second, 10*time.Millisecond)
}

func auditctl(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("auditctl", args...).CombinedOutput()
	require.NoError(t, err, "auditctl %v: %s", args, out)
}

// TestKernelAuditd runs Debian's auditd against a temporary log directory
// (ENRICHED, node=testnode), installs a watch and an execve rule, writes
// the watched file, runs a command with arguments and injects a user
// message, across auditd's rotation (SIGUSR1) and a restart of the
// receiver with file_storage between them. Every event auditd wrote is
// emitted exactly once, with host.name testnode, and with the attributes
// the auditkernel receiver gives the same records.
func TestKernelAuditd(t *testing.T) {
	waited := time.Now()
	kerneltest.Require(t)
	began := time.Now()
	t.Logf("waited %v for the kernel tests' lock", began.Sub(waited).Round(time.Millisecond))
	defer func() { t.Logf("ran %v", time.Since(began).Round(time.Millisecond)) }()
	a := startAuditd(t)
	target := filepath.Join(a.dir, "w", "target")
	require.NoError(t, os.WriteFile(target, nil, 0o600))
	auditctl(t, "-w", target, "-p", "wa", "-k", "alkwatch")
	auditctl(t, "-a", "always,exit", "-F", "arch=b64", "-S", "execve", "-F", "ppid="+strconv.Itoa(os.Getpid()), "-k", "alkexec")

	storageDir := t.TempDir()
	host, id, stopStorage := fileStorage(t, storageDir)
	cfg := testConfig(a.logDir())
	cfg.Storage = &id
	first := start(t, cfg, host)

	// Round 1, read live, with a rotation in the middle.
	appendTo(t, target, "one\n")
	runCmd(t, "/usr/bin/printf", "%s %s\n", "hello world", "/tmp")
	auditctl(t, "-m", "altest message one")
	waitFor(t, first, "altest message one")
	a.rotate(t)
	auditctl(t, "-m", "altest message two")
	waitFor(t, first, "altest message two")
	require.NoError(t, first.r.Shutdown(context.Background()))
	stopStorage()

	// Round 2, while the receiver is stopped: more lines, then a rotation,
	// so that the unread end of the file is in audit.log.1, then more.
	appendTo(t, target, "two\n")
	auditctl(t, "-m", "altest message three")
	a.rotate(t)
	runCmd(t, "/bin/ls", "-la", "/tmp")

	// Round 3: a new receiver and file_storage on the same positions.
	host, id, _ = fileStorage(t, storageDir)
	cfg = testConfig(a.logDir())
	cfg.Storage = &id
	second := start(t, cfg, host)
	waitFor(t, second, "altest message three")
	auditctl(t, "-m", "altest message four")
	auditctl(t, "-D")
	a.stop(t)
	waitFor(t, second, "daemon_end")
	second.settle(cfg)

	files, err := filepath.Glob(filepath.Join(a.logDir(), "audit.log*"))
	require.NoError(t, err)
	require.Len(t, files, 3, "audit.log, .1 and .2")
	all := recordedEvents(t, files...)
	got := append(first.events(), second.events()...)
	t.Logf("%d events in %d files: %d before the restart, %d after", len(all), len(files), len(first.events()), len(second.events()))
	require.NotEmpty(t, first.events())
	require.NotEmpty(t, second.events())
	checkExactlyOnce(t, got, all)

	// The kernel receiver's defaults: resolve_ids on.
	kernel := kernelPath(t, translate.Options{ResolveIDs: true}, files...)
	var watches, execs, users int
	for _, e := range got {
		assert.Equal(t, "testnode", e.host)
		keys := anySlice(e.attrs["audit.kernel.key"])
		switch {
		case e.attrs["audit.kernel.record_type"] == "syscall" && containsAny(keys, "alkwatch"):
			watches++
			assert.Equal(t, target, e.attrs["file.path"])
		case e.attrs["audit.kernel.record_type"] == "syscall" && e.attrs["process.executable.path"] == "/usr/bin/printf":
			execs++
			assert.Equal(t, []any{"/usr/bin/printf", "%s %s\n", "hello world", "/tmp"}, e.attrs["process.command_args"])
		case e.attrs["audit.kernel.record_type"] == "user":
			users++
		}
		want, ok := kernel[e.seq]
		if assert.True(t, ok, "event %d", e.seq) {
			assert.Equal(t, keyAttributes(want.Attributes().AsRaw()), keyAttributes(e.attrs), "event %d", e.seq)
			assert.Equal(t, want.Body().Str(), e.lr.Body().Str(), "event %d", e.seq)
		}
	}
	assert.Equal(t, 2, watches, "file writes")
	assert.Equal(t, 1, execs, "printf")
	assert.Equal(t, 4, users, "auditctl -m")
}

func containsAny(values []any, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

func runCmd(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s: %s", name, out)
}

// waitFor waits until an event's summary or messages contain text.
func waitFor(t *testing.T, ru *run, text string) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, e := range ru.events() {
			if strings.Contains(fmt.Sprint(e.attrs), text) {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "no event with %q", text)
}

// keyAttributes are the actor, action, thing, user, process and file
// attributes of a log record.
func keyAttributes(attrs map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range attrs {
		for _, p := range []string{"audit.kernel.actor", "audit.kernel.action", "audit.kernel.thing", "audit.kernel.how", "audit.kernel.category", "audit.kernel.result", "user.", "process.", "file."} {
			if strings.HasPrefix(k, p) {
				out[k] = v
			}
		}
	}
	return out
}
