//go:build !windows

package coalesce

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/record"
)

// enrichedEvent parses auditd log lines and coalesces them.
func enrichedEvent(t *testing.T, lines ...string) (*Event, []*record.Record) {
	t.Helper()
	recs := make([]*record.Record, len(lines))
	for i, l := range lines {
		r, err := record.ParseLine([]byte(l))
		require.NoError(t, err)
		r.ParseFields()
		recs[i] = r
	}
	ev, err := Coalesce(recs)
	require.NoError(t, err)
	return ev, recs
}

// An execve recorded by auditd 3.0.9 with log_format = ENRICHED
// (testdata/auditlog), its ids edited to users this host does not have.
var enrichedExecve = []string{
	"node=testnode type=SYSCALL msg=audit(1796204511.577:5): arch=c000003e syscall=59 success=yes exit=0 a0=5592a4095920 a1=5592a409ab40 a2=5592a4094d50 a3=9c9796bf2bc397e8 items=1 ppid=15730 pid=15752 auid=4242 uid=0 gid=4243 euid=0 suid=4244 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"printf\" exe=\"/usr/bin/printf\" key=\"alexec\"\x1dARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"root\" GID=\"staff4243\" EUID=\"root\" SUID=\"unknown(4244)\" FSUID=\"root\" EGID=\"root\" SGID=\"root\" FSGID=\"root\"",
	"node=testnode type=PATH msg=audit(1796204511.577:5): item=0 name=\"/usr/bin/printf\" inode=247675 dev=fe:00 mode=0100755 ouid=4242 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\x1dOUID=\"alice\" OGID=\"root\"",
	"node=testnode type=PROCTITLE msg=audit(1796204511.577:5): proctitle=2F7573722F62696E2F7072696E7466",
}

func TestResolveEnriched(t *testing.T) {
	ev, recs := enrichedEvent(t, enrichedExecve...)
	ResolveEnriched(ev, recs, false)
	assert.Equal(t, "alice", ev.Summary.Actor.Primary)
	assert.Equal(t, "root", ev.Summary.Actor.Secondary)
	// suid has no usable name ("unknown(4244)"): it stays an id, as
	// ResolveIDs leaves an id this host cannot name.
	assert.Equal(t, map[string]string{
		"auid": "alice", "uid": "root", "gid": "staff4243", "euid": "root", "fsuid": "root",
		"egid": "root", "sgid": "root", "fsgid": "root",
	}, toMap(ev.Names))
	assert.Equal(t, "alice", ev.File.Owner)
	assert.Equal(t, "root", ev.File.Group)

	// With local lookups, ids without a name in the records are looked up
	// here; the records' names still win (4242 is alice there, unknown here).
	ev, recs = enrichedEvent(t, enrichedExecve...)
	recs[0].Enriched = recs[0].Enriched[:2] // ARCH and SYSCALL only
	ResolveEnriched(ev, recs, true)
	assert.Equal(t, "alice", ev.Summary.Actor.Primary, "from the PATH record's OUID")
	assert.Equal(t, map[string]string{
		"auid": "alice", "uid": "root", "euid": "root", "fsuid": "root",
		"egid": "root", "sgid": "root", "fsgid": "root",
	}, toMap(ev.Names))
}

// TestResolveEnrichedIsResolveIDs checks that the names of a recorded
// ENRICHED event are those ResolveIDs finds for the same ids on a host
// that has them (root and nobody exist here).
func TestResolveEnrichedIsResolveIDs(t *testing.T) {
	lines := []string{
		"type=USER msg=audit(1796204511.597:7): pid=15753 uid=0 auid=4294967295 ses=4294967295 msg='text=altest message one exe=\"/usr/sbin/auditctl\" hostname=? addr=? terminal=? res=success'\x1dUID=\"root\" AUID=\"unset\"",
	}
	for _, event := range [][]string{lines, {
		"type=SYSCALL msg=audit(1796204511.577:5): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=2 auid=65534 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=65534 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"printf\" exe=\"/usr/bin/printf\"\x1dARCH=x86_64 SYSCALL=execve AUID=\"nobody\" UID=\"root\" GID=\"root\" EUID=\"root\" SUID=\"root\" FSUID=\"root\" EGID=\"nogroup\" SGID=\"root\" FSGID=\"root\"",
		"type=PATH msg=audit(1796204511.577:5): item=0 name=\"/usr/bin/printf\" inode=247675 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\x1dOUID=\"root\" OGID=\"root\"",
	}} {
		got, recs := enrichedEvent(t, event...)
		ResolveEnriched(got, recs, false)
		want, _ := enrichedEvent(t, event...)
		ResolveIDs(want)
		for _, d := range diffEvents(libauditView(got), libauditView(want)) {
			t.Error(d)
		}
	}
}
