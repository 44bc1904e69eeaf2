//go:build !windows

package record

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// lineCases are auditd log lines, RAW and ENRICHED, with and without node=,
// and the lines ParseLine must reject. The ENRICHED ones are copied from
// testdata/auditlog (auditd 3.0.9).
var lineCases = []struct {
	name     string
	line     string
	typ      auparse.AuditMessageType
	seq      uint32
	node     string
	raw      string
	enriched []Field
	err      error // the kind; with a record when rec is set
	rec      bool  // a record comes with err
}{
	{name: "raw", line: `type=USER msg=audit(1700000000.123:4242): pid=1 uid=0 msg='text=hi res=success'`,
		typ: auparse.AUDIT_USER, seq: 4242, raw: `audit(1700000000.123:4242): pid=1 uid=0 msg='text=hi res=success'`},
	{name: "raw with newline", line: "type=EOE msg=audit(1700000000.123:7): \n",
		typ: auparse.AUDIT_EOE, seq: 7, raw: `audit(1700000000.123:7):`},
	{name: "crlf", line: "type=EOE msg=audit(1700000000.123:7):\r\n",
		typ: auparse.AUDIT_EOE, seq: 7, raw: `audit(1700000000.123:7):`},
	{name: "node", line: `node=web-1 type=CWD msg=audit(1700000000.123:9): cwd="/"`,
		typ: auparse.AUDIT_CWD, seq: 9, node: "web-1", raw: `audit(1700000000.123:9): cwd="/"`},
	{name: "enriched", line: "node=testnode type=USER msg=audit(1796204511.597:7): pid=15753 uid=0 auid=4294967295 ses=4294967295 msg='text=altest message one exe=\"/usr/sbin/auditctl\" hostname=? addr=? terminal=? res=success'\x1dUID=\"root\" AUID=\"unset\"",
		typ: auparse.AUDIT_USER, seq: 7, node: "testnode",
		raw:      `audit(1796204511.597:7): pid=15753 uid=0 auid=4294967295 ses=4294967295 msg='text=altest message one exe="/usr/sbin/auditctl" hostname=? addr=? terminal=? res=success'`,
		enriched: []Field{{"UID", "root"}, {"AUID", "unset"}}},
	{name: "enriched bare and braced", line: "type=SOCKADDR msg=audit(1796204511.573:4): saddr=100000000000000000000000\x1dSADDR={ saddr_fam=netlink nlnk-fam=16 nlnk-pid=0 } ARCH=x86_64",
		typ: auparse.AUDIT_SOCKADDR, seq: 4, raw: `audit(1796204511.573:4): saddr=100000000000000000000000`,
		enriched: []Field{{"SADDR", "saddr_fam=netlink nlnk-fam=16 nlnk-pid=0"}, {"ARCH", "x86_64"}}},
	{name: "unknown numbered type", line: `type=UNKNOWN[1999] msg=audit(1700000000.123:5): x=1`,
		typ: 1999, seq: 5, raw: `audit(1700000000.123:5): x=1`},
	{name: "lower-case type", line: `type=syscall msg=audit(1700000000.123:5): x=1`,
		typ: auparse.AUDIT_SYSCALL, seq: 5, raw: `audit(1700000000.123:5): x=1`},

	{name: "enriched cut in a quote", line: "type=USER msg=audit(1700000000.123:8): uid=0\x1dUID=\"root\" AUID=\"al",
		typ: auparse.AUDIT_USER, seq: 8, raw: `audit(1700000000.123:8): uid=0`,
		enriched: []Field{{"UID", "root"}}, err: ErrTruncated, rec: true},
	{name: "enriched cut in a brace", line: "type=SOCKADDR msg=audit(1700000000.123:8): saddr=01\x1dSADDR={ fam=local",
		typ: auparse.AUDIT_SOCKADDR, seq: 8, raw: `audit(1700000000.123:8): saddr=01`,
		enriched: []Field{}, err: ErrTruncated, rec: true},
	{name: "enriched cut in a key", line: "type=USER msg=audit(1700000000.123:8): uid=0\x1dUID=\"root\" AU",
		typ: auparse.AUDIT_USER, seq: 8, raw: `audit(1700000000.123:8): uid=0`,
		enriched: []Field{{"UID", "root"}}, err: ErrTruncated, rec: true},

	{name: "empty", line: "", err: ErrNotAudit},
	{name: "newline only", line: "\n", err: ErrNotAudit},
	{name: "garbage", line: "hello world", err: ErrNotAudit},
	{name: "binary", line: "\x00\xff\x1d", err: ErrNotAudit},
	{name: "no msg", line: "type=SYSCALL arch=c000003e", err: ErrNotAudit},
	{name: "empty type", line: "type= msg=audit(1.2:3): ", err: ErrNotAudit},
	{name: "empty node", line: "node= type=EOE msg=audit(1.2:3): ", err: ErrNotAudit},
	{name: "bad header", line: "type=EOE msg=audit(x.2:3): ", err: ErrNotAudit},
	{name: "unknown type name", line: "type=NEW_THING msg=audit(1.2:3): a=1", err: ErrUnknownType},
	{name: "cut in node", line: "node=web-1", err: ErrTruncated},
	{name: "cut in type prefix", line: "node=web-1 typ", err: ErrTruncated},
	{name: "cut in type", line: "type=SYSC", err: ErrTruncated},
	{name: "cut in msg prefix", line: "type=SYSCALL msg=au", err: ErrTruncated},
	{name: "cut in header", line: "type=SYSCALL msg=audit(1700000000.123:42", err: ErrTruncated},
	{name: "separator in header", line: "type=SYSCALL msg=audit(1700000000.123:42\x1d): a=1", err: ErrTruncated},
}

