//go:build !windows

package coalesce

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditkernel/auditkernel/internal/record"
)

// line returns an audit line of type typ with body after the header.
func line(typ, body string) string {
	return "type=" + typ + " msg=audit(1700000000.123:100): " + body
}

// syscallLine returns an x86_64 SYSCALL record for syscall number nr; extra
// fields are appended.
func syscallLine(nr int, success, extra string) string {
	return line("SYSCALL", fmt.Sprintf("arch=c000003e syscall=%d success=%s exit=0 a0=3 a1=7ffd a2=10 a3=0 items=1 "+
		"ppid=1 pid=100 auid=1000 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=2 "+
		`comm="cat" exe="/usr/bin/cat" %s`, nr, success, extra))
}

// pathLine returns a PATH record.
func pathLine(item int, name, mode, nametype, extra string) string {
	return line("PATH", fmt.Sprintf(`item=%d name="%s" inode=10%d dev=fe:00 mode=%s ouid=0 ogid=0 rdev=00:00 nametype=%s %s`,
		item, name, item, mode, nametype, extra))
}

// x86_64 syscall numbers.
const (
	sysGetpid   = 39
	sysConnect  = 42
	sysAccept   = 43
	sysRecvfrom = 45
	sysBind     = 49
	sysExecve   = 59
	sysMount    = 165
	sysOpenat   = 257
	sysMkdirat  = 258
	sysRenameat = 264
	sysAccept4  = 288
)

var (
	eoe       = line("EOE", "")
	cwd       = line("CWD", `cwd="/root"`)
	proctitle = line("PROCTITLE", "proctitle=636174002F6574632F736861646F77")
	ipv4Sock  = line("SOCKADDR", "saddr=020000167F0000010000000000000000")                         // 127.0.0.1:22
	unixSock  = line("SOCKADDR", "saddr=01002F746D702F730000")                                     // /tmp/s
	ipv6Sock  = line("SOCKADDR", "saddr=0A001F90000000050000000000000000000000000000000100000000") // [::1]:8080
)

// noDataLine returns a record of type typ with only a header, which auparse
// rejects with "message has no data content".
func noDataLine(typ string) string {
	return "type=" + typ + " msg=audit(1700000000.123:100)"
}

// deleteKeys returns an edit that removes keys from message i's data.
func deleteKeys(i int, keys ...string) editFunc {
	return func(j int, data map[string]string) {
		if j == i {
			for _, k := range keys {
				delete(data, k)
			}
		}
	}
}

// setKey returns an edit that sets key in message i's data.
func setKey(i int, key, value string) editFunc {
	return func(j int, data map[string]string) {
		if j == i {
			data[key] = value
		}
	}
}

func hasWarning(t *testing.T, ev *aucoalesce.Event, text string) {
	t.Helper()
	for _, w := range ev.Warnings {
		if w.Error() == text {
			return
		}
	}
	t.Errorf("no warning %q in %q", text, warningTexts(ev.Warnings))
}

type eventCase struct {
	name  string
	lines []string
	edit  editFunc
	check func(t *testing.T, ev *aucoalesce.Event, err error)
}

// allCases are the hand-written events of every group.
func allCases() []eventCase {
	var cases []eventCase
	cases = append(cases, compoundCases()...)
	cases = append(cases, normalizationCases()...)
	cases = append(cases, execveCases()...)
	cases = append(cases, sockaddrCases()...)
	cases = append(cases, pathCases()...)
	return append(cases, errorCases()...)
}

// TestCases covers each branch with hand-written events. Every event is also
// checked against aucoalesce.
func TestCases(t *testing.T) {
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			ev, err := differential(t, c.lines, c.edit)
			if c.check != nil && !t.Failed() {
				c.check(t, ev, err)
			}
		})
	}
}

