//go:build linux

// Package e2e runs the otelcol-auditkernel distribution as a user would: as a
// process, with the shipped example configs, against the real kernel. `make
// test` passes the binary's path in OTELCOL_AUDITKERNEL; without it the tests
// skip, and scripts/check-kernel-tests.sh fails the run in CI.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/kerneltest"
)

const distroEnv = "OTELCOL_AUDITKERNEL"

// distroPath returns the distribution binary, or skips saying how to get one.
func distroPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv(distroEnv)
	if path == "" {
		t.Skipf("distro test skipped: %s is not set (make test builds the distro and sets it)", distroEnv)
	}
	require.True(t, filepath.IsAbs(path), "%s must be an absolute path (go test runs in the package directory): %s", distroEnv, path)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.False(t, info.IsDir(), "%s must name the binary", distroEnv)
	return path
}

// repoFile returns the path of a file relative to the repository root.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	require.True(t, ok)
	path := filepath.Join(filepath.Dir(self), "..", rel)
	_, err := os.Stat(path)
	require.NoError(t, err)
	return path
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// collector is a running distro process; its stderr (the collector's log) is kept.
type collector struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
	err  error // the process's exit status, once done is closed
}

// startCollector runs argv (the distro, possibly behind setpriv) with extra
// environment variables and stops it with SIGTERM when the test ends.
func startCollector(t *testing.T, env []string, argv ...string) *collector {
	t.Helper()
	c := &collector{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), env...)
	stderr, err := c.cmd.StderrPipe()
	require.NoError(t, err)
	c.cmd.Stdout = c.cmd.Stderr
	require.NoError(t, c.cmd.Start())
	go func() {
		scanner := bufio.NewScanner(stderr)
		scanner.Buffer(make([]byte, 64*1024), 1024*1024)
		for scanner.Scan() {
			c.mu.Lock()
			c.log.WriteString(scanner.Text() + "\n")
			c.mu.Unlock()
		}
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() { c.stop(t) })
	return c
}

func (c *collector) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.String()
}

func (c *collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitReady waits for the collector's "Everything is ready" line.
func (c *collector) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(c.output(), "Everything is ready") {
		if c.exited() {
			require.Failf(t, "collector exited before it was ready", "%v\n%s", c.err, c.output())
		}
		if time.Now().After(deadline) {
			require.Failf(t, "collector not ready after 20s", "%s", c.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExit waits for the collector to exit on its own and returns its log
// and exit status.
func (c *collector) waitExit(t *testing.T) (string, error) {
	t.Helper()
	select {
	case <-c.done:
		return c.output(), c.err
	case <-time.After(20 * time.Second):
		require.Failf(t, "collector still running after 20s", "%s", c.output())
		return "", nil
	}
}

// stop sends SIGTERM (a clean shutdown releases the audit PID) and waits.
func (c *collector) stop(t *testing.T) {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		t.Errorf("collector ignored SIGINT for 15s; killed\n%s", c.output())
	}
}

// writeFile writes content to dir/name, readable by everyone (the distro may
// run as an unprivileged user).
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// writeFromChild makes a child process write path and returns its PID: the
// audited action the tests look for.
func writeFromChild(t *testing.T, path string) int {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `echo audited > "$1"`, "sh", path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return cmd.Process.Pid
}

// exportedRecord is one log record with the resource and scope it came with.
type exportedRecord struct {
	resource plog.ResourceLogs
	scope    plog.ScopeLogs
	record   plog.LogRecord
}

// readExported reads the records of a file exporter's OTLP JSON output (one
// ExportLogsServiceRequest per line). A last line without its newline is still
// being written and is left for the next read.
func readExported(path string) ([]exportedRecord, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []exportedRecord
	var u plog.JSONUnmarshaler
	for line := range bytes.Lines(data) {
		if !bytes.HasSuffix(line, []byte("\n")) || len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		logs, err := u.UnmarshalLogs(line)
		if err != nil {
			return nil, fmt.Errorf("file exporter line %q: %w", line, err)
		}
		for _, rl := range logs.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					out = append(out, exportedRecord{rl, sl, lr})
				}
			}
		}
	}
	return out, nil
}

// waitForExported polls a file exporter's output until a record matches.
func waitForExported(t *testing.T, path string, c *collector, match func(plog.LogRecord) bool) exportedRecord {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		exported, err := readExported(path)
		require.NoError(t, err)
		for _, r := range exported {
			if match(r.record) {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	data, _ := os.ReadFile(path)
	t.Fatalf("no matching record in %s after 15s:\n%s\ncollector log:\n%s", path, data, c.output())
	return exportedRecord{}
}

// fromPID matches the record of the child's write to path under rule key.
func fromPID(pid int, path, key string) func(plog.LogRecord) bool {
	return func(lr plog.LogRecord) bool {
		attrs := lr.Attributes()
		p, ok := attrs.Get("process.pid")
		if !ok || p.Int() != int64(pid) {
			return false
		}
		f, ok := attrs.Get("file.path")
		if !ok || f.Str() != path {
			return false
		}
		return kerneltest.HasKey(attrs.AsRaw(), key)
	}
}
