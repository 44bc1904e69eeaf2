//go:build linux

// Package enrich adds to kernel audit events what the host knows about their
// process: its parent and ancestors (lineage), and where it runs (container
// id, pod UID, systemd unit, from its cgroup). It keeps a bounded table of
// the processes the audit stream showed, so that a process that has exited
// before its event is enriched (the usual case for `sh -c ...`) is still
// known, and reads /proc for the ones it has not seen. A pid that a new
// process reuses is never confused with its predecessor: entries carry the
// start time /proc reports and the times the stream showed them, and an
// entry is only used for an event at a time when it held the pid.
//
// An Enricher is not safe for concurrent use: events must be enriched in
// order, since a fork or exit changes what later events see.
package enrich // import "github.com/auditkernel/auditkernel/internal/enrich"

import (
	"strconv"
	"strings"
	"time"

	"github.com/auditkernel/auditkernel/internal/record"
)

// Options are the enrichment settings.
type Options struct {
	// ProcPath is the /proc to read: the host's /proc mounted elsewhere when
	// running in a container with the host's PID namespace.
	ProcPath string
	// Lineage adds the parent process.
	Lineage bool
	// Container adds the cgroup, container id, pod UID and systemd unit.
	Container bool
	// AncestorDepth is how many ancestors (parent first) to list; 0 for none.
	AncestorDepth int
	// MaxEntries and MaxBytes bound the process table.
	MaxEntries int
	MaxBytes   int
}

// Event is what enrichment needs of one audit event.
type Event struct {
	Time time.Time
	// PID and PPID; 0 when the event has none.
	PID, PPID int32
	// Exe, Name (comm) and Title (the command line) of the process.
	Exe, Name, Title string
	// Syscall is the syscall's name; Exit its return value; Success whether
	// it succeeded; A0 its first argument (hex), for clone's flags.
	Syscall, Exit, A0 string
	Success           bool
}

// Process is a snapshot of one process in the table.
type Process struct {
	PID         int64
	Executable  string
	Name        string
	CommandLine string
}

// Info is what enrichment found for one event. Its values are not changed
// afterwards, so it may be read concurrently with later Enrich calls. Its
// strings are valid UTF-8: the table checks each once, when it stores it
// (record.ValidText), instead of each time an event carries it.
type Info struct {
	// Parent is the parent process; nil when unknown or lineage is off.
	Parent *Process
	// Ancestors lists up to AncestorDepth ancestors, the parent first.
	Ancestors []Process
	// SessionLeader is the session id (the leader's pid); 0 when unknown.
	SessionLeader int64
	// Session is the session leader, the process that entered the session
	// (a login shell, a daemon); nil when unknown or lineage is off.
	Session *Process
	// Cgroup is where the process runs; nil when unknown or container is off.
	Cgroup *Cgroup
}

// Stats are the table's size and its evictions since it was created.
type Stats struct {
	Entries   int
	Bytes     int
	Evictions uint64
}

// slack absorbs the difference between the clocks compared: /proc start
// times are truncated to 10 ms ticks, audit timestamps have millisecond
// precision, and the wall clock may have been slewed since the event.
const slack = 50 * time.Millisecond

// revalidateAfter is how long an entry known alive is trusted before /proc
// is asked again whether the pid still belongs to it. The kernel allocates
// pids cyclically, so a pid is reused only after every other pid has been
// handed out: within a second that needs pid_max (at least 32768) forks.
const revalidateAfter = time.Second

// maxString bounds each string an entry keeps.
const maxString = 4096

// Cgroups are interned: the processes of one container share one Cgroup.
// The interning map is cleared when it holds more than this many bytes.
const maxInternedBytes = 1 << 20

// Enricher keeps the process table and enriches events.
type Enricher struct {
	opts      Options
	table     *table
	proc      procReader
	cgroups   map[string]*Cgroup
	cgBytes   int
	now       func() time.Time     // the wall clock; replaced in tests
	sinceBoot func() time.Duration // CLOCK_BOOTTIME; replaced in tests
	// boot is when the host booted on the wall clock, and bootChecked when
	// that was last computed (reading CLOCK_BOOTTIME is a system call).
	boot, bootChecked time.Time
}

// New returns an Enricher. opts must be valid (bounds positive).
func New(opts Options) *Enricher {
	if opts.ProcPath == "" {
		opts.ProcPath = "/proc"
	}
	return &Enricher{
		opts:      opts,
		table:     newTable(opts.MaxEntries, opts.MaxBytes),
		proc:      newProcReader(opts.ProcPath),
		cgroups:   make(map[string]*Cgroup),
		now:       time.Now,
		sinceBoot: sinceBoot,
	}
}

// Stats returns the table's current size and evictions.
func (e *Enricher) Stats() Stats {
	return Stats{Entries: len(e.table.byPID), Bytes: e.table.bytes, Evictions: e.table.evictions}
}

