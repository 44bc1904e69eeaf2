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
)

// fakeKernel replays recorded netlink messages; anything put on errs is
// returned by Receive before the next message.
type fakeKernel struct {
	msgs        chan *libaudit.RawAuditMessage
	errs        chan error
	interrupted chan struct{}
	interrupt   atomic.Bool
	lost        atomic.Uint32
	closed      atomic.Int32
	// Unicast: ours is the registered PID, holder the kernel's audit PID.
	ours, holder atomic.Uint32
	registered   atomic.Int32
	reopenErr    error // returned by every Reopen
	reopened     atomic.Int32

	mu sync.Mutex
	// held models the kernel's retry queue: with flushBatch set, Flush sends
	// at most flushBatch of it, as much as fits in the socket, then the
	// flush's own CONFIG_CHANGE record. What is left at Close is lost.
	held       []*libaudit.RawAuditMessage
	flushBatch int
	flushSeq   int
	managed    []auditRule // what the receiver installed
	rules      [][]byte    // what the kernel has
	installs   int
}

func newFakeKernel(msgs []*libaudit.RawAuditMessage) *fakeKernel {
	f := &fakeKernel{
		msgs:        make(chan *libaudit.RawAuditMessage, len(msgs)+1024),
		errs:        make(chan error, 16),
		interrupted: make(chan struct{}),
	}
	for _, m := range msgs {
		f.msgs <- m
	}
	return f
}

func (f *fakeKernel) open(*Config, ruleSet, *zap.Logger) (kernelConn, error) { return f, nil }

func (f *fakeKernel) Receive(timeout time.Duration) (*libaudit.RawAuditMessage, error) {
	select {
	case err := <-f.errs:
		return nil, err
	default:
	}
	select {
	case <-f.interrupted:
		return nil, errInterrupted
	case m := <-f.msgs:
		return m, nil
	case <-time.After(timeout):
		return nil, nil
	}
}

func (f *fakeKernel) Interrupt() {
	if f.interrupt.CompareAndSwap(false, true) {
		close(f.interrupted)
	}
}

func (f *fakeKernel) Status() (*libaudit.AuditStatus, error) {
	return &libaudit.AuditStatus{FeatureBitmap: libaudit.AuditFeatureBitmapBacklogWaitTime, Lost: f.lost.Load(), PID: f.holder.Load()}, nil
}

func (f *fakeKernel) Flush() error {
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

func (f *fakeKernel) Reopen() error {
	f.reopened.Add(1)
	return f.reopenErr
}

func (f *fakeKernel) PID() uint32 { return f.ours.Load() }

func (f *fakeKernel) Register() error {
	f.registered.Add(1)
	f.holder.Store(f.ours.Load())
	return nil
}

func (f *fakeKernel) ManagedRules() []auditRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.managed
}

func (f *fakeKernel) Rules() ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rules, nil
}

func (f *fakeKernel) InstallRules() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.installs++
	f.rules = nil
	for _, r := range f.managed {
		f.rules = append(f.rules, listedForm(r.wire))
	}
	return nil
}

func (f *fakeKernel) setRules(rules [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = rules
}

func (f *fakeKernel) Setup() kernelSetup {
	return kernelSetup{socketType: socketTypeUnicast, reason: "fake", rules: len(f.ManagedRules())}
}

func (f *fakeKernel) Close() error {
	f.closed.Add(1)
	return nil
}
