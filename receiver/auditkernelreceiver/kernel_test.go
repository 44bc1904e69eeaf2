//go:build linux

package auditkernelreceiver

// Tests against the real kernel. They run serially (none calls t.Parallel,
// and this is the only package that touches the audit socket), restore the
// kernel's audit state in t.Cleanup, and skip with the reason where the
// kernel cannot be reached; .ci/run fails if they skipped.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/kerneltest"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadatatest"
)

const holdPIDEnv = "AUDITKERNEL_TEST_HOLD_PID"

func kernelRules(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("auditctl", "-l").CombinedOutput()
	require.NoError(t, err, string(out))
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// startKernelReceiver starts a receiver on the real kernel and shuts it down
// when the test ends.
func startKernelReceiver(t *testing.T, cfg *Config) (*auditReceiver, *consumertest.LogsSink) {
	t.Helper()
	sink := new(consumertest.LogsSink)
	return startKernelReceiverTo(t, cfg, sink), sink
}

// startKernelReceiverTo is startKernelReceiver with any next consumer; Shutdown
// may also be called by the test.
func startKernelReceiverTo(t *testing.T, cfg *Config, next consumer.Logs) *auditReceiver {
	t.Helper()
	require.NoError(t, cfg.Validate())
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, next, kernel.Open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, r.Shutdown(context.Background())) })
	return r
}

// waitForRecord returns the first record for which match is true.
func waitForRecord(t *testing.T, sink *consumertest.LogsSink, match func(attrs map[string]any) bool) plog.LogRecord {
	t.Helper()
	_, lr := waitForResourceRecord(t, sink, match)
	return lr
}

func run(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		require.NoError(t, err, string(out))
	}
	return cmd.Process.Pid
}

func TestKernelFileWatch(t *testing.T) {
	kerneltest.Require(t)
	target := filepath.Join(t.TempDir(), "watched")
	require.NoError(t, os.WriteFile(target, nil, 0o600))
	cfg := defaultConfig()
	cfg.AuditRules = fmt.Sprintf("# watch one file\n-w %s -p wa -k akt_watch\n", target)
	// The CONFIG_CHANGE records of installing the rules, logged under the
	// self-exclusion rule, never get an end of event, and reach the receiver
	// when the kernel's sender is slow: the event must not wait behind them
	// for the reassembler's timeout (waitForRecord gives up after 10 s).
	cfg.Reassembler.Timeout = time.Minute
	_, sink := startKernelReceiver(t, cfg)

	rules := kernelRules(t)
	require.Len(t, rules, 2, "the self-exclusion rule, then the configured one: %v", rules)
	assert.Contains(t, rules[0], fmt.Sprintf("-a never,exit -S all -F pid=%d", os.Getpid()))
	assert.Contains(t, rules[1], "-w "+target+" -p wa -k akt_watch")
	assert.Equal(t, uint32(os.Getpid()), kerneltest.Status(t).PID, "unicast registers the audit PID")

	// The collector's own write is not audited: the self-exclusion rule.
	require.NoError(t, os.WriteFile(target, []byte("self"), 0o600))
	pid := run(t, exec.Command("/bin/sh", "-c", "echo hello >> "+target))

	lr := waitForRecord(t, sink, func(a map[string]any) bool { return kerneltest.IsSyscallWithKey(a, "akt_watch") })
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, int64(pid), attrs["process.pid"])
	assert.Equal(t, int64(os.Getpid()), attrs["process.parent_pid"])
	assert.Equal(t, "opened-file", attrs["audit.kernel.action"])
	assert.Equal(t, target, attrs["audit.kernel.thing.primary"])
	assert.Equal(t, "file", attrs["audit.kernel.thing.what"])
	assert.Equal(t, target, attrs["file.path"])
	assert.Equal(t, "audit.kernel.syscall", lr.EventName())
	assert.Equal(t, "success", attrs["audit.kernel.result"])
	assert.Contains(t, []any{"/usr/bin/dash", "/bin/dash", "/usr/bin/bash", "/bin/bash"}, attrs["process.executable.path"])
	assert.Equal(t, "/bin/sh -c echo hello >> "+target, attrs["process.title"])
	paths, _ := attrs["audit.kernel.paths"].([]any)
	require.NotEmpty(t, paths)
	assert.Equal(t, target, paths[len(paths)-1].(map[string]any)["name"])
	// The collector's own configuration changes are audited (CONFIG_CHANGE),
	// its syscalls are not.
	for _, lr := range logRecords(sink.AllLogs()) {
		attrs := lr.Attributes().AsRaw()
		if attrs["process.pid"] == int64(os.Getpid()) {
			assert.NotEqual(t, "audit.kernel.syscall", lr.EventName(), "the collector audited itself: %v", attrs)
		}
	}
}

