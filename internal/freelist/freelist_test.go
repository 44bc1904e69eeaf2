package freelist

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestTakeLastPut(t *testing.T) {
	var l List[int]
	a, b := new(int), new(int)
	l.Put(a)
	l.Put(b)
	if l.Take() != b || l.Take() != a || l.Take() != nil {
		t.Fatal("not taken last put first")
	}
}

// TestTrimDropsIdle checks that a trim drops the entries that were not
// taken since the trim before, which the list holds all through a cycle.
func TestTrimDropsIdle(t *testing.T) {
	var l List[int]
	for range 4 {
		l.Put(new(int))
	}
	l.Trim()
	if l.Len() != 4 {
		t.Fatalf("%d entries after the first trim, want the 4 put since the start", l.Len())
	}
	l.Take()
	l.Put(new(int))
	l.Trim()
	if l.Len() != 1 {
		t.Fatalf("%d entries kept, want the one put since the trim before", l.Len())
	}
	l.Trim()
	if l.Len() != 0 {
		t.Fatalf("%d entries kept through an idle cycle", l.Len())
	}
}

func TestAtEveryGC(t *testing.T) {
	var (
		mu    sync.Mutex
		calls int
	)
	AtEveryGC(func() {
		mu.Lock()
		calls++
		mu.Unlock()
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		runtime.GC()
		mu.Lock()
		n := calls
		mu.Unlock()
		if n >= 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("trimmed %d times", n)
		}
		time.Sleep(time.Millisecond)
	}
}
