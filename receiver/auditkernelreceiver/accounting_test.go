//go:build linux

package auditkernelreceiver

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLostCounter(t *testing.T) {
	var c lostCounter
	assert.Equal(t, int64(0), c.observe(100), "the first reading is the baseline")
	assert.Equal(t, int64(0), c.observe(100))
	assert.Equal(t, int64(7), c.observe(107))
	assert.Equal(t, int64(3), c.observe(3), "a smaller reading is a reset, not 2^32 lost")
	assert.Equal(t, int64(2), c.observe(5))
	c = lostCounter{}
	c.observe(math.MaxUint32 - 1)
	assert.Equal(t, int64(1), c.observe(math.MaxUint32))
}

func TestSequenceTracker(t *testing.T) {
	var s sequenceTracker
	assert.Equal(t, sequenceGap{}, s.observe(10))
	assert.Equal(t, sequenceGap{count: 3, first: 11, last: 13}, s.observe(14), "11, 12, 13 missing")
	s = sequenceTracker{}
	s.observe(10)
	assert.Equal(t, int64(0), s.observe(11).count)
	assert.Equal(t, int64(3), s.observe(15).count, "12, 13, 14 missing")
	assert.Equal(t, int64(0), s.observe(15).count, "duplicate")
	assert.Equal(t, int64(0), s.observe(13).count, "late: fills a gap counted before, never 2^32")
	assert.Equal(t, int64(1), s.observe(18).count, "16 and 17 missing, less the credit for 13")
	assert.Equal(t, int64(0), s.observe(19).count)

	s = sequenceTracker{}
	s.observe(math.MaxUint32 - 1)
	assert.Equal(t, int64(0), s.observe(math.MaxUint32).count)
	assert.Equal(t, int64(0), s.observe(0).count, "rollover is a step of one")
	assert.Equal(t, sequenceGap{count: 1, first: 1, last: 1}, s.observe(2))
	assert.Equal(t, int64(0), s.observe(math.MaxUint32).count, "late across the rollover")

	s = sequenceTracker{}
	s.observe(math.MaxUint32 - 1)
	assert.Equal(t, sequenceGap{count: 2, first: math.MaxUint32, last: 0}, s.observe(1), "a gap across the rollover")
}

func TestSequenceTrackerIgnoresWildNumbers(t *testing.T) {
	var s sequenceTracker
	s.observe(100)
	assert.Equal(t, int64(0), s.observe(100+1<<30).count, "a corrupt number is not a billion lost events")
	assert.Equal(t, int64(0), s.observe(101).count)
	assert.Equal(t, int64(0), s.observe(102).count)
	assert.Equal(t, int64(1), s.observe(104).count, "later gaps are still seen")
	assert.Equal(t, int64(0), s.observe(105+3<<30).count, "nor is a wildly late one credited")
	assert.Equal(t, int64(2), s.observe(107).count, "105 and 106")

	// The stream really moved: two close numbers far from the old ones.
	assert.Equal(t, int64(0), s.observe(50_000_000).count)
	assert.Equal(t, int64(0), s.observe(50_000_001).count)
	assert.Equal(t, int64(2), s.observe(50_000_004).count)
}
