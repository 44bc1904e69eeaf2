package outputconfig

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

func TestDefault(t *testing.T) {
	o := Default()
	assert.Equal(t, Output{DataLayout: "flat", CommandArgs: CommandArgs{MaxCount: 1024, MaxBytes: 64 << 10}}, o)
	assert.Empty(t, o.OutputErrors())
}

func TestOutputErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Output)
		want string // "" when valid
	}{
		{"map layout", func(o *Output) { o.DataLayout = "map" }, ""},
		{"unknown layout", func(o *Output) { o.DataLayout = "nested" }, `data_layout "nested" is invalid: use "flat" (one attribute per record field) or "map" (one map attribute)`},
		{"empty layout", func(o *Output) { o.DataLayout = "" }, `data_layout "" is invalid`},
		{"count lowest", func(o *Output) { o.CommandArgs.MaxCount = 1 }, ""},
		{"count highest", func(o *Output) { o.CommandArgs.MaxCount = 1 << 16 }, ""},
		{"count zero", func(o *Output) { o.CommandArgs.MaxCount = 0 }, "command_args.max_count 0 is out of range [1, 65536]"},
		{"count above", func(o *Output) { o.CommandArgs.MaxCount = 1<<16 + 1 }, "command_args.max_count 65537 is out of range [1, 65536]"},
		{"bytes lowest", func(o *Output) { o.CommandArgs.MaxBytes = 1 }, ""},
		{"bytes highest", func(o *Output) { o.CommandArgs.MaxBytes = 16 << 20 }, ""},
		{"bytes negative", func(o *Output) { o.CommandArgs.MaxBytes = -1 }, "command_args.max_bytes -1 is out of range [1, 16777216]"},
		{"bytes above", func(o *Output) { o.CommandArgs.MaxBytes = 16<<20 + 1 }, "command_args.max_bytes 16777217 is out of range [1, 16777216]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := Default()
			c.set(&o)
			err := errors.Join(o.OutputErrors()...)
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, c.want)
		})
	}
	// Every bad setting is told, not only the first.
	o := Output{DataLayout: "x"}
	assert.Len(t, o.OutputErrors(), 3)
}

// The keys sit at the top level of the config that embeds Output.
func TestSquashedKeys(t *testing.T) {
	var cfg struct {
		Other  string `mapstructure:"other"`
		Output `mapstructure:",squash"`
	}
	cfg.Output = Default()
	conf := confmap.NewFromStringMap(map[string]any{
		"other":        "x",
		"data_layout":  "map",
		"command_args": map[string]any{"max_count": 7},
	})
	require.NoError(t, conf.Unmarshal(&cfg))
	assert.Equal(t, Output{DataLayout: "map", CommandArgs: CommandArgs{MaxCount: 7, MaxBytes: 64 << 10}}, cfg.Output)
	assert.ErrorContains(t, confmap.NewFromStringMap(map[string]any{"command_args": map[string]any{"max_cuont": 7}}).Unmarshal(&cfg), "max_cuont")
}