func compoundCases() []eventCase {
	avcSELinux := line("AVC", `avc:  denied  { read } for  pid=100 comm="cat" name="shadow" dev="dm-0" ino=5 `+
		`scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0`)
	return []eventCase{
		{
			name: "empty", lines: nil,
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Nil(t, ev)
				assert.EqualError(t, err, "messages is empty")
			},
		},
		{
			name: "only EOE", lines: []string{eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Nil(t, ev)
				assert.EqualError(t, err, "messages is empty")
			},
		},
		{
			// Only the last EOE is dropped; the other is a simple event.
			name: "two EOEs", lines: []string{eoe, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.NoError(t, err)
				assert.Equal(t, auparse.AUDIT_EOE, ev.Type)
				assert.Equal(t, "unknown", ev.Result)
				hasWarning(t, ev, "no normalization found for event")
			},
		},
		{
			name: "compound without SYSCALL", lines: []string{cwd, pathLine(0, "/etc", "040755", "NORMAL", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Nil(t, ev)
				assert.EqualError(t, err, "missing syscall message in compound event")
			},
		},
		{
			// The AVC gives the event its type; the SYSCALL its subject. The
			// AVC's pid and comm repeat the SYSCALL's.
			name: "AVC first",
			lines: []string{
				avcSELinux,
				syscallLine(sysOpenat, "no", `subj=system_u:system_r:httpd_t:s0:c1 key="k1"`),
				cwd,
				pathLine(0, "/etc/shadow", "0100000", "NORMAL", "obj=system_u:object_r:shadow_t:s0"),
				proctitle, eoe,
			},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.NoError(t, err)
				assert.Equal(t, auparse.AUDIT_AVC, ev.Type)
				assert.Equal(t, aucoalesce.EventTypeMACDecision, ev.Category)
				assert.Equal(t, "fail", ev.Result)
				assert.Equal(t, "2", ev.Session)
				assert.Equal(t, []string{"k1"}, ev.Tags)
				assert.Equal(t, "violated-selinux-policy", ev.Summary.Action)
				assert.Equal(t, "system_u:object_r:shadow_t:s0", ev.Summary.Object.Primary)
				assert.Equal(t, map[string]string{"user": "system_u", "role": "system_r", "domain": "httpd_t", "level": "s0", "category": "c1"}, ev.User.SELinux)
				assert.Equal(t, "1000", ev.User.IDs["auid"])
				assert.Nil(t, ev.File, "AVC's normalization has no file object")
				hasWarning(t, ev, "duplicate key (pid) from AVC message")
				hasWarning(t, ev, "duplicate key (comm) from AVC message")
			},
		},
		{
			// A second SYSCALL adds nothing but deletes items again.
			name: "two SYSCALLs",
			lines: []string{
				syscallLine(sysOpenat, "yes", ""),
				line("UNKNOWN[1999]", "items=7 extra=1"),
				syscallLine(sysGetpid, "no", `key="other"`),
				eoe,
			},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.NoError(t, err)
				assert.Equal(t, "success", ev.Result)
				assert.Equal(t, "openat", ev.Data["syscall"])
				assert.NotContains(t, ev.Data, "items")
				assert.Equal(t, "1", ev.Data["extra"])
			},
		},
		{
			name:  "unknown record type in compound",
			lines: []string{syscallLine(sysOpenat, "yes", ""), line("UNKNOWN[1999]", "pid=5 foo=bar"), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.NoError(t, err)
				assert.Equal(t, "bar", ev.Data["foo"])
				hasWarning(t, ev, "duplicate key (pid) from UNKNOWN[1999] message")
			},
		},
		{
			name:  "missing result",
			lines: []string{syscallLine(sysOpenat, "yes", "")},
			edit:  deleteKeys(0, "result", "ses"),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "unknown", ev.Result)
				assert.Empty(t, ev.Session)
			},
		},
	}
}

