//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"runtime"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/translate"
)

// minEventsPerWorker is the smallest share of a batch worth a goroutine of
// its own: converting one event costs ~10-20 µs (BenchmarkStages), starting
// a goroutine ~1 µs.
const minEventsPerWorker = 16

// convertBatch normalizes and translates every event of batch into the
// record at the same index of out, spread over up to GOMAXPROCS
// goroutines, and returns each event's normalization error. Under load the
// pipeline's one goroutine would otherwise saturate a core while the others
// idle and the kernel's backlog overflows. Each event and each log record is
// independent, so the result is that of converting them in order.
func convertBatch(batch []queuedEvent, opts translate.Options, out []plog.LogRecord) []error {
	errs := make([]error, len(batch))
	workers := min(runtime.GOMAXPROCS(0), len(batch)/minEventsPerWorker)
	if workers <= 1 {
		convertRange(batch, opts, out, errs)
		return errs
	}
	var wg sync.WaitGroup
	share := (len(batch) + workers - 1) / workers
	for start := 0; start < len(batch); start += share {
		end := min(start+share, len(batch))
		wg.Go(func() { convertRange(batch[start:end], opts, out[start:end], errs[start:end]) })
	}
	wg.Wait()
	return errs
}

func convertRange(batch []queuedEvent, opts translate.Options, out []plog.LogRecord, errs []error) {
	for i, qe := range batch {
		errs[i] = translate.Event(qe.recs, qe.received, opts, out[i])
	}
}
