//go:build linux

package enrich

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/record"
)

func coalesced(t *testing.T, lines ...string) *coalesce.Event {
	t.Helper()
	var recs []*record.Record
	for _, l := range lines {
		r, err := record.ParseLine([]byte(l))
		require.NoError(t, err)
		r.ParseFields()
		recs = append(recs, r)
	}
	ev, err := coalesce.Coalesce(recs)
	require.NoError(t, err)
	return ev
}

func TestFromCoalesced(t *testing.T) {
	ev := FromCoalesced(coalesced(t,
		`type=SYSCALL msg=audit(1764662400.123:4711): arch=c000003e syscall=56 success=yes exit=5012 a0=1200011 a1=0 a2=0 a3=7f00 items=0 ppid=1 pid=4000 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="bash" exe="/usr/bin/bash" key=(null)`,
		`type=PROCTITLE msg=audit(1764662400.123:4711): proctitle=2D62617368`,
	))
	assert.Equal(t, Event{
		Time: time.Unix(1764662400, 123e6).UTC(), PID: 4000, PPID: 1, Exe: "/usr/bin/bash", Name: "bash", Title: "-bash",
		Syscall: "clone", Exit: "5012", A0: "1200011", Success: true,
	}, ev)
	assert.False(t, isThread(ev.A0))

	ev = FromCoalesced(coalesced(t,
		`type=USER_LOGIN msg=audit(1764662400.500:4712): pid=812 uid=0 auid=1000 ses=3 msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=? addr=10.0.0.1 terminal=/dev/pts/0 res=success'`,
	))
	assert.Equal(t, int32(812), ev.PID)
	assert.Equal(t, int32(0), ev.PPID)
	assert.Equal(t, "/usr/sbin/sshd", ev.Exe)
}
