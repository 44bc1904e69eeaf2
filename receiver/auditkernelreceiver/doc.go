//go:generate make -C ../.. generate

// Package auditkernelreceiver receives Linux kernel audit events over netlink
// and emits one OpenTelemetry log record per reassembled event.
package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"
