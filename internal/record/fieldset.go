//go:build !windows

package record

import (
	"unicode/utf8"
	"unsafe"
)

// fieldSet is the working state of ParseFields: the fields plus a small
// open-addressing index over their keys, which stands in for auparse's
// per-record map. The fields are the record's pooled storage; the index
// usually lives in an array on ParseFields' stack.
//
// Methods never store a slice into the set (no append): the escape analysis
// would then move the array to the heap.
type fieldSet struct {
	// fields has room for every field ever added, also deleted ones; the
	// first n are in use. A deleted field has the zero key ref.
	fields  []pair
	n       int
	deleted int
	// st is the record's store, which holds the text that text refs index
	// and the strings of made refs. Kept behind a pointer: the escape
	// analysis does not tell the parts of fs apart, and strings of fs
	// itself, stored into made, would move the index array to the heap.
	st *fieldStore
	// slots has a power-of-two size of at least twice the room. A slot
	// holds 0 when empty, else a field's index+1, with quotedBit set when
	// the value was quoted in the text. The slot of a deleted field stays,
	// as a tombstone that no key matches.
	slots []uint32
	// bloom has bit hash>>26 set for the hash of every key added, so that
	// most lookups of absent keys end here.
	bloom uint64
	// argcOrig is argc's value as written, quotes included, which auparse
	// prints when argc is not a number.
	argcOrig string
	// invalidUTF8 is set when a value decoded from hex is not valid UTF-8.
	invalidUTF8 bool
}

// decoded returns s, a value decoded from hex, noting whether it is valid
// UTF-8: decoding is the only way a value of a valid text becomes invalid.
func (fs *fieldSet) decoded(s string) string {
	if !longASCII(s) && !utf8.ValidString(s) {
		fs.invalidUTF8 = true
	}
	return s
}

// quotedBit marks a value that was quoted in the text. auparse keeps the
// value as written ("orig") next to the trimmed one and hex-decodes the
// former; a quoted value never decodes, and an unquoted one equals its
// trimmed form, so this bit is all that is needed of orig.
const quotedBit = 1 << 31

// slotsFor returns the index size for room fields.
func slotsFor(room int) int {
	size := 16
	for size < 2*room {
		size <<= 1
	}
	return size
}

// FNV-1a: keys are short, and this is cheaper than a map's hash.
const (
	hashInit  = 2166136261
	hashPrime = 16777619
)

// HashKey is the hash of a field key that the parser's index uses, for the
// tables of keys downstream.
func HashKey(key string) uint32 {
	h := uint32(hashInit)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * hashPrime
	}
	return h
}

// slot returns the slot of key, whose hash is h, and its entry, or the
// empty slot where key would go and 0.
func (fs *fieldSet) slot(h uint32, key string) (int, uint32) {
	mask := len(fs.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		e := fs.slots[i]
		if e == 0 {
			return i, e
		}
		// Most keys are pieces of the text: their length tells them apart
		// from made ones.
		if k := fs.fields[e&^quotedBit-1].key; k.n == uint32(len(key)) && piece(fs.st.text, k) == key ||
			k.n&madeRef != 0 && fs.st.made[k.off] == key {
			return i, e
		}
	}
}

// A name is a key that enrichment looks up or adds, with its hash computed
// once.
type name struct {
	key  string
	hash uint32
}

func newName(key string) name { return name{key, HashKey(key)} }

// get returns the index of n's field and whether its value was quoted.
// Enrichment asks mostly for keys that are absent, which the bloom filter
// tells: get is small enough to be inlined, and only find is a call
// (measured: parse_fields 32.1k -> 31.5k instructions/event).
func (fs *fieldSet) get(n name) (i int, quoted, ok bool) {
	if fs.bloom>>(n.hash>>26)&1 != 0 {
		i, quoted, ok = fs.find(n)
	}
	return
}

// find is get past the bloom filter.
func (fs *fieldSet) find(n name) (i int, quoted, ok bool) {
	if _, e := fs.slot(n.hash, n.key); e != 0 {
		return int(e&^quotedBit) - 1, e&quotedBit != 0, true
	}
	return 0, false, false
}

