//go:build !windows

package record

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// The kinds of lines ParseLine rejects, for callers to count (errors.Is).
var (
	// ErrNotAudit: the line is not an auditd log record.
	ErrNotAudit = errors.New("not an audit log line")
	// ErrTruncated: the line ends inside its prefix or header, or inside
	// the value of an ENRICHED name.
	ErrTruncated = errors.New("truncated audit log line")
	// ErrUnknownType: the record type is neither a name the parser knows
	// nor auditd's UNKNOWN[number].
	ErrUnknownType = errors.New("unknown audit record type")
)

// enrichedSeparator starts the names auditd's log_format = ENRICHED appends.
const enrichedSeparator = 0x1d

// ParseLine parses one line of an auditd log file,
//
//	[node=NODE ]type=NAME msg=audit(SEC.MSEC:SEQ): FIELDS[\x1dNAMES]
//
// in auditd's RAW or ENRICHED format. The record is what ParseHeader makes
// of the msg= payload, so records from a file and from the kernel are
// alike; Node and Enriched are set from the line. A trailing newline is
// ignored. The fields are left for ParseFields.
//
// A line that holds no record gives a nil record and an error wrapping
// ErrNotAudit, ErrTruncated or ErrUnknownType. A line that ends inside an
// ENRICHED name gives the record, the names before the cut, and an error
// wrapping ErrTruncated.
func ParseLine(line []byte) (*Record, error) {
	s := bytes.TrimRight(line, "\r\n")
	if len(s) == 0 {
		return nil, lineError(ErrNotAudit, "empty line", line)
	}
	var node []byte
	if rest, ok := bytes.CutPrefix(s, []byte("node=")); ok {
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			return nil, lineError(ErrTruncated, "ends in the node= prefix", line)
		}
		node, s = rest[:sp], rest[sp+1:]
		if len(node) == 0 {
			return nil, lineError(ErrNotAudit, "empty node=", line)
		}
	}
	name, payload, err := cutTypeAndMsg(s, line)
	if err != nil {
		return nil, err
	}
	var names []byte
	if i := bytes.IndexByte(payload, enrichedSeparator); i >= 0 {
		payload, names = payload[:i], payload[i+1:]
	}
	if bytes.IndexByte(payload, ')') < 0 {
		return nil, lineError(ErrTruncated, "ends in the audit(...) header", line)
	}
	typ, err := auparse.GetAuditMessageType(string(name))
	if err != nil {
		return nil, lineError(ErrUnknownType, fmt.Sprintf("type=%s", name), line)
	}
	rec, err := ParseHeader(typ, payload)
	if err != nil {
		return nil, lineError(ErrNotAudit, err.Error(), line)
	}
	if len(node) > 0 {
		rec.Node = string(node)
	}
	if len(names) > 0 {
		var complete bool
		rec.Enriched, complete = parseEnriched(string(names))
		if !complete {
			return rec, lineError(ErrTruncated, "ends inside an ENRICHED name", line)
		}
	}
	return rec, nil
}

// cutTypeAndMsg splits "type=NAME msg=audit(..." into NAME and the payload
// from "audit(" on.
func cutTypeAndMsg(s, line []byte) (name, payload []byte, err error) {
	const typePrefix, msgPrefix = "type=", "msg=audit("
	rest, ok := bytes.CutPrefix(s, []byte(typePrefix))
	if !ok {
		if len(s) < len(typePrefix) && bytes.HasPrefix([]byte(typePrefix), s) {
			return nil, nil, lineError(ErrTruncated, "ends before type=", line)
		}
		return nil, nil, lineError(ErrNotAudit, "no type=", line)
	}
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return nil, nil, lineError(ErrTruncated, "ends after type=", line)
	}
	name, rest = rest[:sp], rest[sp+1:]
	if len(name) == 0 {
		return nil, nil, lineError(ErrNotAudit, "empty type=", line)
	}
	if !bytes.HasPrefix(rest, []byte(msgPrefix)) {
		if len(rest) < len(msgPrefix) && bytes.HasPrefix([]byte(msgPrefix), rest) {
			return nil, nil, lineError(ErrTruncated, "ends before msg=audit(", line)
		}
		return nil, nil, lineError(ErrNotAudit, "no msg=audit( after type=", line)
	}
	return name, rest[len("msg="):], nil
}

// lineExcerpt bounds how much of a bad line an error quotes.
const lineExcerpt = 80

func lineError(kind error, why string, line []byte) error {
	excerpt := line
	if len(excerpt) > lineExcerpt {
		excerpt = excerpt[:lineExcerpt]
	}
	return fmt.Errorf("%w (%s): %q", kind, why, excerpt)
}

// parseEnriched parses auditd's interpretations, `KEY=VALUE` separated by
// spaces, where VALUE is "quoted", { braced } or a bare word. Quotes and
// braces are removed. It reports false when s ends inside a pair, keeping
// the pairs before it.
func parseEnriched(s string) (fields []Field, complete bool) {
	fields = make([]Field, 0, strings.Count(s, "="))
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return fields, false
		}
		var value string
		switch {
		case strings.HasPrefix(rest, `"`):
			value, s, ok = strings.Cut(rest[1:], `"`)
		case strings.HasPrefix(rest, "{"):
			value, s, ok = strings.Cut(rest[1:], "}")
			value = strings.TrimSpace(value)
		default:
			value, s, _ = strings.Cut(rest, " ")
		}
		if !ok {
			return fields, false
		}
		fields = append(fields, Field{Key: key, Value: value})
	}
	return fields, true
}
