//go:build linux

package translate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func line(typ, body string) string {
	return "type=" + typ + " msg=audit(1700000000.123:100): " + body
}

// A setuid program's syscall: the process's effective, real and saved users
// have their semantic-convention attributes, with names when resolved; each
// id keeps its number beside its name; comm, the title and the terminal are
// the process's.
func TestSyscallProcessUsers(t *testing.T) {
	lines := []string{
		line("SYSCALL", `arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=4242 auid=1000 uid=1001 gid=1001 euid=0 suid=1003 fsuid=0 egid=0 sgid=1001 fsgid=0 tty=pts1 ses=3 comm="vim" exe="/usr/bin/vim.basic" key=(null)`),
		line("EXECVE", `argc=2 a0="vim" a1="/etc/shadow"`),
		line("PROCTITLE", `proctitle=76696D002F6574632F736861646F77`),
		line("EOE", ``),
	}
	for _, resolve := range []bool{false, true} {
		t.Run(fmt.Sprint("resolve_ids=", resolve), func(t *testing.T) {
			out := pipeline(t, lines, Options{ResolveIDs: resolve})
			require.Len(t, out, 1)
			a := out[0]
			assert.Equal(t, int64(0), a["process.user.id"], "euid")
			assert.Equal(t, int64(1001), a["process.real_user.id"], "uid")
			assert.Equal(t, int64(1003), a["process.saved_user.id"], "suid")
			assert.Equal(t, "1001", a["user.id"], "a syscall's subject is its uid, as in Auditbeat")
			assert.Equal(t, "1000", a["audit.kernel.actor.attrs.auid"], "ids keep their numbers")
			assert.Equal(t, "1001", a["audit.kernel.actor.attrs.uid"])
			assert.Equal(t, "vim", a["audit.kernel.process.comm"])
			assert.Equal(t, "vim.basic", a["process.executable.name"], "the executable's name, not comm")
			assert.Equal(t, "vim /etc/shadow", a["process.title"])
			assert.Equal(t, []any{"vim", "/etc/shadow"}, a["process.command_args"])
			assert.Equal(t, int64(2), a["process.args_count"])
			assert.Equal(t, true, a["process.interactive"])
			assert.Equal(t, []any{"process"}, a["audit.kernel.event.category"])
			assert.Equal(t, []any{"start"}, a["audit.kernel.event.type"])
			for _, gone := range []string{"process.command_line", "audit.kernel.data.comm", "audit.kernel.data.exe", "audit.kernel.data.pid", "audit.kernel.data.proctitle"} {
				assert.NotContains(t, a, gone)
			}
			if !resolve {
				assert.NotContains(t, a, "user.name")
				assert.NotContains(t, a, "audit.kernel.actor.names.uid")
				return
			}
			assert.Equal(t, "root", a["process.user.name"])
			assert.Equal(t, "alice", a["process.real_user.name"])
			assert.Equal(t, "charlie", a["process.saved_user.name"])
			assert.Equal(t, "alice", a["user.name"])
			assert.Equal(t, "vagrant", a["audit.kernel.actor.names.auid"])
			assert.Equal(t, "alice", a["audit.kernel.actor.names.uid"])
			assert.Equal(t, "root", a["audit.kernel.actor.names.euid"])
		})
	}
}

// A user-space record's subject is the person logged in (the auid), not the
// reporting process's uid; the account acted on is the effective user.
func TestUserSpaceRoles(t *testing.T) {
	lines := []string{line("USER_AUTH", `pid=11312 uid=0 auid=1000 ses=62 msg='op=PAM:authentication acct="bob" exe="/bin/su" hostname=localhost addr=127.0.0.1 terminal=/dev/pts/0 res=success'`)}
	out := pipeline(t, lines, Options{ResolveIDs: true})
	require.Len(t, out, 1)
	a := out[0]
	assert.Equal(t, "1000", a["user.id"])
	assert.Equal(t, "vagrant", a["user.name"])
	assert.Equal(t, "9999", a["audit.kernel.user.effective.id"])
	assert.Equal(t, "bob", a["audit.kernel.user.effective.name"])
	assert.Equal(t, []any{"bob", "vagrant"}, a["audit.kernel.related.user"])
	assert.Equal(t, []any{"authentication"}, a["audit.kernel.event.category"])
	assert.NotContains(t, a, "process.user.id", "no euid on this record")
	assert.NotContains(t, a, "process.interactive", "no tty field")
}

