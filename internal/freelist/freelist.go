// Package freelist keeps released objects for reuse, as a sync.Pool does,
// in a stack that its user guards with a mutex. Where objects are taken and
// given back in batches, or by few goroutines, that costs fewer
// instructions than a sync.Pool's Get and Put, and what is kept survives a
// GC instead of being dropped and allocated again. Like a sync.Pool's, what
// stays unused through a GC cycle goes back to the GC: trimmed by the
// function that AtEveryGC runs.
package freelist

import "runtime"

// Max is the most entries a List keeps.
const Max = 8192

// List is a stack of released entries. low is the least length it had
// since the last trim: the entries below it were not taken since.
type List[T any] struct {
	items []*T
	low   int
}

// Take returns the entry put last, nil if there is none.
func (l *List[T]) Take() *T {
	n := len(l.items) - 1
	if n < 0 {
		return nil
	}
	x := l.items[n]
	l.items[n] = nil
	l.items = l.items[:n]
	l.low = min(l.low, n)
	return x
}

// Put adds x, unless the list is full.
func (l *List[T]) Put(x *T) {
	if len(l.items) < Max {
		l.items = append(l.items, x)
	}
}

// Len returns how many entries the list holds.
func (l *List[T]) Len() int { return len(l.items) }

// Trim drops the entries not taken since the last trim.
func (l *List[T]) Trim() {
	n := copy(l.items, l.items[l.low:])
	clear(l.items[n:])
	l.items = l.items[:n]
	if n == 0 {
		l.items = nil
	}
	l.low = n
}

// AtEveryGC runs trim after the next GC cycle, and again after every one: a
// cleanup runs once the GC finds its object unreachable.
func AtEveryGC(trim func()) {
	runtime.AddCleanup(new(gcTick), func(struct{}) {
		trim()
		AtEveryGC(trim)
	}, struct{}{})
}

// gcTick is an object for the GC to find unreachable. It holds a pointer so
// that it is not a tiny allocation, which may share its memory (and so its
// lifetime) with others.
type gcTick struct{ _ *byte }
