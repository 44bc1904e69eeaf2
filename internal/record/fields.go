//go:build !windows

package record

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/elastic/go-libaudit/v2/auparse"
)

var (
	errNoData  = errors.New("message has no data content")
	errTooLong = errors.New("message too long") // for the 32-bit refs; the kernel's are under 9 KB
)

// ParseFields sets the fields (NumFields, Field), Tags and Err to what
// auparse's AuditMessage.Data and Tags return for the same record. r must
// come from ParseHeader. Only the first call does any work.
func (r *Record) ParseFields() {
	if r.parsed {
		return
	}
	r.parsed = true
	if r.offset < 0 {
		r.Err = errNoData
		return
	}
	msg, from := r.Raw[r.offset:], r.skip
	// The rest of the header is skipped unless normalize changed the text.
	if rewritten := normalize(r.Type, msg); rewritten != msg {
		msg, from = rewritten, 0
	}
	if len(msg) >= madeRef {
		r.Err = errTooLong
		return
	}

	// Every field extracted from msg owns one '=' of it, and enrichment
	// adds a few more. The fields are worked on in place in the pooled
	// storage that the record keeps, so there is neither a stack array to
	// zero nor a copy to make (measured: ~1.8k fewer instructions/event of
	// the ~41k of parse_fields). The index stays on the stack, in the
	// smallest of three arrays (16, 64 or 128 slots) that fits the room:
	// enough for records of about 8 fields (PROCTITLE, CWD and such), 32
	// (PATH) or 64 (the largest SYSCALL records have some 40). Zeroing the
	// largest array for every record cost 1.02k instructions per event of
	// ParseFields' own, this 0.79k (callgrind, userspace path, recorded
	// mixed stream).
	room := strings.Count(msg, "=") + maxAdded(r.Type)
	store := newStore()
	if cap(store.pairs) < room {
		store.pairs = make([]pair, room)
	}
	var fs fieldSet
	fs.fields = store.pairs[:room]
	store.text = msg
	fs.st = store
	switch size := slotsFor(room); {
	case size <= 16:
		var slots [16]uint32
		fs.slots = slots[:size]
	case size <= 64:
		var slots [64]uint32
		fs.slots = slots[:size]
	case size <= 128:
		var slots [128]uint32
		fs.slots = slots[:size]
	default:
		fs.slots = make([]uint32, size)
	}
	fs.extract(msg, from)
	r.Err = fs.enrich(r)
	// Every value is a piece of msg cut next to an ASCII byte, which keeps
	// valid UTF-8 valid, or decoded from hex, which fs checked. One pass over
	// the text replaces a check per value downstream.
	r.ValidUTF8 = !fs.invalidUTF8 && (longASCII(msg) || utf8.ValidString(msg))
	r.store = store
	store.text = ""
	if r.Err != nil {
		// The storage goes back with the record, unused.
		store.clearMade()
		return
	}
	r.text = msg
	// Taken from store, not fs: the escape analysis does not tell the
	// parts of fs apart, and a slice of fs stored in r would move the
	// index array to the heap. Clipped, so that an append never writes
	// into the storage, which store keeps for reuse.
	n := fs.live()
	r.fields = store.pairs[:n:n]
}

// maxAdded is the most fields that enrichment can add to a record of type typ.
func maxAdded(typ auparse.AuditMessageType) int {
	const resultAndSubj = 1 + len(subjKeys)
	switch typ {
	case auparse.AUDIT_PATH:
		return resultAndSubj + len(objKeys)
	case auparse.AUDIT_SOCKADDR:
		return resultAndSubj + 4 // family, addr, port, flow
	}
	return resultAndSubj
}

// normalize rewrites the few record types whose text is not plain key=value
// pairs, as auparse's normalizeAuditMessage does. It returns msg itself, not
// a copy, when there is nothing to rewrite.
func normalize(typ auparse.AuditMessageType, msg string) string {
	switch typ {
	case auparse.AUDIT_AVC:
		if seresult, perms, rest, ok := matchAVC(msg); ok {
			return "seresult=" + seresult + " seperms=" + strings.Join(strings.Fields(perms), ",") + " " + rest
		}
	case auparse.AUDIT_LOGIN:
		msg = strings.Replace(msg, "old ", "old_", 2)
		return strings.Replace(msg, "new ", "new_", 2)
	case auparse.AUDIT_CRED_DISP, auparse.AUDIT_USER_START, auparse.AUDIT_USER_END:
		msg = strings.Replace(msg, " (hostname=", " hostname=", 2)
		return strings.TrimRight(msg, ")'")
	}
	return msg
}