func TestKernelFailedOpenAsUnprivilegedUser(t *testing.T) {
	kerneltest.Require(t)
	secret := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secret, []byte("x"), 0o600))
	cfg := defaultConfig()
	cfg.AuditRules = "-a always,exit -F arch=b64 -S open,openat -F exit=-EACCES -F uid=65534 -k akt_access"
	_, sink := startKernelReceiver(t, cfg)

	cmd := exec.Command("/bin/cat", secret)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	pid := run(t, cmd)

	lr := waitForRecord(t, sink, func(a map[string]any) bool {
		return kerneltest.HasKey(a, "akt_access") && a["process.pid"] == int64(pid)
	})
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	assert.Equal(t, "fail", attrs["audit.kernel.result"])
	assert.Equal(t, "EACCES", attrs["audit.kernel.data.exit"])
	assert.Equal(t, "65534", attrs["user.id"])
	assert.Equal(t, "/usr/bin/cat", attrs["process.executable.path"])
}

func TestKernelConnect(t *testing.T) {
	kerneltest.Require(t)
	listener, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { assert.NoError(t, listener.Close()) }()
	port := listener.Addr().(*net.TCPAddr).Port
	cfg := defaultConfig()
	cfg.AuditRules = "-a always,exit -F arch=b64 -S connect -k akt_connect"
	_, sink := startKernelReceiver(t, cfg)

	pid := run(t, exec.Command("/bin/bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d", port)))

	// bash may connect to other sockets first (nscd, a resolver): wait for ours.
	lr := waitForRecord(t, sink, func(a map[string]any) bool {
		return kerneltest.HasKey(a, "akt_connect") && a["process.pid"] == int64(pid) && a["destination.port"] == int64(port)
	})
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, "connected-to", attrs["audit.kernel.action"])
	assert.Equal(t, "success", attrs["audit.kernel.result"])
	assert.Equal(t, "127.0.0.1", attrs["destination.address"])
	assert.Equal(t, int64(port), attrs["destination.port"])
	assert.Equal(t, "ipv4", attrs["audit.kernel.socket.family"])
	assert.Equal(t, strconv.Itoa(port), attrs["audit.kernel.socket.port"])
}

// sendUserLogin sends the seed's USER_LOGIN message to the kernel, as sshd does.
func sendUserLogin(t *testing.T) {
	t.Helper()
	client, err := libaudit.NewAuditClient(nil)
	require.NoError(t, err)
	defer func() { assert.NoError(t, client.Close()) }()
	text := `op=login acct=28696E76616C6964207573657229 exe="/usr/sbin/sshd" hostname=? addr=179.38.151.221 terminal=sshd res=failed`
	_, err = client.Netlink.Send(syscall.NetlinkMessage{
		Header: syscall.NlMsghdr{Type: uint16(auparse.AUDIT_USER_LOGIN), Flags: syscall.NLM_F_REQUEST},
		Data:   append([]byte(text), 0),
	})
	require.NoError(t, err)
}

