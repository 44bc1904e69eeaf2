//go:build !windows

package record

import "github.com/elastic/go-libaudit/v2/auparse"

// IsEvent tells whether a netlink message of type t carries an audit record;
// it is the one filter between the audit socket and reassembly. Types below
// 1100 are commands and their replies (AUDIT_GET, the rule lists,
// AUDIT_SIGNAL_INFO, the TTY and feature settings, netlink's own control
// messages), except two records the kernel sends as events: the legacy
// AUDIT_USER (1005) and AUDIT_LOGIN (1006), which it writes whenever a
// process's login uid is set (pam_loginuid at every login). AUDIT_REPLACE
// (1329) is not a record either: the kernel sends it to probe whether the
// audit daemon is alive. Every other type is a record of some event.
func IsEvent(t auparse.AuditMessageType) bool {
	switch {
	case t == auparse.AUDIT_USER || t == auparse.AUDIT_LOGIN:
		return true
	case t < auparse.AUDIT_USER_AUTH:
		return false
	}
	return t != auparse.AUDIT_REPLACE
}
