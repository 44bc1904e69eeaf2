//go:build !windows

package record

import (
	"bytes"
	"errors"
	"strconv"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// errInvalidHeader has the text of auparse's error for a bad header.
var errInvalidHeader = errors.New("invalid audit message header")

// ParseHeader parses the header "audit(SEC.MSEC:SEQ):" of a record's text as
// auparse.Parse(typ, string(data)) does, with the same result and errors. It
// copies data once, into Raw, so data may be a reused buffer. The fields are
// left for ParseFields. The record may be one given back by Release.
func ParseHeader(typ auparse.AuditMessageType, data []byte) (*Record, error) {
	// bytes.TrimSpace trims exactly what strings.TrimSpace trims.
	msg := bytes.TrimSpace(data)

	// The header is located and parsed before msg is copied, so that a bad
	// header costs no allocation.
	start := bytes.IndexByte(msg, '(')
	if start < 0 {
		return nil, errInvalidHeader
	}
	dot := bytes.IndexByte(msg[start:], '.')
	if dot < 0 {
		return nil, errInvalidHeader
	}
	dot += start
	sep := bytes.IndexByte(msg[dot:], ':')
	if sep < 0 {
		return nil, errInvalidHeader
	}
	sep += dot
	end := bytes.IndexByte(msg[sep:], ')')
	if end < 0 {
		return nil, errInvalidHeader
	}
	end += sep

	sec, ok := parseInt(msg[start+1 : dot])
	if !ok {
		return nil, errInvalidHeader
	}
	msec, ok := parseInt(msg[dot+1 : sep])
	if !ok {
		return nil, errInvalidHeader
	}
	seq, ok := parseSeq(msg[sep+1 : end])
	if !ok {
		return nil, errInvalidHeader
	}

	offset := indexOfMessage(msg[end:])
	r := newRecord()
	r.Type = typ
	// Same arithmetic as auparse, including its overflow for absurd msec.
	r.Timestamp = time.Unix(sec, msec*int64(time.Millisecond)).UTC()
	r.Sequence = seq
	r.Raw = string(msg)
	r.offset = offset
	r.skip = headerSkip(msg, offset, start, end)
	return r, nil
}

// headerSkip returns how many bytes from offset on cannot start a key=value
// pair: those up to the header's ')' at end, provided that no '=' precedes
// its '(' at start. Then no key can be followed by '=' there, since the
// numbers in the header have none.
func headerSkip(msg []byte, offset, start, end int) int {
	if offset < 0 || offset < start && bytes.IndexByte(msg[offset:start], '=') >= 0 {
		return 0
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

// parseInt is strconv.ParseInt(string(b), 10, 64) reduced to success or
// failure, without converting b in the usual case of a few plain digits.
func parseInt(b []byte) (int64, bool) {
	if n, ok := parseDigits(b, 18); ok {
		return n, true
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// parseSeq is strconv.ParseUint(string(b), 10, 32) reduced to success or
// failure.
func parseSeq(b []byte) (uint32, bool) {
	if n, ok := parseDigits(b, 9); ok {
		return uint32(n), true
	}
	n, err := strconv.ParseUint(string(b), 10, 32)
	return uint32(n), err == nil
}

// parseDigits parses 1 to maxLen decimal digits, few enough that they cannot
// overflow. Anything else (signs, more digits) is left to strconv.
func parseDigits(b []byte, maxLen int) (int64, bool) {
	if len(b) == 0 || len(b) > maxLen {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
