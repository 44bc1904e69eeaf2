// Package kernel is everything that talks to the Linux audit subsystem: the
// netlink sockets, the status and settings (and the backpressure plan), the
// audit rules (loading, installing, drift) and the diagnostics of who owns
// the audit PID.
//
// Its surface is three small interfaces, so that every other stage is
// tested without root: Messages (the subscription: receive, flush, reopen),
// Control (the status, the audit PID) and Rules (the rules this receiver
// keeps in place). Open returns the netlink implementation of all three.
//
// Rule parsing (LoadRules) builds wherever go-libaudit's rule parser does,
// so that a configuration can be validated off Linux; the rest is Linux only.
package kernel // import "github.com/auditkernel/auditkernel/internal/kernel"
