package recordtest

import (
	"testing"

	libaudit "github.com/elastic/go-libaudit/v2"

	"github.com/auditkernel/auditkernel/internal/record"
)

// Messages reads a recorded stream as the netlink messages the kernel
// sends: every record's type and payload.
func Messages(tb testing.TB, name string) []*libaudit.RawAuditMessage {
	tb.Helper()
	recs := lines(tb, name)
	msgs := make([]*libaudit.RawAuditMessage, len(recs))
	for i, rec := range recs {
		msgs[i] = &libaudit.RawAuditMessage{Type: rec.Type, Data: []byte(rec.Raw)}
	}
	return msgs
}

// Headers parses the headers of the messages that carry records, as the
// kernel receiver's reader does.
func Headers(tb testing.TB, msgs []*libaudit.RawAuditMessage) []*record.Record {
	recs := make([]*record.Record, 0, len(msgs))
	for _, m := range msgs {
		if !record.IsEvent(m.Type) {
			continue
		}
		rec, err := record.ParseHeader(m.Type, m.Data)
		if err != nil {
			tb.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return recs
}