// The seed's example, produced for real: the running receiver turns the
// kernel's USER_LOGIN record into the seed's document.
func TestKernelInjectedUserLogin(t *testing.T) {
	kerneltest.Require(t)
	_, sink := startKernelReceiver(t, defaultConfig()) // no rules: multicast
	assert.Equal(t, uint32(1), kerneltest.Status(t).Enabled, "multicast enables a disabled kernel")

	sendUserLogin(t)

	lr := waitForRecord(t, sink, func(a map[string]any) bool {
		return a["audit.kernel.record_type"] == "user_login" && a["process.pid"] == int64(os.Getpid())
	})
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, "audit.kernel.user_login", lr.EventName())
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	for key, want := range seedUserLoginAttributes {
		assert.Equal(t, want, attrs[key], key)
	}
	// auid and session are this process's own, as the kernel stamps them.
	loginuid, err := os.ReadFile("/proc/self/loginuid")
	require.NoError(t, err)
	if strings.TrimSpace(string(loginuid)) == "4294967295" {
		assert.Equal(t, "unset", attrs["audit.kernel.actor.attrs.auid"])
		assert.Equal(t, "unset", attrs["audit.kernel.actor.primary"])
		assert.Equal(t, "unset", attrs["audit.kernel.session"])
	}
	assert.WithinDuration(t, time.Now(), lr.Timestamp().AsTime(), time.Minute)
}

// TestHelperHoldAuditPID is not a test: run with holdPIDEnv set, it is a
// stand-in for auditd that holds the unicast audit socket until killed, or
// says why the kernel refused it.
func TestHelperHoldAuditPID(t *testing.T) {
	if os.Getenv(holdPIDEnv) == "" {
		t.Skip("helper process for TestKernelAnotherProcessHoldsPID")
	}
	client, err := libaudit.NewAuditClient(nil)
	require.NoError(t, err)
	if err := client.SetPID(libaudit.WaitForReply); err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Println("holding")
	for {
		if _, err := client.Receive(false); err != nil && !strings.Contains(err.Error(), "no buffer") {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func startPIDHolder(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldAuditPID$")
	cmd.Env = append(os.Environ(), holdPIDEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "holding\n", line)
	require.Equal(t, uint32(cmd.Process.Pid), kerneltest.Status(t).PID)
	return cmd.Process.Pid
}

func TestKernelAnotherProcessHoldsPID(t *testing.T) {
	kerneltest.Require(t)
	holder := startPIDHolder(t)

	cfg := defaultConfig()
	cfg.SocketType = kernel.SocketUnicast
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), kernel.Open)
	require.NoError(t, err)
	err = r.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("audit PID is held by process %d (auditkernelrece", holder))
	assert.Contains(t, err.Error(), "(auditd?)")
	require.NoError(t, r.Shutdown(context.Background()))
	assert.Equal(t, uint32(holder), kerneltest.Status(t).PID, "a failed start leaves the owner alone")

	// Multicast receives while the other process owns the PID.
	cfg = defaultConfig()
	cfg.SocketType = kernel.SocketMulticast
	_, sink := startKernelReceiver(t, cfg)
	sendUserLogin(t)
	waitForRecord(t, sink, func(a map[string]any) bool {
		return a["audit.kernel.record_type"] == "user_login" && a["process.pid"] == int64(os.Getpid())
	})
	assert.Equal(t, uint32(holder), kerneltest.Status(t).PID, "multicast does not take the PID")
}