// Enrich records what ev shows about its process and returns what is known
// of its parent, ancestors and cgroup at the time of the event.
func (e *Enricher) Enrich(ev *Event) Info {
	if ev.PID <= 0 || !e.opts.Lineage && !e.opts.Container && e.opts.AncestorDepth == 0 {
		return Info{}
	}
	now := e.now()
	if now.Sub(e.bootChecked) >= revalidateAfter || now.Before(e.bootChecked) {
		// Recomputed now and then: the boot clock runs on during suspend,
		// and the wall clock may be set.
		e.boot, e.bootChecked = now.Add(-e.sinceBoot()), now
	}
	nowBoot := now.Sub(e.boot)
	// The event's time on the boot clock.
	at := nowBoot
	if !ev.Time.IsZero() {
		at = ev.Time.Sub(e.boot)
	}

	self, fresh := e.observe(ev, at, nowBoot)
	parent := e.lookup(self.ppid, at, nowBoot)
	if self.cgroup == nil && parent != nil {
		// The cgroup is inherited at fork.
		self.cgroup = parent.cgroup
	}
	var info Info
	if e.opts.Container {
		info.Cgroup = self.cgroup
	}
	if self.sid > 0 {
		info.SessionLeader = int64(self.sid)
		if e.opts.Lineage {
			// /proc is asked once per process: a leader that is gone (a
			// daemon's, often) would otherwise cost a system call an event.
			leader := e.known(self.sid, at)
			if leader == nil && fresh {
				leader = e.lookup(self.sid, at, nowBoot)
			}
			if leader != nil {
				p := snapshot(leader)
				info.Session = &p
			}
		}
	}
	if parent != nil && e.opts.Lineage {
		p := snapshot(parent)
		info.Parent = &p
	}
	if e.opts.AncestorDepth > 0 && parent != nil {
		info.Ancestors = make([]Process, 0, e.opts.AncestorDepth)
		for a := parent; a != nil && len(info.Ancestors) < e.opts.AncestorDepth; {
			info.Ancestors = append(info.Ancestors, snapshot(a))
			if a.ppid <= 0 || a.ppid == a.pid {
				break
			}
			a = e.lookup(a.ppid, at, nowBoot)
		}
	}
	e.afterEvent(ev, self, at)
	return info
}

func snapshot(e *entry) Process {
	return Process{PID: int64(e.pid), Executable: e.exe, Name: e.comm, CommandLine: e.title}
}

// observe returns the entry of the event's own process, creating or
// updating it from the event, and whether it was just read from /proc.
func (e *Enricher) observe(ev *Event, at, nowBoot time.Duration) (*entry, bool) {
	ent := e.table.get(ev.PID)
	if ent != nil {
		switch {
		case ent.start != 0 && ent.start > at+slack:
			// A later process with this pid is in the table already (the
			// event waited in the queue): this one is gone. Answer from the
			// event alone, leaving the table to the later one.
			return &entry{pid: ev.PID, ppid: ev.PPID, exe: record.ValidText(ev.Exe), comm: record.ValidText(ev.Name), title: record.ValidText(ev.Title)}, false
		case ent.goneAt != 0 && at > ent.goneAt:
			ent = nil // it was gone before the event: a new process has the pid
		case ev.PPID > 0 && ent.ppid > 0 && ent.ppid != ev.PPID:
			// Reparented, or a new process with this pid.
			if st, ok := e.proc.stat(ev.PID); ok && ent.start != 0 && st.start == ent.start {
				ent.ppid = ev.PPID
			} else {
				ent = nil
			}
		case at > ent.aliveAt+revalidateAfter:
			// Silent for a while: the pid may have a new holder, which an
			// event without a ppid (a user-space record) cannot reveal.
			if _, ok := e.revalidate(ent, at, nowBoot); !ok {
				ent = nil
			}
		}
	}
	fresh := false
	if ent == nil {
		ent = e.fromProc(ev.PID, at, nowBoot, false)
		fresh = ent != nil
		if ent == nil {
			ent = &entry{pid: ev.PID, seen: at}
		}
		e.table.put(ent)
	}
	if ev.PPID > 0 {
		ent.ppid = ev.PPID
	}
	ent.aliveAt = max(ent.aliveAt, at)
	setString(&ent.exe, ev.Exe)
	setString(&ent.comm, ev.Name)
	setString(&ent.title, ev.Title)
	e.table.update(ent)
	return ent, fresh
}

