// This file builds on every OS (the rest of the package needs go-libaudit's
// auparse, which does not build on Windows), so that a component's default
// configuration can name these anywhere.

package translate

// The caps of process.command_args when Options leave them 0: a command
// line of 1024 arguments or 64 KiB is far past any interactive one, and
// ARG_MAX allows 2 MiB, which would make a multi-megabyte log record.
const (
	DefaultMaxArgs     = 1024
	DefaultMaxArgBytes = 64 << 10
)
