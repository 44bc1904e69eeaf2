//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// sysctlFile is where the package raises net.core.rmem_max to the default
// socket_buffer_size.
const sysctlFile = "/usr/lib/sysctl.d/60-otelcol-auditkernel.conf"

// receiveNap is how long Receive waits on a drained socket before polling it.
const receiveNap = 4 * time.Millisecond

// auditEnabledLocked is audit_status.enabled when the configuration is immutable.
const auditEnabledLocked = 2

// unicastOwner guards against two receivers in one process both claiming the
// audit PID: the kernel cannot tell them apart and the second would steal
// the events of the first.
var unicastOwner sync.Mutex

// netlinkKernel is the kernel reached over netlink.
type netlinkKernel struct {
	control *libaudit.AuditClient // status, settings and rules
	// data is the subscription; unicast registers its PID. The reading
	// goroutine replaces it in Reopen; sockMu orders that against Interrupt.
	data        *libaudit.AuditClient
	sock        *netlinkSocket
	received    libaudit.RawAuditMessage // what Receive returns, reused
	sockMu      sync.Mutex
	interrupted bool
	groups      uint32 // multicast groups of the data socket
	bufferSize  int
	unicast     bool
	statusMu    sync.Mutex // the control socket is used by the status monitor and Close
	// selfRule is the installed rule that excludes this process; it is
	// removed on Close so that a later process reusing the PID is audited.
	selfRule *Rule
	// rules are the configured rules while this receiver manages the
	// kernel's rules (unicast, not locked), otherwise nil.
	rules []Rule
	setup Setup
}

// Open configures the kernel as cfg says, installs the rules and subscribes
// to audit messages.
func Open(cfg Config, rules []Rule, logger *zap.Logger) (*Conn, error) {
	control, err := libaudit.NewAuditClient(nil)
	if err != nil {
		return nil, fmt.Errorf("audit is not available in this kernel: %w", err)
	}
	k := &netlinkKernel{control: control}
	if err := k.open(cfg, rules, logger); err != nil {
		return nil, errors.Join(err, k.Close())
	}
	k.setup.SocketBuffer = k.sock.receiveBuffer
	if cfg.SocketBufferSize > 0 && k.sock.receiveBuffer < cfg.SocketBufferSize {
		logger.Warn("the audit socket's receive buffer is smaller than socket_buffer_size: net.core.rmem_max caps it without CAP_NET_ADMIN; "+
			"a burst the buffer cannot hold is lost in the kernel (counted). Raise net.core.rmem_max (the package's "+sysctlFile+" does)",
			zap.Int("socket_buffer_size", cfg.SocketBufferSize), zap.Int("granted", k.sock.receiveBuffer))
	}
	return &Conn{Messages: k, Control: k, Rules: k, Setup: k.setup, Close: k.Close}, nil
}

func (k *netlinkKernel) open(cfg Config, rules []Rule, logger *zap.Logger) error {
	status, statusErr := k.control.GetStatus()
	if statusErr != nil && !errors.Is(statusErr, syscall.EPERM) {
		return fmt.Errorf("read kernel audit status: %w", statusErr)
	}
	major, minor := kernelVersion()
	plan, err := chooseSocketType(cfg, len(rules), status, major, minor)
	if err != nil {
		return err
	}
	if statusErr != nil {
		if plan.SocketType == SocketUnicast {
			return fmt.Errorf("configuring audit needs CAP_AUDIT_CONTROL (run as root, or grant CAP_AUDIT_CONTROL and CAP_AUDIT_READ): %w", statusErr)
		}
		logger.Warn("cannot read the kernel audit status without CAP_AUDIT_CONTROL; receiving the multicast stream with CAP_AUDIT_READ only", zap.Error(statusErr))
	}
	k.setup = plan
	k.setup.Backpressure = planBackpressure(cfg.BackpressureStrategy, status, plan.SocketType)
	if plan.SocketType == SocketMulticast {
		return k.subscribeMulticast(cfg, status, logger)
	}
	return k.subscribeUnicast(cfg, rules, status, logger)
}

