//go:build linux

package auditkernelreceiver

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/kernel"
)

// fakeMessages replays recorded netlink messages; anything put on errs is
// returned by Receive before the next message. With flushBatch set, held
// models the kernel's retry queue: Flush sends at most flushBatch of it, as
// much as fits in the socket, then the flush's own CONFIG_CHANGE record.
type fakeMessages struct {
	msgs        chan *libaudit.RawAuditMessage
	errs        chan error
	interrupted chan struct{}
	interrupt   atomic.Bool
	reopenErr   error // returned by every Reopen
	reopened    atomic.Int32
	// maxWait, when set, caps how long Receive waits for a message: a
	// stream queued whole needs no quiet period of a real socket's length.
	maxWait time.Duration

	mu         sync.Mutex
	held       []*libaudit.RawAuditMessage
	flushBatch int
	flushSeq   int
}

func (f *fakeMessages) Receive(timeout time.Duration) (*libaudit.RawAuditMessage, error) {
	select {
	case err := <-f.errs:
		return nil, err
	default:
	}
	if f.maxWait > 0 {
		timeout = min(timeout, f.maxWait)
	}
	select {
	case <-f.interrupted:
		return nil, kernel.ErrInterrupted
	case m := <-f.msgs:
		return m, nil
	case <-time.After(timeout):
		return nil, nil
	}
}

func (f *fakeMessages) Interrupt() {
	if f.interrupt.CompareAndSwap(false, true) {
		close(f.interrupted)
	}
}

func (f *fakeMessages) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flushBatch == 0 {
		return nil // a kernel that holds nothing back
	}
	n := min(f.flushBatch, len(f.held))
	for _, m := range f.held[:n] {
		f.msgs <- m
	}
	f.held = f.held[n:]
	f.flushSeq++
	f.msgs <- rawRecord(auparse.AUDIT_CONFIG_CHANGE, fmt.Sprintf(
		"audit(1700000000.000:%d): op=set audit_backlog_limit=8192 old=8192 auid=4294967295 ses=4294967295 res=1", 1_000_000+f.flushSeq))
	return nil
}

func (f *fakeMessages) Reopen() error {
	f.reopened.Add(1)
	return f.reopenErr
}

// fakeControl is the kernel's status: its lost counter and who holds the
// audit PID (holder); Register hands it to ours.
type fakeControl struct {
	lost, ours, holder atomic.Uint32
	registered         atomic.Int32
}

func (f *fakeControl) Status() (*libaudit.AuditStatus, error) {
	return &libaudit.AuditStatus{FeatureBitmap: libaudit.AuditFeatureBitmapBacklogWaitTime, Lost: f.lost.Load(), PID: f.holder.Load()}, nil
}

func (f *fakeControl) Register() error {
	f.registered.Add(1)
	f.holder.Store(f.ours.Load())
	return nil
}

// fakeRules holds the rules the receiver installed (managed) and the
// kernel's (rules).
type fakeRules struct {
	mu       sync.Mutex
	managed  []kernel.Rule
	rules    [][]byte
	installs int
}

func (f *fakeRules) Managed() []kernel.Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.managed
}

func (f *fakeRules) List() ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rules, nil
}

func (f *fakeRules) Replace() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.installs++
	f.rules = nil
	for _, r := range f.managed {
		f.rules = append(f.rules, kernel.ListedForm(r.Wire))
	}
	return nil
}

func (f *fakeRules) setRules(rules [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = rules
}

// fakeKernel is the three together, opened by open.
type fakeKernel struct {
	*fakeMessages
	*fakeControl
	*fakeRules
	closed atomic.Int32
}

func newFakeKernel(msgs []*libaudit.RawAuditMessage) *fakeKernel {
	f := &fakeKernel{
		fakeMessages: &fakeMessages{msgs: make(chan *libaudit.RawAuditMessage, len(msgs)+1024), errs: make(chan error, 16), interrupted: make(chan struct{})},
		fakeControl:  &fakeControl{},
		fakeRules:    &fakeRules{},
	}
	for _, m := range msgs {
		f.msgs <- m
	}
	return f
}

func (f *fakeKernel) open(kernel.Config, []kernel.Rule, *zap.Logger) (*kernel.Conn, error) {
	setup := kernel.Setup{SocketType: kernel.SocketUnicast, Reason: "fake", Rules: len(f.Managed()), PID: f.ours.Load()}
	closeFn := func() error {
		f.closed.Add(1)
		return nil
	}
	return &kernel.Conn{Messages: f.fakeMessages, Control: f.fakeControl, Rules: f.fakeRules, Setup: setup, Close: closeFn}, nil
}