func TestKernelSettingsAndLifecycle(t *testing.T) {
	kerneltest.Require(t)
	cfg := defaultConfig()
	cfg.SocketType = kernel.SocketUnicast
	cfg.FailureMode = "log"
	cfg.BacklogLimit = 4096
	cfg.RateLimit = 0
	cfg.BackpressureStrategy = kernel.BackpressureKernel
	cfg.AuditRules = "-w /etc/akt-lifecycle-nonexistent-dir -p wa -k akt_lifecycle"

	for i := range 2 {
		core, logs := observer.New(zap.InfoLevel)
		set := receivertest.NewNopSettings(metadata.Type)
		set.Logger = zap.New(core)
		r, err := newReceiver(set, cfg, consumertest.NewNop(), kernel.Open)
		require.NoError(t, err)
		begin := time.Now()
		require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()), "start %d", i)
		assert.Less(t, time.Since(begin), 5*time.Second, "Start returns quickly")
		// What was chosen is logged once, in one line; the second start
		// finds the settings in place.
		require.Equal(t, 1, logs.Len(), "start %d: %v", i, logs.All())
		started := logs.All()[0].ContextMap()
		assert.Equal(t, "unicast", started["socket_type"])
		assert.Equal(t, "socket_type is unicast", started["socket_type_reason"])
		assert.Equal(t, int64(1), started["rules_installed"])
		assert.Equal(t, "kernel", started["backpressure_strategy"])
		changed := fmt.Sprint(started["kernel_settings_changed"])
		if i == 0 {
			assert.Contains(t, changed, "->4096", "backlog_limit")
		} else {
			assert.NotContains(t, changed, "backlog_limit")
		}
		status := kerneltest.Status(t)
		assert.Equal(t, uint32(os.Getpid()), status.PID)
		assert.Equal(t, uint32(1), status.Enabled)
		assert.Equal(t, uint32(1), status.Failure)
		assert.Equal(t, uint32(4096), status.BacklogLimit)
		if status.FeatureBitmap&libaudit.AuditFeatureBitmapBacklogWaitTime != 0 {
			assert.Equal(t, uint32(0), status.BacklogWaitTime, "strategy kernel: audited syscalls never wait")
		}
		require.NoError(t, r.Shutdown(context.Background()))
		require.NoError(t, r.Shutdown(context.Background()), "Shutdown is idempotent")
		assert.Equal(t, uint32(0), kerneltest.Status(t).PID, "Shutdown releases the audit PID")
		rules := kernelRules(t)
		assert.Equal(t, []string{"-w /etc/akt-lifecycle-nonexistent-dir -p wa -k akt_lifecycle"}, rules,
			"Shutdown removes the self-exclusion rule, so a process reusing the PID is audited; configured rules stay")
	}

	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), kernel.Open)
	require.NoError(t, err)
	require.NoError(t, r.Shutdown(context.Background()), "Shutdown without Start")

	// Two unicast receivers in one collector cannot share the PID.
	startKernelReceiver(t, cfg)
	second, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), kernel.Open)
	require.NoError(t, err)
	err = second.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, fmt.Sprintf("audit PID is held by process %d (this collector) for another auditkernel receiver", os.Getpid()))
	require.NoError(t, second.Shutdown(context.Background()))
}

// Someone runs `auditctl -D` (and adds a rule of their own): the receiver
// puts the configured rules back and says so in the stream.
func TestKernelRuleDrift(t *testing.T) {
	kerneltest.Require(t)
	cfg := defaultConfig()
	cfg.AuditRules = "-w /etc/passwd -p wa -k identity\n-A always,exit -F arch=b64 -S connect -k akt_connect"
	cfg.RuleCheckInterval = 200 * time.Millisecond
	_, sink := startKernelReceiver(t, cfg)
	installed := kernelRules(t)
	require.Len(t, installed, 3)

	out, err := exec.Command("auditctl", "-D").CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command("auditctl", "-a", "always,exit", "-F", "arch=b64", "-S", "unlink", "-k", "stranger").CombinedOutput()
	require.NoError(t, err, string(out))

	var drift plog.LogRecord
	require.Eventually(t, func() bool {
		drifts := notices(sink.AllLogs(), eventNameRulesDrift)
		if len(drifts) > 0 {
			drift = drifts[0]
		}
		return len(drifts) > 0
	}, 5*time.Second, 20*time.Millisecond)
	attrs := drift.Attributes().AsRaw()
	assert.ElementsMatch(t, []any{
		fmt.Sprintf("-a never,exit -F pid=%d", os.Getpid()),
		"-w /etc/passwd -p wa -k identity",
		"-A always,exit -F arch=b64 -S connect -k akt_connect",
	}, attrs[eventNameRulesDrift+".missing"])
	assert.Equal(t, []any{"-a always,exit -F arch=b64 -S unlink -F key=stranger"}, attrs[eventNameRulesDrift+".extra"])
	assert.Equal(t, true, attrs[eventNameRulesDrift+".reinstalled"])
	assert.Equal(t, installed, kernelRules(t), "the configured rules are back, once")
}