// chooseSocketType applies the rules of Auditbeat's socket_type setting.
// status is nil when it could not be read (no CAP_AUDIT_CONTROL).
func chooseSocketType(cfg Config, ruleCount int, status *libaudit.AuditStatus, major, minor int) (Setup, error) {
	multicastSupported := major > 3 || (major == 3 && minor >= 16)
	locked := status != nil && status.Enabled == auditEnabledLocked
	switch cfg.SocketType {
	case SocketMulticast:
		if !multicastSupported {
			return Setup{SocketType: SocketUnicast, Reason: fmt.Sprintf("socket_type is multicast but kernel %d.%d is older than 3.16, which added it; falling back to unicast", major, minor)}, nil
		}
		return Setup{SocketType: SocketMulticast, Reason: "socket_type is multicast"}, nil
	case SocketUnicast:
		if locked && ruleCount > 0 && !cfg.Immutable {
			return Setup{}, errors.New("the kernel audit configuration is locked (enabled=2, set by -e 2): rules cannot be installed until reboot; remove audit_rules or use socket_type: multicast")
		}
		return Setup{SocketType: SocketUnicast, Reason: "socket_type is unicast"}, nil
	}
	switch {
	case !multicastSupported:
		return Setup{SocketType: SocketUnicast, Reason: fmt.Sprintf("kernel %d.%d is older than 3.16 and has no multicast audit socket", major, minor)}, nil
	case locked && !cfg.Immutable:
		return Setup{SocketType: SocketMulticast, Reason: "the kernel audit configuration is locked (enabled=2): rules cannot be applied, receiving the multicast stream"}, nil
	case ruleCount > 0 || cfg.Immutable:
		return Setup{SocketType: SocketUnicast, Reason: "audit rules are configured, which needs the unicast socket"}, nil
	default:
		return Setup{SocketType: SocketMulticast, Reason: "no audit rules are configured and the kernel supports multicast"}, nil
	}
}

func (k *netlinkKernel) subscribeMulticast(cfg Config, status *libaudit.AuditStatus, logger *zap.Logger) error {
	if status != nil && status.Enabled == 0 {
		// A disabled kernel emits nothing, not even to multicast listeners.
		if err := k.control.SetEnabled(true, libaudit.WaitForReply); err != nil {
			logger.Warn("audit is disabled in the kernel and enabling it failed (needs CAP_AUDIT_CONTROL); no events will arrive until it is enabled", zap.Error(err))
		} else {
			k.setup.Changed = append(k.setup.Changed, "enabled 0->1")
		}
	}
	k.groups, k.bufferSize = libaudit.NetlinkGroupReadLog, cfg.SocketBufferSize
	return k.openData()
}

// openData opens the data socket and, in unicast mode, registers it as the
// audit PID.
func (k *netlinkKernel) openData() error {
	sock, err := openNetlinkSocket(k.groups, k.bufferSize)
	if err != nil {
		return err
	}
	data := &libaudit.AuditClient{Netlink: sock}
	if k.unicast {
		if err := data.SetPID(libaudit.WaitForReply); err != nil {
			return errors.Join(fmt.Errorf("register as the audit PID: %w", err), sock.Close())
		}
	}
	k.sockMu.Lock()
	defer k.sockMu.Unlock()
	k.sock, k.data = sock, data
	if k.interrupted {
		sock.interrupt()
	}
	return nil
}

