//go:build linux

package enrich

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	containerA = "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidUnderscored + ".slice/cri-containerd-" + id1 + ".scope\n"
	containerB = "0::/system.slice/docker-" + id2 + ".scope\n"
	hostUnit   = "0::/system.slice/cron.service\n"
)

// A parent exits and a new process takes its pid: children of the new
// process must not be reported as children of the old one, and a child of
// the old one enriched late must not get the new one.
func TestPIDReuseOldParentNotReported(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, allOn)

	fp.set(fakeProcess{pid: 100, ppid: 1, sid: 100, start: 10 * time.Second, comm: "old", exe: "/usr/bin/old", args: []string{"old", "-x"}, cgroup: containerA})
	*clock = 20 * time.Second
	info := e.Enrich(&Event{Time: at(20 * time.Second), PID: 200, PPID: 100, Exe: "/bin/cat", Name: "cat"})
	require.NotNil(t, info.Parent)
	assert.Equal(t, Process{PID: 100, Executable: "/usr/bin/old", Name: "old", CommandLine: "old -x"}, *info.Parent)
	assert.Equal(t, id1, info.Cgroup.ContainerID, "the exited child inherits its parent's cgroup")

	// pid 100 exits; a new process with another cgroup takes it at 30 s.
	fp.set(fakeProcess{pid: 100, ppid: 1, sid: 100, start: 30 * time.Second, comm: "new", exe: "/usr/bin/new", args: []string{"new"}, cgroup: containerB})
	*clock = 40 * time.Second
	info = e.Enrich(&Event{Time: at(40 * time.Second), PID: 300, PPID: 100, Exe: "/bin/cat", Name: "cat"})
	require.NotNil(t, info.Parent)
	assert.Equal(t, "/usr/bin/new", info.Parent.Executable, "the old parent is reported for the new one")
	assert.Equal(t, id2, info.Cgroup.ContainerID)

	// An event of the old parent's time, enriched late, gets no parent
	// rather than the new process.
	info = e.Enrich(&Event{Time: at(25 * time.Second), PID: 201, PPID: 100, Exe: "/bin/cat", Name: "cat"})
	assert.Nil(t, info.Parent)
	assert.Nil(t, info.Cgroup)
}

// The same pid and parent pid seen again within the revalidation window
// is trusted without asking /proc; past it, /proc is asked again.
func TestPIDReuseDetectedAfterRevalidationWindow(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, allOn)
	fp.set(fakeProcess{pid: 100, ppid: 1, start: 10 * time.Second, comm: "old", exe: "/usr/bin/old", cgroup: containerA})
	*clock = 20 * time.Second
	require.Equal(t, "/usr/bin/old", e.Enrich(&Event{Time: at(20 * time.Second), PID: 200, PPID: 100}).Parent.Executable)

	fp.set(fakeProcess{pid: 100, ppid: 1, start: 20*time.Second + 500*time.Millisecond, comm: "new", exe: "/usr/bin/new", cgroup: containerB})
	*clock = 22 * time.Second
	info := e.Enrich(&Event{Time: at(22 * time.Second), PID: 300, PPID: 100})
	require.NotNil(t, info.Parent)
	assert.Equal(t, "/usr/bin/new", info.Parent.Executable)
}

// A parent known only from the stream, which exited: its entry answers for
// events before it was found gone, and never for events after.
func TestExitedParentFromTheStream(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, allOn)
	fp.set(fakeProcess{pid: 100, ppid: 1, start: time.Second, comm: "bash", exe: "/bin/bash", args: []string{"-bash"}, cgroup: containerA})
	*clock = 10 * time.Second
	// sh (pid 200, already exited) runs `sh -c 'echo x > f'`; its child 201 writes.
	info := e.Enrich(&Event{Time: at(10 * time.Second), PID: 200, PPID: 100, Exe: "/bin/sh", Name: "sh", Title: "sh -c echo x > f", Syscall: "execve", Success: true})
	require.NotNil(t, info.Parent)
	assert.Equal(t, "/bin/bash", info.Parent.Executable)
	assert.Equal(t, id1, info.Cgroup.ContainerID)
	assert.Equal(t, uid, info.Cgroup.PodUID)

	*clock = 13 * time.Second
	info = e.Enrich(&Event{Time: at(12 * time.Second), PID: 201, PPID: 200, Exe: "/bin/sh", Name: "sh"})
	require.NotNil(t, info.Parent)
	assert.Equal(t, Process{PID: 200, Executable: "/bin/sh", Name: "sh", CommandLine: "sh -c echo x > f"}, *info.Parent)
	assert.Equal(t, id1, info.Cgroup.ContainerID, "the grandchild inherits through the exited parent")

	// /proc has no pid 200 (the lookup above found it gone at 13 s): a
	// child of a later pid 200 is not given the old sh.
	*clock = 20 * time.Second
	info = e.Enrich(&Event{Time: at(20 * time.Second), PID: 202, PPID: 200})
	assert.Nil(t, info.Parent)
}

