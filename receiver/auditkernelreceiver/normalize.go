//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"slices"
	"strconv"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
)

// normalize coalesces the records of one reassembled event into an
// actor/action/thing/how event and, when asked, resolves uid/gid values to
// names.
func normalize(msgs []*auparse.AuditMessage, resolveIDs bool) (*aucoalesce.Event, error) {
	canonicalOrder(msgs)
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

// recordRank orders the records of one event as the kernel emits them: the
// leading record (SYSCALL, or a record such as AVC that precedes it) first,
// then auxiliary records, PROCTITLE, and EOE. aucoalesce takes the first
// record as the event's type and the first PATH as its object, so records
// that arrive out of order would otherwise change the event's meaning.
func recordRank(t auparse.AuditMessageType) int {
	switch t {
	case auparse.AUDIT_PATH, auparse.AUDIT_CWD, auparse.AUDIT_EXECVE, auparse.AUDIT_SOCKADDR,
		auparse.AUDIT_BPRM_FCAPS, auparse.AUDIT_CAPSET, auparse.AUDIT_MMAP, auparse.AUDIT_FD_PAIR,
		auparse.AUDIT_OBJ_PID, auparse.AUDIT_SOCKETCALL, auparse.AUDIT_IPC:
		return 1
	case auparse.AUDIT_PROCTITLE:
		return 2
	case auparse.AUDIT_EOE:
		return 3
	default:
		return 0
	}
}

// canonicalOrder sorts msgs in place by recordRank (stable), then the PATH
// records among their own positions by item number. Records from the kernel
// are normally in order already; then nothing moves.
func canonicalOrder(msgs []*auparse.AuditMessage) {
	byRank := func(a, b *auparse.AuditMessage) int { return recordRank(a.RecordType) - recordRank(b.RecordType) }
	if !slices.IsSortedFunc(msgs, byRank) {
		slices.SortStableFunc(msgs, byRank)
	}
	var slots []int
	for i, m := range msgs {
		if m.RecordType == auparse.AUDIT_PATH {
			slots = append(slots, i)
		}
	}
	paths := make([]*auparse.AuditMessage, len(slots))
	for i, slot := range slots {
		paths[i] = msgs[slot]
	}
	byItem := func(a, b *auparse.AuditMessage) int { return pathItem(a) - pathItem(b) }
	if slices.IsSortedFunc(paths, byItem) {
		return
	}
	slices.SortStableFunc(paths, byItem)
	for i, slot := range slots {
		msgs[slot] = paths[i]
	}
}

func pathItem(m *auparse.AuditMessage) int {
	data, err := m.Data()
	if err != nil {
		return 0
	}
	item, _ := strconv.Atoi(data["item"])
	return item
}
