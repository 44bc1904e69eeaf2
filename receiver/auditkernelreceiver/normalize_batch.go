//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"runtime"
	"sync"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
)

// minEventsPerWorker is the smallest share of a batch worth a goroutine of
// its own: normalizing one event costs ~100 µs (BenchmarkStages/
// parse_normalize), starting a goroutine ~1 µs.
const minEventsPerWorker = 8

// normalizedEvent is the outcome of normalize for one queued event.
type normalizedEvent struct {
	event *aucoalesce.Event
	err   error
}

// normalizeBatch normalizes every event of a batch, spread over up to
// GOMAXPROCS goroutines. Parsing and coalescing in go-libaudit is ~75% of
// the receiver's CPU per event (BenchmarkUserspacePath profile) and ran on
// the pipeline's one goroutine, so under load that goroutine saturated a
// core while the others idled and the kernel's backlog overflowed. Each
// event is independent (go-libaudit's id caches lock), so the results are
// those of normalize, in batch order.
func normalizeBatch(batch []queuedEvent, resolveIDs bool) []normalizedEvent {
	out := make([]normalizedEvent, len(batch))
	workers := min(runtime.GOMAXPROCS(0), len(batch)/minEventsPerWorker)
	if workers <= 1 {
		normalizeRange(batch, out, resolveIDs)
		return out
	}
	var wg sync.WaitGroup
	share := (len(batch) + workers - 1) / workers
	for start := 0; start < len(batch); start += share {
		end := min(start+share, len(batch))
		wg.Go(func() { normalizeRange(batch[start:end], out[start:end], resolveIDs) })
	}
	wg.Wait()
	return out
}

func normalizeRange(batch []queuedEvent, out []normalizedEvent, resolveIDs bool) {
	for i, qe := range batch {
		out[i].event, out[i].err = normalize(qe.msgs, resolveIDs)
	}
}