func (k *netlinkKernel) subscribeUnicast(cfg Config, rules []Rule, status *libaudit.AuditStatus, logger *zap.Logger) error {
	if !unicastOwner.TryLock() {
		return fmt.Errorf("audit PID is held by process %d (this collector) for another auditkernel receiver: only one receiver can use the unicast socket", os.Getpid())
	}
	k.unicast = true
	k.setup.PID = uint32(os.Getpid())
	if holder := int(status.PID); holder != 0 && holder != os.Getpid() && processExists(holder) {
		return fmt.Errorf("audit PID is held by process %d (%s): stop it (auditd?) or use socket_type: multicast", holder, ProcessName(holder))
	}
	locked := status.Enabled == auditEnabledLocked
	if locked {
		logger.Warn("the kernel audit configuration is locked (enabled=2): keeping the kernel's settings and rules as they are")
	} else if err := k.configure(cfg, rules, status); err != nil {
		return err
	}

	k.bufferSize = cfg.SocketBufferSize
	if err := k.openData(); err != nil {
		return err
	}
	if cfg.Immutable && !locked {
		if err := k.control.SetImmutable(libaudit.WaitForReply); err != nil {
			return fmt.Errorf("lock the audit configuration (immutable): %w", err)
		}
		k.setup.Changed = append(k.setup.Changed, "enabled 1->2 (locked until reboot)")
	}
	return nil
}

// configure applies the kernel settings that differ from cfg, then replaces
// the rules. Rules come first so that auditing is never enabled with a
// half-installed rule set.
func (k *netlinkKernel) configure(cfg Config, rules []Rule, status *libaudit.AuditStatus) error {
	set := func(name string, current, want uint32, apply func() error) error {
		if current == want {
			return nil
		}
		if err := apply(); err != nil {
			return fmt.Errorf("set kernel audit %s to %d: %w", name, want, err)
		}
		k.setup.Changed = append(k.setup.Changed, fmt.Sprintf("%s %d->%d", name, current, want))
		return nil
	}
	failure := FailureModes[cfg.FailureMode]
	if err := set("failure_mode", status.Failure, failure, func() error {
		return k.control.SetFailure(libaudit.FailureMode(failure), libaudit.WaitForReply)
	}); err != nil {
		return err
	}
	if err := set("backlog_limit", status.BacklogLimit, cfg.BacklogLimit, func() error {
		return k.control.SetBacklogLimit(cfg.BacklogLimit, libaudit.WaitForReply)
	}); err != nil {
		return err
	}
	if err := set("rate_limit", status.RateLimit, cfg.RateLimit, func() error {
		return k.control.SetRateLimit(cfg.RateLimit, libaudit.WaitForReply)
	}); err != nil {
		return err
	}
	if plan := k.setup.Backpressure; plan.SetWaitTime {
		if err := set("backlog_wait_time", status.BacklogWaitTime, plan.WaitTime, func() error {
			return k.control.SetBacklogWaitTime(int32(plan.WaitTime), libaudit.WaitForReply)
		}); err != nil {
			return err
		}
	}
	if len(rules) > 0 {
		if err := k.replaceRules(rules); err != nil {
			return err
		}
		if !cfg.Immutable {
			k.rules = rules
		}
		k.setup.Rules = len(rules)
	}
	if err := set("enabled", status.Enabled, 1, func() error {
		return k.control.SetEnabled(true, libaudit.WaitForReply)
	}); err != nil {
		return err
	}
	return nil
}

// replaceRules deletes every kernel rule, then installs a rule that stops the
// kernel auditing this process (our own reads and writes would feed back
// into the stream) followed by the configured rules.
func (k *netlinkKernel) replaceRules(rules []Rule) error {
	if _, err := k.control.DeleteRules(); err != nil {
		return fmt.Errorf("delete existing audit rules: %w", err)
	}
	self, err := selfExclusionRule()
	if err != nil {
		return err
	}
	for i, r := range append([]Rule{self}, rules...) {
		if err := k.control.AddRule(r.Wire); err != nil {
			return fmt.Errorf("install audit rule from %s %q: %w", r.Source, r.Text, err)
		}
		if i == 0 {
			k.selfRule = &self
		}
	}
	return nil
}

func selfExclusionRule() (Rule, error) {
	return BuildRule("self-exclusion", fmt.Sprintf("-a never,exit -F pid=%d", os.Getpid()))
}

