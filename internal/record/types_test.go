//go:build !windows

package record

import (
	"testing"

	"github.com/elastic/go-libaudit/v2/auparse"
)

func TestIsEvent(t *testing.T) {
	for typ, want := range map[auparse.AuditMessageType]bool{
		2:                              false, // NLMSG_ERROR, the ack of a command
		auparse.AUDIT_GET:              false,
		auparse.AUDIT_LIST_RULES:       false,
		auparse.AUDIT_SIGNAL_INFO:      false,
		auparse.AUDIT_GET_FEATURE:      false,
		auparse.AUDIT_USER:             true,
		auparse.AUDIT_LOGIN:            true,
		auparse.AUDIT_USER_AUTH:        true,
		auparse.AUDIT_DAEMON_START:     true,
		auparse.AUDIT_SYSCALL:          true,
		auparse.AUDIT_REPLACE:          false,
		auparse.AUDIT_EOE:              true,
		auparse.AUDIT_AVC:              true,
		auparse.AUDIT_KERNEL:           true,
		auparse.AUDIT_LAST_USER_MSG2:   true,
		auparse.AUDIT_ANOM_PROMISCUOUS: true,
	} {
		if got := IsEvent(typ); got != want {
			t.Errorf("IsEvent(%v) = %v, want %v", typ, got, want)
		}
	}
}
