//go:build !windows

package auditlogreceiver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditkernel/auditkernel/internal/benchtest"
	"github.com/auditkernel/auditkernel/receiver/auditlogreceiver/internal/metadata"
)

// benchLog is an audit log to replay: the kernel receiver's benchmark
// stream (testdata/raw/mixed.log, 486 events, in auditd's RAW format), or
// under -short (make bench-smoke) a small one; and the recorded ENRICHED log.
type benchLog struct {
	name  string
	lines [][]byte
}

func benchLogs(b *testing.B) []benchLog {
	b.Helper()
	stream := "mixed.log"
	if testing.Short() {
		stream = "interleaved.log"
	}
	read := func(paths ...string) [][]byte {
		var lines [][]byte
		for _, p := range paths {
			data, err := os.ReadFile(p)
			require.NoError(b, err)
			for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
				lines = append(lines, []byte(l))
			}
		}
		return lines
	}
	enriched := filepath.Join(recordedDir, "enriched")
	return []benchLog{
		{"raw_" + strings.TrimSuffix(stream, ".log"), read(filepath.Join("../../testdata/raw", stream))},
		{"enriched", read(filepath.Join(enriched, "audit.log.1"), filepath.Join(enriched, "audit.log"))},
	}
}

// countingConsumer counts log records and discards them.
type countingConsumer struct{ n atomic.Int64 }

func (c *countingConsumer) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	c.n.Add(int64(ld.LogRecordCount()))
	return nil
}
func (*countingConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

// replay hands lines to a receiver as fileconsumer does, in batches of
// 100, then emits what is still being reassembled, as Shutdown does.
func replay(b *testing.B, lines [][]byte, next consumer.Logs) {
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), createDefaultConfig().(*Config), next)
	require.NoError(b, err)
	ctx := context.Background()
	for i := 0; i < len(lines); i += 100 {
		_ = r.consume(ctx, lines[i:min(i+100, len(lines))], nil, 0, nil)
	}
	r.mu.Lock()
	for _, s := range r.streams {
		s.reassembler.Close()
	}
	ready := r.takeReady()
	r.mu.Unlock()
	r.out.deliver(ready)
}

// BenchmarkAuditLogPath is everything the receiver does to the lines
// fileconsumer read, on one goroutine: parsing, reassembly per node,
// normalization (with the ENRICHED names) and translation into batches
// handed to a consumer that discards them. It is the file input's
// counterpart of the kernel receiver's BenchmarkUserspacePath, on the same
// records for raw_mixed.
func BenchmarkAuditLogPath(b *testing.B) {
	for _, log := range benchLogs(b) {
		b.Run(log.name, func(b *testing.B) {
			var count countingConsumer
			replay(b, log.lines, &count)
			events := int(count.n.Load())
			require.Positive(b, events)
			benchtest.Events(b, events, func() { replay(b, log.lines, &count) })
		})
	}
}

// BenchmarkAuditLogFile is the whole receiver on a file: fileconsumer
// reads it from the beginning (poll_interval 10ms), and each iteration
// starts a receiver, waits for every event and shuts it down.
func BenchmarkAuditLogFile(b *testing.B) {
	log := benchLogs(b)[0]
	dir := b.TempDir()
	var data []byte
	for _, l := range log.lines {
		data = append(append(data, l...), '\n')
	}
	require.NoError(b, os.WriteFile(filepath.Join(dir, "audit.log"), data, 0o600))
	cfg := testConfig(dir)
	cfg.PollInterval = 10 * time.Millisecond
	var count countingConsumer
	read := func() int64 {
		before := count.n.Load()
		r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, &count)
		require.NoError(b, err)
		require.NoError(b, r.Start(context.Background(), componenttest.NewNopHost()))
		// Every event but those at the end of the file, which Shutdown emits.
		deadline := time.Now().Add(10 * time.Second)
		for last := int64(-1); time.Now().Before(deadline); time.Sleep(cfg.PollInterval) {
			n := count.n.Load()
			if n == last && n > before {
				break
			}
			last = n
		}
		require.NoError(b, r.Shutdown(context.Background()))
		return count.n.Load() - before
	}
	events := int(read())
	require.Positive(b, events)
	benchtest.Events(b, events, func() {
		if got := read(); got != int64(events) {
			b.Fatalf("%d events, want %d", got, events)
		}
	})
}
