//go:build linux

package auditkernelreceiver

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/outputconfig"
	"github.com/auditkernel/auditkernel/internal/translate"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)
	assert.Equal(t, &Config{
		SocketType:           "",
		ResolveIDs:           true,
		FailureMode:          "silent",
		BacklogLimit:         8192,
		KernelStatusInterval: 15 * time.Second,
		RuleCheckInterval:    time.Minute,
		SocketBufferSize:     4 << 20,
		BackpressureStrategy: "auto",
		Output:               outputconfig.Output{DataLayout: "flat", CommandArgs: outputconfig.CommandArgs{MaxCount: 1024, MaxBytes: 64 << 10}},
		Reassembler:          ReassemblerConfig{MaxInFlight: 50, Timeout: 2 * time.Second, QueueSize: 8192},
		Enrich:               EnrichConfig{Lineage: true, Container: true, ProcPath: "/proc", TableMaxEntries: 32768, TableMaxBytes: 16 << 20},
	}, cfg)
}

func TestLoadConfigFull(t *testing.T) {
	cfg, err := loadConfig(t, "full")
	require.NoError(t, err)
	assert.Equal(t, "unicast", cfg.SocketType)
	assert.False(t, cfg.ResolveIDs)
	assert.Equal(t, "log", cfg.FailureMode)
	assert.Equal(t, int64(16384), cfg.BacklogLimit)
	assert.Equal(t, int64(500), cfg.RateLimit)
	assert.True(t, cfg.IncludeRawMessage)
	assert.True(t, cfg.IncludeWarnings)
	assert.Equal(t, "both", cfg.BackpressureStrategy)
	assert.Equal(t, 16<<20, cfg.SocketBufferSize)
	assert.Equal(t, ReassemblerConfig{MaxInFlight: 100, Timeout: 5 * time.Second, QueueSize: 1000}, cfg.Reassembler)
	assert.Equal(t, EnrichConfig{Lineage: false, Container: true, AncestorDepth: 4, ProcPath: "/host/proc", TableMaxEntries: 1000, TableMaxBytes: 1 << 20}, cfg.Enrich)

	rules, err := kernel.LoadRules(cfg.ruleConfig())
	require.NoError(t, err)
	var sources []string
	for _, r := range rules.Rules {
		sources = append(sources, r.Source)
	}
	// The seed's 8 rules (blank lines and comments skipped), then the files in sorted order.
	assert.Equal(t, []string{
		"audit_rules line 2", "audit_rules line 3", "audit_rules line 4", "audit_rules line 5",
		"audit_rules line 8", "audit_rules line 9", "audit_rules line 10", "audit_rules line 11",
		"testdata/rules/10-extra.rules:2", "testdata/rules/10-extra.rules:4", "testdata/rules/20-more.rules:1",
	}, sources)
	assert.Equal(t, "-w /etc/group -p wa -k identity", rules.Rules[0].Text)
	again, err := kernel.LoadRules(cfg.ruleConfig())
	require.NoError(t, err)
	assert.Len(t, again.Rules, len(rules.Rules), "loading twice does not double the rules")
}

func TestLoadConfigAuditbeatAliases(t *testing.T) {
	cfg, err := loadConfig(t, "auditbeat")
	require.NoError(t, err)
	assert.False(t, cfg.ResolveIDs)
	assert.Equal(t, "panic", cfg.FailureMode)
	assert.Equal(t, int64(8196), cfg.BacklogLimit)
	assert.Equal(t, int64(10), cfg.RateLimit)
	assert.True(t, cfg.IncludeRawMessage)
	assert.True(t, cfg.IncludeWarnings)
	assert.Equal(t, "multicast", cfg.SocketType)
	assert.Equal(t, "-w /etc/passwd -p wa -k identity\n", cfg.AuditRules)
}

func TestConfigBothSpellingsIsAnError(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	err := confmap.NewFromStringMap(map[string]any{"resolve_ids": true, "kernel.resolve_ids": false}).Unmarshal(cfg)
	require.ErrorContains(t, err, `"resolve_ids" and "kernel.resolve_ids" set the same option`)
}

