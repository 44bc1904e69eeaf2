package record

import "github.com/elastic/go-libaudit/v2/auparse"

// IsEvent tells whether a message type carries an audit record, the one
// place that says which types are not records. Types below 1100 are command
// replies (AUDIT_GET, rule lists, ...) except the legacy AUDIT_USER, and
// AUDIT_REPLACE is the kernel probing whether the audit daemon is alive.
func IsEvent(typ auparse.AuditMessageType) bool {
	return (typ >= auparse.AUDIT_USER_AUTH || typ == auparse.AUDIT_USER) && typ != auparse.AUDIT_REPLACE
}
