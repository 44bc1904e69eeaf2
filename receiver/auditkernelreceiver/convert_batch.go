//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"runtime"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/enrich"
	"github.com/auditkernel/auditkernel/internal/translate"
)

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
			translate.Record(evs[i], batch[i].recs, batch[i].received, opts, records[i])
			if infos != nil {
				translate.Enrichment(&infos[i], records[i])
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