// value returns the value of n's field.
func (fs *fieldSet) value(n name) (string, bool) {
	i, _, ok := fs.get(n)
	if !ok {
		return "", false
	}
	return fs.val(i), true
}

// ref returns a ref to s: into the text when s is a piece of it, else to a
// copy of its header in made. Only addresses are compared, so that no
// caller has to say where s came from.
func (fs *fieldSet) ref(s string) ref {
	if off := offset(fs.st.text, s); len(s) > 0 && off < uintptr(len(fs.st.text)) && uintptr(len(s)) <= uintptr(len(fs.st.text))-off {
		return ref{uint32(off), uint32(len(s))}
	}
	fs.st.made = append(fs.st.made, s)
	return ref{uint32(len(fs.st.made) - 1), madeRef}
}

// offset returns where piece starts in s, if it is a piece of s; else a
// number outside s.
func offset(s, piece string) uintptr {
	return uintptr(unsafe.Pointer(unsafe.StringData(piece))) - uintptr(unsafe.Pointer(unsafe.StringData(s)))
}

// str returns the string x refers to: Record.str while ParseFields runs,
// reading the text from the store. Reading it through the record instead,
// with the text kept in one place, cost ~0.7k more instructions per event
// in the profile-guided build (make bench-instructions).
func (fs *fieldSet) str(x ref) string {
	if x.n&madeRef != 0 {
		return fs.st.made[x.off]
	}
	return piece(fs.st.text, x)
}

// val returns the value of field i.
func (fs *fieldSet) val(i int) string { return fs.str(fs.fields[i].value) }

// set sets the value of field i.
func (fs *fieldSet) set(i int, value string) { fs.fields[i].value = fs.ref(value) }

// put sets key, whose hash is h and ref k, to value, replacing an existing
// field in place.
func (fs *fieldSet) put(h uint32, key string, k, value ref, quoted bool) {
	s, e := fs.slot(h, key)
	if e == 0 {
		fs.insert(s, h, k, value, quoted)
		return
	}
	fs.replace(s, e, value, quoted)
}

// replace sets the value of the field of slot s, whose entry is e.
func (fs *fieldSet) replace(s int, e uint32, value ref, quoted bool) {
	e &^= quotedBit
	fs.fields[e-1].value = value
	if quoted {
		e |= quotedBit
	}
	fs.slots[s] = e
}

// first returns the slot that a key of hash h is looked for in first, and
// whether it is empty: then the key is new and goes there, by insert.
func (fs *fieldSet) first(h uint32) (int, bool) {
	s := int(h) & (len(fs.slots) - 1)
	return s, fs.slots[s] == 0
}

// insert adds the key of ref k, whose hash is h, with value, in the empty
// slot s.
func (fs *fieldSet) insert(s int, h uint32, k, value ref, quoted bool) {
	fs.fields[fs.n] = pair{k, value}
	fs.n++
	e := uint32(fs.n)
	if quoted {
		e |= quotedBit
	}
	fs.slots[s] = e
	fs.bloom |= 1 << (h >> 26)
}

// add sets a field computed during enrichment (auparse's newField). It is
// put with the key's ref made only for a new key: enrichment's keys are not
// pieces of the text, so each ref of one takes a place in made.
func (fs *fieldSet) add(n name, value string) {
	s, e := fs.slot(n.hash, n.key)
	if e == 0 {
		fs.insert(s, n.hash, fs.ref(n.key), fs.ref(value), false)
		return
	}
	fs.replace(s, e, fs.ref(value), false)
}

// del deletes the field at index i.
func (fs *fieldSet) del(i int) {
	fs.fields[i].key = ref{}
	fs.deleted++
}

// live removes the deleted fields, keeping the order of the others, and
// returns how many are left, at the start of fields.
func (fs *fieldSet) live() int {
	if fs.deleted == 0 {
		return fs.n
	}
	n := 0
	for _, f := range fs.fields[:fs.n] {
		if f.key != (ref{}) {
			fs.fields[n] = f
			n++
		}
	}
	return n
}
