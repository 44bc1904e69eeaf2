//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"context"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/enrich"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
	"github.com/auditkernel/auditkernel/internal/translate"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

// maxBatch bounds how many queued events go into one ConsumeLogs call.
const maxBatch = 1024

// Retry of a batch the next consumer refused with a retryable error: the
// queue in front absorbs the delay (and the reader drops, counted, when it
// is full), so the wait is bounded to keep memory and latency bounded.
const (
	retryInitialInterval = 100 * time.Millisecond
	retryMaxInterval     = 5 * time.Second
	retryMaxElapsed      = 30 * time.Second
)

// maxPendingDrifts bounds the rule drift reports kept while the next
// consumer refuses them; the check runs again at the next interval.
const maxPendingDrifts = 16

// pipeline turns queued events into log records and hands them to the next
// consumer, batching whatever is already queued into one call, and adds the
// receiver's notices (loss markers, rule drift) to the same stream.
type pipeline struct {
	sinks
	queue     chan queuedEvent
	next      consumer.Logs
	obsrecv   *receiverhelper.ObsReport
	opts      translate.Options
	enricher  *enrich.Enricher // nil when enrichment is off
	evictions uint64           // the enricher's evictions already counted
	hostname  string
	version   string
	wake      chan struct{} // a notice is due

	mu     sync.Mutex
	drifts []ruleDrift
}

func newPipeline(cfg *Config, next consumer.Logs, obsrecv *receiverhelper.ObsReport, version string, s sinks) *pipeline {
	hostname, err := os.Hostname()
	if err != nil {
		s.logger.Warn("cannot read the host name; host.name is left out", zap.Error(err))
	}
	return &pipeline{
		sinks:    s,
		queue:    make(chan queuedEvent, cfg.Reassembler.QueueSize),
		next:     next,
		obsrecv:  obsrecv,
		opts:     cfg.translateOptions(),
		enricher: newEnricher(&cfg.Enrich),
		hostname: hostname,
		version:  version,
		wake:     s.losses.due,
	}
}

// reportDrift queues a rule drift record; it never blocks.
func (p *pipeline) reportDrift(d ruleDrift) {
	p.keepDrifts([]ruleDrift{d})
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pipeline) keepDrifts(drifts []ruleDrift) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drifts = append(p.drifts, drifts...)
	if extra := len(p.drifts) - maxPendingDrifts; extra > 0 {
		p.logger.Warn("discarding undelivered rule drift reports", zap.Int("reports", extra))
		p.drifts = slices.Delete(p.drifts, 0, extra)
	}
}

func (p *pipeline) takeDrifts() []ruleDrift {
	p.mu.Lock()
	defer p.mu.Unlock()
	drifts := p.drifts
	p.drifts = nil
	return drifts
}

// run consumes the queue until it is closed and drained, and emits notices
// when they are due. Retries stop waiting once stopping is closed. It ends
// when the queue is drained and counted, which closes after the final count
// of losses, is closed too, emitting what was counted last.
func (p *pipeline) run(stopping, counted <-chan struct{}) {
	queue := p.queue
	for queue != nil || counted != nil {
		select {
		case first, ok := <-queue:
			if !ok {
				queue = nil
				continue
			}
			// The queue's depth, once per batch: a burst backs up here
			// while translation runs, up to reassembler.queue_size.
			p.telemetry.ReceiverAuditkernelQueueLength.Record(context.Background(), int64(len(p.queue)+1))
			p.deliver(p.fill(first), stopping)
		case <-p.wake:
			p.deliver(nil, stopping)
		case <-counted:
			counted = nil
		}
	}
	p.deliver(nil, stopping)
}

// fill adds to first whatever is queued already, up to maxBatch.
func (p *pipeline) fill(first queuedEvent) []queuedEvent {
	batch := []queuedEvent{first}
	for len(batch) < maxBatch {
		select {
		case ev, ok := <-p.queue:
			if !ok {
				return batch
			}
			batch = append(batch, ev)
		default:
			return batch
		}
	}
	return batch
}

// deliver translates batch, adds the due notices after it (a loss marker
// follows the events that revealed the loss) and hands them on. Whatever
// is refused is counted; the notices' counts wait for the next marker.
func (p *pipeline) deliver(batch []queuedEvent, stopping <-chan struct{}) {
	out := translate.NewBatch(len(batch)+1, p.resource, p.scope)
	seqs := make([]uint32, 0, len(batch))
	errs := convertBatch(batch, p.opts, p.enricher, out)
	for i, qe := range batch {
		seq := qe.recs[0].Sequence
		if err := errs[i]; err != nil {
			p.losses.userspaceDrop(context.Background(), 1, seq)
			p.itemLog.Warn("dropped an audit event that cannot be normalized", zap.Error(err), zap.Uint32("sequence", seq))
			continue
		}
		seqs = append(seqs, seq)
	}
	// The log records hold strings only: the records are reused from here.
	for _, qe := range batch {
		record.Release(qe.recs)
	}
	p.recordTable()
	lost, hasLoss := p.losses.take()
	if hasLoss {
		translateLossMarker(lost, time.Now(), out.Append(""))
	}
	drifts := p.takeDrifts()
	for _, d := range drifts {
		translateRuleDrift(d, out.Append(""))
	}
	if out.Len() == 0 {
		return
	}
	out.Hold()
	defer out.Release()
	ctx := p.obsrecv.StartLogsOp(context.Background())
	err := p.send(ctx, out.Logs(), stopping)
	p.obsrecv.EndLogsOp(ctx, metadata.Type.String(), out.Len(), err)
	if err != nil {
		p.losses.restore(lost)
		p.keepDrifts(drifts)
		if len(seqs) > 0 {
			p.losses.userspaceDrop(ctx, int64(len(seqs)), seqs...)
		}
		p.logger.Error("the next consumer refused audit events; they are dropped", zap.Int("events", len(seqs)), zap.Error(err))
		return
	}
	if len(seqs) > 0 {
		p.telemetry.ReceiverAuditkernelEventsEmitted.Add(ctx, int64(len(seqs)))
	}
}

