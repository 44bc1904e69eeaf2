//go:build !windows

package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ruleLines returns the lines of content that hold a rule.
func ruleLines(content string) int {
	n := 0
	forEachRuleLine(content, func(int, string) { n++ })
	return n
}

// FuzzRules validates rule text as audit_rules. Every rule line becomes a
// rule or an error naming its line; with ignore_errors, a rule or a warning.
func FuzzRules(f *testing.F) {
	for _, pattern := range []string{"../../testdata/rules/*.rules", "../../receiver/auditkernelreceiver/testdata/rules/*.rules"} {
		paths, err := filepath.Glob(pattern)
		require.NoError(f, err)
		for _, p := range paths {
			content, err := os.ReadFile(p)
			require.NoError(f, err)
			f.Add(string(content), false)
		}
	}
	for _, seed := range []string{
		"-a always,exit -F arch=b64 -S open,openat -F exit=-EACCES -F auid>=1000 -F auid!=4294967295 -k access",
		"-A exit,always -F arch=b32 -S all -F perm=wa -F dir=/etc -k etc",
		"-a never,exit -F pid=1\n-a always,exit -S execve -F uid=0 -F key=root_exec",
		"-w /etc/passwd -p rwxa -k identity\n-w /etc/passwd -p rwxa -k identity",
		"-D\n-e 2\n-b 8192\n-f 1\n-r 100\n--backlog_wait_time 0",
		"-a always,exclude -F msgtype=CWD",
		"-a always,user -F uid=0",
		"-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules",
		"-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -k priv",
		"-a always,exit -F a0&0x10 -S socket -k sock",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, text string, ignoreErrors bool) {
		cfg := RuleConfig{AuditRules: text, IgnoreErrors: ignoreErrors}
		set, err := LoadRules(cfg)
		lines := ruleLines(text)
		switch {
		case ignoreErrors:
			require.NoError(t, err)
			require.Equal(t, lines, len(set.Rules)+len(set.Warnings))
			for _, w := range set.Warnings {
				require.Contains(t, w, "audit_rules line ")
			}
		case err != nil:
			require.Contains(t, err.Error(), "audit_rules line ")
		default:
			require.Len(t, set.Rules, lines)
		}
		for _, r := range set.Rules {
			require.NotEmpty(t, r.Wire, r.Text)
			require.True(t, strings.HasPrefix(r.Source, "audit_rules line "), r.Source)
		}
		again, err2 := LoadRules(cfg)
		require.Equal(t, err == nil, err2 == nil, "validation has no side effects")
		require.Len(t, again.Rules, len(set.Rules))
	})
}
