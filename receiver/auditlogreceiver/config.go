package auditlogreceiver // import "github.com/auditkernel/auditkernel/receiver/auditlogreceiver"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator/helper"
	"go.opentelemetry.io/collector/component"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/auditkernel/auditkernel/internal/outputconfig"
)

// Config is the auditlog receiver's configuration. The file options are a
// subset of contrib's filelog receiver's (fileconsumer): those that make
// sense for auditd's logs, which are one record per line.
type Config struct {
	// Include are globs of the log files to read; auditd's rotated files
	// (audit.log.1, ...) should match too, so that what was not read before
	// a rotation is read after it.
	Include []string `mapstructure:"include"`
	// Exclude are globs of files not to read.
	Exclude []string `mapstructure:"exclude"`
	// StartAt is where a file seen for the first time is read from,
	// beginning or end. Positions kept in Storage take precedence.
	StartAt string `mapstructure:"start_at"`
	// PollInterval is how often the files are checked for new lines.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// FingerprintSize is how many bytes at a file's start identify it
	// across renames (auditd's rotation).
	FingerprintSize helper.ByteSize `mapstructure:"fingerprint_size"`
	// MaxLineSize caps a line; the rest of a longer line is dropped, counted.
	MaxLineSize helper.ByteSize `mapstructure:"max_line_size"`
	// Storage is the storage extension (file_storage) that keeps the read
	// positions across restarts. Without it, a restart starts at StartAt.
	Storage *component.ID `mapstructure:"storage"`

	// ResolveIDs looks up in this host's user and group databases the ids
	// for which the log has no name. Off by default: forwarded logs
	// (audisp-remote, node=) come from other hosts, whose ids name other
	// users here. auditd's log_format = ENRICHED writes the recording
	// host's names into the log, and those are always used.
	ResolveIDs bool `mapstructure:"resolve_ids"`
	// IncludeRawMessage adds the raw records of each event to its log record.
	IncludeRawMessage bool `mapstructure:"include_raw_message"`
	// IncludeWarnings adds parsing warnings (and the raw records) to the log record.
	IncludeWarnings bool `mapstructure:"include_warnings"`
	// Output holds data_layout and command_args, shared with the auditkernel receiver.
	outputconfig.Output `mapstructure:",squash"`
	// Reassembler tunes how records are joined into events.
	Reassembler ReassemblerConfig `mapstructure:"reassembler"`
}

// ReassemblerConfig tunes event reassembly.
type ReassemblerConfig struct {
	// MaxInFlight is the number of events held from the oldest one still
	// waiting for its last record on; past it, that one is emitted.
	MaxInFlight int `mapstructure:"max_in_flight"`
	// Timeout is how long after its first record was read an event that
	// has not ended is emitted: the file has gone quiet in the middle of
	// it. It must exceed poll_interval, or an event that one poll reads
	// half of would be cut.
	Timeout time.Duration `mapstructure:"timeout"`
}

// Validate checks every setting.
func (cfg *Config) Validate() error {
	var errs []error
	if len(cfg.Include) == 0 {
		errs = append(errs, errors.New("include is empty: name the audit log files, e.g. /var/log/audit/audit.log*"))
	}
	if cfg.StartAt != "beginning" && cfg.StartAt != "end" {
		errs = append(errs, fmt.Errorf("start_at %q is invalid: use beginning or end", cfg.StartAt))
	}
	if cfg.PollInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("poll_interval %v is too short: use at least 10ms", cfg.PollInterval))
	}
	if cfg.MaxLineSize < 1024 || cfg.MaxLineSize > 1<<24 {
		errs = append(errs, fmt.Errorf("max_line_size %d is out of range [1KiB, 16MiB]", cfg.MaxLineSize))
	}
	if cfg.Reassembler.MaxInFlight < 1 || cfg.Reassembler.MaxInFlight > 1<<20 {
		errs = append(errs, fmt.Errorf("reassembler.max_in_flight %d is out of range [1, %d]", cfg.Reassembler.MaxInFlight, 1<<20))
	}
	if cfg.Reassembler.Timeout <= cfg.PollInterval || cfg.Reassembler.Timeout > time.Minute {
		errs = append(errs, fmt.Errorf("reassembler.timeout %v is out of range: use more than poll_interval (%v) and at most 1m", cfg.Reassembler.Timeout, cfg.PollInterval))
	}
	errs = append(errs, cfg.OutputErrors()...)
	// Building the file consumer checks the globs and the rest of its
	// options; it starts nothing.
	nop := component.TelemetrySettings{Logger: zap.NewNop(), MeterProvider: metricnoop.NewMeterProvider(), TracerProvider: tracenoop.NewTracerProvider()}
	if _, err := cfg.fileConsumer().Build(nop, func(context.Context, [][]byte, map[string]any, int64, []int64) error { return nil }); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// fileConsumer is the fileconsumer configuration this one stands for.
func (cfg *Config) fileConsumer() fileconsumer.Config {
	fc := fileconsumer.NewConfig()
	fc.Include = cfg.Include
	fc.Exclude = cfg.Exclude
	fc.StartAt = cfg.StartAt
	fc.PollInterval = cfg.PollInterval
	fc.FingerprintSize = cfg.FingerprintSize
	fc.MaxLogSize = cfg.MaxLineSize
	// Capped, not split: the rest of a long line is not a line of its own.
	fc.MaxLogSizeBehavior = fileconsumer.MaxLogSizeBehaviorTruncate
	// The file's name goes into the log message about lines dropped at
	// the end of a batch; the log records carry none of fileconsumer's
	// attributes.
	fc.IncludeFileName = true
	return *fc
}