func normalizationCases() []eventCase {
	return []eventCase{
		{
			name:  "SYSCALL catch-all normalization",
			lines: []string{syscallLine(sysGetpid, "yes", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.NoError(t, err)
				assert.Equal(t, "getpid", ev.Data["syscall"])
				assert.Empty(t, ev.Warnings, "the catch-all applies: no missing normalization")
			},
		},
		{
			// auparse leaves unknown syscall numbers as numbers.
			name:  "SYSCALL unknown number",
			lines: []string{syscallLine(9999, "yes", "")},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "9999", ev.Data["syscall"])
				assert.Empty(t, ev.Warnings, "the catch-all applies: no missing normalization")
			},
		},
		{
			name:  "no catch-all without syscall field",
			lines: []string{line("UNKNOWN[1999]", "foo=bar")},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, aucoalesce.EventTypeUnknown, ev.Category)
				assert.Equal(t, []error{errNoNormalization}, ev.Warnings)
			},
		},
		{
			name:  "AVC apparmor has_fields",
			lines: []string{line("AVC", `apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" name="/etc/x" pid=1 comm="cupsd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "violated-apparmor-policy", ev.Summary.Action)
				assert.Equal(t, "open", ev.Summary.Object.Primary)
				assert.Equal(t, "r", ev.Summary.Object.Secondary)
			},
		},
		{
			name:  "AVC selinux has_fields",
			lines: []string{line("AVC", `avc:  granted  { setenforce } for  pid=1 comm="x" scontext=a:b:c:s0 tcontext=d:e:f:s0 tclass=security`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "violated-selinux-policy", ev.Summary.Action)
				assert.Equal(t, "a:b:c:s0", ev.Summary.Actor.Primary)
			},
		},
		{
			// Both AVC normalizations match; the last one wins.
			name:  "AVC both has_fields",
			lines: []string{line("AVC", `avc:  denied  { read } for  apparmor="DENIED" operation="open" pid=1`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "violated-apparmor-policy", ev.Summary.Action)
				hasWarning(t, ev, "failed to set object secondary using keys=[requested_mask denied_mask capname] because they were not found")
			},
		},
		{
			name:  "AVC no has_fields",
			lines: []string{line("AVC", `pid=1 comm="x"`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, []error{errNoNormalization}, ev.Warnings)
				assert.Empty(t, ev.Summary.Action)
				assert.Equal(t, "x", ev.Summary.How)
				assert.Equal(t, "1", ev.Process.PID)
			},
		},
		{
			name:  "source_ip from addr",
			lines: []string{line("USER_LOGIN", `pid=1 uid=0 auid=1000 ses=3 msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=h addr=10.1.2.3 terminal=ssh res=success'`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, &aucoalesce.Address{IP: "10.1.2.3"}, ev.Source)
				assert.Equal(t, &aucoalesce.Network{Direction: aucoalesce.IncomingDir}, ev.Net)
				assert.NotContains(t, ev.Data, "addr")
			},
		},
		{
			name:  "source_ip missing",
			lines: []string{line("USER_LOGIN", `pid=1 uid=0 auid=1000 ses=3 msg='op=login id=1000 exe="/usr/sbin/sshd" terminal=ssh res=failed'`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Nil(t, ev.Source)
				hasWarning(t, ev, "failed to set source IP using keys=[addr] because they were not found")
			},
		},
		{
			// The syscall's normalization only extends the record type's
			// ECS categorization, and a failure sets the ECS outcome.
			name:  "record type with syscall",
			lines: []string{line("USER_LOGIN", `pid=1 uid=0 auid=1000 ses=3 msg='op=login id=1000 exe="/usr/sbin/sshd" addr=10.1.2.3 syscall=connect res=failed'`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "logged-in", ev.Summary.Action)
				assert.Equal(t, "user-session", ev.Summary.Object.Type, "not the socket of connect")
				assert.Equal(t, []string{"authentication", "network"}, ev.ECS.Event.Category)
				assert.Equal(t, []string{"start", "connection", "start"}, ev.ECS.Event.Type)
				assert.Equal(t, "failure", ev.ECS.Event.Outcome)
				assert.Equal(t, aucoalesce.ECSEntityData{ID: "1000"}, ev.ECS.User.ECSEntityData, "subject: the auid")
				assert.Equal(t, aucoalesce.ECSEntityData{ID: "1000"}, ev.ECS.User.Effective, "effective: the id acted on")
			},
		},
		{
			name:  "user session keys missing",
			lines: []string{line("USER_LOGIN", `pid=1 ses=3 msg='op=login res=failed'`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				for _, w := range []string{
					"failed to set subject primary using keys=[auid] because they were not found",
					"failed to set subject secondary using keys=[acct id uid] because they were not found",
					"failed to set object primary using keys=[terminal] because they were not found",
					"failed to set object secondary using keys=[addr hostname] because they were not found",
					"failed to set how using keys=[exe terminal] because they were not found",
					"failed to set source IP using keys=[addr] because they were not found",
				} {
					hasWarning(t, ev, w)
				}
			},
		},
		{
			name:  "how from interpreter comm",
			lines: []string{line("USER_CMD", `pid=1 uid=0 auid=1000 ses=3 msg='cwd="/" cmd=6C73 exe="/usr/bin/python3.12" comm="myscript" terminal=pts/0 res=success'`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "myscript", ev.Process.Name)
			},
		},
		{
			name:  "how from interpreter without comm",
			lines: []string{line("ANOM_ABEND", `auid=1 uid=2 gid=3 ses=4 pid=5 exe="/usr/bin/perl" sig=11`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "/usr/bin/perl", ev.Process.Exe)
			},
		},
		{
			name:  "how from comm without exe",
			lines: []string{line("ANOM_ABEND", `auid=1 uid=2 gid=3 ses=4 pid=5 comm="httpd" sig=11`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "httpd", ev.Process.Name)
			},
		},
		{
			name:  "subject from ids and missing keys",
			lines: []string{line("ADD_USER", `pid=1 uid=0 auid=1000 ses=3 msg='op=adding-user exe="/usr/sbin/useradd" res=success'`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "1000", ev.Summary.Actor.Primary)
				assert.NotEmpty(t, ev.Warnings)
			},
		},
		{
			name:  "subj labels without syscall",
			lines: []string{line("USER_AVC", `pid=1 uid=0 auid=1000 ses=3 subj=u:r:t msg='avc: denied { start } exe="/x" sauid=0 hostname=? addr=? terminal=?'`)},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, map[string]string{"user": "u", "role": "r", "domain": "t"}, ev.User.SELinux)
				assert.Equal(t, "0", ev.User.IDs["sauid"])
			},
		},
	}
}

