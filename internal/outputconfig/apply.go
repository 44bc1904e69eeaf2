//go:build !windows

package outputconfig

import "github.com/auditkernel/auditkernel/internal/translate"

// ApplyOutput sets the output settings of opts; OutputErrors has checked them.
func (o *Output) ApplyOutput(opts *translate.Options) {
	opts.MaxArgs = o.CommandArgs.MaxCount
	opts.MaxArgBytes = o.CommandArgs.MaxBytes
	opts.DataLayout = translate.DataFlat
	if o.DataLayout == DataLayoutMap {
		opts.DataLayout = translate.DataMap
	}
}
