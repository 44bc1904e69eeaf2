//go:build linux

package auditkernelreceiver

import (
	"context"
	"strings"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditkernel/auditkernel/internal/benchtest"
	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/pooltest"
	"github.com/auditkernel/auditkernel/internal/ratelog"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/recordtest"
	"github.com/auditkernel/auditkernel/internal/translate"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

// benchStream is the recorded stream the stage benchmarks replay: every
// record the kernel emitted while file, execve, connect, EACCES and USER
// rules were active (see testdata/raw/README.md).
const benchStream = "mixed.log"

// smokeStream replaces it under -short (make bench-smoke), where the
// benchmarks only have to prove that they run.
const smokeStream = "interleaved.log"

// collectStream gathers what a Reassembler completes.
type collectStream struct{ events [][]*auparse.AuditMessage }

func (c *collectStream) ReassemblyComplete(msgs []*auparse.AuditMessage) {
	c.events = append(c.events, msgs)
}
func (*collectStream) EventsLost(int) {}

// benchInput is a recorded stream, kept as the raw netlink payloads.
type benchInput struct {
	raw    []*libaudit.RawAuditMessage
	events int // events the stream reassembles into
}

func loadBenchInput(b *testing.B) benchInput {
	b.Helper()
	stream := benchStream
	if testing.Short() {
		stream = smokeStream
	}
	raw := recordtest.Messages(b, stream)
	events := recordtest.Reassemble(recordtest.Headers(b, raw))
	return benchInput{raw: raw, events: len(events)}
}

// libauditHeaders parses the event messages' headers with go-libaudit.
func libauditHeaders(b *testing.B, raw []*libaudit.RawAuditMessage) []*auparse.AuditMessage {
	msgs := make([]*auparse.AuditMessage, 0, len(raw))
	for _, r := range raw {
		if !record.IsEvent(r.Type) {
			continue
		}
		m, err := auparse.Parse(r.Type, string(r.Data))
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// newBenchReassembler is a Reassembler with the default settings.
func newBenchReassembler(out *collectStream) (*libaudit.Reassembler, error) {
	return libaudit.NewReassembler(50, 2*time.Second, out)
}

func reassembleLibaudit(b *testing.B, msgs []*auparse.AuditMessage) [][]*auparse.AuditMessage {
	var out collectStream
	r, err := newBenchReassembler(&out)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range msgs {
		r.PushMessage(m)
	}
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
	return out.events
}

func BenchmarkStages(b *testing.B) {
	in := loadBenchInput(b)
	b.Run("parse_header", func(b *testing.B) {
		benchtest.Events(b, in.events, func() { recordtest.Headers(b, in.raw) })
	})
	// The stages that parse release what they parsed, as the pipeline does
	// after each batch, so that they reuse it.
	b.Run("parse_fields", func(b *testing.B) {
		benchtest.Events(b, in.events, func() {
			recs := recordtest.Headers(b, in.raw)
			for _, r := range recs {
				r.ParseFields()
			}
			record.Release(recs)
		})
	})
	recs := recordtest.Headers(b, in.raw)
	b.Run("reassemble", func(b *testing.B) {
		benchtest.Events(b, in.events, func() { recordtest.Reassemble(recs) })
	})
	// Field parsing happens once per record, so every run starts from
	// freshly parsed headers; this stage therefore includes header parsing.
	b.Run("parse_normalize", func(b *testing.B) {
		benchtest.Events(b, in.events, func() {
			for _, recs := range recordtest.Reassemble(recordtest.Headers(b, in.raw)) {
				ev, err := translate.Normalize(recs, true)
				if err != nil {
					b.Fatal(err)
				}
				coalesce.Release(ev)
				record.Release(recs)
			}
		})
	})
	events := recordtest.Reassemble(recordtest.Headers(b, in.raw))
	normalized := make([]*coalesce.Event, len(events))
	for i, ev := range events {
		n, err := translate.Normalize(ev, true)
		if err != nil {
			b.Fatal(err)
		}
		normalized[i] = n
	}
	b.Run("translate", func(b *testing.B) {
		now := time.Now()
		benchtest.Events(b, in.events, func() {
			records := plog.NewLogRecordSlice()
			records.EnsureCapacity(len(events))
			for i, ev := range normalized {
				translate.Record(ev, events[i], now, translate.Options{}, records.AppendEmpty())
			}
		})
	})
}

// BenchmarkLibauditReference is go-libaudit's own parse + reassemble +
// coalesce, with no resolution and no translation: the reference the
// receiver's figures are compared with.
func BenchmarkLibauditReference(b *testing.B) {
	in := loadBenchInput(b)
	benchtest.Events(b, in.events, func() {
		for _, ev := range reassembleLibaudit(b, libauditHeaders(b, in.raw)) {
			if _, err := aucoalesce.CoalesceMessages(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUserspacePath is everything the receiver does to a netlink
// message after the socket read, on one goroutine: the reader's parse and
// reassembly, then the pipeline's normalization, enrichment (off, or the
// default lineage and container) and translation into batches handed to a
// consumer that discards them. The recorded stream's processes are not this
// host's: enrichment reads /proc for each once, then answers from its table.
// The pooling variants run with pdata's pdata.useProtoPooling gate on, where
// each batch's values return to pdata's pools once it is consumed.
//
// pdata_floor is what the output of enrich=on costs through pdata alone: a
// deep copy (CopyTo) of the batches that one pass of enrich=on produced. It
// allocates the same pdata objects as the path (every log record, attribute
// array and value wrapper, at exact capacity) and runs none of the
// receiver's own logic.
func BenchmarkUserspacePath(b *testing.B) {
	in := loadBenchInput(b)
	ctx := context.Background()
	for _, variant := range []string{"enrich=off", "enrich=on", "enrich=off,pooling", "enrich=on,pooling"} {
		b.Run(variant, func(b *testing.B) {
			if strings.HasSuffix(variant, ",pooling") {
				pooltest.Enable(b)
			}
			benchtest.Events(b, in.events, userspacePath(b, in, strings.HasPrefix(variant, "enrich=on"), consumertest.NewNop()))
		})
	}
	b.Run("read_bound", func(b *testing.B) {
		benchtest.Events(b, in.events, readBound(b, in))
	})
	b.Run("pdata_floor", func(b *testing.B) {
		out := new(consumertest.LogsSink)
		userspacePath(b, in, true, out)()
		require.Equal(b, in.events, out.LogRecordCount(), "log records of one pass")
		batches, next := out.AllLogs(), consumertest.NewNop()
		benchtest.Events(b, in.events, func() {
			for _, ld := range batches {
				copied := plog.NewLogs()
				ld.CopyTo(copied)
				require.NoError(b, next.ConsumeLogs(ctx, copied))
			}
		})
	})
}

// userspacePath returns one pass of the recorded stream through the
// receiver's reader and pipeline, on one goroutine, into next.
func userspacePath(b *testing.B, in benchInput, enrich bool, next consumer.Logs) func() {
	bench := newBenchReceiver(b, in)
	bench.cfg.Enrich.Lineage, bench.cfg.Enrich.Container = enrich, enrich
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: bench.set.ID, Transport: "netlink", ReceiverCreateSettings: bench.set})
	require.NoError(b, err)
	p := newPipeline(bench.cfg, next, obsrecv, "bench", bench.sinks)
	return func() {
		bench.read(in, p.queue)
		for len(p.queue) > 0 {
			p.deliver(p.fill(<-p.queue), nil)
		}
	}
}

// benchReceiver is what the path benchmarks' reader needs: the default
// configuration, with a queue that holds the whole stream, and the sinks.
type benchReceiver struct {
	cfg   *Config
	set   receiver.Settings
	sinks sinks
}

func newBenchReceiver(b *testing.B, in benchInput) benchReceiver {
	cfg := createDefaultConfig().(*Config)
	cfg.Reassembler.QueueSize = in.events
	set := receivertest.NewNopSettings(metadata.Type)
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(b, err)
	s := sinks{losses: newLosses(telemetry), health: newHealth(componenttest.NewNopHost(), set.Logger), telemetry: telemetry, logger: set.Logger, itemLog: ratelog.New(set.Logger, itemWarnings, itemWarningInterval)}
	return benchReceiver{cfg: cfg, set: set, sinks: s}
}

// read runs the recorded stream through a new reader, which queues its
// events on queue.
func (bench benchReceiver) read(in benchInput, queue chan<- queuedEvent) {
	r := newReader(nil, bench.cfg.Reassembler, queue, false, bench.sinks)
	for _, raw := range in.raw {
		r.handle(context.Background(), raw, time.Now()) // the reader reads the clock once per message
	}
	r.reassembler.Close()
}

// readBound returns one pass of the recorded stream through the receiver's
// reader and queue, as userspacePath's, and then through the least that any
// conversion must do before it builds its output: read every key=value of
// each event's records once. No field index, no interpretation, no
// coalescing, no id names, no enrichment, no pdata. read_bound plus
// pdata_floor (the output's own cost) is a lower bound on the path of any
// design that emits what it emits.
func readBound(b *testing.B, in benchInput) func() {
	bench := newBenchReceiver(b, in)
	queue := make(chan queuedEvent, in.events)
	return func() {
		bench.read(in, queue)
		pairs := 0
		for len(queue) > 0 {
			qe := <-queue
			for _, rec := range qe.recs {
				pairs += countPairs(rec.Raw)
			}
			record.Release(qe.recs)
		}
		if pairs == 0 {
			b.Fatal("no key=value read")
		}
	}
}

// countPairs reads the key=value pairs of text after its header, a value
// ending at a space, or at its closing quote when quoted, and returns how many
// have a key and a value. One look at each byte and nothing else, where the
// receiver's parser also hashes each key, indexes it and follows auparse's
// rules: a key is any run of bytes before '=', and no value is trimmed,
// dropped or decoded.
func countPairs(text string) int {
	n := 0
	i := strings.Index(text, "): ") + 3 // "audit(<time>:<sequence>): "
	for i < len(text) {
		keyStart := i
		for i < len(text) && text[i] != '=' && text[i] != ' ' {
			i++
		}
		if i+1 >= len(text) || text[i] != '=' {
			i++
			continue
		}
		hasKey := i > keyStart
		i++
		end := byte(' ')
		if q := text[i]; q == '"' || q == '\'' {
			end = q
			i++
		}
		start := i
		for i < len(text) && text[i] != end {
			i++
		}
		if hasKey && i > start {
			n++
		}
		i++
	}
	return n
}
