package enrich

import "time"

// entry is one process incarnation: a pid together with what distinguishes
// it from earlier and later holders of the same pid. Times are durations
// since boot, the clock of /proc/<pid>/stat's start time.
type entry struct {
	pid, ppid int32
	sid       int32 // session id from /proc; 0 when unknown
	// start is the process's start time (/proc/<pid>/stat field 22); 0 when
	// it is known only from the audit stream.
	start time.Duration
	// seen is when the audit stream first showed it, aliveAt the latest
	// time it was known alive, goneAt when it was found gone (0: not yet).
	seen, aliveAt, goneAt time.Duration
	exe, comm, title      string
	cgroup                *Cgroup
	bytes                 int
	prev, next            *entry // LRU list, most recent after the sentinel
}

// entryOverhead is what an entry costs besides its strings: the struct
// (~150 bytes) and its share of the map (~40 bytes a slot with Go's load
// factor). BenchmarkTableBound measures the resulting bytes per entry.
const entryOverhead = 192

func (e *entry) cost() int { return entryOverhead + len(e.exe) + len(e.comm) + len(e.title) }

// table is the bounded process table: one incarnation per pid (a newer one
// replaces its predecessor, which is then never reported again), evicting
// the least recently used entry past maxEntries or maxBytes.
type table struct {
	byPID                map[int32]*entry
	lru                  entry // sentinel: lru.next is the most recent
	bytes                int
	maxEntries, maxBytes int
	evictions            uint64
}

func newTable(maxEntries, maxBytes int) *table {
	t := &table{byPID: make(map[int32]*entry), maxEntries: maxEntries, maxBytes: maxBytes}
	t.lru.next, t.lru.prev = &t.lru, &t.lru
	return t
}

func (t *table) get(pid int32) *entry { return t.byPID[pid] }

// put inserts e, replacing the pid's previous incarnation, and evicts past
// the bounds. e must not be in the table.
func (t *table) put(e *entry) {
	if old := t.byPID[e.pid]; old != nil {
		t.remove(old)
	}
	e.bytes = e.cost()
	t.byPID[e.pid] = e
	t.bytes += e.bytes
	t.link(e)
	t.evict()
}

// update recharges e after its strings changed and marks it recently used.
func (t *table) update(e *entry) {
	n := e.cost()
	t.bytes += n - e.bytes
	e.bytes = n
	t.touch(e)
	t.evict()
}

func (t *table) touch(e *entry) {
	if t.lru.next == e {
		return
	}
	t.unlink(e)
	t.link(e)
}

func (t *table) remove(e *entry) {
	delete(t.byPID, e.pid)
	t.bytes -= e.bytes
	t.unlink(e)
}

func (t *table) evict() {
	for len(t.byPID) > t.maxEntries || t.bytes > t.maxBytes && len(t.byPID) > 1 {
		t.remove(t.lru.prev)
		t.evictions++
	}
}

func (t *table) link(e *entry) {
	e.prev, e.next = &t.lru, t.lru.next
	t.lru.next.prev = e
	t.lru.next = e
}

func (t *table) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}
