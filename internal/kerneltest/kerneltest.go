//go:build linux

// Package kerneltest lets tests in several packages share the real kernel's
// audit subsystem: one process at a time (a file lock), and the kernel's audit
// state put back as it was when the test ends.
package kerneltest // import "github.com/auditkernel/auditkernel/internal/kerneltest"

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const enabledLocked = 2 // audit_status.enabled when the configuration is immutable

// LockPath serializes kernel tests across processes (several test binaries, a
// distro under test, a developer's second shell): only one process may own
// the unicast socket.
var LockPath = filepath.Join(os.TempDir(), "auditkernel-kernel-tests.lock")

// Require skips the test, saying why, where the audit socket cannot be used;
// otherwise it takes the lock and restores the kernel's audit status and rules
// when the test ends.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("kernel test skipped: needs root (CAP_AUDIT_CONTROL and CAP_AUDIT_READ) to use the audit netlink socket")
	}
	lock(t)
	client, err := libaudit.NewAuditClient(nil)
	if err != nil {
		t.Skipf("kernel test skipped: audit netlink socket unavailable (kernel without CONFIG_AUDIT, or not the initial network namespace): %v", err)
	}
	defer func() { assert.NoError(t, client.Close()) }()
	status, err := client.GetStatus()
	if err != nil {
		t.Skipf("kernel test skipped: cannot read the kernel audit status: %v", err)
	}
	if status.Enabled == enabledLocked {
		t.Skip("kernel test skipped: the kernel audit configuration is locked (enabled=2) until reboot")
	}
	if comm, alive := process(status.PID); status.PID != 0 && alive {
		t.Skipf("kernel test skipped: audit PID is held by process %d (%s); stop it to run the kernel tests", status.PID, comm)
	}
	rules, err := client.GetRules()
	require.NoError(t, err)
	t.Cleanup(func() { restore(t, status, rules) })
}

func lock(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(LockPath, os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
	// Registered first, so it runs last: after restore.
	t.Cleanup(func() { assert.NoError(t, f.Close()) })
}

func restore(t testing.TB, was *libaudit.AuditStatus, rules [][]byte) {
	client, err := libaudit.NewAuditClient(nil)
	require.NoError(t, err)
	defer func() { assert.NoError(t, client.Close()) }()
	_, err = client.DeleteRules()
	assert.NoError(t, err)
	for _, r := range rules {
		assert.NoError(t, client.AddRule(r))
	}
	now, err := client.GetStatus()
	require.NoError(t, err)
	if _, alive := process(now.PID); now.PID != 0 && !alive || int(now.PID) == os.Getpid() {
		// Leftover registration of a test's process; the kernel would drop it lazily.
		assert.NoError(t, ClearPID(client))
	}
	assert.NoError(t, client.SetFailure(libaudit.FailureMode(was.Failure), libaudit.WaitForReply))
	assert.NoError(t, client.SetBacklogLimit(was.BacklogLimit, libaudit.WaitForReply))
	assert.NoError(t, client.SetRateLimit(was.RateLimit, libaudit.WaitForReply))
	assert.NoError(t, client.SetBacklogWaitTime(int32(was.BacklogWaitTime), libaudit.WaitForReply))
	assert.NoError(t, client.SetEnabled(was.Enabled == 1, libaudit.WaitForReply))
}

// ClearPID sends the AUDIT_SET that go-libaudit has no method for: audit PID 0.
func ClearPID(client *libaudit.AuditClient) error {
	data := make([]byte, 40) // struct audit_status up to and including pid
	putU32 := func(off int, v uint32) {
		data[off], data[off+1], data[off+2], data[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	putU32(0, uint32(libaudit.AuditStatusPID))
	putU32(12, 0)
	_, err := client.Netlink.Send(syscall.NetlinkMessage{
		Header: syscall.NlMsghdr{Type: libaudit.AuditSet, Flags: syscall.NLM_F_REQUEST},
		Data:   data,
	})
	return err
}

// Status reads the kernel's audit status.
func Status(t testing.TB) *libaudit.AuditStatus {
	t.Helper()
	client, err := libaudit.NewAuditClient(nil)
	require.NoError(t, err)
	defer func() { assert.NoError(t, client.Close()) }()
	status, err := client.GetStatus()
	require.NoError(t, err)
	return status
}

// process returns the command name of pid and whether it is running.
func process(pid uint32) (string, bool) {
	comm, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/comm")
	return strings.TrimSpace(string(comm)), err == nil
}

// HasKey reports whether a log record's attributes carry the audit rule key
// (`-k key`): how tests find the events their own rules selected.
func HasKey(attrs map[string]any, key string) bool {
	keys, _ := attrs["audit.kernel.key"].([]any)
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

// IsSyscallWithKey reports whether a log record's attributes are those of a
// syscall event selected by the rule with key. HasKey alone also matches the
// CONFIG_CHANGE record of installing that rule, which reaches the receiver
// only when the kernel's sender is slower than its registration as the audit
// PID (without audit=1 at boot, the kernel drops it otherwise).
func IsSyscallWithKey(attrs map[string]any, key string) bool {
	return attrs["audit.kernel.record_type"] == "syscall" && HasKey(attrs, key)
}
