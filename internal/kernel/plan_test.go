//go:build linux

package kernel

import (
	"testing"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChooseSocketType(t *testing.T) {
	enabled := &libaudit.AuditStatus{Enabled: 1}
	locked := &libaudit.AuditStatus{Enabled: auditEnabledLocked}
	tests := []struct {
		name         string
		socketType   string
		immutable    bool
		rules        int
		status       *libaudit.AuditStatus
		major, minor int
		want         string
		reason       string
		err          string
	}{
		{name: "auto without rules", rules: 0, status: enabled, major: 6, minor: 1, want: "multicast", reason: "no audit rules"},
		{name: "auto with rules", rules: 3, status: enabled, major: 6, minor: 1, want: "unicast", reason: "rules are configured"},
		{name: "auto immutable", immutable: true, status: enabled, major: 6, minor: 1, want: "unicast"},
		{name: "auto on 3.16", status: enabled, major: 3, minor: 16, want: "multicast"},
		{name: "auto before 3.16", status: enabled, major: 3, minor: 15, want: "unicast", reason: "older than 3.16"},
		{name: "auto locked", rules: 3, status: locked, major: 6, minor: 1, want: "multicast", reason: "rules cannot be applied"},
		{name: "auto without status", status: nil, major: 6, minor: 1, want: "multicast"},
		{name: "multicast", socketType: "multicast", rules: 2, status: enabled, major: 5, minor: 4, want: "multicast"},
		{name: "multicast on old kernel", socketType: "multicast", status: enabled, major: 3, minor: 10, want: "unicast", reason: "falling back to unicast"},
		{name: "unicast", socketType: "unicast", status: enabled, major: 6, minor: 1, want: "unicast"},
		{name: "unicast locked with rules", socketType: "unicast", rules: 1, status: locked, major: 6, minor: 1, err: "locked (enabled=2"},
		{name: "unicast locked immutable restart", socketType: "unicast", immutable: true, rules: 1, status: locked, major: 6, minor: 1, want: "unicast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{SocketType: tt.socketType, Immutable: tt.immutable}
			plan, err := chooseSocketType(cfg, tt.rules, tt.status, tt.major, tt.minor)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, plan.SocketType)
			assert.Contains(t, plan.Reason, tt.reason)
		})
	}
}

// TestBackpressurePlan: one plan from one status read, over the strategies,
// locked or not, the kernel's backlog_wait_time 0 (ours) or > 0 (the
// kernel's default), unicast or multicast, and a status that could not be
// read or lacks the feature.
func TestBackpressurePlan(t *testing.T) {
	const withWait = libaudit.AuditFeatureBitmapBacklogWaitTime
	status := func(enabled, bwt, features uint32) *libaudit.AuditStatus {
		return &libaudit.AuditStatus{Enabled: enabled, BacklogWaitTime: bwt, FeatureBitmap: features}
	}
	const dflt = backlogWaitTimeKernelDefault
	tests := []struct {
		name     string
		strategy string
		status   *libaudit.AuditStatus
		socket   string
		setsWait bool
		wait     uint32
		drops    bool
	}{
		{"auto unicast, kernel default", "auto", status(1, dflt, withWait), SocketUnicast, true, 0, false},
		{"auto unicast, already ours", "auto", status(1, 0, withWait), SocketUnicast, true, 0, false},
		{"auto unicast locked, bwt > 0", "auto", status(2, dflt, withWait), SocketUnicast, false, 0, true},
		{"auto unicast locked, bwt 0", "auto", status(2, 0, withWait), SocketUnicast, false, 0, false},
		{"auto multicast, bwt > 0", "auto", status(1, dflt, withWait), SocketMulticast, false, 0, false},
		{"auto multicast locked, bwt > 0", "auto", status(2, dflt, withWait), SocketMulticast, false, 0, false},
		{"auto without the feature", "auto", status(1, dflt, 0), SocketUnicast, false, 0, true},
		{"auto without status (multicast, no CAP_AUDIT_CONTROL)", "auto", nil, SocketMulticast, false, 0, true},
		{"kernel unicast", "kernel", status(1, dflt, withWait), SocketUnicast, true, 0, false},
		{"kernel unicast locked", "kernel", status(2, dflt, withWait), SocketUnicast, false, 0, false},
		{"kernel multicast", "kernel", status(1, dflt, withWait), SocketMulticast, false, 0, false},
		{"userspace unicast", "userspace", status(1, dflt, withWait), SocketUnicast, false, 0, true},
		{"userspace multicast", "userspace", status(1, 0, withWait), SocketMulticast, false, 0, true},
		{"both unicast", "both", status(1, dflt, withWait), SocketUnicast, true, 0, true},
		{"both unicast locked", "both", status(2, dflt, withWait), SocketUnicast, false, 0, true},
		{"none unicast, ours", "none", status(1, 0, withWait), SocketUnicast, true, dflt, false},
		{"none unicast, kernel default", "none", status(1, dflt, withWait), SocketUnicast, true, dflt, false},
		{"none multicast", "none", status(1, 0, withWait), SocketMulticast, false, 0, false},
		{"none without the feature", "none", status(1, 0, 0), SocketUnicast, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := planBackpressure(tt.strategy, tt.status, tt.socket)
			assert.Equal(t, tt.setsWait, plan.SetWaitTime, "sets backlog_wait_time")
			assert.Equal(t, tt.wait, plan.WaitTime, "backlog_wait_time")
			assert.Equal(t, tt.drops, plan.DropWhenFull, "drops in userspace")
			assert.NotEmpty(t, plan.Reason)
		})
	}
}