func (k *netlinkKernel) Receive(timeout time.Duration) (*libaudit.RawAuditMessage, error) {
	// Under load the next message is already queued: reading before polling
	// saves a poll(2) per message. The socket is polled only when empty.
	// Messages already read from the socket are handed out first: they
	// would be lost uncounted otherwise.
	if k.sock.interrupted() && !k.sock.buffered() {
		return nil, ErrInterrupted
	}
	msg := &k.received
	err := k.sock.receive(msg)
	if errors.Is(err, unix.EAGAIN) {
		// The socket is drained. Waiting a little before polling lets the
		// kernel queue more, so that one wake-up reads many messages
		// instead of one (the kernel sends every record on its own).
		time.Sleep(receiveNap)
		err = k.sock.receive(msg)
	}
	if errors.Is(err, unix.EAGAIN) {
		readable, waitErr := k.sock.wait(timeout)
		if waitErr != nil || !readable {
			return nil, waitErr
		}
		err = k.sock.receive(msg)
	}
	switch {
	case errors.Is(err, unix.ENOBUFS):
		return nil, ErrSocketOverrun
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read audit netlink socket: %w", err)
	}
	return msg, nil
}

func (k *netlinkKernel) Interrupt() {
	k.sockMu.Lock()
	defer k.sockMu.Unlock()
	k.interrupted = true
	if k.sock != nil {
		k.sock.interrupt()
	}
}

func (k *netlinkKernel) Flush() error {
	if !k.unicast {
		return nil // multicast copies are never retried
	}
	k.statusMu.Lock()
	defer k.statusMu.Unlock()
	status, err := k.control.GetStatus()
	if err != nil {
		return err
	}
	// Setting backlog_limit to its own value changes nothing but logs a
	// CONFIG_CHANGE record, which wakes the kernel's sender.
	return k.control.SetBacklogLimit(status.BacklogLimit, libaudit.WaitForReply)
}

func (k *netlinkKernel) Reopen() error {
	// Closing the old socket first releases the audit PID, which the kernel
	// would otherwise refuse to hand to the new one (EEXIST). Its error is
	// of no use: the socket already failed.
	_ = k.data.Close()
	return k.openData()
}

func (k *netlinkKernel) Register() error {
	// NoWait: the reply arrives on the data socket, where the reader drops it.
	return k.data.SetPID(libaudit.NoWait)
}

func (k *netlinkKernel) Managed() []Rule {
	k.statusMu.Lock()
	defer k.statusMu.Unlock()
	if k.rules == nil || k.selfRule == nil {
		return nil
	}
	return append([]Rule{*k.selfRule}, k.rules...)
}

func (k *netlinkKernel) List() ([][]byte, error) {
	k.statusMu.Lock()
	defer k.statusMu.Unlock()
	return k.control.GetRules()
}

func (k *netlinkKernel) Replace() error {
	k.statusMu.Lock()
	defer k.statusMu.Unlock()
	return k.replaceRules(k.rules)
}

func (k *netlinkKernel) Status() (*libaudit.AuditStatus, error) {
	k.statusMu.Lock()
	defer k.statusMu.Unlock()
	return k.control.GetStatus()
}

func (k *netlinkKernel) Close() error {
	k.statusMu.Lock()
	defer k.statusMu.Unlock()
	var errs []error
	if k.selfRule != nil {
		if err := k.control.DeleteRule(k.selfRule.Wire); err != nil {
			errs = append(errs, fmt.Errorf("remove the self-exclusion audit rule: %w", err))
		}
		k.selfRule = nil
	}
	if k.data != nil {
		// Clears the audit PID when SetPID was called.
		errs = append(errs, k.data.Close())
	}
	errs = append(errs, k.control.Close())
	if k.unicast {
		k.unicast = false
		unicastOwner.Unlock()
	}
	return errors.Join(errs...)
}

func processExists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// ProcessName is the command of a process, for saying who holds the audit PID.
func ProcessName(pid int) string {
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "unknown command"
	}
	return strings.TrimSpace(string(comm))
}

// kernelVersion returns the running kernel's major and minor version, or
// (0, 0) when uname cannot be read.
func kernelVersion() (int, int) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return 0, 0
	}
	release := unix.ByteSliceToString(uts.Release[:])
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return 0, 0
	}
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return major, minor
}