func TestParseLine(t *testing.T) {
	for _, c := range lineCases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := ParseLine([]byte(c.line))
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error %v, want %v", err, c.err)
				}
				if (rec != nil) != c.rec {
					t.Fatalf("record %+v with error %v", rec, err)
				}
				if rec == nil {
					return
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if rec.Type != c.typ || rec.Sequence != c.seq || rec.Node != c.node || rec.Raw != c.raw {
				t.Errorf("got type %v seq %d node %q raw %q\nwant type %v seq %d node %q raw %q",
					rec.Type, rec.Sequence, rec.Node, rec.Raw, c.typ, c.seq, c.node, c.raw)
			}
			if !reflect.DeepEqual(rec.Enriched, c.enriched) {
				t.Errorf("enriched %q, want %q", rec.Enriched, c.enriched)
			}
		})
	}
}

// TestParseLineIsParseHeader checks that a line's record is the one the
// kernel's message gives: ParseLine only adds Node and Enriched.
func TestParseLineIsParseHeader(t *testing.T) {
	for _, l := range allRawLines(t) {
		line := "node=n1 type=" + l.typ.String() + " msg=" + l.data + "\x1dUID=\"root\""
		got, err := ParseLine([]byte(line))
		if err != nil {
			t.Fatalf("%s: %v", l.name, err)
		}
		want, err := ParseHeader(l.typ, []byte(l.data))
		if err != nil {
			t.Fatalf("%s: %v", l.name, err)
		}
		want.Node, want.Enriched = "n1", []Field{{"UID", "root"}}
		got.ParseFields()
		want.ParseFields()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", l.name, got, want)
		}
	}
}

func TestParseLineTimestamp(t *testing.T) {
	rec, err := ParseLine([]byte("type=EOE msg=audit(1796204511.597:7): "))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1796204511, 597e6).UTC(); !rec.Timestamp.Equal(want) {
		t.Errorf("timestamp %v, want %v", rec.Timestamp, want)
	}
}

// FuzzParseLine checks that ParseLine never panics, that it returns a record
// or an error of a known kind (or both, only for a cut ENRICHED name), and
// that the record's fields parse as the kernel's would.
func FuzzParseLine(f *testing.F) {
	for _, c := range lineCases {
		f.Add(c.line)
	}
	for _, l := range allRawLines(f)[:50] {
		f.Add("node=h type=" + l.typ.String() + " msg=" + l.data + "\x1dUID=\"root\" SADDR={ a=b }")
	}
	f.Fuzz(func(t *testing.T, line string) {
		rec, err := ParseLine([]byte(line))
		switch {
		case err == nil && rec == nil:
			t.Fatal("no record and no error")
		case err != nil && !errors.Is(err, ErrNotAudit) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrUnknownType):
			t.Fatalf("error of no known kind: %v", err)
		case err != nil && rec != nil && !errors.Is(err, ErrTruncated):
			t.Fatalf("record with error %v", err)
		}
		if rec == nil {
			return
		}
		if strings.ContainsRune(rec.Raw, enrichedSeparator) {
			t.Errorf("Raw %q holds the ENRICHED separator", rec.Raw)
		}
		checkSame(t, rec.Type, rec.Raw)
	})
}
