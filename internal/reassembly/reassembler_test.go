//go:build !windows

package reassembly

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/record"
)

// collector is a Stream that keeps what it receives.
type collector struct {
	events   [][]*record.Record
	complete []bool
	retired  []uint32
}

func (c *collector) Event(recs []*record.Record, complete bool) {
	c.events = append(c.events, recs)
	c.complete = append(c.complete, complete)
}

func (c *collector) Retired(seq uint32) { c.retired = append(c.retired, seq) }

// rec is a record of type typ in event seq.
func rec(t *testing.T, typ auparse.AuditMessageType, seq uint32) *record.Record {
	t.Helper()
	r, err := record.ParseHeader(typ, fmt.Appendf(nil, "audit(1796000000.000:%d): x=%d", seq, typ))
	require.NoError(t, err)
	return r
}

func sequences(events [][]*record.Record) []uint32 {
	out := make([]uint32, len(events))
	for i, ev := range events {
		out[i] = ev[0].Sequence
	}
	return out
}

// A record that never gets its end (the CONFIG_CHANGE of a syscall a "never"
// rule excludes) does not hold the events after it: they are handed out when
// complete. Their sequence numbers are retired in order once it times out.
func TestCompleteEventIsNotHeldBehindAnUnfinishedOne(t *testing.T) {
	var c collector
	r := New(50, 2*time.Second, &c)
	start := time.Unix(1796000000, 0)
	r.Push(rec(t, auparse.AUDIT_CONFIG_CHANGE, 10), start)
	r.Push(rec(t, auparse.AUDIT_SYSCALL, 11), start)
	r.Push(rec(t, auparse.AUDIT_PATH, 11), start)
	r.Push(rec(t, auparse.AUDIT_EOE, 11), start)
	require.Equal(t, []uint32{11}, sequences(c.events), "event 11 is handed out at its EOE")
	assert.Len(t, c.events[0], 2, "EOE is not kept")
	assert.Equal(t, []bool{true}, c.complete)
	assert.Empty(t, c.retired, "10 is still in flight")

	r.Maintain(start.Add(2 * time.Second))
	assert.Equal(t, []uint32{11}, sequences(c.events), "10 has not timed out yet")
	r.Maintain(start.Add(2*time.Second + time.Nanosecond))
	assert.Equal(t, []uint32{11, 10}, sequences(c.events))
	assert.Equal(t, []bool{true, false}, c.complete, "10 was evicted")
	assert.Equal(t, []uint32{10, 11}, c.retired)
}

// An EOE record is released once it has ended its event, or found none to
// end: nothing keeps it.
func TestEOEIsReleased(t *testing.T) {
	defer record.SetPoisonOnRelease(record.SetPoisonOnRelease(true))
	var c collector
	r := New(50, 2*time.Second, &c)
	start := time.Unix(1796000000, 0)
	r.Push(rec(t, auparse.AUDIT_SYSCALL, 11), start)
	for _, seq := range []uint32{11, 12} {
		eoe := rec(t, auparse.AUDIT_EOE, seq)
		r.Push(eoe, start)
		assert.Equal(t, record.Poison, eoe.Raw, "EOE of %d", seq)
	}
	require.Equal(t, []uint32{11}, sequences(c.events))
	assert.NotEqual(t, record.Poison, c.events[0][0].Raw, "the event's records are kept")
}

// More than maxInFlight events behind the oldest unfinished one evict it,
// finished ones included, as go-libaudit counts them.
func TestMaxInFlightEvictsTheOldest(t *testing.T) {
	var c collector
	r := New(2, time.Minute, &c)
	now := time.Unix(1796000000, 0)
	r.Push(rec(t, auparse.AUDIT_SYSCALL, 1), now)
	r.Push(rec(t, auparse.AUDIT_USER, 2), now) // a user message ends its event
	assert.Equal(t, []uint32{2}, sequences(c.events))
	r.Push(rec(t, auparse.AUDIT_SYSCALL, 3), now)
	assert.Equal(t, []uint32{2, 1}, sequences(c.events), "three events: the oldest is evicted")
	assert.Equal(t, []bool{true, false}, c.complete)
	assert.Equal(t, []uint32{1, 2}, c.retired)
	r.Close()
	assert.Equal(t, []uint32{2, 1, 3}, sequences(c.events))
	assert.Equal(t, []uint32{1, 2, 3}, c.retired)
}

