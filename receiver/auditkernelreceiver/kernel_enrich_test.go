//go:build linux

package auditkernelreceiver

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/enrich"
	"github.com/auditkernel/auditkernel/internal/kerneltest"
)

// A process in a container-style cgroup spawns a short-lived child that
// writes a watched file and exits before its event is enriched: the event
// carries the container (from the parent, the cgroup being inherited at
// fork) on its resource, and the parent's executable.
func TestKernelEnrichContainer(t *testing.T) {
	kerneltest.Require(t)
	root := cgroup2Root(t)
	target := filepath.Join(t.TempDir(), "watched")
	require.NoError(t, os.WriteFile(target, nil, 0o600))

	// Both runtimes' layouts, under a parent of this test's own so that a
	// real kubepods.slice or docker cgroup on the host is never touched.
	base := mkCgroup(t, filepath.Join(root, fmt.Sprintf("auditkernel-test-%d", os.Getpid())))
	criID, dockerID, h := randomHex64(t), randomHex64(t), randomHex64(t)
	podUID := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	cri := mkCgroup(t, filepath.Join(base, "kubepods.slice", "kubepods-besteffort.slice",
		"kubepods-besteffort-pod"+strings.ReplaceAll(podUID, "-", "_")+".slice", "cri-containerd-"+criID+".scope"))
	docker := mkCgroup(t, filepath.Join(base, "system.slice", "docker-"+dockerID+".scope"))

	cfg := defaultConfig()
	cfg.AuditRules = fmt.Sprintf("-w %s -p wa -k akt_enrich\n", target)
	cfg.Reassembler.Timeout = time.Minute // see TestKernelFileWatch
	gate := newGatedSink()
	startKernelReceiverTo(t, cfg, gate)

	// Hold the pipeline in ConsumeLogs on a first event, so that the
	// children's events wait in the queue until they have exited.
	run(t, exec.Command("/bin/sh", "-c", "echo first >> "+target))
	gate.waitEntered(t)
	parents := map[string]*containerParent{
		criID:    startInCgroup(t, cri),
		dockerID: startInCgroup(t, docker),
	}
	children := map[string]int{}
	for id, p := range parents {
		children[id] = p.spawnWriter(t, target)
	}
	for _, child := range children {
		_, err := os.Stat("/proc/" + strconv.Itoa(child))
		require.True(t, os.IsNotExist(err), "the child %d has exited before its event is enriched", child)
	}
	gate.open()

	for id, p := range parents {
		res, lr := waitForResourceRecord(t, gate.sink, func(a map[string]any) bool {
			return kerneltest.IsSyscallWithKey(a, "akt_enrich") && a["process.pid"] == int64(children[id])
		})
		attrs, resAttrs := lr.Attributes().AsRaw(), res.Attributes().AsRaw()
		assert.Equal(t, id, resAttrs["container.id"])
		assert.Equal(t, int64(p.pid), attrs["process.parent_pid"])
		assert.Equal(t, p.exe, attrs["audit.kernel.process.parent.executable.path"])
		assert.Equal(t, filepath.Base(p.exe), attrs["audit.kernel.process.parent.executable.name"])
		assert.Contains(t, attrs["process.linux.cgroup"], id)
		assert.NotContains(t, attrs, "container.id", "container.id is a resource attribute")
		if id == criID {
			assert.Equal(t, podUID, resAttrs["k8s.pod.uid"])
		} else {
			assert.NotContains(t, resAttrs, "k8s.pod.uid")
		}
	}
	// The first event's writer ran in this test's own cgroup: the host's
	// resource, or the container this test runs in.
	res, _ := waitForResourceRecord(t, gate.sink, func(a map[string]any) bool {
		return kerneltest.IsSyscallWithKey(a, "akt_enrich") && a["audit.kernel.process.parent.executable.path"] != nil &&
			a["process.parent_pid"] == int64(os.Getpid())
	})
	own, err := os.ReadFile("/proc/self/cgroup")
	require.NoError(t, err)
	if id := enrich.ParseCgroup(string(own)).ContainerID; id != "" {
		assert.Equal(t, id, res.Attributes().AsRaw()["container.id"])
	} else {
		assert.NotContains(t, res.Attributes().AsRaw(), "container.id")
	}
}

// cgroup2Root is where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup,
// or /sys/fs/cgroup/unified on a hybrid host).
func cgroup2Root(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		// ... mount-point ... - fstype source options
		pre, post, ok := strings.Cut(line, " - ")
		if ok && strings.HasPrefix(post, "cgroup2 ") {
			return strings.Fields(pre)[4]
		}
	}
	t.Skip("kernel test skipped: no cgroup v2 hierarchy is mounted")
	return ""
}