func execveCases() []eventCase {
	execve := line("EXECVE", `argc=3 a0="ls" a1=2D6C61 a2="/tmp"`)
	event := func(edit editFunc, extra ...string) eventCase {
		lines := append([]string{syscallLine(sysExecve, "yes", ""), execve}, extra...)
		return eventCase{lines: append(lines, eoe), edit: edit}
	}
	named := func(name string, c eventCase, check func(t *testing.T, ev *aucoalesce.Event, err error)) eventCase {
		c.name, c.check = name, check
		return c
	}
	return []eventCase{
		named("execve args", event(nil), func(t *testing.T, ev *aucoalesce.Event, err error) {
			assert.Equal(t, []string{"ls", "-la", "/tmp"}, ev.Process.Args)
			assert.Equal(t, "3", ev.Data["argc"])
			assert.Equal(t, "7ffd", ev.Data["a1"], "a1 is the SYSCALL's register")
		}),
		named("execve argc 0", event(nil, line("EXECVE", "argc=0")), func(t *testing.T, ev *aucoalesce.Event, err error) {
			assert.Nil(t, ev.Process.Args, "a later EXECVE with no args resets them")
			assert.Equal(t, "0", ev.Data["argc"])
		}),
		named("execve second overrides", event(nil, line("EXECVE", `argc=1 a0="sh"`)), func(t *testing.T, ev *aucoalesce.Event, err error) {
			assert.Equal(t, []string{"sh"}, ev.Process.Args)
		}),
		named("execve missing arg", event(deleteKeys(1, "a1")), func(t *testing.T, ev *aucoalesce.Event, err error) {
			assert.Equal(t, []error{errors.New("failed to find arg a1")}, ev.Warnings)
			assert.Nil(t, ev.Process.Args)
			assert.Equal(t, "3", ev.Data["argc"])
		}),
		named("execve missing arg kept earlier args", event(deleteKeys(2, "a0"), line("EXECVE", `argc=1 a0="sh"`)), func(t *testing.T, ev *aucoalesce.Event, err error) {
			assert.Equal(t, []string{"ls", "-la", "/tmp"}, ev.Process.Args)
			assert.Equal(t, "1", ev.Data["argc"])
			hasWarning(t, ev, "failed to find arg a0")
		}),
		named("execve argc exceeds fields", event(setKey(1, "argc", "4294967295")), func(t *testing.T, ev *aucoalesce.Event, err error) {
			hasWarning(t, ev, "failed to find arg a3")
		}),
		named("execve argc equals fields", event(setKey(1, "argc", "4")), func(t *testing.T, ev *aucoalesce.Event, err error) {
			hasWarning(t, ev, "failed to find arg a3")
		}),
		named("execve argc out of range", event(setKey(1, "argc", "4294967296")), func(t *testing.T, ev *aucoalesce.Event, err error) {
			hasWarning(t, ev, `failed to convert argc='4294967296' to number: strconv.ParseUint: parsing "4294967296": value out of range`)
		}),
		named("execve bad argc", event(setKey(1, "argc", "x")), func(t *testing.T, ev *aucoalesce.Event, err error) {
			hasWarning(t, ev, `failed to convert argc='x' to number: strconv.ParseUint: parsing "x": invalid syntax`)
			assert.Equal(t, "x", ev.Data["argc"])
		}),
		named("execve no argc", event(deleteKeys(1, "argc")), func(t *testing.T, ev *aucoalesce.Event, err error) {
			assert.Equal(t, []error{errNoArgc}, ev.Warnings)
			assert.NotContains(t, ev.Data, "argc")
		}),
		named("execve odd arg keys", event(func(i int, data map[string]string) {
			if i == 1 {
				data["a00"], data["a01"], data["a-1"], data["a"], data["ab"], data["a99999999999"] = "x", "x", "x", "x", "x", "x"
			}
		}), func(t *testing.T, ev *aucoalesce.Event, err error) {
			assert.Equal(t, []string{"ls", "-la", "/tmp"}, ev.Process.Args)
		}),
		named("execve odd arg keys only", event(func(i int, data map[string]string) {
			if i == 1 {
				delete(data, "a0")
				data["a00"], data["a01"] = "x", "x"
			}
		}), func(t *testing.T, ev *aucoalesce.Event, err error) {
			hasWarning(t, ev, "failed to find arg a0")
		}),
		named("execve parse error", event(nil, line("EXECVE", `argc=2 a0="x"`)), func(t *testing.T, ev *aucoalesce.Event, err error) {
			hasWarning(t, ev, "failed to parse EXECVE message: failed to find arg a1")
		}),
		{
			name:  "execve first record",
			lines: []string{execve, syscallLine(sysExecve, "yes", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, auparse.AUDIT_EXECVE, ev.Type)
				assert.Equal(t, []string{"ls", "-la", "/tmp"}, ev.Process.Args)
			},
		},
	}
}