func TestEndOfEvent(t *testing.T) {
	var c collector
	r := New(50, time.Minute, &c)
	now := time.Unix(1796000000, 0)
	r.Push(rec(t, auparse.AUDIT_EOE, 7), now)
	assert.Empty(t, c.events, "an EOE for no event in flight is ignored")
	r.Push(rec(t, auparse.AUDIT_SYSCALL, 8), now)
	r.Push(rec(t, auparse.AUDIT_PROCTITLE, 8), now)
	r.Push(rec(t, auparse.AUDIT_EOE, 8), now)
	require.Equal(t, []uint32{8}, sequences(c.events), "PROCTITLE ends the event; its EOE is ignored")
	// A record after its event was handed out starts another event with the
	// same sequence number, as go-libaudit does when that event had left.
	r.Push(rec(t, auparse.AUDIT_PATH, 8), now)
	r.Close()
	assert.Equal(t, []uint32{8, 8}, sequences(c.events))
	assert.Equal(t, []bool{true, false}, c.complete)
	assert.Equal(t, []uint32{8, 8}, c.retired)
}

func TestSequenceRollover(t *testing.T) {
	var c collector
	r := New(50, time.Minute, &c)
	now := time.Unix(1796000000, 0)
	for _, seq := range []uint32{1, 4294967295, 0, 4294967294} {
		r.Push(rec(t, auparse.AUDIT_SYSCALL, seq), now)
	}
	r.Close()
	assert.Equal(t, []uint32{4294967294, 4294967295, 0, 1}, c.retired)
}

// The events are go-libaudit's on every recorded stream, the repository's
// and go-libaudit's own reassembler fixtures; sequence numbers are retired
// in the order go-libaudit hands out its events.
func TestDifferentialRecordedStreams(t *testing.T) {
	files, err := filepath.Glob("../../testdata/raw/*.log")
	require.NoError(t, err)
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/elastic/go-libaudit/v2").Output()
	require.NoError(t, err)
	libauditFiles, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "testdata", "*.log"))
	require.NoError(t, err)
	require.NotEmpty(t, libauditFiles, "go-libaudit's reassembler fixtures")
	for _, file := range append(files, libauditFiles...) {
		recs := readStream(t, file)
		for _, maxInFlight := range []int{5, 50} {
			t.Run(fmt.Sprintf("%s/%d", filepath.Base(file), maxInFlight), func(t *testing.T) {
				want := libauditEvents(t, recs, maxInFlight)
				var c collector
				r := New(maxInFlight, time.Hour, &c)
				now := time.Now()
				for _, rec := range recs {
					r.Push(rec, now)
				}
				r.Close()
				assert.Equal(t, sequences(want), c.retired, "retired in go-libaudit's order")
				assert.ElementsMatch(t, texts(want), texts(c.events), "the same events")
			})
		}
	}
}

// libauditEvents is what go-libaudit's Reassembler makes of recs.
func libauditEvents(t *testing.T, recs []*record.Record, maxInFlight int) [][]*record.Record {
	var s libauditStream
	r, err := libaudit.NewReassembler(maxInFlight, time.Hour, &s)
	require.NoError(t, err)
	for _, rec := range recs {
		r.PushMessage(&auparse.AuditMessage{RecordType: rec.Type, Sequence: rec.Sequence, Timestamp: rec.Timestamp, RawData: rec.Raw, Payload: rec})
	}
	require.NoError(t, r.Close())
	return s.events
}

type libauditStream struct{ events [][]*record.Record }

func (s *libauditStream) ReassemblyComplete(msgs []*auparse.AuditMessage) {
	ev := make([]*record.Record, len(msgs))
	for i, m := range msgs {
		ev[i] = m.Payload.(*record.Record)
	}
	s.events = append(s.events, ev)
}

