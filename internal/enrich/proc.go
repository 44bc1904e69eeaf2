//go:build linux

package enrich

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc's times: USER_HZ is 100 on every Linux ABI.
const userHZ = 100

// Read bounds: /proc/<pid>/stat is under 1 KiB; a cgroup file has one line
// per hierarchy; command lines are cut where audit's PROCTITLE is not.
const (
	statBufSize   = 1024
	cgroupBufSize = 4096
	maxCmdline    = 1024
)

// procStat is what /proc/<pid>/stat tells: parent, session, start time.
type procStat struct {
	ppid, sid int32
	start     time.Duration
	comm      string
}

// procReader reads a (possibly host-mounted) /proc. It reuses one buffer:
// the enricher runs in one goroutine.
type procReader struct {
	root string
	buf  []byte
	// signals tells that root is the procfs of this process's PID
	// namespace, where kill(pid, 0) answers whether a pid exists.
	signals bool
}

func newProcReader(root string) procReader {
	root = strings.TrimSuffix(root, "/")
	self, err := os.Readlink(root + "/self")
	return procReader{root: root, signals: err == nil && self == strconv.Itoa(os.Getpid())}
}

// gone tells whether pid is known not to exist. kill(pid, 0) answers with
// one system call that looks nothing up by path: a third of a failing
// open of /proc/<pid>/stat (BenchmarkEnrich/new_exited_process), and most
// processes of a fork storm are gone when their event is enriched.
func (p *procReader) gone(pid int32) bool {
	return p.signals && unix.Kill(int(pid), 0) == unix.ESRCH
}

func (p *procReader) path(pid int32, file string) string {
	return p.root + "/" + strconv.FormatInt(int64(pid), 10) + "/" + file
}

// read reads up to len(p.buf) bytes of a /proc file with plain system
// calls: os.ReadFile's File object, finalizer and stat cost more than the
// read itself on this per-process path.
func (p *procReader) read(path string, size int) ([]byte, bool) {
	if cap(p.buf) < size {
		p.buf = make([]byte, size)
	}
	buf := p.buf[:size]
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer func() { _ = unix.Close(fd) }() // a read-only /proc file
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], true
}

// stat reads /proc/<pid>/stat; false when the process is gone.
func (p *procReader) stat(pid int32) (procStat, bool) {
	if p.gone(pid) {
		return procStat{}, false
	}
	b, ok := p.read(p.path(pid, "stat"), statBufSize)
	if !ok {
		return procStat{}, false
	}
	return parseStat(b)
}

// parseStat parses "pid (comm) state ppid pgrp session ... starttime ...".
// comm may hold spaces and parentheses: it ends at the last ')'.
func parseStat(b []byte) (procStat, bool) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procStat{}, false
	}
	var st procStat
	st.comm = string(b[open+1 : end])
	// Fields after comm, numbered as in proc(5): state is 3.
	rest := b[end+1:]
	for field := 3; field <= 22; field++ {
		rest = bytes.TrimLeft(rest, " ")
		i := bytes.IndexByte(rest, ' ')
		if i < 0 {
			i = len(rest)
		}
		v := rest[:i]
		rest = rest[i:]
		switch field {
		case 4, 6:
			n, err := strconv.ParseInt(string(v), 10, 32)
			if err != nil {
				return procStat{}, false
			}
			if field == 4 {
				st.ppid = int32(n)
			} else {
				st.sid = int32(n)
			}
		case 22:
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return procStat{}, false
			}
			st.start = time.Duration(n) * (time.Second / userHZ)
			return st, true
		}
	}
	return procStat{}, false
}

// cgroupText reads /proc/<pid>/cgroup.
func (p *procReader) cgroupText(pid int32) (string, bool) {
	b, ok := p.read(p.path(pid, "cgroup"), cgroupBufSize)
	if !ok {
		return "", false
	}
	return string(b), true
}

// exe reads the /proc/<pid>/exe link ("" for kernel threads).
func (p *procReader) exe(pid int32) string {
	exe, _ := os.Readlink(p.path(pid, "exe"))
	return exe
}

// cmdline reads /proc/<pid>/cmdline, arguments joined by spaces as audit's
// PROCTITLE shows them, cut at maxCmdline bytes.
func (p *procReader) cmdline(pid int32) string {
	b, ok := p.read(p.path(pid, "cmdline"), maxCmdline)
	if !ok {
		return ""
	}
	b = bytes.TrimRight(b, "\x00")
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// sinceBoot is CLOCK_BOOTTIME, the clock of /proc's start times.
func sinceBoot() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
