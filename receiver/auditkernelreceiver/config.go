package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/outputconfig"
)

var (
	socketTypes            = []string{kernel.SocketUnicast, kernel.SocketMulticast}
	backpressureStrategies = []string{kernel.BackpressureAuto, kernel.BackpressureKernel, kernel.BackpressureUserspace, kernel.BackpressureBoth, kernel.BackpressureNone}
)

// Config is the auditkernel receiver's configuration.
type Config struct {
	// SocketType is "" (auto), "unicast" or "multicast".
	SocketType string `mapstructure:"socket_type"`
	// ResolveIDs resolves uid/gid values to user and group names.
	ResolveIDs bool `mapstructure:"resolve_ids"`
	// FailureMode is the kernel's action on critical audit failures: silent, log or panic.
	FailureMode string `mapstructure:"failure_mode"`
	// BacklogLimit is the kernel's audit backlog queue length.
	BacklogLimit int64 `mapstructure:"backlog_limit"`
	// RateLimit is the kernel's message rate limit per second; 0 disables it.
	RateLimit int64 `mapstructure:"rate_limit"`
	// IncludeRawMessage adds the raw records of each event to its log record.
	IncludeRawMessage bool `mapstructure:"include_raw_message"`
	// IncludeWarnings adds parsing warnings (and the raw records) to the log record.
	IncludeWarnings bool `mapstructure:"include_warnings"`
	// Output holds data_layout and command_args, shared with the auditlog receiver.
	outputconfig.Output `mapstructure:",squash"`
	// AuditRules holds auditctl-syntax rules, one per line.
	AuditRules string `mapstructure:"audit_rules"`
	// AuditRuleFiles are globs of rule files loaded after AuditRules.
	AuditRuleFiles []string `mapstructure:"audit_rule_files"`
	// IgnoreErrors turns invalid rules into warnings, like `auditctl -i`.
	IgnoreErrors bool `mapstructure:"ignore_errors"`
	// Immutable locks the kernel's audit configuration (-e 2) after the rules are installed.
	Immutable bool `mapstructure:"immutable"`
	// BackpressureStrategy is auto, kernel, userspace, both or none.
	BackpressureStrategy string `mapstructure:"backpressure_strategy"`
	// Reassembler tunes how split messages are joined into events.
	Reassembler ReassemblerConfig `mapstructure:"reassembler"`
	// SocketBufferSize is the netlink socket's receive buffer in bytes; 0 keeps the system default.
	SocketBufferSize int `mapstructure:"socket_buffer_size"`
	// KernelStatusInterval is how often the kernel's lost counter, backlog and
	// audit PID are read.
	KernelStatusInterval time.Duration `mapstructure:"kernel_status_interval"`
	// RuleCheckInterval is how often the kernel's rules are compared with the
	// configured ones and re-installed when they drifted; 0 disables it.
	RuleCheckInterval time.Duration `mapstructure:"rule_check_interval"`
	// Enrich adds each event's process lineage and container from the
	// receiver's process table and /proc.
	Enrich EnrichConfig `mapstructure:"enrich"`
}

// EnrichConfig turns each part of enrichment on or off and bounds the
// process table.
type EnrichConfig struct {
	// Lineage adds the parent process's executable, name and command line.
	Lineage bool `mapstructure:"lineage"`
	// Container adds the cgroup, systemd unit, and the container id and pod
	// UID as resource attributes.
	Container bool `mapstructure:"container"`
	// AncestorDepth lists that many ancestors (parent first); 0 for none.
	AncestorDepth int `mapstructure:"ancestor_depth"`
	// ProcPath is the host's /proc (e.g. /host/proc in a DaemonSet).
	ProcPath string `mapstructure:"proc_path"`
	// TableMaxEntries and TableMaxBytes bound the process table (LRU).
	TableMaxEntries int `mapstructure:"table_max_entries"`
	TableMaxBytes   int `mapstructure:"table_max_bytes"`
}

