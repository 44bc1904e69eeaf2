//go:build !windows

package coalesce

import (
	_ "unsafe" // for go:linkname

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"
)

// The normalization tables are go-libaudit's: aucoalesce builds them at init
// from its embedded normalizations.yaml and keeps them in unexported package
// variables. We may not copy that YAML into this repository, and
// aucoalesce.LoadNormalizationConfig needs the YAML bytes, so we pull the two
// variables by name with go:linkname. The declared types must match
// go-libaudit's exactly; TestNormalizationTables fails if an upgrade renames
// or empties them. They are read only.

//go:linkname syscallNorms github.com/elastic/go-libaudit/v2/aucoalesce.syscallNorms
var syscallNorms map[string]*aucoalesce.Normalization

//go:linkname recordTypeNorms github.com/elastic/go-libaudit/v2/aucoalesce.recordTypeNorms
var recordTypeNorms map[string][]*aucoalesce.Normalization

// Package-level initializers run after aucoalesce's init has filled the
// tables, because this package imports aucoalesce.
var (
	// defaultSyscallNorm is the catch-all '*' entry used for syscalls that
	// have no normalization of their own.
	defaultSyscallNorm = syscallNorms["*"]

	// typeNorms is recordTypeNorms keyed by record type instead of by
	// AuditMessageType.String(), which saves a map lookup per event.
	typeNorms = normsByType(recordTypeNorms)
)

// normsByType re-keys byName by message type. aucoalesce looks norms up by
// t.String(), so a name is kept only if it is what String() returns for the
// type it names; aliases and other spellings can never match.
func normsByType(byName map[string][]*aucoalesce.Normalization) map[auparse.AuditMessageType][]*aucoalesce.Normalization {
	out := make(map[auparse.AuditMessageType][]*aucoalesce.Normalization, len(byName))
	for name, norms := range byName {
		t, err := auparse.GetAuditMessageType(name)
		if err == nil && t.String() == name {
			out[t] = norms
		}
	}
	return out
}