// A huge command line is capped by count and by bytes, the cut is marked, and
// the EXECVE message (include_raw_message) is capped too.
func TestCommandArgsCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("argc=5000")
	for i := range 5000 {
		fmt.Fprintf(&b, " a%d=\"%s\"", i, strings.Repeat("x", 100))
	}
	lines := []string{
		line("SYSCALL", `arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="/bin/x" key=(null)`),
		line("EXECVE", b.String()),
		line("EOE", ``),
	}
	count := func(a map[string]any) (n, bytes int) {
		for _, v := range a["process.command_args"].([]any) {
			n++
			bytes += len(v.(string))
		}
		return n, bytes
	}

	a := pipeline(t, lines, Options{MaxArgs: 1024, MaxArgBytes: 64 << 10, IncludeRawMessage: true})[0]
	n, bytes := count(a)
	assert.Equal(t, 64<<10/100+1, n, "the argument that crosses the byte cap is cut")
	assert.Equal(t, 64<<10, bytes)
	assert.Equal(t, true, a["audit.kernel.process.args_truncated"])
	assert.Equal(t, int64(5000), a["process.args_count"], "the number the process received")
	for _, m := range a["audit.kernel.messages"].([]any) {
		assert.LessOrEqual(t, len(m.(string)), 64<<10+len("type=EXECVE msg="))
	}

	a = pipeline(t, lines, Options{MaxArgs: 10, MaxArgBytes: 64 << 10})[0]
	n, _ = count(a)
	assert.Equal(t, 10, n)
	assert.Equal(t, true, a["audit.kernel.process.args_truncated"])

	a = pipeline(t, lines[:1], Options{MaxArgs: 10, MaxArgBytes: 10})[0]
	assert.NotContains(t, a, "audit.kernel.process.args_truncated", "nothing to cut")

	// Options that say nothing get the default caps (the log receiver's);
	// a negative cap is none.
	a = pipeline(t, lines, Options{})[0]
	_, bytes = count(a)
	assert.Equal(t, DefaultMaxArgBytes, bytes)
	assert.Equal(t, true, a["audit.kernel.process.args_truncated"])
	a = pipeline(t, lines, Options{MaxArgs: -1, MaxArgBytes: -1})[0]
	n, _ = count(a)
	assert.Equal(t, 5000, n)
	assert.NotContains(t, a, "audit.kernel.process.args_truncated")
}

func TestCapArgs(t *testing.T) {
	for _, c := range []struct {
		args            []string
		maxArgs, maxLen int
		want            []string
		truncated       bool
	}{
		{[]string{"a", "bb"}, 0, 0, []string{"a", "bb"}, false},
		{[]string{"a", "bb"}, 2, 3, []string{"a", "bb"}, false},
		{[]string{"a", "bb", "c"}, 2, 0, []string{"a", "bb"}, true},
		{[]string{"a", "bb", "c"}, 0, 2, []string{"a", "b"}, true},
		{[]string{"a", "bb", "c"}, 0, 1, []string{"a"}, true},
		{[]string{"é", "x"}, 0, 1, []string{}, true}, // not inside a UTF-8 sequence
	} {
		got, truncated := capArgs(c.args, c.maxArgs, c.maxLen)
		assert.Equal(t, c.want, slices.Clip(got), "%q %d %d", c.args, c.maxArgs, c.maxLen)
		assert.Equal(t, c.truncated, truncated)
	}
}

// With DataMap the open-ended record fields are one map attribute; the fixed
// schema stays flat, and so do the socket fields.
func TestDataLayoutMap(t *testing.T) {
	lines := []string{
		line("SYSCALL", `arch=c000003e syscall=42 success=no exit=-111 a0=3 a1=2 a2=10 a3=4 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="/bin/x" key="k"`),
		line("SOCKADDR", `saddr=020000167F0000010000000000000000`),
		line("EOE", ``),
	}
	flat := pipeline(t, lines, Options{})[0]
	m := pipeline(t, lines, Options{DataLayout: DataMap})[0]
	data, ok := m["audit.kernel.data"].(map[string]any)
	require.True(t, ok, "audit.kernel.data is a map: %v", m)
	for k, v := range flat {
		if field, isData := strings.CutPrefix(k, "audit.kernel.data."); isData {
			assert.Equal(t, v, data[field], field)
			assert.NotContains(t, m, k)
			continue
		}
		assert.Equal(t, v, m[k], k)
	}
	assert.Len(t, data, countPrefix(flat, "audit.kernel.data."))
	assert.Equal(t, "127.0.0.1", m["audit.kernel.socket.addr"])
}

func countPrefix(m map[string]any, prefix string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}
