//go:generate make -C ../.. generate

// Package auditlogreceiver reads auditd's log files and emits one
// OpenTelemetry log record per reassembled event, in the same schema as the
// auditkernel receiver.
package auditlogreceiver // import "github.com/auditkernel/auditkernel/receiver/auditlogreceiver"
