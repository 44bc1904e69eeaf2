//go:build !windows

package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// errInvalidHeader has the text of auparse's error for a bad header.
var errInvalidHeader = errors.New("invalid audit message header")

// ParseHeader parses the header "audit(SEC.MSEC:SEQ):" of a record's text as
// auparse.Parse(typ, string(data)) does, with the same result and errors. It
// copies data once, into Raw, so data may be a reused buffer. The fields are
// left for ParseFields. The record may be one given back by Release.
func ParseHeader(typ auparse.AuditMessageType, data []byte) (*Record, error) {
	// bytes.TrimSpace trims exactly what strings.TrimSpace trims. Text
	// that starts and ends with ASCII above space, as the kernel's
	// records do, has nothing to trim, which is cheaper to see here than
	// in the call (measured: parse_header 8.33k -> 8.03k
	// instructions/event).
	msg := data
	if len(msg) == 0 || !asciiAboveSpace(msg[0]) || !asciiAboveSpace(msg[len(msg)-1]) {
		msg = bytes.TrimSpace(msg)
	}

	// The header is located and parsed before msg is copied, so that a bad
	// header costs no allocation.
	// The first '(' of a kernel record's text is that of its "audit("
	// prefix, which is cheaper to check than to search for (measured:
	// parse_header 8.03k -> 7.87k instructions/event).
	start := len("audit")
	prefixed := len(msg) > start && string(msg[:start+1]) == "audit("
	if !prefixed {
		if start = bytes.IndexByte(msg, '('); start < 0 {
			return nil, errInvalidHeader
		}
	}
	sec, msec, seq, end, ok := scanNumbers(msg, start)
	if !ok {
		if sec, msec, seq, end, ok = cutNumbers(msg, start); !ok {
			return nil, errInvalidHeader
		}
	}

	offset := indexOfMessage(msg[end:])
	r := newRecord()
	r.Type = typ
	// Same arithmetic as auparse, including its overflow for absurd msec.
	r.Timestamp = time.Unix(sec, msec*int64(time.Millisecond)).UTC()
	r.Sequence = seq
	r.Raw = string(msg)
	r.offset = offset
	r.skip = headerSkip(msg, offset, start, end, prefixed)
	return r, nil
}

// asciiAboveSpace tells whether c is ASCII above ' ': no Unicode space
// starts or ends with such a byte.
func asciiAboveSpace(c byte) bool { return ' ' < c && c < utf8.RuneSelf }

// headerSkip returns how many bytes from offset on cannot start a key=value
// pair: those up to the header's ')' at end, provided that no '=' precedes
// its '(' at start. Then no key can be followed by '=' there, since the
// numbers in the header have none. prefixed tells that msg starts with
// "audit(", whose '(' is at start: then no '=' precedes it, without looking
// (measured: ParseHeader 966 -> 764 instructions/event on the userspace
// path).
func headerSkip(msg []byte, offset, start, end int, prefixed bool) int {
	if offset < 0 {
		return 0
	}
	if !prefixed {
		// A loop, not bytes.IndexByte: the bytes before the '(' are
		// few, and a call costs more than looking at them (measured:
		// parse_header 8.44k -> 8.33k instructions/event).
		for i := offset; i < start; i++ {
			if msg[i] == '=' {
				return 0
			}
		}
	}
	return max(end+1-offset, 0)
}

// indexOfMessage returns the index of the first ':' or ' ' in b, or -1.
func indexOfMessage(b []byte) int {
	for i, c := range b {
		if c == ':' || c == ' ' {
			return i
		}
	}
	return -1
}

