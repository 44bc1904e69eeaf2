//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import "strings"

// Audit records carry whatever the audited programs passed to the kernel:
// file names, command lines and hex-encoded values that decode to arbitrary
// bytes. OTLP strings must be UTF-8 (a protobuf decoder may reject the whole
// request otherwise), so invalid sequences are replaced with U+FFFD.
// strings.ToValidUTF8 returns s itself, without allocating, when it is valid.
func validUTF8(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}
