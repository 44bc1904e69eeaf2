//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"errors"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

// Conditions that make the receiver's status RecoverableError while they last.
const (
	conditionLoss   = "loss"   // the kernel lost records or the socket overran since the last status poll
	conditionPID    = "pid"    // another process holds the audit PID
	conditionSocket = "socket" // the data socket failed and is being reopened
)

// health reports the receiver's component status: RecoverableError while
// any condition holds, OK once they all cleared, PermanentError when the
// receiver cannot go on. It reports only changes.
type health struct {
	host   component.Host
	logger *zap.Logger

	mu         sync.Mutex
	conditions map[string]error
	reported   string // the RecoverableError last reported, "" while OK
	failed     bool
}

func newHealth(host component.Host, logger *zap.Logger) *health {
	return &health{host: host, logger: logger, conditions: map[string]error{}}
}

// set records that condition holds (err != nil) or cleared (err == nil).
func (h *health) set(condition string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		delete(h.conditions, condition)
	} else {
		h.conditions[condition] = err
	}
	if h.failed {
		return
	}
	switch {
	case len(h.conditions) > 0:
		// Reported again when the error changes, so that the status says what holds now.
		if joined := h.joined(); joined.Error() != h.reported {
			h.reported = joined.Error()
			componentstatus.ReportStatus(h.host, componentstatus.NewRecoverableErrorEvent(joined))
		}
	case h.reported != "":
		h.reported = ""
		h.logger.Info("auditkernel receiver recovered")
		componentstatus.ReportStatus(h.host, componentstatus.NewEvent(componentstatus.StatusOK))
	}
}

// fail reports that the receiver stopped receiving for good.
func (h *health) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failed = true
	componentstatus.ReportStatus(h.host, componentstatus.NewPermanentErrorEvent(err))
}

func (h *health) joined() error {
	names := make([]string, 0, len(h.conditions))
	for name := range h.conditions {
		names = append(names, name)
	}
	slices.Sort(names)
	errs := make([]error, 0, len(names))
	for _, name := range names {
		errs = append(errs, h.conditions[name])
	}
	return errors.Join(errs...)
}