func sockaddrCases() []eventCase {
	return []eventCase{
		{
			name:  "connect",
			lines: []string{syscallLine(sysConnect, "no", ""), ipv4Sock, proctitle, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, &aucoalesce.Address{IP: "127.0.0.1", Port: "22"}, ev.Dest)
				assert.Nil(t, ev.Source)
				assert.Equal(t, aucoalesce.OutgoingDir, ev.Net.Direction)
				assert.Equal(t, "ipv4", ev.Data["socket_family"])
				assert.Equal(t, "socket", ev.Summary.Object.Type)
				assert.Equal(t, "127.0.0.1", ev.Summary.Object.Primary)
				assert.Equal(t, "22", ev.Summary.Object.Secondary)
			},
		},
		{
			name:  "accept ipv6",
			lines: []string{syscallLine(sysAccept, "yes", ""), ipv6Sock, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, &aucoalesce.Address{IP: "::1", Port: "8080"}, ev.Source)
				assert.Equal(t, aucoalesce.IncomingDir, ev.Net.Direction)
				assert.Equal(t, "5", ev.Data["socket_flow"])
			},
		},
		{
			name:  "accept4 unix",
			lines: []string{syscallLine(sysAccept4, "yes", ""), unixSock, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, &aucoalesce.Address{Path: "/tmp/s"}, ev.Source)
			},
		},
		{
			name:  "recvfrom unnamed unix",
			lines: []string{syscallLine(sysRecvfrom, "yes", ""), line("SOCKADDR", "saddr=0100")},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Nil(t, ev.Source, "no address, only a direction")
				assert.Equal(t, aucoalesce.IncomingDir, ev.Net.Direction)
			},
		},
		{
			name:  "bind",
			lines: []string{syscallLine(sysBind, "yes", ""), unixSock, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Nil(t, ev.Source)
				assert.Nil(t, ev.Dest)
				assert.Nil(t, ev.Net)
				assert.Equal(t, "/tmp/s", ev.Summary.Object.Primary)
			},
		},
		{
			name:  "bind netlink",
			lines: []string{syscallLine(sysBind, "yes", ""), line("SOCKADDR", "saddr=100000000000000000000000"), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "netlink", ev.Data["socket_family"])
				assert.Equal(t, "100000000000000000000000", ev.Data["socket_saddr"])
			},
		},
		{
			name:  "sockaddr other key",
			lines: []string{syscallLine(sysConnect, "yes", ""), ipv4Sock, eoe},
			edit:  setKey(1, "zone", "z"),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "z", ev.Data["socket_zone"])
			},
		},
		{
			// Later SOCKADDR fields overwrite earlier ones without warnings.
			name:  "two sockaddrs",
			lines: []string{syscallLine(sysConnect, "yes", ""), ipv4Sock, unixSock, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, &aucoalesce.Address{Path: "/tmp/s"}, ev.Dest)
				assert.Equal(t, "unix", ev.Data["socket_family"])
				assert.Equal(t, "127.0.0.1", ev.Data["socket_addr"])
				assert.Empty(t, ev.Warnings)
			},
		},
		{
			name:  "sockaddr without syscall",
			lines: []string{line("SYSCALL", "syscall=42 success=yes"), ipv4Sock, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				hasWarning(t, ev, "arch key not found")
				hasWarning(t, ev, "failed to add SOCKADDR data because syscall is unknown")
				assert.Empty(t, ev.Result)
				assert.Nil(t, ev.Tags)
			},
		},
		{
			name:  "sockaddr parse error",
			lines: []string{syscallLine(sysConnect, "yes", ""), line("SOCKADDR", "saddr=02"), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				hasWarning(t, ev, "failed to parse SOCKADDR message: failed to parse saddr: invalid family: too short: 2")
			},
		},
	}
}

