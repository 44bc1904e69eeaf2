//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/kernel"
)

// monitor watches the kernel side while the receiver runs: the kernel's
// lost counter and backlog, who holds the audit PID, and whether the
// kernel's rules are still the configured ones.
type monitor struct {
	sinks
	control kernel.Control
	rules   kernel.Rules
	pid     uint32          // the audit PID this receiver registered, 0 in multicast mode
	drifts  func(ruleDrift) // hands a drift report to the pipeline
	lost    lostCounter
	holder  uint32 // the other process last seen holding the audit PID
}

// run polls the status every statusInterval and checks the rules every
// ruleInterval (0: never) until ctx ends, then polls the status once more
// so that losses up to shutdown are counted.
func (m *monitor) run(ctx context.Context, statusInterval, ruleInterval time.Duration) {
	m.pollStatus(ctx)
	status := time.NewTicker(statusInterval)
	defer status.Stop()
	var rules <-chan time.Time
	if ruleInterval > 0 && m.rules.Managed() != nil {
		ticker := time.NewTicker(ruleInterval)
		defer ticker.Stop()
		rules = ticker.C
	}
	for {
		select {
		case <-ctx.Done():
			m.pollStatus(context.Background())
			return
		case <-status.C:
			m.pollStatus(ctx)
		case <-rules:
			m.checkRules(ctx)
		}
	}
}

func (m *monitor) pollStatus(ctx context.Context) {
	status, err := m.control.Status()
	if err != nil {
		m.logger.Debug("cannot read kernel audit status", zap.Error(err))
		return
	}
	m.telemetry.ReceiverAuditkernelKernelBacklog.Record(ctx, int64(status.Backlog))
	lost := m.lost.observe(status.Lost)
	if lost > 0 {
		m.losses.kernelLost(ctx, lost)
		m.logger.Warn("the kernel lost audit records", zap.Int64("lost", lost), zap.Uint32("backlog", status.Backlog),
			zap.Uint32("backlog_limit", status.BacklogLimit))
	}
	var lossErr error
	if overruns := m.losses.takeOverruns(); lost > 0 || overruns > 0 {
		lossErr = fmt.Errorf("audit events are being lost: the kernel lost %d records and the socket overran %d times since the last status poll", lost, overruns)
	}
	m.health.set(conditionLoss, lossErr)
	m.checkPID(status.PID)
}

// checkPID notices when the kernel sends unicast audit messages to someone
// else. The kernel refuses to hand a live holder's PID to another process
// (EEXIST), so this happens only after it dropped us; once the PID is free
// again, this receiver takes it back.
func (m *monitor) checkPID(holder uint32) {
	ours := m.pid
	if ours == 0 || holder == ours {
		if m.holder != 0 {
			m.holder = 0
			m.health.set(conditionPID, nil)
		}
		return
	}
	if holder == 0 {
		m.logger.Warn("the kernel released this receiver's audit PID; registering again")
		if err := m.control.Register(); err != nil {
			m.logger.Error("registering as the audit PID failed", zap.Error(err))
		}
		return
	}
	if holder != m.holder {
		m.holder = holder
		err := fmt.Errorf("audit PID is held by process %d (%s): the kernel sends audit events to it, not to this receiver", holder, kernel.ProcessName(int(holder)))
		m.logger.Error("lost the audit PID", zap.Error(err))
		m.health.set(conditionPID, err)
	}
}

// checkRules re-installs the configured rules when the kernel's differ, for
// instance after someone ran `auditctl -D`, and reports the drift in-band.
func (m *monitor) checkRules(ctx context.Context) {
	want := m.rules.Managed()
	have, err := m.rules.List()
	if err != nil {
		m.logger.Warn("cannot list the kernel's audit rules to check them", zap.Error(err))
		return
	}
	missing, extra := kernel.DiffRules(want, have)
	if len(missing) == 0 && len(extra) == 0 {
		return
	}
	d := ruleDrift{detected: time.Now(), missing: missing, extra: extra}
	if d.err = m.rules.Replace(); d.err == nil {
		d.reinstalled = true
	}
	m.telemetry.ReceiverAuditkernelRulesDrifted.Add(ctx, 1)
	m.logger.Warn(d.summary(), zap.Strings("missing", missing), zap.Strings("extra", extra))
	m.drifts(d)
}
