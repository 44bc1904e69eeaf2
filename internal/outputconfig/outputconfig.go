// Package outputconfig holds the output settings that both receivers take
// (data_layout, command_args), their defaults, their validation and the
// translate.Options they stand for, so that the two components spell,
// default and check them the same way. This file builds on every OS, like
// the components' configs.
package outputconfig // import "github.com/auditkernel/auditkernel/internal/outputconfig"

import (
	"fmt"

	"github.com/auditkernel/auditkernel/internal/translate"
)

// Output is embedded in a receiver's Config with `mapstructure:",squash"`:
// its keys sit at the receiver's top level.
type Output struct {
	// DataLayout is "flat" (one audit.kernel.data.<field> attribute per record
	// field) or "map" (one audit.kernel.data map attribute, for backends with
	// a field limit).
	DataLayout string `mapstructure:"data_layout"`
	// CommandArgs caps the execve arguments put in process.command_args.
	CommandArgs CommandArgs `mapstructure:"command_args"`
}

// CommandArgs caps process.command_args; a cut list is marked
// audit.kernel.process.args_truncated.
type CommandArgs struct {
	// MaxCount is the most arguments kept.
	MaxCount int `mapstructure:"max_count"`
	// MaxBytes is the most bytes kept, all arguments together.
	MaxBytes int `mapstructure:"max_bytes"`
}

// Data layouts.
const (
	DataLayoutFlat = "flat"
	DataLayoutMap  = "map"
)

// Bounds of command_args.
const (
	maxCount = 1 << 16
	maxBytes = 16 << 20
)

// Default is the flat layout and translate's default caps.
func Default() Output {
	return Output{
		DataLayout:  DataLayoutFlat,
		CommandArgs: CommandArgs{MaxCount: translate.DefaultMaxArgs, MaxBytes: translate.DefaultMaxArgBytes},
	}
}

// OutputErrors returns one error per invalid setting, for the receiver's
// Validate to join with its own. (A method named Validate would also be
// called by confmap.Validate, which prefixes the field's path.)
func (o *Output) OutputErrors() []error {
	var errs []error
	for _, c := range []struct {
		name           string
		v, lowest, top int
	}{
		{"command_args.max_count", o.CommandArgs.MaxCount, 1, maxCount},
		{"command_args.max_bytes", o.CommandArgs.MaxBytes, 1, maxBytes},
	} {
		if c.v < c.lowest || c.v > c.top {
			errs = append(errs, fmt.Errorf("%s %d is out of range [%d, %d]", c.name, c.v, c.lowest, c.top))
		}
	}
	if o.DataLayout != DataLayoutFlat && o.DataLayout != DataLayoutMap {
		errs = append(errs, fmt.Errorf("data_layout %q is invalid: use %q (one attribute per record field) or %q (one map attribute)",
			o.DataLayout, DataLayoutFlat, DataLayoutMap))
	}
	return errs
}