// Bounds of the enrich settings.
const (
	maxAncestorDepth = 32
	// A process table larger than the largest pid_max (2^22) is never full.
	maxTableEntries  = 1 << 22
	minTableBytes    = 64 << 10
	maxTableBytesCfg = 1 << 30
)

func (c *EnrichConfig) validate() []error {
	errs := []error{
		checkRange("enrich.ancestor_depth", int64(c.AncestorDepth), 0, maxAncestorDepth),
		checkRange("enrich.table_max_entries", int64(c.TableMaxEntries), 1, maxTableEntries),
		checkRange("enrich.table_max_bytes", int64(c.TableMaxBytes), minTableBytes, maxTableBytesCfg),
	}
	if !filepath.IsAbs(c.ProcPath) {
		errs = append(errs, fmt.Errorf("enrich.proc_path %q is invalid: use the absolute path of a proc filesystem (/proc, or the host's /proc mounted in a container, e.g. /host/proc)", c.ProcPath))
	}
	return errs
}

// checkProcPath fails when enrichment is on and proc_path holds no proc
// filesystem, which Validate cannot know on the machine that validates.
func checkProcPath(c *EnrichConfig) error {
	if !c.enabled() {
		return nil
	}
	if _, err := os.Stat(filepath.Join(c.ProcPath, "self", "stat")); err != nil {
		return fmt.Errorf("auditkernel: enrich.proc_path %s is not a proc filesystem (%w): mount the host's /proc there, or turn enrich.lineage and enrich.container off", c.ProcPath, err)
	}
	return nil
}

// enabled tells whether any part of enrichment is on.
func (c *EnrichConfig) enabled() bool {
	return c.Lineage || c.Container || c.AncestorDepth > 0
}

// ReassemblerConfig tunes event reassembly and the internal queue.
type ReassemblerConfig struct {
	// MaxInFlight is the number of events held from the oldest one still
	// waiting for its last record on; past it, that one is flushed.
	MaxInFlight int `mapstructure:"max_in_flight"`
	// Timeout is how long an incomplete event waits before it is flushed.
	Timeout time.Duration `mapstructure:"timeout"`
	// QueueSize is the number of reassembled events buffered between the
	// netlink reader and the pipeline.
	QueueSize int `mapstructure:"queue_size"`
}

// minInterval keeps the periodic kernel checks from becoming a busy loop.
const minInterval = 100 * time.Millisecond

// auditbeatAliasPrefix is how Auditbeat's audit kernel metricset spells its settings.
const auditbeatAliasPrefix = "kernel."

// Unmarshal accepts Auditbeat's `kernel.`-prefixed spelling of every setting
// so that an Auditbeat configuration block can be pasted as it is.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	raw := conf.ToStringMap()
	var conflicts []string
	for key, value := range raw {
		name, isAlias := strings.CutPrefix(key, auditbeatAliasPrefix)
		if !isAlias {
			continue
		}
		if _, dup := raw[name]; dup {
			conflicts = append(conflicts, fmt.Sprintf("%q and %q set the same option; keep one", name, key))
			continue
		}
		delete(raw, key)
		raw[name] = value
	}
	conflicts = append(conflicts, nestDottedKeys(raw)...)
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		return errors.New(strings.Join(conflicts, "; "))
	}
	type config Config // without the Unmarshal method, so this does not recurse
	return confmap.NewFromStringMap(raw).Unmarshal((*config)(cfg))
}

// nestDottedKeys nests Auditbeat's dotted keys (`reassembler.queue_size: 8192`)
// the way Beats' configuration does; the collector's YAML keeps them flat.
// It returns the keys set both ways.
func nestDottedKeys(raw map[string]any) []string {
	var conflicts []string
	for key, value := range raw {
		section, leaf, dotted := strings.Cut(key, ".")
		if !dotted {
			continue
		}
		nested, isMap := raw[section].(map[string]any)
		switch {
		case raw[section] != nil && !isMap:
			conflicts = append(conflicts, fmt.Sprintf("%q and %q set the same option; keep one", section, key))
			continue
		case nested == nil:
			nested = map[string]any{}
			raw[section] = nested
		}
		if _, dup := nested[leaf]; dup {
			conflicts = append(conflicts, fmt.Sprintf("%q and %q set the same option; keep one", section+"::"+leaf, key))
			continue
		}
		nested[leaf] = value
		delete(raw, key)
	}
	return conflicts
}

