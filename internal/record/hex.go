//go:build !windows

package record

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"net"
	"strconv"
)

// checkUpperHex returns the error that auparse's hex decoder returns for s:
// it accepts only an even number of the digits 0-9 and A-F, which is how the
// kernel hex-encodes values with special characters.
func checkUpperHex(s string) error {
	if len(s)%2 == 1 {
		return hex.ErrLength
	}
	if upperHexDigits(s) {
		return nil
	}
	for i := 0; i < len(s); i++ {
		if !isUpperHexDigit(s[i]) {
			return hex.InvalidByteError(s[i])
		}
	}
	return nil
}

func isUpperHex(s string) bool { return checkUpperHex(s) == nil }

func isUpperHexDigit(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// upperHexDigits tells whether s is all digits 0-9 and A-F. A string of 8
// bytes or more is read a word at a time, the last 8 bytes apart,
// overlapping what the loop leaves: the hex values of PROCTITLE and EXECVE
// records are long, and checking them a byte at a time cost 570
// instructions per event on the userspace path, this 315 (callgrind,
// recorded mixed stream).
func upperHexDigits(s string) bool {
	n := len(s)
	if n < 8 {
		for i := range n {
			if !isUpperHexDigit(s[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i+8 <= n; i += 8 {
		if !upperHexWord(load64(s[i : i+8])) {
			return false
		}
	}
	return upperHexWord(load64(s[n-8:]))
}

// upperHexWord tells whether the 8 bytes of w are all digits 0-9 and A-F.
func upperHexWord(w uint64) bool {
	const (
		ones = 0x0101010101010101
		high = 0x80 * ones
	)
	// With the high bits cleared, adding c to a byte sets its high bit
	// when it is 0x80-c or more, and carries into no other byte.
	t := w &^ high
	digit := (t + (0x80-'0')*ones) &^ (t + (0x7f-'9')*ones)
	letter := (t + (0x80-'A')*ones) &^ (t + (0x7f-'F')*ones)
	return w&high == 0 && (digit|letter)&high == high
}

// upperHexValue is the value of each digit 0-9 and A-F. A table look-up per
// digit decodes the long hex values of PROCTITLE, EXECVE and PATH records in
// fewer instructions than a comparison and a branch (measured:
// parse_fields 33.34k -> 33.23k instructions/event, medians of three).
var upperHexValue = func() (t [256]byte) {
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('A'); c <= 'F'; c++ {
		t[c] = c - 'A' + 10
	}
	return t
}()

// How hexDecode treats NUL bytes.
const (
	hexRaw        = iota // keep them
	hexNULToSpace        // make them spaces: auparse's hexToStrings joined by " "
	hexToNUL             // stop at the first: auparse's hexToString
)

// hexDecode decodes s, which isUpperHex accepts, into a new string.
func hexDecode(s string, nul int) string {
	// Decoding into a stack buffer, in the usual case, leaves one
	// allocation: the string.
	var stack [128]byte
	var b []byte
	if n := len(s) / 2; n <= len(stack) {
		b = stack[:n]
	} else {
		b = make([]byte, n)
	}
	// Eight bytes at a time, from 16 digits, then one at a time: a byte
	// at a time throughout cost 787 instructions per event on the
	// userspace path, this 469 (callgrind, recorded mixed stream).
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := hexDecodeWord(load64(s[2*i:2*i+8])) | hexDecodeWord(load64(s[2*i+8:2*i+16]))<<32
		if nuls := zeroBytes(w); nuls != 0 {
			switch nul {
			case hexToNUL:
				binary.LittleEndian.PutUint64(b[i:i+8], w)
				return string(b[:i+bits.TrailingZeros64(nuls)/8])
			case hexNULToSpace:
				w |= (nuls >> 7) * ' '
			}
		}
		binary.LittleEndian.PutUint64(b[i:i+8], w)
	}
	for ; i < len(b); i++ {
		c := upperHexValue[s[2*i]]<<4 | upperHexValue[s[2*i+1]]
		if c == 0 {
			if nul == hexToNUL {
				b = b[:i]
				break
			}
			if nul == hexNULToSpace {
				c = ' '
			}
		}
		b[i] = c
	}
	return string(b)
}

// hexDecodeWord returns the 4 bytes that the 8 digits 0-9 and A-F of w,
// read little-endian from text, stand for, in its low 32 bits in the same
// order.
func hexDecodeWord(w uint64) uint64 {
	// Each digit's value: its low nibble, plus 9 for a letter, whose bit
	// 6 is set.
	v := w&(0x0f*lanes01) + (w>>6&lanes01)*9
	// Each pair of digits to a byte, in the low byte of its 16 bits,
	// then the four bytes packed together.
	v = (v&0x00ff00ff00ff00ff)<<4 | v>>8&0x00ff00ff00ff00ff
	v = (v | v>>8) & 0x0000ffff0000ffff
	return (v | v>>16) & 0xffffffff
}

// sockaddr replaces saddr, a hex struct sockaddr, by its decoded parts.
func (fs *fieldSet) sockaddr() error {
	i, _, ok := fs.get(keySaddr)
	if !ok {
		return notFound(keySaddr)
	}
	var buf [4]Field
	parts, err := parseSockaddr(buf[:0], fs.val(i))
	if err != nil {
		return fmt.Errorf("failed to parse saddr: %w", err)
	}
	fs.del(i)
	for _, p := range parts {
		fs.add(newName(p.Key), fs.decoded(p.Value))
	}
	return nil
}

// parseSockaddr appends to dst the fields that auparse's parseSockaddr makes
// of s, with the same errors. The family is in host (little-endian) order,
// port and address in network order.
func parseSockaddr(dst []Field, s string) ([]Field, error) {
	if len(s) < 4 {
		return nil, fmt.Errorf("invalid family: too short: %d", len(s))
	}
	family, err := hexToDec(s[2:4] + s[0:2])
	if err != nil {
		return nil, err
	}
	switch family {
	case 1: // AF_UNIX
		path := s[4:]
		if err := checkUpperHex(path); err != nil {
			return nil, err
		}
		return append(dst, Field{"family", "unix"}, Field{"path", hexDecode(path, hexToNUL)}), nil
	case 2: // AF_INET
		if len(s) < 16 {
			return nil, sizeError("ipv4", len(s))
		}
		port, err := hexToDec(s[4:8])
		if err != nil {
			return nil, err
		}
		return append(dst, Field{"family", "ipv4"}, Field{"addr", ipv4(s[8:16])}, Field{"port", strconv.Itoa(int(port))}), nil
	case 10: // AF_INET6
		if len(s) < 48 {
			return nil, sizeError("ipv6", len(s))
		}
		port, err := hexToDec(s[4:8])
		if err != nil {
			return nil, err
		}
		flow, err := hexToDec(s[8:16])
		if err != nil {
			return nil, err
		}
		ip, err := hex.DecodeString(s[16:48])
		if err != nil {
			return nil, err
		}
		dst = append(dst, Field{"family", "ipv6"}, Field{"addr", net.IP(ip).String()}, Field{"port", strconv.Itoa(int(port))})
		if flow > 0 {
			dst = append(dst, Field{"flow", strconv.Itoa(int(flow))})
		}
		return dst, nil
	case 16: // AF_NETLINK
		return append(dst, Field{"family", "netlink"}, Field{"saddr", s}), nil
	}
	return append(dst, Field{"family", strconv.Itoa(int(family))}, Field{"saddr", s}), nil
}

func sizeError(family string, size int) error {
	return fmt.Errorf("invalid socket address size family=%s: %d", family, size)
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ipv4 formats 8 hex digits as a dotted quad. Like auparse, it ignores
// errors: an octet that does not parse is 0, and a signed one is printed
// with its sign.
func ipv4(h string) string {
	var buf [20]byte
	b := buf[:0]
	for i := 0; i < 8; i += 2 {
		if i > 0 {
			b = append(b, '.')
		}
		octet, _ := hexToDec(h[i : i+2])
		b = strconv.AppendInt(b, int64(octet), 10)
	}
	return string(b)
}
