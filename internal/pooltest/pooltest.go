// Package pooltest runs a receiver's output through pdata's proto pooling as
// the collector's pipeline does, so that a test sees what a distribution
// with the pdata.useProtoPooling feature gate on delivers.
package pooltest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
)

// Enable turns the gate on for the rest of the test.
func Enable(t testing.TB) {
	t.Helper()
	was := pref.UseProtoPooling.IsEnabled()
	require.NoError(t, featuregate.GlobalRegistry().Set(pref.UseProtoPooling.ID(), true))
	t.Cleanup(func() { require.NoError(t, featuregate.GlobalRegistry().Set(pref.UseProtoPooling.ID(), was)) })
}

// Pipeline is next as the collector's service wires a pipeline's first
// component: it takes data that no one owns yet and frees it once next
// returns, back into pdata's pools when the gate is on.
func Pipeline(next consumer.Logs) consumer.Logs {
	c, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		if pref.MarkPipelineOwnedLogs(ld) {
			defer pref.UnrefLogs(ld)
		}
		return next.ConsumeLogs(ctx, ld)
	})
	if err != nil {
		panic(err) // only for a nil function
	}
	return c
}

// Sink keeps a copy of everything it consumes, as an exporter that is done
// with the data when it returns: the original may be freed after that.
type Sink struct{ consumertest.LogsSink }

// ConsumeLogs stores a copy of ld.
func (s *Sink) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c := plog.NewLogs()
	ld.CopyTo(c)
	return s.LogsSink.ConsumeLogs(ctx, c)
}

// Flaky refuses the first batch with a retryable error, as a full exporter
// queue does, and hands the next ones to Next.
type Flaky struct {
	Next  consumer.Logs
	calls atomic.Int32
}

// ConsumeLogs refuses the first call.
func (f *Flaky) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if f.calls.Add(1) == 1 {
		return errors.New("exporter queue is full")
	}
	return f.Next.ConsumeLogs(ctx, ld)
}

// Capabilities says that Flaky does not change the data.
func (*Flaky) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

// Calls is the number of ConsumeLogs calls so far.
func (f *Flaky) Calls() int { return int(f.calls.Load()) }