// scanNumbers parses the numbers of a header in the usual form, plain
// digits "SEC.MSEC:SEQ)" after the '(' at msg[start], in one pass. It returns
// the index of the ')' and reports false for anything else, which is left to
// cutNumbers. For such a header, what it returns is what cutNumbers would:
// the separators it finds are the first after start, since the numbers
// before them hold none, and runs of 18 or 9 digits parse as strconv parses
// them (measured: parse_header 9.5k -> 8.3k instructions/event, against
// bytes.IndexByte for each separator and then a loop per number).
func scanNumbers(msg []byte, start int) (sec, msec int64, seq uint32, end int, ok bool) {
	// The usual SEC and MSEC, of 10 and 3 digits, are read from their
	// places, the first 8 digits of SEC at once; other headers take the
	// loops. digitsTo's loops over all 13 digits cost 1.88k instructions
	// per event on the userspace path, this 1.21k (callgrind, recorded
	// mixed stream).
	if len(msg) > start+16 && msg[start+11] == '.' && msg[start+15] == ':' {
		high, highOK := eightDigits(binary.LittleEndian.Uint64(msg[start+1:]))
		s0, s1 := msg[start+9]-'0', msg[start+10]-'0'
		m0, m1, m2 := msg[start+12]-'0', msg[start+13]-'0', msg[start+14]-'0'
		if highOK && s0 <= 9 && s1 <= 9 && m0 <= 9 && m1 <= 9 && m2 <= 9 {
			n, end, ok := digitsTo(msg, start+16, 9, ')')
			sec = high*100 + int64(s0)*10 + int64(s1)
			msec = int64(m0)*100 + int64(m1)*10 + int64(m2)
			return sec, msec, uint32(n), end, ok
		}
	}
	sec, dot, ok := digitsTo(msg, start+1, 18, '.')
	if !ok {
		return
	}
	msec, sep, ok := digitsTo(msg, dot+1, 18, ':')
	if !ok {
		return
	}
	n, end, ok := digitsTo(msg, sep+1, 9, ')')
	return sec, msec, uint32(n), end, ok
}

// digitsTo parses the 1 to maxLen decimal digits at msg[i:] that are
// followed by sep, and returns their value and the index of sep. It reports
// false if msg[i:] does not start so.
func digitsTo(msg []byte, i, maxLen int, sep byte) (n int64, sepAt int, ok bool) {
	for j, c := range msg[i:min(i+maxLen+1, len(msg))] {
		d := c - '0'
		if d > 9 {
			return n, i + j, j > 0 && c == sep
		}
		n = n*10 + int64(d)
	}
	return 0, 0, false
}

// eightDigits returns the value of the 8 bytes of w, read little-endian
// from text, if they are all decimal digits.
func eightDigits(w uint64) (int64, bool) {
	// A byte is a digit if its high nibble is 3 and adding 6 to its low
	// nibble leaves it below 16. No lane carries into the next.
	if w&(0xf0*lanes01) != 0x30*lanes01 || (w&(0x0f*lanes01)+0x06*lanes01)&(0xf0*lanes01) != 0 {
		return 0, false
	}
	// Pairs of digits, then of pairs, then of fours are combined, the
	// first digit being the most significant, each in a lane that holds
	// its value.
	v := w & (0x0f * lanes01)
	v = (v*10 + v>>8) & 0x00ff00ff00ff00ff
	v = (v*100 + v>>16) & 0x0000ffff0000ffff
	v = (v*10000 + v>>32) & 0xffffffff
	return int64(v), true
}

// cutNumbers parses the numbers of any header, "SEC.MSEC:SEQ)" after the '('
// at msg[start], as auparse does: cut at the first '.', ':' and ')' after it
// and parsed by strconv. It returns the index of the ')'.
func cutNumbers(msg []byte, start int) (sec, msec int64, seq uint32, end int, ok bool) {
	dot := bytes.IndexByte(msg[start:], '.')
	if dot < 0 {
		return
	}
	dot += start
	sep := bytes.IndexByte(msg[dot:], ':')
	if sep < 0 {
		return
	}
	sep += dot
	end = bytes.IndexByte(msg[sep:], ')')
	if end < 0 {
		return
	}
	end += sep
	var err error
	if sec, err = strconv.ParseInt(string(msg[start+1:dot]), 10, 64); err != nil {
		return
	}
	if msec, err = strconv.ParseInt(string(msg[dot+1:sep]), 10, 64); err != nil {
		return
	}
	n, err := strconv.ParseUint(string(msg[sep+1:end]), 10, 32)
	return sec, msec, uint32(n), end, err == nil
}
