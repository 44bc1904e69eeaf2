//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
)

// normalize coalesces the records of one reassembled event into an
// actor/action/thing/how event and, when asked, resolves uid/gid values to
// names.
func normalize(msgs []*auparse.AuditMessage, resolveIDs bool) (*aucoalesce.Event, error) {
	event, err := aucoalesce.CoalesceMessages(msgs)
	if err != nil {
		return nil, err
	}
	if resolveIDs {
		aucoalesce.ResolveIDs(event)
	}
	return event, nil
}

// isEventMessage tells whether a netlink message type carries an audit
// record. Types below 1100 are command replies (AUDIT_GET, rule lists, ...)
// except the legacy AUDIT_USER, and AUDIT_REPLACE is the kernel probing
// whether the audit daemon is alive.
func isEventMessage(typ auparse.AuditMessageType) bool {
	return (typ >= auparse.AUDIT_USER_AUTH || typ == auparse.AUDIT_USER) && typ != auparse.AUDIT_REPLACE
}
