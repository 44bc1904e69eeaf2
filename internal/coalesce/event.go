//go:build !windows

package coalesce

import (
	"github.com/elastic/go-libaudit/v2/aucoalesce"

	"github.com/auditkernel/auditkernel/internal/record"
)

// Event is what aucoalesce.Event holds, with its maps as slices of fields:
// building maps of ~30 entries and iterating them again to translate the
// event cost more than everything else Coalesce does (BenchmarkCoalesce).
// Keys are unique within each slice. The embedded Event's map fields (Data,
// User.IDs, User.Names, User.SELinux, Paths, File.SELinux) are left nil. Its
// ECS fields are aucoalesce's: the categorization and the entity roles
// (subject, effective, target, changes, group) of the normalization.
type Event struct {
	aucoalesce.Event
	// Data is aucoalesce's Event.Data.
	Data []record.Field
	// IDs is User.IDs: the uid and gid fields of the subject. Coalesce
	// leaves spare capacity after them for ResolveIDs' Names.
	IDs []record.Field
	// Names is User.Names: the names the ids resolve to, set by ResolveIDs.
	Names []record.Field
	// SubjectSELinux is User.SELinux.
	SubjectSELinux []record.Field
	// Paths is Paths: the PATH records, whose fields are the paths'.
	Paths []*record.Record
	// FileSELinux is File.SELinux; set only when File is.
	FileSELinux []record.Field

	// fields and paths are the storage that Data, IDs, Names,
	// SubjectSELinux and Paths are carved from, kept by Release for reuse,
	// and file is what File points to when set.
	fields []record.Field
	paths  []*record.Record
	file   aucoalesce.File
	// keys is a filter over Data's keys while Coalesce adds fields.
	keys keyFilter
	// poisoned is set by Release on an event it poisoned rather than
	// zeroed.
	poisoned bool
}
