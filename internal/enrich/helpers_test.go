//go:build linux

package enrich

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bootWall is when the fake host booted, on the wall clock.
var bootWall = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

// fakeProc is a /proc directory written by the test.
type fakeProc struct {
	t   *testing.T
	dir string
}

func newFakeProc(t *testing.T) *fakeProc {
	return &fakeProc{t: t, dir: t.TempDir()}
}

type fakeProcess struct {
	pid, ppid, sid int32
	start          time.Duration // after boot
	comm, exe      string
	args           []string
	cgroup         string
}

// set writes a live process's stat, exe, cmdline and cgroup.
func (f *fakeProc) set(p fakeProcess) {
	f.t.Helper()
	dir := filepath.Join(f.dir, strconv.Itoa(int(p.pid)))
	require.NoError(f.t, os.RemoveAll(dir))
	require.NoError(f.t, os.MkdirAll(dir, 0o755))
	ticks := int64(p.start / (10 * time.Millisecond))
	// Fields 3..22 of proc(5): state ppid pgrp session tty_nr tpgid flags
	// minflt cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime, then more.
	stat := strconv.Itoa(int(p.pid)) + " (" + p.comm + ") S " + strconv.Itoa(int(p.ppid)) + " " +
		strconv.Itoa(int(p.pid)) + " " + strconv.Itoa(int(p.sid)) + " 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 " +
		strconv.FormatInt(ticks, 10) + " 1000000 200 18446744073709551615\n"
	require.NoError(f.t, os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644))
	require.NoError(f.t, os.Symlink(p.exe, filepath.Join(dir, "exe")))
	require.NoError(f.t, os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.Join(p.args, "\x00")+"\x00"), 0o644))
	require.NoError(f.t, os.WriteFile(filepath.Join(dir, "cgroup"), []byte(p.cgroup), 0o644))
}

// testEnricher returns an Enricher reading fp whose clocks say now is
// `now` after boot; advance the clock by setting *clock.
func testEnricher(fp *fakeProc, opts Options) (*Enricher, *time.Duration) {
	opts.ProcPath = fp.dir
	if opts.MaxEntries == 0 {
		opts.MaxEntries = 1000
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = 1 << 20
	}
	e := New(opts)
	clock := new(time.Duration)
	e.now = func() time.Time { return bootWall.Add(*clock) }
	e.sinceBoot = func() time.Duration { return *clock }
	return e, clock
}

// at is the wall time of an event d after boot.
func at(d time.Duration) time.Time { return bootWall.Add(d) }

var allOn = Options{Lineage: true, Container: true}

func readSelf() (struct{ pid, ppid int32 }, error) {
	return struct{ pid, ppid int32 }{int32(os.Getpid()), int32(os.Getppid())}, nil
}
