//go:build !windows

package record

import "strconv"

// ParseInt is strconv.ParseInt(s, 10, 64) with its error as a bool, and a
// fast path for what ids, pids and ports are: up to 18 digits, which cannot
// overflow. strconv.ParseInt cost 170 instructions a call, 900 per event of
// the userspace path (callgrind, recorded mixed stream).
func ParseInt(s string) (int64, bool) {
	var n int64
	digits := len(s) > 0 && len(s) <= 18
	for i := 0; digits && i < len(s); i++ {
		d := s[i] - '0'
		digits = d <= 9
		n = n*10 + int64(d)
	}
	if digits {
		return n, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// plainHex returns the value of h if h is 1 to most hex digits, no sign: the
// fast path of the hex parsers below, for what the kernel writes.
func plainHex(h string, most int) (int64, bool) {
	if len(h) == 0 || len(h) > most {
		return 0, false
	}
	var n int64
	for i := 0; i < len(h); i++ {
		d, ok := hexDigit(h[i])
		if !ok {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

// hexToDec is strconv.ParseInt(h, 16, 32), which auparse uses for sockaddr
// numbers (so a sign is accepted), with a fast path for plain hex digits.
func hexToDec(h string) (int32, error) {
	if n, ok := plainHex(h, 7); ok {
		return int32(n), nil
	}
	n, err := strconv.ParseInt(h, 16, 32)
	return int32(n), err
}

// parseHex64 is strconv.ParseInt(h, 16, 64), which auparse uses for a
// SYSCALL record's arch, with a fast path for up to 15 plain hex digits:
// strconv took ~320 instructions a call, about one call per event (with
// enrich's pids, 73.5k -> 73.2k instructions per event on the userspace path,
// `make bench-instructions`).
func parseHex64(h string) (int64, error) {
	if n, ok := plainHex(h, 15); ok {
		return n, nil
	}
	return strconv.ParseInt(h, 16, 64)
}
