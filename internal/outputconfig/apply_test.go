//go:build !windows

package outputconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/auditkernel/auditkernel/internal/translate"
)

func TestApplyOutput(t *testing.T) {
	opts := translate.Options{IncludeWarnings: true, DataLayout: translate.DataMap}
	o := Default()
	o.ApplyOutput(&opts)
	assert.Equal(t, translate.Options{IncludeWarnings: true, MaxArgs: 1024, MaxArgBytes: 64 << 10, DataLayout: translate.DataFlat}, opts)

	o = Output{DataLayout: "map", CommandArgs: CommandArgs{MaxCount: 3, MaxBytes: 100}}
	o.ApplyOutput(&opts)
	assert.Equal(t, translate.Options{IncludeWarnings: true, MaxArgs: 3, MaxArgBytes: 100, DataLayout: translate.DataMap}, opts)
}