// matchAVC finds what auparse's SELinux AVC regexp
//
//	avc:\s+(\w+)\s+\{\s*(.*)\s*\}\s+for\s+
//
// matches first in msg: its two groups and the text after the match. As with
// any regexp, \s is [\t\n\f\r ], \w is [0-9A-Za-z_] and . is anything but
// '\n'.
func matchAVC(msg string) (seresult, perms, rest string, ok bool) {
	for from := 0; ; {
		i := strings.Index(msg[from:], "avc:")
		if i < 0 {
			return "", "", "", false
		}
		from += i + len("avc:")
		if seresult, perms, end, ok := matchAVCAt(msg, from); ok {
			return seresult, perms, msg[end:], true
		}
	}
}

// matchAVCAt matches the part of the AVC regexp after "avc:" at msg[i:].
func matchAVCAt(msg string, i int) (seresult, perms string, end int, ok bool) {
	j := skipSpace(msg, i)
	if j == i {
		return "", "", 0, false
	}
	k := j
	for k < len(msg) && isWord(msg[k]) {
		k++
	}
	if k == j {
		return "", "", 0, false
	}
	i = skipSpace(msg, k)
	if i == k || i == len(msg) || msg[i] != '{' {
		return "", "", 0, false
	}
	// The first \s* is greedy and can give nothing back that (.*) would
	// need, so the group starts after all of the space.
	start := skipSpace(msg, i+1)
	lineEnd := strings.IndexByte(msg[start:], '\n')
	if lineEnd < 0 {
		lineEnd = len(msg)
	} else {
		lineEnd += start
	}
	// (.*) is greedy: the group ends at the last point on its line from
	// which `\s*\}\s+for\s+` matches. Past a space, that point can only be
	// the end of the line or a '}'.
	for e := lineEnd; ; {
		if end, ok := matchAVCTail(msg, e); ok {
			return msg[j:k], msg[start:e], end, true
		}
		e = strings.LastIndexByte(msg[start:e], '}')
		if e < 0 {
			return "", "", 0, false
		}
		e += start
	}
}

// matchAVCTail matches `\s*\}\s+for\s+` at msg[i:] and returns its end.
func matchAVCTail(msg string, i int) (int, bool) {
	i = skipSpace(msg, i)
	if i == len(msg) || msg[i] != '}' {
		return 0, false
	}
	j := skipSpace(msg, i+1)
	if j == i+1 || !strings.HasPrefix(msg[j:], "for") {
		return 0, false
	}
	k := skipSpace(msg, j+len("for"))
	if k == j+len("for") {
		return 0, false
	}
	return k, true
}

// skipSpace returns the index of the first byte at or after i that is not
// in the regexp class \s.
func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return byteClass[c]&classSpace != 0 }
func isWord(c byte) bool  { return byteClass[c]&classWord != 0 }

// Byte classes for the regexps that auparse applies. All their classes are
// ASCII, so a byte-wise scan sees what the rune-wise regexp sees.
const (
	classSpace    = 1 << iota // \s
	classWord                 // \w
	classKey                  // [a-z0-9_-], a key
	classUnquoted             // [^"'\s], an unquoted value
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ':
			t[c] |= classSpace
		case c != '"' && c != '\'':
			t[c] |= classUnquoted
		}
		lower, digit := 'a' <= c && c <= 'z', '0' <= c && c <= '9'
		if lower || digit || c == '_' || c == '-' {
			t[c] |= classKey
		}
		if lower || digit || c == '_' || 'A' <= c && c <= 'Z' {
			t[c] |= classWord
		}
	}
	return t
}()