func (*libauditStream) EventsLost(int) {}

// texts renders each event as its records' text.
func texts(events [][]*record.Record) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		var b strings.Builder
		for _, r := range ev {
			fmt.Fprintf(&b, "%d %s\n", r.Type, r.Raw)
		}
		out[i] = b.String()
	}
	return out
}

// readStream reads "type=NAME msg=PAYLOAD" lines into records.
func readStream(t *testing.T, file string) []*record.Record {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	var recs []*record.Record
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		msg, err := auparse.ParseLogLine(s.Text())
		if err != nil {
			continue // blank or comment lines
		}
		r, err := record.ParseHeader(msg.RecordType, []byte(msg.RawData))
		require.NoError(t, err)
		recs = append(recs, r)
	}
	require.NoError(t, s.Err())
	require.NotEmpty(t, recs, file)
	return recs
}

// Whatever the stream, every record is handed out exactly once (EOEs never),
// every event is retired exactly once, and no more than maxInFlight+1 events
// are held.
func FuzzReassembler(f *testing.F) {
	f.Add([]byte{0, 1, 1, 1, 2, 3, 0, 7, 1, 0, 2, 9})
	f.Add([]byte{5, 1, 5, 2, 4, 3, 4, 0, 5, 0xff, 0xff, 7})
	types := []auparse.AuditMessageType{auparse.AUDIT_SYSCALL, auparse.AUDIT_PATH, auparse.AUDIT_EOE,
		auparse.AUDIT_PROCTITLE, auparse.AUDIT_CONFIG_CHANGE, auparse.AUDIT_USER_LOGIN, auparse.AUDIT_ANOM_ABEND}
	f.Fuzz(func(t *testing.T, script []byte) {
		var c collector
		const maxInFlight = 3
		r := New(maxInFlight, time.Second, &c)
		now := time.Unix(1796000000, 0)
		pushed := map[*record.Record]bool{}
		for i := 0; i+1 < len(script); i += 2 {
			// The high bits move the clock, the low ones pick the type; the
			// next byte is a sequence number near the wrap.
			now = now.Add(time.Duration(script[i]>>3) * 100 * time.Millisecond)
			rec := rec(t, types[int(script[i]&7)%len(types)], uint32(script[i+1])-128)
			// Push releases an EOE record: its type is read before.
			if rec.Type != auparse.AUDIT_EOE {
				pushed[rec] = true
			}
			r.Push(rec, now)
			require.LessOrEqual(t, len(r.events), maxInFlight+1)
		}
		r.Close()
		seen := map[*record.Record]bool{}
		for _, ev := range c.events {
			require.NotEmpty(t, ev)
			for _, rec := range ev {
				require.False(t, seen[rec], "record handed out twice")
				require.Equal(t, ev[0].Sequence, rec.Sequence)
				seen[rec] = true
			}
		}
		require.Equal(t, pushed, seen)
		retired := slices.Clone(c.retired)
		slices.Sort(retired)
		require.Equal(t, slices.Sorted(slices.Values(sequences(c.events))), retired, "each event retired once")
		require.Empty(t, r.events)
	})
}

func TestLen(t *testing.T) {
	var c collector
	r := New(50, time.Second, &c)
	now := time.Unix(1796000000, 0)
	assert.Equal(t, 0, r.Len())
	r.Push(rec(t, auparse.AUDIT_SYSCALL, 1), now)
	r.Push(rec(t, auparse.AUDIT_USER, 2), now)
	assert.Equal(t, 2, r.Len(), "event 2 is out, but not retired behind event 1")
	r.Push(rec(t, auparse.AUDIT_PROCTITLE, 1), now)
	assert.Equal(t, 0, r.Len(), "both out and retired")
	r.Push(rec(t, auparse.AUDIT_SYSCALL, 3), now)
	r.Maintain(now.Add(2 * time.Second))
	assert.Equal(t, 0, r.Len(), "timed out")
}