// Auditbeat writes the reassembler's settings as dotted keys; Beats nests them.
func TestConfigDottedKeysNest(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"reassembler.queue_size":       16384,
		"kernel.reassembler.timeout":   "5s",
		"reassembler":                  map[string]any{"max_in_flight": 70},
		"kernel.backpressure_strategy": "both",
	}).Unmarshal(cfg))
	assert.Equal(t, ReassemblerConfig{MaxInFlight: 70, Timeout: 5 * time.Second, QueueSize: 16384}, cfg.Reassembler)
	assert.Equal(t, "both", cfg.BackpressureStrategy)

	err := confmap.NewFromStringMap(map[string]any{
		"reassembler.queue_size": 16384,
		"reassembler":            map[string]any{"queue_size": 10},
	}).Unmarshal(createDefaultConfig().(*Config))
	require.ErrorContains(t, err, `"reassembler::queue_size" and "reassembler.queue_size" set the same option`)
	err = confmap.NewFromStringMap(map[string]any{"resolve_ids.x": 1, "resolve_ids": true}).Unmarshal(createDefaultConfig().(*Config))
	require.ErrorContains(t, err, `"resolve_ids" and "resolve_ids.x" set the same option`)
}

func TestConfigUnknownKeyIsAnError(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	err := confmap.NewFromStringMap(map[string]any{"resolve_idz": true}).Unmarshal(cfg)
	require.ErrorContains(t, err, "resolve_idz")
}