// A fork event makes the child known at once, replacing whatever held its
// pid, and exit_group forgets the process.
func TestForkAndExitEvents(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, allOn)
	fp.set(fakeProcess{pid: 100, ppid: 1, start: time.Second, comm: "bash", exe: "/bin/bash", cgroup: containerA})
	*clock = 5 * time.Second
	// An earlier process with pid 300, seen in the stream.
	e.Enrich(&Event{Time: at(5 * time.Second), PID: 300, PPID: 1, Exe: "/usr/bin/stale", Name: "stale"})

	*clock = 10 * time.Second
	e.Enrich(&Event{Time: at(10 * time.Second), PID: 100, PPID: 1, Exe: "/bin/bash", Name: "bash", Syscall: "clone", A0: "1200011", Exit: "300", Success: true})
	info := e.Enrich(&Event{Time: at(10 * time.Second), PID: 400, PPID: 300})
	require.NotNil(t, info.Parent)
	assert.Equal(t, Process{PID: 300, Executable: "/bin/bash", Name: "bash"}, *info.Parent, "the forked child, not the stale pid 300")
	assert.Equal(t, id1, info.Cgroup.ContainerID)

	// A thread (CLONE_THREAD) is not a process.
	e.Enrich(&Event{Time: at(10 * time.Second), PID: 100, PPID: 1, Syscall: "clone", A0: "3d0f00", Exit: "500", Success: true})
	assert.Nil(t, e.table.get(500))

	e.Enrich(&Event{Time: at(11 * time.Second), PID: 300, PPID: 100, Syscall: "exit_group", Success: true})
	assert.Nil(t, e.table.get(300))
	info = e.Enrich(&Event{Time: at(12 * time.Second), PID: 401, PPID: 300})
	assert.Nil(t, info.Parent)
}

// Reparenting (the parent exited) keeps the process's entry when /proc
// shows the same start time.
func TestReparentedProcessKeepsItsEntry(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, allOn)
	fp.set(fakeProcess{pid: 1, ppid: 0, start: 0, comm: "init", exe: "/sbin/init", cgroup: "0::/init.scope\n"})
	fp.set(fakeProcess{pid: 200, ppid: 100, start: 3 * time.Second, comm: "daemon", exe: "/usr/bin/daemon", cgroup: containerA})
	*clock = 5 * time.Second
	e.Enrich(&Event{Time: at(5 * time.Second), PID: 200, PPID: 100})
	fp.set(fakeProcess{pid: 200, ppid: 1, start: 3 * time.Second, comm: "daemon", exe: "/usr/bin/daemon", cgroup: containerA})
	info := e.Enrich(&Event{Time: at(6 * time.Second), PID: 200, PPID: 1})
	assert.Equal(t, id1, info.Cgroup.ContainerID)
	assert.Equal(t, "/sbin/init", info.Parent.Executable)
	assert.Equal(t, 3*time.Second, e.table.get(200).start)
}

// An event without a ppid (a user-space record such as USER_LOGIN) from a
// pid whose previous holder the table knows: the new holder is read.
func TestPIDReuseWithoutParentPID(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, allOn)
	fp.set(fakeProcess{pid: 100, ppid: 1, start: time.Second, comm: "bash", exe: "/bin/bash", cgroup: containerA})
	*clock = 5 * time.Second
	info := e.Enrich(&Event{Time: at(5 * time.Second), PID: 300, PPID: 100, Exe: "/bin/sh"})
	require.Equal(t, id1, info.Cgroup.ContainerID)

	fp.set(fakeProcess{pid: 300, ppid: 1, sid: 300, start: 15 * time.Second, comm: "sshd", exe: "/usr/sbin/sshd", cgroup: "0::/system.slice/ssh.service\n"})
	*clock = 20 * time.Second
	info = e.Enrich(&Event{Time: at(20 * time.Second), PID: 300, Exe: "/usr/sbin/sshd"})
	require.NotNil(t, info.Cgroup)
	assert.Empty(t, info.Cgroup.ContainerID, "the previous holder's container")
	assert.Equal(t, "ssh.service", info.Cgroup.Unit)
	assert.Equal(t, int64(300), info.SessionLeader)
}

