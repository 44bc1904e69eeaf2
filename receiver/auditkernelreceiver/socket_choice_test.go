//go:build linux

package auditkernelreceiver

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
			cfg := defaultConfig()
			cfg.SocketType, cfg.Immutable = tt.socketType, tt.immutable
			plan, err := chooseSocketType(cfg, tt.rules, tt.status, tt.major, tt.minor)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, plan.socketType)
			assert.Contains(t, plan.reason, tt.reason)
		})
	}
}

func TestBackpressure(t *testing.T) {
	for _, tt := range []struct {
		strategy  string
		supported bool
		wait      uint32
		setsWait  bool
		drops     bool
	}{
		{"auto", true, 0, true, false},
		{"auto", false, 0, false, true},
		{"kernel", true, 0, true, false},
		{"userspace", true, 0, false, true},
		{"both", true, 0, true, true},
		{"none", true, backlogWaitTimeKernelDefault, true, false},
	} {
		wait, sets := backlogWaitTime(tt.strategy, tt.supported)
		assert.Equal(t, tt.setsWait, sets, tt.strategy)
		assert.Equal(t, tt.wait, wait, tt.strategy)
		assert.Equal(t, tt.drops, dropsInUserspace(tt.strategy, tt.supported), tt.strategy)
	}
}
