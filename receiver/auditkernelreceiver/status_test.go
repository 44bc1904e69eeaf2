//go:build linux

package auditkernelreceiver

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadatatest"
)

// statusHost records the component status the receiver reports.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func newStatusHost() *statusHost { return &statusHost{Host: componenttest.NewNopHost()} }

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *statusHost) statuses() []componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]componentstatus.Status, 0, len(h.events))
	for _, ev := range h.events {
		out = append(out, ev.Status())
	}
	return out
}

func (h *statusHost) last() *componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == 0 {
		return nil
	}
	return h.events[len(h.events)-1]
}

func (h *statusHost) waitFor(t *testing.T, want ...componentstatus.Status) {
	t.Helper()
	require.Eventually(t, func() bool { return assert.ObjectsAreEqual(want, h.statuses()) }, 5*time.Second, 5*time.Millisecond,
		"want statuses %v, have %v", want, h.statuses())
}

// startFake starts a receiver on fake with a fast status poll and rule check.
func startFake(t *testing.T, fake *fakeKernel, next consumer.Logs, host component.Host) *componenttest.Telemetry {
	t.Helper()
	cfg := defaultConfig()
	cfg.KernelStatusInterval = 20 * time.Millisecond
	cfg.RuleCheckInterval = 20 * time.Millisecond
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	r, err := newReceiver(metadatatest.NewSettings(tt), cfg, next, fake.open)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return tt
}

func TestStatusIsRecoverableWhileTheKernelLoses(t *testing.T) {
	fake := newFakeKernel(nil)
	host := newStatusHost()
	startFake(t, fake, consumertest.NewNop(), host)

	fake.lost.Add(3)
	host.waitFor(t, componentstatus.StatusRecoverableError, componentstatus.StatusOK)
	fake.errs <- kernel.ErrSocketOverrun
	host.waitFor(t, componentstatus.StatusRecoverableError, componentstatus.StatusOK,
		componentstatus.StatusRecoverableError, componentstatus.StatusOK)
}

func TestFailedSocketIsReopened(t *testing.T) {
	fake := newFakeKernel(nil)
	host := newStatusHost()
	sink := new(consumertest.LogsSink)
	startFake(t, fake, sink, host)

	fake.errs <- errors.New("read audit netlink socket: bad file descriptor")
	host.waitFor(t, componentstatus.StatusRecoverableError, componentstatus.StatusOK)
	assert.Equal(t, int32(1), fake.reopened.Load())
	for _, m := range recordtest.Messages(t, "execve.log") {
		fake.msgs <- m
	}
	require.Eventually(t, func() bool { return len(eventRecords(sink.AllLogs())) == 2 }, 5*time.Second, 5*time.Millisecond,
		"events are read again after the reopen")
}

func TestSocketThatCannotBeReopenedIsPermanent(t *testing.T) {
	fake := newFakeKernel(nil)
	fake.reopenErr = errors.New("socket: too many open files")
	host := newStatusHost()
	startFake(t, fake, consumertest.NewNop(), host)

	fake.errs <- errors.New("read audit netlink socket: bad file descriptor")
	host.waitFor(t, componentstatus.StatusRecoverableError, componentstatus.StatusPermanentError)
	assert.Equal(t, int32(reopenAttempts), fake.reopened.Load())
	assert.ErrorContains(t, host.last().Err(), "could not be reopened: socket: too many open files")
}

func TestAuditPIDTakenIsReportedAndTakenBack(t *testing.T) {
	fake := newFakeKernel(nil)
	fake.ours.Store(100)
	fake.holder.Store(100)
	host := newStatusHost()
	startFake(t, fake, consumertest.NewNop(), host)

	fake.holder.Store(1) // init: a process that exists, so its name can be read
	host.waitFor(t, componentstatus.StatusRecoverableError)
	assert.ErrorContains(t, host.last().Err(), "audit PID is held by process 1 (")
	time.Sleep(100 * time.Millisecond)
	assert.Len(t, host.statuses(), 1, "reported once, not at every poll")

	fake.holder.Store(0) // the other process let go
	host.waitFor(t, componentstatus.StatusRecoverableError, componentstatus.StatusOK)
	assert.Equal(t, int32(1), fake.registered.Load())
}

func TestRuleDriftIsRepairedAndReported(t *testing.T) {
	cfg := defaultConfig()
	cfg.AuditRules = "-w /etc/passwd -p wa -k identity\n-A always,exit -F arch=b64 -S connect -k net"
	set, err := kernel.LoadRules(cfg.ruleConfig())
	require.NoError(t, err)
	stranger, err := kernel.BuildRule("test", "-a always,exit -F arch=b64 -S unlink -k stranger")
	require.NoError(t, err)
	fake := newFakeKernel(nil)
	fake.managed = set.Rules
	require.NoError(t, fake.Replace())
	sink := new(consumertest.LogsSink)
	tt := startFake(t, fake, sink, nil)

	time.Sleep(60 * time.Millisecond)
	require.Empty(t, notices(sink.AllLogs(), eventNameRulesDrift), "the -A rule is listed without its prepend flag: no drift")

	fake.setRules([][]byte{kernel.ListedForm(set.Rules[1].Wire), stranger.Wire}) // as after auditctl -D and another tool's rule
	require.Eventually(t, func() bool { return len(notices(sink.AllLogs(), eventNameRulesDrift)) == 1 }, 5*time.Second, 5*time.Millisecond)
	drift := notices(sink.AllLogs(), eventNameRulesDrift)[0]
	assert.Equal(t, plog.SeverityNumberWarn, drift.SeverityNumber())
	attrs := drift.Attributes().AsRaw()
	assert.Equal(t, []any{"-w /etc/passwd -p wa -k identity"}, attrs[eventNameRulesDrift+".missing"])
	assert.Equal(t, []any{"-a always,exit -F arch=b64 -S unlink -F key=stranger"}, attrs[eventNameRulesDrift+".extra"])
	assert.Equal(t, true, attrs[eventNameRulesDrift+".reinstalled"])
	have, err := fake.List()
	require.NoError(t, err)
	missing, extra := kernel.DiffRules(set.Rules, have)
	assert.Empty(t, missing)
	assert.Empty(t, extra)
	metadatatest.AssertEqualReceiverAuditkernelRulesDrifted(t, tt, sum(1), ignoreTime, ignoreExemplars)
}

// A retryable error is retried until the consumer takes the events; nothing is dropped.
func TestRetryableConsumerErrorIsRetried(t *testing.T) {
	fake := newFakeKernel(recordtest.Messages(t, "execve.log"))
	sink := new(consumertest.LogsSink)
	var calls int
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		calls++
		if calls <= 2 {
			return errors.New("exporter queue is full")
		}
		return sink.ConsumeLogs(ctx, ld)
	})
	require.NoError(t, err)
	startFake(t, fake, next, nil)

	require.Eventually(t, func() bool { return len(eventRecords(sink.AllLogs())) == 2 }, 5*time.Second, 5*time.Millisecond)
	assert.Empty(t, notices(sink.AllLogs(), eventNameLost))
}
