//go:build !windows

package record

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// TestRecordedStreams compares every record of the recorded streams with
// auparse.
func TestRecordedStreams(t *testing.T) {
	lines := allRawLines(t)
	for _, l := range lines {
		if got := checkSame(t, l.typ, l.data); got.HeaderErr != "" || got.Err != "" {
			t.Errorf("%s: recorded record does not parse: %+v", l.name, got)
		}
	}
	t.Logf("%d records", len(lines))
}

const hdr = "audit(1700000000.123:42): "

// cases cover each rule of the key=value syntax and each enrichment of
// auparse. Each is checked against auparse and against the fields, tags and
// error written here (fields not listed are not checked; "-" means absent).
var cases = []struct {
	name   string
	typ    auparse.AuditMessageType
	data   string
	fields map[string]string
	tags   []string
	err    string
}{
	// Syntax.
	{name: "escaped quotes", typ: auparse.AUDIT_USER, data: hdr + `a="x\"y" b='p\'q' c=1`,
		fields: map[string]string{"a": `x\"y`, "b": `p\'q`, "c": "1"}},
	{name: "escaped quote closes when nothing else does", typ: auparse.AUDIT_USER, data: hdr + `a="x\" b=c`,
		fields: map[string]string{"a": `x\`, "b": "c"}},
	{name: "escaped backslash before quote", typ: auparse.AUDIT_USER, data: hdr + `a='x\\' b=c`,
		fields: map[string]string{"a": `x\\`, "b": "c"}},
	{name: "unterminated quote", typ: auparse.AUDIT_USER, data: hdr + `a="xyz b=c`,
		fields: map[string]string{"a": "-", "b": "c"}},
	{name: "quoted value spans spaces and newlines", typ: auparse.AUDIT_USER, data: hdr + "a=\"x y\nz\" b=2",
		fields: map[string]string{"a": "x y\nz", "b": "2"}},
	{name: "trim quotes and spaces inside quotes", typ: auparse.AUDIT_USER, data: hdr + `a=" 'x' " b='"'`,
		fields: map[string]string{"a": "x", "b": "-"}},
	{name: "unquoted value stops at a quote", typ: auparse.AUDIT_USER, data: hdr + `a=x"y" b=x'z'c=d`,
		fields: map[string]string{"a": "x", "b": "x", "c": "d"}},
	{name: "uppercase before key", typ: auparse.AUDIT_USER, data: hdr + `Ab=c XY_z=1 k.e-y=2`,
		fields: map[string]string{"b": "c", "_z": "1", "e-y": "2", "Ab": "-"}},
	{name: "no value", typ: auparse.AUDIT_USER, data: hdr + `a= b=1 c=`,
		fields: map[string]string{"a": "-", "b": "1", "c": "-"}},
	{name: "useless values dropped", typ: auparse.AUDIT_USER, data: hdr + `a=? b=(null) c="?," d="" e='' f=" " g=?x`,
		fields: map[string]string{"a": "-", "b": "-", "c": "-", "d": "-", "e": "-", "f": "-", "g": "?x"}},
	{name: "later duplicate wins", typ: auparse.AUDIT_USER, data: hdr + `a=1 b=2 a="3"`,
		fields: map[string]string{"a": "3", "b": "2"}},
	{name: "nested msg", typ: auparse.AUDIT_USER, data: hdr + `pid=1 a=1 msg='op=x a=2 res=success' uid=0`,
		fields: map[string]string{"pid": "1", "op": "x", "a": "2", "result": "success", "uid": "0", "msg": "-", "res": "-"}},
	{name: "nested msg overridden after it", typ: auparse.AUDIT_USER, data: hdr + `msg='a=2' a=3`,
		fields: map[string]string{"a": "3"}},
	{name: "doubly nested msg", typ: auparse.AUDIT_USER, data: hdr + `msg='a=1 msg="b=2 c=3"'`,
		fields: map[string]string{"a": "1", "b": "2", "c": "3", "msg": "-"}},
	{name: "useless msg dropped", typ: auparse.AUDIT_USER, data: hdr + `msg=? a=1`,
		fields: map[string]string{"a": "1", "msg": "-"}},
	{name: "unquoted msg without pairs", typ: auparse.AUDIT_USER, data: hdr + `msg=hello a=1`,
		fields: map[string]string{"a": "1", "msg": "-", "hello": "-"}},
	{name: "pair before the header", typ: auparse.AUDIT_USER, data: `node=x audit(1.2:3): a=1`,
		fields: map[string]string{"ode": "x", "a": "1"}},

	// Normalization of odd record types.
	{name: "selinux avc", typ: auparse.AUDIT_AVC,
		data:   hdr + `avc:  denied  { read write } for  pid=2 comm="cat" scontext=system_u:system_r:t:s0 tclass=file permissive=0`,
		fields: map[string]string{"seresult": "denied", "seperms": "read,write", "pid": "2", "comm": "cat", "tclass": "file"}},
	{name: "selinux avc greedy perms", typ: auparse.AUDIT_AVC, data: hdr + `avc: granted { a } for x } for  pid=2`,
		fields: map[string]string{"seresult": "granted", "seperms": "a,},for,x", "pid": "2"}},
	{name: "avc without for", typ: auparse.AUDIT_AVC, data: hdr + `avc:  denied  { read } pid=2`,
		fields: map[string]string{"seresult": "-", "pid": "2"}},
	{name: "apparmor avc", typ: auparse.AUDIT_AVC, data: hdr + `apparmor="DENIED" operation="open" profile="p" name="/etc/x" pid=3`,
		fields: map[string]string{"apparmor": "DENIED", "operation": "open", "name": "/etc/x", "pid": "3"}},
	{name: "login old new", typ: auparse.AUDIT_LOGIN, data: hdr + `login pid=1 uid=0 old auid=4294967295 new auid=0 old ses=4294967295 new ses=1`,
		fields: map[string]string{"old_auid": "4294967295", "new_auid": "0", "old_ses": "4294967295", "new_ses": "1", "auid": "-"}},
	{name: "login modern", typ: auparse.AUDIT_LOGIN, data: hdr + `pid=1 uid=0 old-auid=4294967295 auid=0 tty=(none) old-ses=4294967295 ses=1 res=1`,
		fields: map[string]string{"old-auid": "unset", "auid": "0", "ses": "1", "tty": "(none)", "result": "success"}},
	{name: "user_start hostname", typ: auparse.AUDIT_USER_START,
		data:   hdr + `user pid=1 uid=0 auid=1000 ses=2 msg='PAM: session open; user=root : exe="/bin/su" (hostname=h, addr=?, terminal=pts/0 res=success)'`,
		fields: map[string]string{"hostname": "h,", "addr": "-", "terminal": "pts/0", "result": "success", "user": "root"}},
	{name: "user_end modern", typ: auparse.AUDIT_USER_END,
		data:   hdr + `pid=1 uid=0 auid=0 ses=3 msg='op=PAM:session_close grantors=pam_unix acct="root" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/pts/0 res=success'`,
		fields: map[string]string{"op": "PAM:session_close", "acct": "root", "terminal": "/dev/pts/0", "result": "success", "hostname": "-"}},

	// Enrichment common to all types.
	{name: "unset ids", typ: auparse.AUDIT_USER, data: hdr + `auid=4294967295 old-auid=-1 ses=-1 uid=4294967295`,
		fields: map[string]string{"auid": "unset", "old-auid": "unset", "ses": "unset", "uid": "4294967295"}},
	{name: "selinux subj", typ: auparse.AUDIT_USER, data: hdr + `subj=system_u:system_r:init_t:s0-s0:c0.c1023 res=yes`,
		fields: map[string]string{"subj": "-", "subj_user": "system_u", "subj_role": "system_r", "subj_domain": "init_t", "subj_level": "s0-s0", "subj_category": "c0.c1023", "result": "success"}},
	{name: "selinux subj more parts", typ: auparse.AUDIT_USER, data: hdr + `subj=a:b::d:e:f subj_role=x`,
		fields: map[string]string{"subj_user": "a", "subj_role": "b", "subj_domain": "", "subj_level": "d", "subj_category": "e:f"}},
	{name: "apparmor subj", typ: auparse.AUDIT_USER, data: hdr + `subj=unconfined subj_role=kept`,
		fields: map[string]string{"subj_user": "unconfined", "subj_role": "kept", "subj_domain": "-"}},
	{name: "res failed", typ: auparse.AUDIT_USER, data: hdr + `res=failed`,
		fields: map[string]string{"result": "fail", "res": "-"}},
	{name: "res uppercase", typ: auparse.AUDIT_USER, data: hdr + `res=SUCCESS result=x`,
		fields: map[string]string{"result": "success"}},
	{name: "success before res", typ: auparse.AUDIT_USER, data: hdr + `res=failed success=yes`,
		fields: map[string]string{"result": "success", "res": "failed", "success": "-"}},
	{name: "success no", typ: auparse.AUDIT_USER, data: hdr + `success=no`,
		fields: map[string]string{"result": "fail"}},
	{name: "exit names", typ: auparse.AUDIT_USER, data: hdr + `exit=-13`,
		fields: map[string]string{"exit": "EACCES"}},
	{name: "exit unknown", typ: auparse.AUDIT_USER, data: hdr + `exit=-99999`,
		fields: map[string]string{"exit": "-99999"}},
	{name: "exit positive and junk", typ: auparse.AUDIT_USER, data: hdr + `exit=3 a=1`,
		fields: map[string]string{"exit": "3"}},
	{name: "exit not a number", typ: auparse.AUDIT_USER, data: hdr + `exit=-x`,
		fields: map[string]string{"exit": "-x"}},
	{name: "key", typ: auparse.AUDIT_USER, data: hdr + `key="net" a=1`,
		fields: map[string]string{"key": "-"}, tags: []string{"net"}},
	{name: "key=key=x", typ: auparse.AUDIT_USER, data: hdr + `key="key=x=y"`,
		tags: []string{"x=y"}},
	{name: "key hex with separators", typ: auparse.AUDIT_USER, data: hdr + `key=6B657931016B657932`,
		tags: []string{"key1", "key2"}},
	{name: "key quoted hex", typ: auparse.AUDIT_USER, data: hdr + `key="6B6579"`,
		tags: []string{"6B6579"}},
	{name: "key digits decode as hex", typ: auparse.AUDIT_USER, data: hdr + `key=1234`,
		tags: []string{"\x124"}},
	{name: "key null", typ: auparse.AUDIT_USER, data: hdr + `key=(null)`},
	{name: "cwd hex", typ: auparse.AUDIT_CWD, data: hdr + `cwd=2F746D7020782F`,
		fields: map[string]string{"cwd": "/tmp x/"}},
	{name: "cwd quoted", typ: auparse.AUDIT_CWD, data: hdr + `cwd="2F74"`,
		fields: map[string]string{"cwd": "2F74"}},

	// SYSCALL and SECCOMP.
	{name: "syscall", typ: auparse.AUDIT_SYSCALL,
		data:   hdr + `arch=c000003e syscall=59 success=yes exit=0 items=2 auid=4294967295 comm="ls" exe="/usr/bin/ls" key="exec"`,
		fields: map[string]string{"arch": "x86_64", "syscall": "execve", "result": "success", "exit": "0", "auid": "unset", "exe": "/usr/bin/ls"},
		tags:   []string{"exec"}},
	{name: "syscall exe hex", typ: auparse.AUDIT_SYSCALL, data: hdr + `arch=c000003e syscall=0 exe=2F62696E2F78007A`,
		fields: map[string]string{"syscall": "read", "exe": "/bin/x z"}},
	{name: "syscall unknown number and arch", typ: auparse.AUDIT_SYSCALL, data: hdr + `arch=1234 syscall=99999 exe=x`,
		fields: map[string]string{"arch": "unknown[1234]", "syscall": "99999"}},
	{name: "syscall missing arch", typ: auparse.AUDIT_SYSCALL, data: hdr + `syscall=2 success=yes exit=3 key=k`,
		tags: []string{"k"}, err: "arch key not found"},
	{name: "syscall bad arch", typ: auparse.AUDIT_SYSCALL, data: hdr + `arch=xyz syscall=2`,
		err: `failed to parse arch: strconv.ParseInt: parsing "xyz": invalid syntax`},
	{name: "syscall not a number", typ: auparse.AUDIT_SYSCALL, data: hdr + `arch=c000003e syscall=open exe=x`,
		err: `failed to parse syscall: strconv.Atoi: parsing "open": invalid syntax`},
	{name: "syscall missing", typ: auparse.AUDIT_SYSCALL, data: hdr + `arch=c000003e exe=x`,
		err: "syscall key not found"},
	{name: "syscall missing exe", typ: auparse.AUDIT_SYSCALL, data: hdr + `arch=c000003e syscall=1`,
		err: "exe key not found"},
	{name: "seccomp", typ: auparse.AUDIT_SECCOMP, data: hdr + `auid=1 sig=9 arch=c000003e syscall=1 exe="/x" code=0x0`,
		fields: map[string]string{"sig": "SIGKILL", "syscall": "write", "arch": "x86_64"}},
	{name: "seccomp sig 0", typ: auparse.AUDIT_SECCOMP, data: hdr + `sig=0 arch=c000003e syscall=1 exe="/x"`,
		fields: map[string]string{"sig": "0"}},
	{name: "seccomp bad sig", typ: auparse.AUDIT_SECCOMP, data: hdr + `sig=x arch=c000003e syscall=1 exe="/x"`,
		err: `failed to parse sig: strconv.Atoi: parsing "x": invalid syntax`},
	{name: "seccomp missing sig", typ: auparse.AUDIT_SECCOMP, data: hdr + `arch=c000003e syscall=1 exe="/x"`,
		err: "sig key not found"},

	// Type-specific hex.
	{name: "proctitle", typ: auparse.AUDIT_PROCTITLE, data: hdr + `proctitle=2F62696E2F7368002D6300`,
		fields: map[string]string{"proctitle": "/bin/sh -c "}},
	{name: "proctitle lowercase", typ: auparse.AUDIT_PROCTITLE, data: hdr + `proctitle=2f62`,
		fields: map[string]string{"proctitle": "2f62"}},
	{name: "proctitle odd length", typ: auparse.AUDIT_PROCTITLE, data: hdr + `proctitle=2F6`,
		fields: map[string]string{"proctitle": "2F6"}},
	{name: "proctitle not hex", typ: auparse.AUDIT_PROCTITLE, data: hdr + `proctitle="bash"`,
		fields: map[string]string{"proctitle": "bash"}},
	{name: "proctitle missing", typ: auparse.AUDIT_PROCTITLE, data: hdr + `a=1`,
		err: "proctitle key not found"},
	{name: "user_cmd", typ: auparse.AUDIT_USER_CMD, data: hdr + `msg='cwd="/" cmd=6C73202D6C terminal=pts/0 res=success'`,
		fields: map[string]string{"cmd": "ls -l", "cwd": "/"}},
	{name: "user_cmd missing", typ: auparse.AUDIT_USER_CMD, data: hdr + `msg='cwd="/"'`,
		err: "cmd key not found"},
	{name: "tty", typ: auparse.AUDIT_TTY, data: hdr + `major=136 data=6C730D`,
		fields: map[string]string{"data": "ls\r"}},
	{name: "user_tty missing", typ: auparse.AUDIT_USER_TTY, data: hdr + `a=1`,
		err: "data key not found"},
	{name: "path", typ: auparse.AUDIT_PATH, data: hdr + `item=0 name=2F746D702F6120 obj=system_u:object_r:tmp_t:s0`,
		fields: map[string]string{"name": "/tmp/a ", "obj": "-", "obj_user": "system_u", "obj_domain": "tmp_t", "obj_level": "s0"}},
	{name: "path quoted name", typ: auparse.AUDIT_PATH, data: hdr + `item=0 name="2F"`,
		fields: map[string]string{"name": "2F"}},
	{name: "user_login acct", typ: auparse.AUDIT_USER_LOGIN, data: hdr + `msg='op=login acct=28696E76616C6964207573657229 res=failed'`,
		fields: map[string]string{"acct": "(invalid user)", "result": "fail"}},

	// EXECVE.
	{name: "execve", typ: auparse.AUDIT_EXECVE, data: hdr + `argc=4 a0="ls" a1=41004200 a2="41" a3=2d6c a4=41`,
		fields: map[string]string{"a0": "ls", "a1": "A", "a2": "41", "a3": "2d6c", "a4": "41"}},
	{name: "execve missing arg", typ: auparse.AUDIT_EXECVE, data: hdr + `argc=3 a0="a" a2="c"`,
		err: "failed to find arg a1"},
	{name: "execve bad argc", typ: auparse.AUDIT_EXECVE, data: hdr + `argc=" x" a0="a"`,
		err: `failed to convert argc='{" x" x}' to number: strconv.ParseUint: parsing "x": invalid syntax`},
	{name: "execve argc too big", typ: auparse.AUDIT_EXECVE, data: hdr + `argc=4294967296`,
		err: `failed to convert argc='{4294967296 4294967296}' to number: strconv.ParseUint: parsing "4294967296": value out of range`},
	{name: "execve missing argc", typ: auparse.AUDIT_EXECVE, data: hdr + `a0="a"`,
		err: "argc key not found"},

	// SOCKADDR.
	{name: "sockaddr ipv4", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=020000167F0000010000000000000000`,
		fields: map[string]string{"family": "ipv4", "addr": "127.0.0.1", "port": "22", "saddr": "-"}},
	{name: "sockaddr ipv4 odd octets", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=02000016zz-1+F0A`,
		fields: map[string]string{"addr": "0.-1.15.10", "port": "22"}},
	{name: "sockaddr ipv6", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=0A000016000000050000000000000000000000000000000100000000`,
		fields: map[string]string{"family": "ipv6", "addr": "::1", "port": "22", "flow": "5"}},
	{name: "sockaddr ipv6 mapped", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=0A0000160000000000000000000000000000FFFF7F000001`,
		fields: map[string]string{"addr": "127.0.0.1", "flow": "-"}},
	{name: "sockaddr unix", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=01002F72756E2F78002F79`,
		fields: map[string]string{"family": "unix", "path": "/run/x"}},
	{name: "sockaddr netlink", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=100000000000000000000000`,
		fields: map[string]string{"family": "netlink", "saddr": "100000000000000000000000"}},
	{name: "sockaddr other family", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=1100AB`,
		fields: map[string]string{"family": "17", "saddr": "1100AB"}},
	{name: "sockaddr short", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=02`,
		err: "failed to parse saddr: invalid family: too short: 2"},
	{name: "sockaddr short ipv4", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=02000016`,
		err: "failed to parse saddr: invalid socket address size family=ipv4: 8"},
	{name: "sockaddr short ipv6", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=0A000016`,
		err: "failed to parse saddr: invalid socket address size family=ipv6: 8"},
	{name: "sockaddr bad family", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=zz00`,
		err: `failed to parse saddr: strconv.ParseInt: parsing "00zz": invalid syntax`},
	{name: "sockaddr bad port", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=0200zzzz7F000001`,
		err: `failed to parse saddr: strconv.ParseInt: parsing "zzzz": invalid syntax`},
	{name: "sockaddr bad flow", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=0A000016FFFFFFFF00000000000000000000000000000001`,
		err: `failed to parse saddr: strconv.ParseInt: parsing "FFFFFFFF": value out of range`},
	{name: "sockaddr bad ipv6", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=0A00001600000000000000000000000000000000000000zz`,
		err: `failed to parse saddr: encoding/hex: invalid byte: U+007A 'z'`},
	{name: "sockaddr unix lowercase", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=01002f`,
		err: `failed to parse saddr: encoding/hex: invalid byte: U+0066 'f'`},
	{name: "sockaddr unix odd", typ: auparse.AUDIT_SOCKADDR, data: hdr + `saddr=01002F7`,
		err: `failed to parse saddr: encoding/hex: odd length hex string`},
	{name: "sockaddr missing", typ: auparse.AUDIT_SOCKADDR, data: hdr + `a=1`,
		err: "saddr key not found"},

	// Header and offset.
	{name: "no data", typ: auparse.AUDIT_EOE, data: "  audit(1700000000.123:42)  ",
		err: "message has no data content"},
	{name: "eoe", typ: auparse.AUDIT_EOE, data: hdr,
		fields: map[string]string{}},
}

func TestCases(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := checkSame(t, c.typ, c.data)
			if got.HeaderErr != "" {
				t.Fatalf("header error %q", got.HeaderErr)
			}
			for k, want := range c.fields {
				v, ok := got.Fields[k]
				if want == "-" {
					if ok {
						t.Errorf("%s = %q, want absent", k, v)
					}
				} else if !ok || v != want {
					t.Errorf("%s = %q (present %v), want %q", k, v, ok, want)
				}
			}
			if !reflect.DeepEqual(got.Tags, c.tags) {
				t.Errorf("tags %q, want %q", got.Tags, c.tags)
			}
			if got.Err != c.err {
				t.Errorf("err %q, want %q", got.Err, c.err)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	for _, c := range []struct {
		data string
		ts   time.Time
		seq  uint32
		raw  string
		err  bool
	}{
		{data: " \taudit(1490137971.011:50406): a=1\n", ts: time.UnixMilli(1490137971011), seq: 50406, raw: "audit(1490137971.011:50406): a=1"},
		{data: "audit(1.0110:4294967295):", ts: time.Unix(1, 110e6), seq: 4294967295, raw: "audit(1.0110:4294967295):"},
		{data: "audit(+1.-5:007) x", ts: time.Unix(0, 995e6), seq: 7, raw: "audit(+1.-5:007) x"},
		{data: "audit(1.2:4294967296): a=1", err: true},
		{data: "audit(1.2:-1): a=1", err: true},
		{data: "audit(x.2:3): a=1", err: true},
		{data: "audit(1.x:3): a=1", err: true},
		{data: "audit(1:3.4): a=1", err: true},
		{data: "audit(1.2:3: a=1", err: true},
		{data: "audit 1.2:3) a=1", err: true},
		{data: "", err: true},
	} {
		checkSame(t, auparse.AUDIT_USER, c.data)
		r, err := ParseHeader(auparse.AUDIT_USER, []byte(c.data))
		if c.err {
			if err == nil || err.Error() != "invalid audit message header" {
				t.Errorf("%q: err %v, want invalid audit message header", c.data, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.data, err)
			continue
		}
		if !r.Timestamp.Equal(c.ts) || r.Timestamp.Location() != time.UTC || r.Sequence != c.seq || r.Raw != c.raw {
			t.Errorf("%q: got %v %d %q, want %v %d %q", c.data, r.Timestamp, r.Sequence, r.Raw, c.ts.UTC(), c.seq, c.raw)
		}
	}
}

// TestParseHeaderCopies checks that a record does not share the caller's
// buffer, which the receiver reuses.
func TestParseHeaderCopies(t *testing.T) {
	buf := []byte(hdr + `a="x" b=2`)
	r, err := ParseHeader(auparse.AUDIT_USER, buf)
	if err != nil {
		t.Fatal(err)
	}
	r.ParseFields()
	clear(buf)
	if v, _ := r.Get("a"); v != "x" || r.Raw != hdr+`a="x" b=2` {
		t.Errorf("record changed with the buffer: a=%q raw=%q", v, r.Raw)
	}
}

func TestParseFieldsOnce(t *testing.T) {
	r, err := ParseHeader(auparse.AUDIT_SYSCALL, []byte(hdr+`arch=c000003e syscall=2 success=no exit=-2 exe="/x" key="k"`))
	if err != nil {
		t.Fatal(err)
	}
	r.ParseFields()
	fields, tags, p, store := r.AppendFields(nil), r.Tags, &r.fields[0], r.store
	// A second parse would read the changed text: exit=EPERM.
	r.Raw = strings.Replace(r.Raw, "exit=-2", "exit=-1", 1)
	r.ParseFields()
	if &r.fields[0] != p || r.store != store || !reflect.DeepEqual(r.AppendFields(nil), fields) || !reflect.DeepEqual(r.Tags, tags) || r.Err != nil {
		t.Errorf("second ParseFields changed the record: fields %q tags %q err %v, was %q %q", r.AppendFields(nil), r.Tags, r.Err, fields, tags)
	}
	if v, ok := r.Get("exit"); !ok || v != "ENOENT" {
		t.Errorf("Get(exit) = %q, %v", v, ok)
	}
	if v, ok := r.Get("success"); ok {
		t.Errorf("Get(success) = %q, want absent", v)
	}
}

// TestValidUTF8 checks that ParseFields vouches for valid UTF-8 exactly when
// the text and every decoded value are valid, so that translation may skip
// its per-value check.
func TestValidUTF8(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  auparse.AuditMessageType
		data string
		want bool
	}{
		{"ascii", auparse.AUDIT_CWD, `audit(1.000:1): cwd="/root"`, true},
		{"utf-8 text", auparse.AUDIT_CWD, `audit(1.000:1): cwd="/home/zoë"`, true},
		{"invalid text", auparse.AUDIT_CWD, "audit(1.000:1): cwd=\"/home/\xff\"", false},
		{"invalid byte outside the values", auparse.AUDIT_CWD, "audit(1.000:1): \xff cwd=\"/\"", false},
		{"hex, valid", auparse.AUDIT_PROCTITLE, `audit(1.000:1): proctitle=2F62696E2F7A6FC3AB`, true},
		{"hex, invalid", auparse.AUDIT_PROCTITLE, `audit(1.000:1): proctitle=2F62696EFF`, false},
		{"hex rule key, invalid", auparse.AUDIT_CONFIG_CHANGE, `audit(1.000:1): op=add_rule key=6BFF res=1`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseHeader(c.typ, []byte(c.data))
			if err != nil {
				t.Fatal(err)
			}
			r.ParseFields()
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if r.ValidUTF8 != c.want {
				t.Errorf("ValidUTF8 = %v, want %v (fields %q, tags %q)", r.ValidUTF8, c.want, r.AppendFields(nil), r.Tags)
			}
			checkValidUTF8(t, r)
		})
	}
	// Nearly every recorded record is valid: the flag is what saves the
	// per-value checks.
	valid, all := 0, 0
	for _, l := range allRawLines(t) {
		if r, err := ParseHeader(l.typ, []byte(l.data)); err == nil {
			r.ParseFields()
			all++
			if r.ValidUTF8 {
				valid++
			}
		}
	}
	if valid < all*9/10 {
		t.Errorf("only %d of %d recorded records vouched for", valid, all)
	}
}