func pathCases() []eventCase {
	open := func(paths ...string) []string {
		return append(append([]string{syscallLine(sysOpenat, "yes", ""), cwd}, paths...), eoe)
	}
	mode := func(m, wantType, wantMode string) eventCase {
		return eventCase{
			name:  "mode " + m,
			lines: open(pathLine(0, "/x", m, "NORMAL", "")),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, wantType, ev.Summary.Object.Type)
				assert.Equal(t, wantMode, ev.File.Mode)
			},
		}
	}
	cases := []eventCase{
		// Kernel modes have no Go type bits, so aucoalesce calls them all
		// "file", even directories.
		mode("0100644", "file", "0644"),
		mode("040755", "file", "0755"),
		mode("0104755", "file", "4755"),
		// Go's type bits (fs.FileMode), written in octal.
		mode("020000000755", "directory", "0755"),
		mode("01000000777", "symlink", "0777"),
		mode("0410000620", "character-device", "0620"),
		mode("0400060660", "block-device", "0660"),
		mode("0200000644", "named-pipe", "0644"),
		mode("0100000755", "socket", "0755"),
		mode("02000644", "file", "0644"),       // ModeIrregular alone: no case, object_what stays
		mode("01000000000000", "file", "0000"), // bit 36 is truncated away
		{
			name:  "mode irregular on filesystem",
			lines: []string{syscallLine(sysMount, "yes", ""), pathLine(0, "/a", "02000644", "NORMAL", ""), pathLine(1, "/b", "02000644", "NORMAL", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "filesystem", ev.Summary.Object.Type)
				assert.Equal(t, "/b", ev.File.Path)
			},
		},
		{
			name:  "bad mode",
			lines: open(pathLine(0, "/x", "0999", "NORMAL", "obj=u:r:t:s0")),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				hasWarning(t, ev, `failed to set file object: failed to parse file mode: strconv.ParseUint: parsing "0999": invalid syntax`)
				assert.Equal(t, &aucoalesce.File{Path: "/x", Inode: "100", Device: "00:00"}, ev.File)
				assert.Equal(t, "file", ev.Summary.Object.Type)
			},
		},
		{
			name:  "mode overflows 64 bits",
			lines: open(pathLine(0, "/x", "02000000000000000000000", "NORMAL", "")),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Len(t, ev.Warnings, 1)
			},
		},
		{
			name:  "obj labels",
			lines: open(pathLine(0, "/etc/shadow", "0100000", "NORMAL", "obj=system_u:object_r:shadow_t:s0")),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, map[string]string{"user": "system_u", "role": "object_r", "domain": "shadow_t", "level": "s0"}, ev.File.SELinux)
				assert.Equal(t, "0", ev.File.UID)
				assert.Equal(t, "0", ev.File.GID)
				assert.Equal(t, "100", ev.File.Inode)
			},
		},
		{
			name:  "PARENT skipped",
			lines: open(pathLine(0, "/tmp", "040755", "PARENT", ""), pathLine(1, "/tmp/new", "0100644", "CREATE", "")),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "/tmp/new", ev.File.Path)
				assert.Len(t, ev.Paths, 2)
			},
		},
		{
			name:  "PARENT and UNKNOWN only",
			lines: open(pathLine(0, "/tmp", "040755", "PARENT", ""), pathLine(1, "/tmp/x", "0100644", "UNKNOWN", "")),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "/tmp", ev.File.Path)
			},
		},
		{
			name:  "no name no mode",
			lines: open(line("PATH", "item=0 nametype=UNKNOWN cap_fp=0")),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, &aucoalesce.File{}, ev.File)
				assert.Empty(t, ev.Summary.Object.Primary)
			},
		},
		{
			name: "path index hint",
			lines: []string{syscallLine(sysMkdirat, "yes", ""),
				pathLine(0, "/tmp", "040755", "PARENT", ""), pathLine(1, "/tmp/d", "040755", "CREATE", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "/tmp/d", ev.File.Path)
			},
		},
		{
			name: "path index hint past end",
			lines: []string{syscallLine(sysRenameat, "yes", ""),
				pathLine(0, "/tmp", "040755", "PARENT", ""), pathLine(1, "/tmp/a", "0100644", "DELETE", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "/tmp/a", ev.File.Path)
			},
		},
		{
			name: "path index hint with failed PATH",
			lines: []string{syscallLine(sysRenameat, "yes", ""),
				pathLine(0, "/tmp", "040755", "PARENT", ""), noDataLine("PATH"), pathLine(1, "/tmp", "040755", "PARENT", ""),
				pathLine(2, "/tmp/a", "0100644", "DELETE", ""), pathLine(3, "/tmp/b", "0100644", "CREATE", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "/tmp/a", ev.File.Path)
				hasWarning(t, ev, "failed to parse PATH message: message has no data content")
			},
		},
		{
			name:  "PATH first record",
			lines: []string{pathLine(0, "/x", "0100644", "NORMAL", ""), syscallLine(sysOpenat, "yes", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, auparse.AUDIT_PATH, ev.Type)
				assert.Len(t, ev.Paths, 1)
			},
		},
		{
			name:  "empty PATH",
			lines: open(line("PATH", "item=?")),
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, []map[string]string{{}}, ev.Paths)
			},
		},
	}
	return cases
}

func errorCases() []eventCase {
	return []eventCase{
		{
			name:  "simple record error",
			lines: []string{noDataLine("SYSCALL")},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.NoError(t, err)
				assert.Equal(t, []error{errors.New("message has no data content"), errNoNormalization}, ev.Warnings)
				assert.Equal(t, map[string]string{}, ev.Data)
				assert.Equal(t, aucoalesce.EventTypeAuditRule, ev.Category)
				assert.Empty(t, ev.Result)
			},
		},
		{
			name:  "SYSCALL error in compound",
			lines: []string{line("SYSCALL", `syscall=abc arch=c000003e success=yes key="k"`), cwd, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				hasWarning(t, ev, `failed to parse syscall: strconv.Atoi: parsing "abc": invalid syntax`)
				assert.Nil(t, ev.Tags)
				assert.Equal(t, "/root", ev.Process.CWD)
			},
		},
		{
			name:  "first record error",
			lines: []string{noDataLine("AVC"), syscallLine(sysOpenat, "yes", ""), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, auparse.AUDIT_AVC, ev.Type)
				hasWarning(t, ev, "failed to parse message: message has no data content")
			},
		},
		{
			name:  "aux record error",
			lines: []string{syscallLine(sysOpenat, "yes", ""), noDataLine("CWD"), eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				hasWarning(t, ev, "failed to parse message: message has no data content")
			},
		},
		{
			name:  "EOE in the middle",
			lines: []string{syscallLine(sysOpenat, "yes", ""), eoe, cwd, eoe},
			check: func(t *testing.T, ev *aucoalesce.Event, err error) {
				assert.Equal(t, "/root", ev.Process.CWD)
			},
		},
	}
}