func TestConfigValidationErrors(t *testing.T) {
	dir := t.TempDir()
	dupFile := filepath.Join(dir, "dup.rules")
	require.NoError(t, os.WriteFile(dupFile, []byte("# dup\n-w /etc/passwd -p wa -k identity\n"), 0o600))
	unreadable := filepath.Join(dir, "unreadable.rules")
	require.NoError(t, os.Mkdir(unreadable, 0o700)) // a directory matches the glob but cannot be read as a file
	fifo := filepath.Join(dir, "fifo.rules")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600)) // reading it would block validation

	tests := []struct {
		name   string
		modify func(*Config)
		want   []string
	}{
		{"socket type", func(c *Config) { c.SocketType = "broadcast" }, []string{`socket_type "broadcast" is invalid`, "unicast", "multicast"}},
		{"failure mode", func(c *Config) { c.FailureMode = "loud" }, []string{`failure_mode "loud" is invalid: use silent, log or panic`}},
		{"backpressure", func(c *Config) { c.BackpressureStrategy = "drop" }, []string{`backpressure_strategy "drop" is invalid: use one of auto, kernel, userspace, both, none`}},
		{"backlog zero", func(c *Config) { c.BacklogLimit = 0 }, []string{"backlog_limit 0 is out of range [1, 4294967295]"}},
		{"backlog too big", func(c *Config) { c.BacklogLimit = 1 << 33 }, []string{"backlog_limit 8589934592 is out of range"}},
		{"negative rate", func(c *Config) { c.RateLimit = -1 }, []string{"rate_limit -1 is out of range [0, 4294967295]"}},
		{"max in flight", func(c *Config) { c.Reassembler.MaxInFlight = 0 }, []string{"reassembler.max_in_flight 0 is out of range"}},
		{"queue size", func(c *Config) { c.Reassembler.QueueSize = -5 }, []string{"reassembler.queue_size -5 is out of range"}},
		{"timeout", func(c *Config) { c.Reassembler.Timeout = 0 }, []string{"reassembler.timeout 0s is out of range"}},
		{"socket buffer", func(c *Config) { c.SocketBufferSize = -1 }, []string{"socket_buffer_size -1 is out of range"}},
		{"ancestor depth", func(c *Config) { c.Enrich.AncestorDepth = 33 }, []string{"enrich.ancestor_depth 33 is out of range [0, 32]"}},
		{"negative ancestor depth", func(c *Config) { c.Enrich.AncestorDepth = -1 }, []string{"enrich.ancestor_depth -1 is out of range [0, 32]"}},
		{"table entries", func(c *Config) { c.Enrich.TableMaxEntries = 0 }, []string{"enrich.table_max_entries 0 is out of range [1, 4194304]"}},
		{"table bytes", func(c *Config) { c.Enrich.TableMaxBytes = 1000 }, []string{"enrich.table_max_bytes 1000 is out of range [65536, 1073741824]"}},
		{"relative proc path", func(c *Config) { c.Enrich.ProcPath = "host/proc" }, []string{`enrich.proc_path "host/proc" is invalid: use the absolute path of a proc filesystem`}},
		{"empty proc path", func(c *Config) { c.Enrich.ProcPath = "" }, []string{`enrich.proc_path "" is invalid`}},
		{"immutable multicast", func(c *Config) { c.Immutable, c.SocketType = true, "multicast" }, []string{"immutable: true needs the unicast socket", "socket_type: multicast"}},
		{"bad syscall", func(c *Config) { c.AuditRules = "# c\n\n-a always,exit -S notasyscall -k x" }, []string{`audit_rules line 3: invalid rule "-a always,exit -S notasyscall -k x"`, "unknown syscall 'notasyscall'"}},
		{"bad operator", func(c *Config) { c.AuditRules = "-a always,exit -F auid=>1000" }, []string{`audit_rules line 1: invalid rule "-a always,exit -F auid=>1000"`}},
		{"missing action", func(c *Config) { c.AuditRules = "-S open" }, []string{"audit_rules line 1", "[-A] or [-a]"}},
		{"delete all", func(c *Config) { c.AuditRules = "-D" }, []string{`audit_rules line 1: "-D" is not supported`, "unnecessary"}},
		{"enable flag", func(c *Config) { c.AuditRules = "-e 2" }, []string{`"-e 2" is not supported`, "immutable"}},
		{"backlog flag", func(c *Config) { c.AuditRules = "-b 8192" }, []string{"backlog_limit setting"}},
		{"failure flag", func(c *Config) { c.AuditRules = "-f 1" }, []string{"failure_mode setting"}},
		{"rate flag", func(c *Config) { c.AuditRules = "-r 100" }, []string{"rate_limit setting"}},
		{"wait flag", func(c *Config) { c.AuditRules = "--backlog_wait_time 0" }, []string{"backpressure_strategy setting"}},
		{"duplicate inline", func(c *Config) { c.AuditRules = "-w /etc/passwd -p wa -k identity\n-w /etc/passwd -p wa -k identity" }, []string{"audit_rules line 2", "duplicates the rule at audit_rules line 1"}},
		{"duplicate across file", func(c *Config) {
			c.AuditRules = "-w /etc/passwd -p wa -k identity"
			c.AuditRuleFiles = []string{dupFile}
		}, []string{dupFile + ":2", "duplicates the rule at audit_rules line 1"}},
		{"unreadable file", func(c *Config) { c.AuditRuleFiles = []string{unreadable} }, []string{"audit_rule_files: cannot read " + unreadable + ": it is a directory"}},
		{"bad glob", func(c *Config) { c.AuditRuleFiles = []string{"[bad"} }, []string{`audit_rule_files: bad pattern "[bad"`}},
		{"fifo", func(c *Config) { c.AuditRuleFiles = []string{fifo} }, []string{"audit_rule_files: cannot read " + fifo + ": not a regular file"}},
		{"missing file", func(c *Config) { c.AuditRuleFiles = []string{filepath.Join(dir, "missing.rules")} }, []string{"audit_rule_files: " + filepath.Join(dir, "missing.rules") + " does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.modify(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

// A glob stands for whatever files are there, possibly none (an empty
// rules.d); only a literal path must exist.
func TestRuleFileGlobWithoutMatches(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.AuditRuleFiles = []string{filepath.Join(t.TempDir(), "*.rules")}
	require.NoError(t, confmap.Validate(cfg))
}

func TestIgnoreErrorsTurnsBadRulesIntoWarnings(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.IgnoreErrors = true
	cfg.AuditRules = "-w /etc/passwd -p wa -k identity\n-a always,exit -S notasyscall\n-w /etc/passwd -p wa -k identity"
	require.NoError(t, confmap.Validate(cfg))
	rules, err := kernel.LoadRules(cfg.ruleConfig())
	require.NoError(t, err)
	assert.Len(t, rules.Rules, 1)
	require.Len(t, rules.Warnings, 2)
	assert.Contains(t, rules.Warnings[0], "audit_rules line 2")
	assert.Contains(t, rules.Warnings[1], "audit_rules line 3")
}

func TestValidateDataLayoutAndCommandArgs(t *testing.T) {
	cfg := defaultConfig()
	require.NoError(t, cfg.Validate())
	cfg.DataLayout = "map"
	require.NoError(t, cfg.Validate())
	assert.Equal(t, translate.DataMap, cfg.translateOptions().DataLayout)

	cfg.DataLayout = "nested"
	assert.ErrorContains(t, cfg.Validate(), `data_layout "nested" is invalid: use "flat" (one attribute per record field) or "map" (one map attribute)`)
	cfg = defaultConfig()
	cfg.CommandArgs.MaxBytes = 0
	assert.ErrorContains(t, cfg.Validate(), "command_args.max_bytes 0 is out of range [1, 16777216]")
	cfg = defaultConfig()
	cfg.CommandArgs.MaxCount = 1 << 20
	assert.ErrorContains(t, cfg.Validate(), "command_args.max_count 1048576 is out of range [1, 65536]")
}
