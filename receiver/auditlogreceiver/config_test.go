package auditlogreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/auditkernel/auditkernel/internal/outputconfig"
)

// The output options are the auditkernel receiver's: same keys, defaults
// and errors.
func TestConfigOutput(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, outputconfig.Output{DataLayout: "flat", CommandArgs: outputconfig.CommandArgs{MaxCount: 1024, MaxBytes: 64 << 10}}, cfg.Output)
	require.NoError(t, cfg.Validate())

	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"data_layout":  "map",
		"command_args": map[string]any{"max_count": 2, "max_bytes": 100},
	}).Unmarshal(cfg))
	assert.Equal(t, outputconfig.Output{DataLayout: "map", CommandArgs: outputconfig.CommandArgs{MaxCount: 2, MaxBytes: 100}}, cfg.Output)
	require.NoError(t, cfg.Validate())

	cfg.DataLayout = "nested"
	cfg.CommandArgs.MaxCount = 1 << 20
	cfg.CommandArgs.MaxBytes = 0
	err := cfg.Validate()
	assert.ErrorContains(t, err, `data_layout "nested" is invalid: use "flat" (one attribute per record field) or "map" (one map attribute)`)
	assert.ErrorContains(t, err, "command_args.max_count 1048576 is out of range [1, 65536]")
	assert.ErrorContains(t, err, "command_args.max_bytes 0 is out of range [1, 16777216]")

	assert.ErrorContains(t, confmap.NewFromStringMap(map[string]any{"command_args": map[string]any{"max_args": 2}}).Unmarshal(createDefaultConfig()), "max_args")
}