// TestNoDataLine checks that the error cases' lines do fail in auparse.
func TestNoDataLine(t *testing.T) {
	m, err := parseLine(noDataLine("CWD"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Data(); err == nil || err.Error() != "message has no data content" {
		t.Errorf("Data() error %v", err)
	}
}

// TestIndependence checks what an event shares: with the records, only the
// PATH records (as Paths) and Tags; with other events, nothing that is not
// read-only. The event's own slices share one allocation, so it also checks
// that appending to one never writes into another.
func TestIndependence(t *testing.T) {
	lines := []string{
		syscallLine(sysOpenat, "yes", `subj=u:r:t:s0 key="k"`),
		cwd,
		pathLine(0, "/x", "0100644", "NORMAL", "obj=u:r:t:s0"),
		eoe,
	}
	recs := toRecords(parseEvent(t, lines, nil))
	before := cloneRecords(recs)
	first, err := Coalesce(recs)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := Coalesce(recs)
	want := libauditView(second)

	assert.Same(t, recs[2], first.Paths[0], "Paths are the PATH records")
	assert.Same(t, &recs[0].Tags[0], &first.Tags[0], "Tags are the subject record's")

	own := []*[]record.Field{&first.Data, &first.IDs, &first.SubjectSELinux, &first.FileSELinux}
	saved := make([][]record.Field, len(own))
	for i, fields := range own {
		saved[i] = slices.Clone(*fields)
	}
	for _, fields := range own {
		for range 100 {
			*fields = append(*fields, record.Field{Key: "appended"})
		}
	}
	for i, fields := range own {
		assert.Equal(t, saved[i], (*fields)[:len(saved[i])], "slice %d", i)
	}
	for _, fields := range own {
		for i := range *fields {
			(*fields)[i] = record.Field{Key: "changed"}
		}
	}
	first.Process.Args = append(first.Process.Args, "x")

	again, _ := Coalesce(recs)
	for _, d := range diffEvents(libauditView(second), want) {
		t.Error(d)
	}
	for _, d := range diffEvents(libauditView(again), want) {
		t.Error(d)
	}
	for i, r := range recs {
		assert.Equal(t, before[i], snapshot(r))
	}
}

// TestResolveIDs checks ResolveIDs against known names (the host has root
// and nobody, and no user 4242) besides the differential tests, which
// compare it with aucoalesce.ResolveIDs.
func TestResolveIDs(t *testing.T) {
	lines := []string{
		line("SYSCALL", `arch=c000003e syscall=257 success=yes exit=3 a0=3 a1=7ffd a2=0 a3=0 items=1 ppid=1 pid=100 `+
			`auid=65534 uid=0 gid=0 euid=4242 suid=0 fsuid=0 egid=65534 sgid=4242 fsgid=0 tty=pts0 ses=2 comm="cat" exe="/usr/bin/cat"`),
		pathLine(0, "/x", "0100644", "NORMAL", ""),
		eoe,
	}
	ev, _ := differential(t, lines, nil)
	if t.Failed() {
		return
	}
	assert.Equal(t, "65534", ev.Summary.Actor.Primary, "differential returns the event before ResolveIDs")

	got, _ := Coalesce(toRecords(parseEvent(t, lines, nil)))
	ResolveIDs(got)
	assert.Equal(t, "nobody", got.Summary.Actor.Primary)
	assert.Equal(t, "root", got.Summary.Actor.Secondary)
	assert.Equal(t, map[string]string{
		"auid": "nobody", "uid": "root", "suid": "root", "fsuid": "root",
		"gid": "root", "fsgid": "root", // "0" → root, for groups too
		"egid": "nogroup",
	}, toMap(got.Names))
	assert.Equal(t, "root", got.File.Owner)
	assert.Equal(t, "root", got.File.Group)

	// Names took IDs' spare capacity; IDs can no longer grow into it.
	names := slices.Clone(got.Names)
	got.IDs = append(got.IDs, record.Field{Key: "xuid", Value: "1"})
	assert.Equal(t, names, got.Names)

	// Without a single name, Names stays nil and the actor as it was. Keys
	// ending in neither uid nor gid are not looked up, as in aucoalesce.
	unknown := &Event{IDs: []record.Field{{Key: "uid", Value: "4242"}, {Key: "gid", Value: "4242"}, {Key: "id", Value: "0"}}}
	unknown.Summary.Actor.Primary = "4242"
	want := libauditView(unknown)
	ResolveIDs(unknown)
	aucoalesce.ResolveIDs(want)
	assert.Nil(t, unknown.Names)
	assert.Equal(t, "4242", unknown.Summary.Actor.Primary)
	for _, d := range diffEvents(libauditView(unknown), want) {
		t.Error(d)
	}
}

// mapResolver resolves from fixed tables, as the golden tests' hard-coded
// users do.
type mapResolver struct{ byID, byName map[string]string }

func newMapResolver(ids map[string]string) *mapResolver {
	r := &mapResolver{byID: ids, byName: map[string]string{}}
	for id, name := range ids {
		r.byName[name] = id
	}
	return r
}

func (r *mapResolver) LookupID(id string) string     { return r.byID[id] }
func (r *mapResolver) LookupName(name string) string { return r.byName[name] }

// TestResolveIDsECS checks the roles of a PAM event: the subject is the auid,
// the account acted on is acct, and each gains what it lacks (a name, or an
// id) while keeping what it had.
func TestResolveIDsECS(t *testing.T) {
	lines := []string{line("USER_AUTH", `pid=11312 uid=0 auid=1000 ses=62 msg='op=PAM:authentication acct="bob" exe="/bin/su" hostname=localhost addr=127.0.0.1 terminal=/dev/pts/0 res=success'`)}
	ev, err := Coalesce(toRecords(parseEvent(t, lines, nil)))
	require.NoError(t, err)
	assert.Equal(t, []string{"authentication"}, ev.ECS.Event.Category)
	assert.Equal(t, []string{"info"}, ev.ECS.Event.Type)
	assert.Equal(t, aucoalesce.ECSEntityData{ID: "1000"}, ev.ECS.User.ECSEntityData)
	assert.Equal(t, aucoalesce.ECSEntityData{Name: "bob"}, ev.ECS.User.Effective)

	users := newMapResolver(map[string]string{"1000": "vagrant", "9999": "bob"})
	ResolveIDsWith(ev, users, newMapResolver(nil))
	assert.Equal(t, aucoalesce.ECSEntityData{ID: "1000", Name: "vagrant"}, ev.ECS.User.ECSEntityData)
	assert.Equal(t, aucoalesce.ECSEntityData{ID: "9999", Name: "bob"}, ev.ECS.User.Effective)
	assert.Equal(t, aucoalesce.ECSEntityData{}, ev.ECS.User.Target, "no mapping names a target")
	assert.Equal(t, "vagrant", ev.Summary.Actor.Primary)
	assert.Equal(t, "1000", lookupOrEmpty(ev.IDs, "auid"), "the id keeps its number")
}

// TestAllocs guards the allocations of a file event: the event, one buffer
// for Data, IDs and SubjectSELinux, and Paths; File is part of the event.
// ResolveIDs adds none once its caches hold the ids, because Names takes
// IDs' spare capacity.
func TestAllocs(t *testing.T) {
	recs := toRecords(parseEvent(t, []string{syscallLine(sysOpenat, "yes", ""), cwd, pathLine(0, "/x", "0100644", "NORMAL", ""), proctitle, eoe}, nil))
	allocs := testing.AllocsPerRun(100, func() {
		ev, _ := Coalesce(recs)
		ResolveIDs(ev)
	})
	if allocs != 3 {
		t.Errorf("%v allocations, want 3", allocs)
	}
}

func TestOctal4(t *testing.T) {
	for m := range uint32(0o10000) {
		if got, want := octal4(m), fmt.Sprintf("%04o", m); got != want {
			t.Fatalf("octal4(%o) = %q, want %q", m, got, want)
		}
	}
}

func lookupOrEmpty(fields []record.Field, key string) string {
	v, _ := record.Lookup(fields, key)
	return v
}

// A cache asked about more names than its bound (a login attempt's account
// is whatever was typed) starts afresh instead of growing, and still answers.
func TestBoundedCache(t *testing.T) {
	const bound = 50
	made := 0
	c := newBoundedCache(bound, func() *aucoalesce.EntityCache {
		made++
		return aucoalesce.NewUserCache(time.Minute)
	})
	for i := range bound + 10 {
		c.LookupName(fmt.Sprintf("guess%d", i))
	}
	assert.Equal(t, 2, made, "replaced once")
	assert.Len(t, c.names, 10)
	assert.Empty(t, c.ids)
	assert.Equal(t, "root", c.LookupID("0"))
	assert.Empty(t, c.ids, "0 is answered without the cache")
	assert.Equal(t, "0", c.LookupName("root"))
	c.LookupID("1")
	c.LookupID("1")
	assert.Len(t, c.ids, 1, "a key seen again is not counted twice")
}

// TestRootID checks what boundedCache.LookupID answers for "0" without
// asking: aucoalesce's caches, of users and of groups, map it to root.
func TestRootID(t *testing.T) {
	for _, c := range []*aucoalesce.EntityCache{aucoalesce.NewUserCache(time.Minute), aucoalesce.NewGroupCache(time.Minute)} {
		assert.Equal(t, "root", c.LookupID("0"))
	}
}
