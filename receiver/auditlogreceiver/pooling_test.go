//go:build !windows

package auditlogreceiver

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/auditkernel/auditkernel/internal/pooltest"
)

// With pdata's proto pooling on, the pipeline frees each batch when its
// first component returns, unless the receiver holds it: a batch refused
// once must come out whole on the retry, and the batches that reuse the
// freed values must come out as with the gate off.
func TestProtoPoolingRetryAndReuse(t *testing.T) {
	src := filepath.Join(recordedDir, "enriched")
	files := map[string]string{"audit.log.1": filepath.Join(src, "audit.log.1"), "audit.log": filepath.Join(src, "audit.log")}
	read := func(next consumer.Logs, sink *consumertest.LogsSink) map[string]map[string]any {
		dir := copyFiles(t, files)
		want := recordedEvents(t, filepath.Join(dir, "audit.log.1"), filepath.Join(dir, "audit.log"))
		cfg := testConfig(dir)
		ru := startTo(t, cfg, nil, next, sink)
		ru.waitEvents(t, len(want))
		ru.settle(cfg)
		got := ru.events()
		checkExactlyOnce(t, got, want)
		out := make(map[string]map[string]any, len(got))
		for _, e := range got {
			out[e.key()] = e.attrs
		}
		return out
	}
	plain := new(consumertest.LogsSink)
	want := read(plain, plain)

	pooltest.Enable(t)
	sink := new(pooltest.Sink)
	flaky := &pooltest.Flaky{Next: sink}
	require.Equal(t, want, read(pooltest.Pipeline(flaky), &sink.LogsSink))
	require.Greater(t, flaky.Calls(), 1, "a refused batch, then the retry")
}