// The event's own process exited and its pid is reused by the time the
// event is enriched: the new holder's cgroup is not taken.
func TestReusedOwnPIDNotRead(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, allOn)
	fp.set(fakeProcess{pid: 100, ppid: 1, start: time.Second, comm: "bash", exe: "/bin/bash", cgroup: containerA})
	fp.set(fakeProcess{pid: 500, ppid: 1, start: 30 * time.Second, comm: "other", exe: "/bin/other", cgroup: containerB})
	*clock = 31 * time.Second
	info := e.Enrich(&Event{Time: at(20 * time.Second), PID: 500, PPID: 100})
	assert.Equal(t, id1, info.Cgroup.ContainerID)
	assert.Equal(t, "/bin/bash", info.Parent.Executable)
}

func TestAncestorsAndSessionLeader(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, Options{Lineage: true, Container: true, AncestorDepth: 3})
	fp.set(fakeProcess{pid: 1, ppid: 0, start: 0, comm: "systemd", exe: "/lib/systemd/systemd", args: []string{"/sbin/init"}, cgroup: "0::/init.scope\n"})
	fp.set(fakeProcess{pid: 10, ppid: 1, sid: 10, start: time.Second, comm: "sshd", exe: "/usr/sbin/sshd", cgroup: hostUnit})
	fp.set(fakeProcess{pid: 20, ppid: 10, sid: 20, start: 2 * time.Second, comm: "bash", exe: "/bin/bash", cgroup: hostUnit})
	fp.set(fakeProcess{pid: 30, ppid: 20, sid: 20, start: 3 * time.Second, comm: "vi", exe: "/usr/bin/vi", cgroup: hostUnit})
	*clock = 4 * time.Second
	info := e.Enrich(&Event{Time: at(4 * time.Second), PID: 30, PPID: 20, Exe: "/usr/bin/vi", Name: "vi"})
	assert.Equal(t, []Process{
		{PID: 20, Executable: "/bin/bash", Name: "bash"},
		{PID: 10, Executable: "/usr/sbin/sshd", Name: "sshd"},
		{PID: 1, Executable: "/lib/systemd/systemd", Name: "systemd", CommandLine: "/sbin/init"},
	}, info.Ancestors)
	assert.Equal(t, int64(20), info.SessionLeader)
	assert.Equal(t, &Process{PID: 20, Executable: "/bin/bash", Name: "bash"}, info.Session)
	assert.Equal(t, "cron.service", info.Cgroup.Unit)

	e2, clock2 := testEnricher(fp, Options{Lineage: true, Container: true, AncestorDepth: 5})
	*clock2 = 4 * time.Second
	assert.Len(t, e2.Enrich(&Event{Time: at(4 * time.Second), PID: 30, PPID: 20}).Ancestors, 3, "the chain ends at pid 1")
}

func TestPartsOff(t *testing.T) {
	fp := newFakeProc(t)
	fp.set(fakeProcess{pid: 100, ppid: 1, start: time.Second, comm: "bash", exe: "/bin/bash", cgroup: containerA})
	e, clock := testEnricher(fp, Options{Container: true})
	*clock = 2 * time.Second
	info := e.Enrich(&Event{Time: at(2 * time.Second), PID: 200, PPID: 100})
	assert.Nil(t, info.Parent)
	assert.Equal(t, id1, info.Cgroup.ContainerID)

	e, clock = testEnricher(fp, Options{Lineage: true})
	*clock = 2 * time.Second
	info = e.Enrich(&Event{Time: at(2 * time.Second), PID: 200, PPID: 100})
	assert.Equal(t, "/bin/bash", info.Parent.Executable)
	assert.Nil(t, info.Cgroup)

	e, _ = testEnricher(fp, Options{})
	assert.Equal(t, Info{}, e.Enrich(&Event{Time: at(2 * time.Second), PID: 200, PPID: 100}))
	assert.Equal(t, 0, e.Stats().Entries)
}

func TestTableBounds(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, Options{Lineage: true, MaxEntries: 10, MaxBytes: 1 << 20})
	for pid := int32(2); pid < 1002; pid++ {
		*clock += time.Millisecond
		e.Enrich(&Event{Time: at(*clock), PID: pid, PPID: 1, Exe: "/bin/true", Name: "true"})
	}
	st := e.Stats()
	assert.Equal(t, 10, st.Entries)
	assert.Equal(t, uint64(990), st.Evictions)
	assert.Equal(t, 10*(entryOverhead+len("/bin/true")+len("true")), st.Bytes)
	// The most recent ones stayed.
	assert.NotNil(t, e.table.get(1001))
	assert.Nil(t, e.table.get(991))

	long := strings.Repeat("x", 2000)
	e, clock = testEnricher(fp, Options{Lineage: true, MaxEntries: 1000, MaxBytes: 5 * (entryOverhead + 2000)})
	for pid := int32(2); pid < 102; pid++ {
		*clock += time.Millisecond
		e.Enrich(&Event{Time: at(*clock), PID: pid, PPID: 1, Title: long})
	}
	st = e.Stats()
	assert.Equal(t, 5, st.Entries)
	assert.LessOrEqual(t, st.Bytes, 5*(entryOverhead+2000))
	assert.Equal(t, uint64(95), st.Evictions)
}

