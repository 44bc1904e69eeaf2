package ratelog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestWarningsOverTheLimitAreCounted(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	l := New(zap.New(core), 3, time.Second)
	clock := time.Unix(1000, 0)
	l.now = func() time.Time { return clock }

	for i := range 10 {
		l.Warn("bad record", zap.Int("i", i))
	}
	assert.Equal(t, 3, logs.FilterMessage("bad record").Len(), "a burst of 3 per second")
	assert.Equal(t, 0, logs.FilterField(zap.Int("suppressed", 7)).Len(), "counted, not yet logged")

	clock = clock.Add(time.Second) // the next interval: the count, then the warning
	l.Warn("bad record", zap.Int("i", 10))
	assert.Equal(t, 1, logs.FilterField(zap.Int("suppressed", 7)).Len())
	assert.Equal(t, 4, logs.FilterMessage("bad record").Len())

	l.Warn("bad record")
	l.Warn("bad record")
	l.Warn("bad record") // the 4th in this interval
	l.Flush()
	assert.Equal(t, 1, logs.FilterField(zap.Int("suppressed", 1)).Len(), "Flush logs what is left")
	l.Flush()
	assert.Equal(t, 1, logs.FilterField(zap.Int("suppressed", 1)).Len(), "once")
}