// afterEvent applies what a fork or exit changes for later events.
func (e *Enricher) afterEvent(ev *Event, self *entry, at time.Duration) {
	if !ev.Success {
		return
	}
	switch ev.Syscall {
	case "clone", "clone3", "fork", "vfork":
		child, err := strconv.ParseInt(ev.Exit, 10, 32)
		if err != nil || child <= 0 || ev.Syscall == "clone" && isThread(ev.A0) {
			return
		}
		// A new process: whatever held this pid before is gone.
		e.table.put(&entry{
			pid: int32(child), ppid: self.pid, sid: self.sid, seen: at, aliveAt: at,
			exe: self.exe, comm: self.comm, title: self.title, cgroup: self.cgroup,
		})
	case "exit_group":
		if e.table.get(self.pid) == self {
			e.table.remove(self)
		}
	}
}

// isThread tells whether clone's flags (a0, hex) hold CLONE_THREAD: the
// new task is a thread of the caller, not a process.
func isThread(a0 string) bool {
	const cloneThread = 0x10000
	flags, err := strconv.ParseUint(a0, 16, 64)
	return err == nil && flags&cloneThread != 0
}

// lookup returns the process that held pid at time at (the parent of an
// event's process, alive then), or nil when that is not known.
func (e *Enricher) lookup(pid int32, at, nowBoot time.Duration) *entry {
	if pid <= 0 {
		return nil
	}
	if ent := e.table.get(pid); ent != nil {
		switch {
		case ent.start != 0 && ent.start > at+slack:
			// It started after the event: the process we look for is gone.
			return nil
		case ent.goneAt != 0:
			if at <= ent.goneAt {
				e.table.touch(ent)
				return ent
			}
			// Gone before the event: a newer process holds the pid.
		case at <= ent.aliveAt+revalidateAfter:
			e.table.touch(ent)
			return ent
		default:
			if ent, ok := e.revalidate(ent, at, nowBoot); ok {
				return ent
			}
		}
	}
	ent := e.fromProc(pid, at, nowBoot, e.opts.Lineage || e.opts.AncestorDepth > 0)
	if ent != nil {
		e.table.put(ent)
	}
	return ent
}

// known is lookup from the table alone, without asking /proc.
func (e *Enricher) known(pid int32, at time.Duration) *entry {
	ent := e.table.get(pid)
	if ent == nil || ent.start != 0 && ent.start > at+slack || ent.goneAt != 0 && at > ent.goneAt {
		return nil
	}
	e.table.touch(ent)
	return ent
}

// revalidate asks /proc whether ent still holds its pid. It returns the
// entry to use for an event at time at and true, or false when a process
// that /proc should describe holds the pid.
func (e *Enricher) revalidate(ent *entry, at, nowBoot time.Duration) (*entry, bool) {
	st, alive := e.proc.stat(ent.pid)
	switch {
	case !alive:
		// It exited since it was last known alive; an event before now is
		// its (a process in between would have needed a full pid cycle).
		ent.goneAt = nowBoot
	case st.start == ent.start || ent.start == 0 && st.start <= ent.seen+slack:
		ent.start, ent.sid, ent.aliveAt = st.start, st.sid, nowBoot
	case st.start > at+slack:
		// A newer process took the pid after the event: ent was the holder.
		ent.goneAt = st.start
	default:
		return nil, false
	}
	e.table.touch(ent)
	return ent, true
}

// fromProc reads a live process from /proc when it started no later than
// at; otherwise (gone, or a later process with the pid) it returns nil. withCmd reads its executable and command line too, which the
// event of the process itself already carries.
func (e *Enricher) fromProc(pid int32, at, nowBoot time.Duration, withCmd bool) *entry {
	st, ok := e.proc.stat(pid)
	if !ok || st.start > at+slack {
		return nil
	}
	ent := &entry{pid: pid, ppid: st.ppid, sid: st.sid, start: st.start, seen: at, aliveAt: nowBoot, comm: record.ValidText(st.comm)}
	if e.opts.Container {
		if text, ok := e.proc.cgroupText(pid); ok {
			ent.cgroup = e.intern(text)
		}
	}
	if withCmd {
		setString(&ent.exe, e.proc.exe(pid))
		setString(&ent.title, e.proc.cmdline(pid))
	}
	return ent
}

// intern returns the parsed cgroup of text, shared by every process in it.
func (e *Enricher) intern(text string) *Cgroup {
	if cg, ok := e.cgroups[text]; ok {
		return cg
	}
	cg := ParseCgroup(record.ValidText(text))
	if e.cgBytes += len(text); e.cgBytes > maxInternedBytes {
		clear(e.cgroups)
		e.cgBytes = len(text)
	}
	e.cgroups[text] = &cg
	return &cg
}

// setString keeps a copy of v (cut at maxString) in *dst when v is set and
// differs: the event's strings point into its records' text, which the
// table must not keep alive.
func setString(dst *string, v string) {
	if v == "" || v == *dst {
		return
	}
	if len(v) > maxString {
		v = v[:maxString]
	}
	*dst = record.ValidText(strings.Clone(v))
}