// Validate checks every setting and parses every audit rule.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.SocketType != kernel.SocketAuto && !slices.Contains(socketTypes, cfg.SocketType) {
		errs = append(errs, fmt.Errorf("socket_type %q is invalid: use %q (auto), %q or %q",
			cfg.SocketType, kernel.SocketAuto, kernel.SocketUnicast, kernel.SocketMulticast))
	}
	if _, ok := kernel.FailureModes[cfg.FailureMode]; !ok {
		errs = append(errs, fmt.Errorf("failure_mode %q is invalid: use silent, log or panic", cfg.FailureMode))
	}
	if !slices.Contains(backpressureStrategies, cfg.BackpressureStrategy) {
		errs = append(errs, fmt.Errorf("backpressure_strategy %q is invalid: use one of %s",
			cfg.BackpressureStrategy, strings.Join(backpressureStrategies, ", ")))
	}
	errs = append(errs,
		checkRange("backlog_limit", cfg.BacklogLimit, 1, math.MaxUint32),
		checkRange("rate_limit", cfg.RateLimit, 0, math.MaxUint32),
		checkRange("reassembler.max_in_flight", int64(cfg.Reassembler.MaxInFlight), 1, 1<<20),
		checkRange("reassembler.queue_size", int64(cfg.Reassembler.QueueSize), 1, 1<<24),
		checkRange("socket_buffer_size", int64(cfg.SocketBufferSize), 0, 1<<30),
	)
	errs = append(errs, cfg.OutputErrors()...)
	if cfg.Reassembler.Timeout <= 0 || cfg.Reassembler.Timeout > time.Minute {
		errs = append(errs, fmt.Errorf("reassembler.timeout %v is out of range: use a duration above 0 and at most 1m", cfg.Reassembler.Timeout))
	}
	if cfg.KernelStatusInterval < minInterval {
		errs = append(errs, fmt.Errorf("kernel_status_interval %v is too short: use at least %v", cfg.KernelStatusInterval, minInterval))
	}
	if cfg.RuleCheckInterval != 0 && cfg.RuleCheckInterval < minInterval {
		errs = append(errs, fmt.Errorf("rule_check_interval %v is invalid: use 0 to disable the check, or at least %v", cfg.RuleCheckInterval, minInterval))
	}
	if cfg.Immutable && cfg.SocketType == kernel.SocketMulticast {
		errs = append(errs, errors.New("immutable: true needs the unicast socket (it installs rules, then locks them); it cannot be combined with socket_type: multicast"))
	}
	errs = append(errs, cfg.Enrich.validate()...)
	if _, err := kernel.LoadRules(cfg.ruleConfig()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (cfg *Config) ruleConfig() kernel.RuleConfig {
	return kernel.RuleConfig{AuditRules: cfg.AuditRules, AuditRuleFiles: cfg.AuditRuleFiles, IgnoreErrors: cfg.IgnoreErrors}
}

// kernelConfig is the part of the configuration that Open applies; Validate
// has checked the ranges.
func (cfg *Config) kernelConfig() kernel.Config {
	return kernel.Config{
		SocketType:           cfg.SocketType,
		FailureMode:          cfg.FailureMode,
		BacklogLimit:         uint32(cfg.BacklogLimit),
		RateLimit:            uint32(cfg.RateLimit),
		BackpressureStrategy: cfg.BackpressureStrategy,
		Immutable:            cfg.Immutable,
		SocketBufferSize:     cfg.SocketBufferSize,
	}
}

func checkRange(name string, v, lowest, highest int64) error {
	if v < lowest || v > highest {
		return fmt.Errorf("%s %d is out of range [%d, %d]", name, v, lowest, highest)
	}
	return nil
}