// mkCgroup creates a cgroup (and its parents) and removes them when the
// test ends, deepest first; the processes in it have ended by then.
func mkCgroup(t *testing.T, dir string) string {
	t.Helper()
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = append(created, d)
	}
	// Registered first: a MkdirAll that fails halfway leaves parents behind.
	t.Cleanup(func() {
		for _, d := range created {
			assert.NoError(t, removeCgroup(d))
		}
	})
	if err := os.MkdirAll(dir, 0o755); errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EACCES) {
		t.Skipf("kernel test skipped: the cgroup v2 hierarchy is not writable here: %v", err)
	} else {
		require.NoError(t, err)
	}
	return dir
}

// removeCgroup removes an empty cgroup, waiting briefly for the kernel to
// release the processes that were in it.
func removeCgroup(dir string) error {
	var err error
	for range 50 {
		if err = os.Remove(dir); err == nil || os.IsNotExist(err) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

func randomHex64(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// containerParent is a shell that moved itself into a cgroup and spawns a
// writer on each line it reads.
type containerParent struct {
	pid   int
	exe   string
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startInCgroup(t *testing.T, cgroup string) *containerParent {
	t.Helper()
	// Moves itself in, says so, then for each line runs a child that writes
	// the file named on it and prints the child's pid once it has exited.
	script := `echo $$ > "$1/cgroup.procs" && echo in && while read f; do sh -c 'echo x >> "$1"' sh "$f" & wait $!; echo $!; done`
	cmd := exec.Command("/bin/sh", "-c", script, "sh", cgroup)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	p := &containerParent{pid: cmd.Process.Pid, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := p.out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "in\n", line)
	p.exe, err = os.Readlink("/proc/" + strconv.Itoa(p.pid) + "/exe")
	require.NoError(t, err)
	return p
}

// spawnWriter has the parent run one writer child and returns the child's
// pid once it has exited.
func (p *containerParent) spawnWriter(t *testing.T, file string) int {
	t.Helper()
	_, err := io.WriteString(p.stdin, file+"\n")
	require.NoError(t, err)
	line, err := p.out.ReadString('\n')
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	return pid
}

// gatedSink holds the first ConsumeLogs call until open is called.
type gatedSink struct {
	consumer.Logs
	sink       *consumertest.LogsSink
	entered    chan struct{}
	gate       chan struct{}
	enterOnce  sync.Once
	openedOnce sync.Once
}

func newGatedSink() *gatedSink {
	g := &gatedSink{sink: new(consumertest.LogsSink), entered: make(chan struct{}), gate: make(chan struct{})}
	g.Logs, _ = consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		g.enterOnce.Do(func() { close(g.entered) })
		select {
		case <-g.gate:
		case <-ctx.Done():
		}
		return g.sink.ConsumeLogs(ctx, ld)
	})
	return g
}

func (g *gatedSink) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no event reached the consumer")
	}
	t.Cleanup(g.open) // never leave the pipeline blocked, even on failure
}

func (g *gatedSink) open() { g.openedOnce.Do(func() { close(g.gate) }) }

// waitForResourceRecord returns the first record for which match is true,
// and its resource.
func waitForResourceRecord(t *testing.T, sink *consumertest.LogsSink, match func(attrs map[string]any) bool) (pcommon.Resource, plog.LogRecord) {
	t.Helper()
	var res pcommon.Resource
	var found plog.LogRecord
	ok := assert.Eventually(t, func() bool {
		for _, logs := range sink.AllLogs() {
			for i := 0; i < logs.ResourceLogs().Len(); i++ {
				rl := logs.ResourceLogs().At(i)
				for j := 0; j < rl.ScopeLogs().Len(); j++ {
					lrs := rl.ScopeLogs().At(j).LogRecords()
					for k := 0; k < lrs.Len(); k++ {
						if match(lrs.At(k).Attributes().AsRaw()) {
							res, found = rl.Resource(), lrs.At(k)
							return true
						}
					}
				}
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	if !ok {
		for _, logs := range sink.AllLogs() {
			for i := 0; i < logs.ResourceLogs().Len(); i++ {
				rl := logs.ResourceLogs().At(i)
				t.Logf("resource %v: %d records", rl.Resource().Attributes().AsRaw(), rl.ScopeLogs().At(0).LogRecords().Len())
			}
		}
		for _, lr := range logRecords(sink.AllLogs()) {
			t.Logf("received: %s %v", lr.EventName(), lr.Attributes().AsRaw())
		}
		t.FailNow()
	}
	return res, found
}