func TestParseStat(t *testing.T) {
	st, ok := parseStat([]byte("4711 (a) (b c)) R 42 4711 99 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 1 2\n"))
	require.True(t, ok)
	assert.Equal(t, procStat{ppid: 42, sid: 99, start: 123450 * time.Millisecond, comm: "a) (b c)"}, st)
	for _, bad := range []string{"", "4711 (x", "4711 (x) R", "4711 (x) R y 1 2", "4711 (x) R 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 notanumber"} {
		_, ok := parseStat([]byte(bad))
		assert.False(t, ok, bad)
	}
}

// The real /proc: this test's own process.
func TestRealProc(t *testing.T) {
	e := New(Options{Lineage: true, Container: true, MaxEntries: 100, MaxBytes: 1 << 20})
	self, err := readSelf()
	require.NoError(t, err)
	info := e.Enrich(&Event{Time: time.Now(), PID: self.pid, PPID: self.ppid})
	require.NotNil(t, info.Parent)
	assert.Equal(t, int64(self.ppid), info.Parent.PID)
	assert.NotEmpty(t, info.Parent.Executable)
	require.NotNil(t, info.Cgroup)
	assert.NotEmpty(t, info.Cgroup.Line)

	// A child that has exited: known as gone without reading /proc, with
	// this process as its parent and this process's cgroup.
	require.True(t, e.proc.signals, "/proc is this process's procfs")
	cmd := exec.Command("/bin/true")
	require.NoError(t, cmd.Run())
	assert.True(t, e.proc.gone(int32(cmd.Process.Pid)))
	info = e.Enrich(&Event{Time: time.Now(), PID: int32(cmd.Process.Pid), PPID: self.pid, Exe: "/bin/true"})
	require.NotNil(t, info.Parent)
	assert.Equal(t, int64(self.pid), info.Parent.PID)
	require.NotNil(t, info.Cgroup)
	selfCgroup, err := os.ReadFile("/proc/self/cgroup")
	require.NoError(t, err)
	assert.Equal(t, ParseCgroup(string(selfCgroup)), *info.Cgroup)
}

// What the table stores is valid UTF-8, whether read from /proc or taken
// from an event: translation puts Info's strings as they are.
func TestInfoIsValidUTF8(t *testing.T) {
	fp := newFakeProc(t)
	e, clock := testEnricher(fp, Options{Lineage: true, Container: true, AncestorDepth: 2})
	fp.set(fakeProcess{pid: 1, start: 0, comm: "init\xff", exe: "/sbin/in\xffit", args: []string{"/sbin/init", "\xfe"}, cgroup: "0::/system.slice/b\xffd.service\n"})
	fp.set(fakeProcess{pid: 10, ppid: 1, sid: 10, start: time.Second, comm: "sh", exe: "/bin/sh", cgroup: "0::/system.slice/b\xffd.service\n"})
	*clock = 2 * time.Second
	// Cut at maxString in the middle of a two-byte character.
	title := strings.Repeat("a", maxString-1) + "é"
	info := e.Enrich(&Event{Time: at(2 * time.Second), PID: 10, PPID: 1, Exe: "/bin/s\xffh", Name: "s\xffh", Title: title})
	require.NotNil(t, info.Parent)
	assert.Equal(t, Process{PID: 1, Executable: "/sbin/in\uFFFDit", Name: "init\uFFFD", CommandLine: "/sbin/init \uFFFD"}, *info.Parent)
	require.NotNil(t, info.Cgroup)
	assert.Equal(t, "b\uFFFDd.service", info.Cgroup.Unit)
	assert.Equal(t, "0::/system.slice/b\uFFFDd.service", info.Cgroup.Line)
	self := e.table.get(10)
	require.NotNil(t, self)
	for _, s := range []string{self.exe, self.comm, self.title} {
		assert.True(t, utf8.ValidString(s), "%q", s)
	}
	assert.Equal(t, "/bin/s\uFFFDh", self.exe)
}