// The kernel refuses to hand a live receiver's audit PID to another process
// (EEXIST), so starting auditd while the receiver runs cannot steal the stream.
func TestKernelPIDCannotBeTakenWhileRunning(t *testing.T) {
	kerneltest.Require(t)
	cfg := defaultConfig()
	cfg.SocketType = kernel.SocketUnicast
	_, sink := startKernelReceiver(t, cfg)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldAuditPID$")
	cmd.Env = append(os.Environ(), holdPIDEnv+"=1")
	out, err := cmd.Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "refused: ")
	assert.Contains(t, string(out), "file exists")
	assert.Equal(t, uint32(os.Getpid()), kerneltest.Status(t).PID)

	sendUserLogin(t)
	waitForRecord(t, sink, func(a map[string]any) bool {
		return a["audit.kernel.record_type"] == "user_login" && a["process.pid"] == int64(os.Getpid())
	})
}

// A real login-uid change: a child process writes an auid to its own
// /proc/self/loginuid, as pam_loginuid does at every login, and the kernel's
// LOGIN record (1006) reaches the output as Auditbeat's changed-login-id-to,
// with no sequence gap counted. Only the child's credentials change; it exits.
func TestKernelLoginUID(t *testing.T) {
	kerneltest.Require(t)
	inherited, err := os.ReadFile("/proc/self/loginuid")
	require.NoError(t, err)
	auid := "4242"
	if strings.TrimSpace(string(inherited)) == auid {
		auid = "4243"
	}

	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	cfg := defaultConfig()
	cfg.IncludeRawMessage = true
	require.NoError(t, cfg.Validate())
	sink := new(consumertest.LogsSink)
	r, err := newReceiver(metadatatest.NewSettings(tt), cfg, sink, kernel.Open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	shutdown := func() { assert.NoError(t, r.Shutdown(context.Background())) }
	t.Cleanup(func() {
		if r.reader != nil && !isClosed(r.reader.done) {
			shutdown()
		}
	})

	// The shell's echo is a builtin: the write is the child's own.
	cmd := exec.Command("/bin/sh", "-c", "echo "+auid+" > /proc/self/loginuid")
	out, err := cmd.CombinedOutput()
	if err != nil && strings.TrimSpace(string(inherited)) != "4294967295" && strings.Contains(string(out), "not permitted") {
		t.Skipf("kernel test skipped: this process's login uid is set (%s) and the kernel makes it immutable (audit_loginuid_immutable): %s", inherited, out)
	}
	require.NoError(t, err, string(out))
	pid := int64(cmd.Process.Pid)

	lr := waitForRecord(t, sink, func(a map[string]any) bool {
		return a["audit.kernel.record_type"] == "login" && a["process.pid"] == pid
	})
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, "audit.kernel.login", lr.EventName())
	assert.Equal(t, "changed-login-id-to", attrs["audit.kernel.action"])
	assert.Equal(t, auid, attrs["audit.kernel.thing.primary"], "the new login uid")
	assert.Equal(t, "success", attrs["audit.kernel.result"])
	// Auditbeat's roles: the new login uid is the account acted on; the
	// subject is the old one (unset here: no user.id).
	assert.Equal(t, auid, attrs["audit.kernel.user.effective.id"])
	if strings.TrimSpace(string(inherited)) == "4294967295" {
		assert.NotContains(t, attrs, "user.id")
	}
	assert.Equal(t, []any{"authentication"}, attrs["audit.kernel.event.category"])
	assert.Equal(t, []any{"start"}, attrs["audit.kernel.event.type"])
	messages, _ := attrs["audit.kernel.messages"].([]any)
	require.NotEmpty(t, messages)
	assert.Contains(t, messages[0], "type=LOGIN msg=audit(")
	for _, lr := range logRecords(sink.AllLogs()) {
		if a := lr.Attributes().AsRaw(); a["audit.kernel.sequence"] == attrs["audit.kernel.sequence"] {
			t.Logf("event of the LOGIN's serial: %s %v", lr.EventName(), a["audit.kernel.messages"])
		}
	}

	shutdown()
	_, err = tt.GetMetric("otelcol_receiver_auditkernel_sequence_gaps")
	assert.Error(t, err, "no sequence gap was counted")
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
