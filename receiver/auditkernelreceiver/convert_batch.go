//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"runtime"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
)

// minEventsPerWorker is the smallest share of a batch worth a goroutine of
// its own: converting one event costs ~10-20 µs (BenchmarkStages), starting
// a goroutine ~1 µs.
const minEventsPerWorker = 16

// convertBatch normalizes and translates every event of batch into the
// records at the same index of out (already appended, empty), spread over up
// to GOMAXPROCS goroutines, and returns each event's normalization error.
// Under load the pipeline's one goroutine would otherwise saturate a core
// while the others idle and the kernel's backlog overflows. Each event and
// each log record is independent, so the result is that of converting them
// in order.
func convertBatch(batch []queuedEvent, resolveIDs bool, opts translateOptions, out plog.LogRecordSlice) []error {
	errs := make([]error, len(batch))
	workers := min(runtime.GOMAXPROCS(0), len(batch)/minEventsPerWorker)
	if workers <= 1 {
		convertRange(batch, resolveIDs, opts, out, errs, 0)
		return errs
	}
	var wg sync.WaitGroup
	share := (len(batch) + workers - 1) / workers
	for start := 0; start < len(batch); start += share {
		end := min(start+share, len(batch))
		wg.Go(func() { convertRange(batch[start:end], resolveIDs, opts, out, errs[start:end], start) })
	}
	wg.Wait()
	return errs
}

// convertRange converts batch, whose first event is out's record at offset.
func convertRange(batch []queuedEvent, resolveIDs bool, opts translateOptions, out plog.LogRecordSlice, errs []error, offset int) {
	for i, qe := range batch {
		ev, err := normalize(qe.recs, resolveIDs)
		if err != nil {
			errs[i] = err
			continue
		}
		translate(ev, qe.recs, qe.received, opts, out.At(offset+i))
	}
}