// send hands logs to the next consumer, retrying retryable errors with an
// exponential backoff for at most retryMaxElapsed, and not at all once the
// receiver is stopping.
func (p *pipeline) send(ctx context.Context, logs plog.Logs, stopping <-chan struct{}) error {
	deadline := time.Now().Add(retryMaxElapsed)
	wait := retryInitialInterval
	for {
		err := p.next.ConsumeLogs(ctx, logs)
		if err == nil || consumererror.IsPermanent(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		p.logger.Debug("the next consumer failed; retrying", zap.Duration("in", wait), zap.Error(err))
		select {
		case <-stopping:
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMaxInterval)
	}
}

// resource fills the resource of key: "" is this host, the only one for now.
func (p *pipeline) resource(key string, res pcommon.Resource) {
	attrs := res.Attributes()
	if p.hostname != "" {
		attrs.PutStr(schema.HostName, p.hostname)
	}
	attrs.PutStr(schema.OSType, "linux")
	translate.PutContainerResource(key, attrs)
}

// newEnricher returns the enricher cfg asks for, nil when it is all off.
func newEnricher(cfg *EnrichConfig) *enrich.Enricher {
	if !cfg.enabled() {
		return nil
	}
	return enrich.New(enrich.Options{
		ProcPath:      cfg.ProcPath,
		Lineage:       cfg.Lineage,
		Container:     cfg.Container,
		AncestorDepth: cfg.AncestorDepth,
		MaxEntries:    cfg.TableMaxEntries,
		MaxBytes:      cfg.TableMaxBytes,
	})
}

// recordTable updates the process table's metrics.
func (p *pipeline) recordTable() {
	if p.enricher == nil {
		return
	}
	ctx := context.Background()
	st := p.enricher.Stats()
	p.telemetry.ReceiverAuditkernelProcessTableEntries.Record(ctx, int64(st.Entries))
	p.telemetry.ReceiverAuditkernelProcessTableBytes.Record(ctx, int64(st.Bytes))
	if st.Evictions > p.evictions {
		p.telemetry.ReceiverAuditkernelProcessTableEvictions.Add(ctx, int64(st.Evictions-p.evictions))
		p.evictions = st.Evictions
	}
}

// scope names this receiver.
func (p *pipeline) scope(scope pcommon.InstrumentationScope) {
	scope.SetName(metadata.ScopeName)
	scope.SetVersion(p.version)
}

// minEventsPerWorker is the smallest share of a batch worth a goroutine of
// its own: converting one event costs ~10-20 µs (BenchmarkStages), starting
// a goroutine ~1 µs.
const minEventsPerWorker = 16

// convertBatch turns the events of batch into log records of out and
// returns each event's normalization error (an event that has one gets no
// record). Normalizing and translating are spread over up to GOMAXPROCS
// goroutines: under load the pipeline's one goroutine would otherwise
// saturate a core while the others idle and the kernel's backlog overflows.
// Between them, enricher (nil when enrichment is off) sees the events one
// by one in order, since a fork or exit changes what later events see, and
// each record goes to the resource of its event's container.
func convertBatch(batch []queuedEvent, opts translate.Options, enricher *enrich.Enricher, out *translate.Batch) []error {
	evs := make([]*coalesce.Event, len(batch))
	errs := make([]error, len(batch))
	inParallel(len(batch), func(start, end int) {
		for i := start; i < end; i++ {
			evs[i], errs[i] = translate.Normalize(batch[i].recs, opts.ResolveIDs)
		}
	})

	records := make([]plog.LogRecord, len(batch))
	var infos []enrich.Info
	if enricher != nil {
		infos = make([]enrich.Info, len(batch))
	}
	for i, ev := range evs {
		if ev == nil {
			continue
		}
		key := ""
		if enricher != nil {
			e := enrich.FromCoalesced(ev)
			infos[i] = enricher.Enrich(&e)
			key = translate.ResourceKey(&infos[i])
		}
		records[i] = out.Append(key)
	}

	inParallel(len(batch), func(start, end int) {
		for i := start; i < end; i++ {
			if evs[i] == nil {
				continue
			}
			if infos != nil {
				translate.EnrichedRecord(evs[i], batch[i].recs, batch[i].received, opts, &infos[i], records[i])
			} else {
				translate.Record(evs[i], batch[i].recs, batch[i].received, opts, records[i])
			}
			// The record holds strings only, none of the event's slices.
			coalesce.Release(evs[i])
		}
	})
	return errs
}

// inParallel calls work on shares of [0, n), on up to GOMAXPROCS goroutines
// when n is worth it. Each index is independent, so the result is that of
// one call on [0, n).
func inParallel(n int, work func(start, end int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minEventsPerWorker)
	if workers <= 1 {
		work(0, n)
		return
	}
	var wg sync.WaitGroup
	share := (n + workers - 1) / workers
	for start := 0; start < n; start += share {
		end := min(start+share, n)
		wg.Go(func() { work(start, end) })
	}
	wg.Wait()
}

// translateOptions are the settings of the translation.
func (cfg *Config) translateOptions() translate.Options {
	opts := translate.Options{
		ResolveIDs:        cfg.ResolveIDs,
		IncludeRawMessage: cfg.IncludeRawMessage,
		IncludeWarnings:   cfg.IncludeWarnings,
	}
	cfg.ApplyOutput(&opts)
	return opts
}
