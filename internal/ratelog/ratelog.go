// Package ratelog logs per-item warnings (a bad rule line, a record that
// cannot be parsed) at a bounded rate, so that a stream of bad input cannot
// flood the collector's log, and says how many it left out.
//
// zap's sampler drops by message and counts only through a hook; this keeps
// the count and logs it, which is what an operator needs to know.
package ratelog // import "github.com/auditkernel/auditkernel/internal/ratelog"

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// The rate both receivers allow for warnings about single items: enough to
// see what is wrong, few enough that bad input cannot flood the log.
const (
	Burst    = 10
	Interval = 10 * time.Second
)

// Logger logs at most burst warnings per interval; the rest are counted,
// and the count is logged when the next warning opens a new interval, and
// by Flush.
type Logger struct {
	logger   *zap.Logger
	burst    int
	interval time.Duration
	now      func() time.Time

	mu         sync.Mutex
	start      time.Time // of the current interval
	logged     int       // in the current interval
	suppressed int       // since the last count was logged
}

// New returns a Logger writing to logger.
func New(logger *zap.Logger, burst int, interval time.Duration) *Logger {
	return &Logger{logger: logger, burst: burst, interval: interval, now: time.Now}
}

// Warn logs msg unless burst warnings were logged in this interval already.
func (l *Logger) Warn(msg string, fields ...zap.Field) {
	l.mu.Lock()
	now := l.now()
	var suppressed int
	if now.Sub(l.start) >= l.interval {
		suppressed = l.suppressed
		l.start, l.logged, l.suppressed = now, 0, 0
	}
	log := l.logged < l.burst
	if log {
		l.logged++
	} else {
		l.suppressed++
	}
	l.mu.Unlock()
	l.report(suppressed)
	if log {
		l.logger.Warn(msg, fields...)
	}
}

// Flush logs the count of the warnings left out since it was last logged.
func (l *Logger) Flush() {
	l.mu.Lock()
	suppressed := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	l.report(suppressed)
}

func (l *Logger) report(suppressed int) {
	if suppressed > 0 {
		l.logger.Warn("left out warnings about single items over the rate limit",
			zap.Int("suppressed", suppressed), zap.Int("limit", l.burst), zap.Duration("per", l.interval))
	}
}