// extract adds the key=value pairs of msg in the order in which auparse's
//
//	([a-z0-9_-]+)=((?:[^"'\s]+)|'(?:\\'|[^'])*'|"(?:\\"|[^"])*")
//
// finds them (leftmost first, not overlapping), a later pair replacing an
// earlier one with the same key. Values are trimmed of quotes and spaces;
// empty and unknown ones are dropped, and the pairs inside a msg value take
// its place. The search starts at msg[from].
func (fs *fieldSet) extract(msg string, from int) {
	// msg is the text or a piece of it.
	base := uint32(offset(fs.st.text, msg))
	for i := from; i < len(msg); {
		c := msg[i]
		if byteClass[c]&classKey == 0 {
			i++
			continue
		}
		// A match must start at the start of a run of key bytes: a start
		// inside the run would see the same '=' and value.
		keyStart, h := i, (hashInit^uint32(c))*hashPrime
		for i++; i < len(msg) && byteClass[msg[i]]&classKey != 0; i++ {
			h = (h ^ uint32(msg[i])) * hashPrime
		}
		if i+1 >= len(msg) || msg[i] != '=' {
			continue
		}
		key := msg[keyStart:i]
		i++
		// The value is scanned here, not in a function, and an unquoted
		// one, which has neither quotes nor spaces to trim, is taken as
		// it is (measured: parse_fields 39.4k -> 36.7k instructions/event).
		// A word-at-a-time scan of unquoted values measured worse: half
		// of them are one byte long.
		var value, orig string
		switch q := msg[i]; {
		case byteClass[q]&classUnquoted != 0:
			start := i
			for i++; i < len(msg) && byteClass[msg[i]]&classUnquoted != 0; i++ {
			}
			value = msg[start:i]
			orig = value
			// What ends the value, a space or a quote, cannot start a
			// key.
			i++
			// The first byte tells most values from those dropped
			// (measured: extract 98.6M -> 97.5M instructions in 20
			// iterations of parse_fields, ~100/event).
			if (q == '?' || q == '(') && dropped(value) {
				continue
			}
		case q == '"' || q == '\'':
			end, ok := quotedEnd(msg, i, q)
			if !ok {
				continue
			}
			orig = msg[i:end]
			i = end
			value = trimQuotesAndSpace(orig)
			if dropped(value) {
				continue
			}
		default: // a space: no value
			continue
		}
		if key == "msg" {
			fs.extract(value, 0)
			continue
		}
		if key == "argc" {
			fs.argcOrig = orig
		}
		// A new key most often finds its first slot empty: then it is
		// inserted here, without a call, and put's probe loop, around
		// whose key comparison the compiler keeps everything in memory,
		// is left for the rest (measured: parse_fields 33.1k -> 32.1k
		// instructions/event).
		k, v := ref{base + uint32(keyStart), uint32(len(key))}, ref{base + uint32(offset(msg, value)), uint32(len(value))}
		if s, empty := fs.first(h); empty {
			fs.insert(s, h, k, v, len(orig) != len(value))
		} else {
			fs.put(h, key, k, v, len(orig) != len(value))
		}
	}
}

// dropped tells whether auparse drops a field of value v, which stands for
// no value.
func dropped(v string) bool {
	switch v {
	case "", "?", "?,", "(null)":
		return true
	}
	return false
}

// quotedEnd returns the end of the value quoted by q at msg[i]. The regexp
// reads `\q` as an escaped quote, but if no quote closes the value after
// that, it backtracks to read the last such escape's quote as the closing
// one.
func quotedEnd(msg string, i int, q byte) (int, bool) {
	lastEscaped := -1
	for j := i + 1; j < len(msg); j++ {
		switch msg[j] {
		case q:
			return j + 1, true
		case '\\':
			if j+1 < len(msg) && msg[j+1] == q {
				j++
				lastEscaped = j
			}
		}
	}
	if lastEscaped < 0 {
		return 0, false
	}
	return lastEscaped + 1, true
}

// trimQuotesAndSpace is strings.Trim(v, `'" `) without building the cutset.
func trimQuotesAndSpace(v string) string {
	i, j := 0, len(v)
	for i < j && isQuoteOrSpace(v[i]) {
		i++
	}
	for j > i && isQuoteOrSpace(v[j-1]) {
		j--
	}
	return v[i:j]
}

func isQuoteOrSpace(c byte) bool { return c == '\'' || c == '"' || c == ' ' }
