// Package schema is the one table of every attribute key the receivers emit:
// its type, where its value comes from and what it means. The translator
// spells its keys from here, sizes its attribute maps from here, and
// docs/fields.md is checked against it (schema_test.go), so that the code
// and the documented contract cannot drift apart.
//
// Adding a key is one line in the table below (then a row in docs/fields.md,
// which the test asks for).
package schema // import "github.com/auditkernel/auditkernel/internal/schema"

import "strings"

// Type is an attribute's value type, spelled as docs/fields.md spells it.
type Type string

const (
	String      Type = "string"
	Int         Type = "int"
	Bool        Type = "bool"
	StringSlice Type = "string slice"
	MapSlice    Type = "slice of maps"
	Map         Type = "map"
)

// Level is where an attribute is put.
type Level string

const (
	Event    Level = "event"    // an event's log record
	Notice   Level = "notice"   // a notice's log record (loss marker, rule drift)
	Resource Level = "resource" // the resource of a batch
)

// Attribute is one key, or one family of keys: a family's Key ends in a
// <placeholder> for the record field that completes it.
type Attribute struct {
	Key     string
	Type    Type
	Level   Level
	Source  string // where the value comes from
	Meaning string // one line; docs/fields.md says the rest
}

// Family tells whether the attribute stands for one key per record field.
func (a Attribute) Family() bool { return strings.HasSuffix(a.Key, ">") }

// Prefix is the key of a family without its placeholder (the key itself otherwise).
func (a Attribute) Prefix() string {
	if i := strings.IndexByte(a.Key, '<'); i >= 0 {
		return a.Key[:i]
	}
	return a.Key
}

const ns = "audit.kernel."

// The table. Each key constant is what the translator writes; a family's
// constant is its prefix.
var (
	// Event attributes from the audit header and the coalesced event.
	Sequence       = key(ns+"sequence", Int, Event, "audit header", "the event's audit sequence number")
	RecordType     = key(ns+"record_type", String, Event, "leading record", "the leading record's type, in lower case")
	Category       = key(ns+"category", String, Event, "go-libaudit", "go-libaudit's category of the record type")
	Result         = key(ns+"result", String, Event, "success / res", "success or fail (unknown without either field)")
	Session        = key(ns+"session", String, Event, "ses", "the login session id (unset for 4294967295 and -1)")
	Action         = key(ns+"action", String, Event, "normalization", "what happened")
	How            = key(ns+"how", String, Event, "normalization", "how it was done (exe, comm or the normalization's keys)")
	ActorPrimary   = key(ns+"actor.primary", String, Event, "normalization", "who did it (auid by default)")
	ActorSecondary = key(ns+"actor.secondary", String, Event, "normalization", "the secondary identity (uid by default)")
	ActorAttrs     = key(ns+"actor.attrs.<id>", String, Event, "*uid / *gid fields", "each id of the leading record, always the number")
	ActorNames     = key(ns+"actor.names.<id>", String, Event, "*uid / *gid, resolve_ids", "the user or group name of each id in actor.attrs that resolved")
	ActorSELinux   = key(ns+"actor.selinux.<part>", String, Event, "subj", "the subject's SELinux context, split")
	ThingPrimary   = key(ns+"thing.primary", String, Event, "normalization", "the object acted on")
	ThingSecondary = key(ns+"thing.secondary", String, Event, "normalization", "the object's secondary field")
	ThingWhat      = key(ns+"thing.what", String, Event, "normalization", "the object's kind")
	ThingSELinux   = key(ns+"thing.selinux.<part>", String, Event, "PATH obj", "the file object's SELinux context, split")
	Key            = key(ns+"key", StringSlice, Event, "key", "the rule keys that matched")
	Data           = key(ns+"data.<field>", String, Event, "record fields", "every record field no other attribute holds (data_layout: flat)")
	DataMap        = key(ns+"data", Map, Event, "record fields", "the same fields as one map, field name to value (data_layout: map)")
	Paths          = key(ns+"paths", MapSlice, Event, "PATH records", "one map of fields per PATH record, in item order")
	Socket         = key(ns+"socket.<field>", String, Event, "SOCKADDR", "the parsed socket address")
	Messages       = key(ns+"messages", StringSlice, Event, "records", "the raw records (include_raw_message, include_warnings)")
	Warnings       = key(ns+"warnings", StringSlice, Event, "parser, normalizer", "problems met while parsing and normalizing (include_warnings)")

	// Auditbeat's user roles and ECS categorization, from go-libaudit's normalization.
	EffectiveID      = key(ns+"user.effective.id", String, Event, "normalization", "the account acted on: its uid")
	EffectiveName    = key(ns+"user.effective.name", String, Event, "normalization", "the account acted on: its name")
	TargetID         = key(ns+"user.target.id", String, Event, "normalization", "the target account's uid")
	TargetName       = key(ns+"user.target.name", String, Event, "normalization", "the target account's name")
	ChangesID        = key(ns+"user.changes.id", String, Event, "normalization", "the identity changed to: its uid")
	ChangesName      = key(ns+"user.changes.name", String, Event, "normalization", "the identity changed to: its name")
	GroupID          = key(ns+"group.id", String, Event, "normalization", "the group acted on: its gid")
	GroupName        = key(ns+"group.name", String, Event, "normalization", "the group acted on: its name")
	RelatedUser      = key(ns+"related.user", StringSlice, Event, "normalization", "every user name among the roles, sorted")
	EventCategory    = key(ns+"event.category", StringSlice, Event, "normalization", "ECS event.category")
	EventType        = key(ns+"event.type", StringSlice, Event, "normalization", "ECS event.type")
	EventKind        = key(ns+"event.kind", String, Event, "normalization", "ECS event.kind where the normalization gives one (alert)")
	NetworkDirection = key(ns+"network.direction", String, Event, "syscall, normalization", "ingress or egress")
	ProcessComm      = key(ns+"process.comm", String, Event, "comm", "the task's command name (comm, at most 15 bytes)")
	ArgsTruncated    = key(ns+"process.args_truncated", Bool, Event, "EXECVE, limits", "process.command_args was cut to the configured limits")

	// Semantic-convention event attributes.
	ProcessPID        = key("process.pid", Int, Event, "pid", "the process id")
	ProcessParentPID  = key("process.parent_pid", Int, Event, "ppid", "the parent process id")
	ProcessExecPath   = key("process.executable.path", String, Event, "exe", "the executable's path")
	ProcessExecName   = key("process.executable.name", String, Event, "exe", "the executable's base name")
	ProcessTitle      = key("process.title", String, Event, "PROCTITLE", "the decoded process title")
	ProcessArgs       = key("process.command_args", StringSlice, Event, "EXECVE", "the decoded execve arguments")
	ProcessArgsCount  = key("process.args_count", Int, Event, "EXECVE argc", "the number of execve arguments")
	ProcessInteract   = key("process.interactive", Bool, Event, "tty", "whether the process has a terminal")
	ProcessUserID     = key("process.user.id", Int, Event, "euid", "the effective uid")
	ProcessUserName   = key("process.user.name", String, Event, "euid, resolve_ids", "the effective user's name")
	ProcessRealID     = key("process.real_user.id", Int, Event, "uid", "the real uid")
	ProcessRealName   = key("process.real_user.name", String, Event, "uid, resolve_ids", "the real user's name")
	ProcessSavedID    = key("process.saved_user.id", Int, Event, "suid", "the saved uid")
	ProcessSavedName  = key("process.saved_user.name", String, Event, "suid, resolve_ids", "the saved user's name")
	ProcessWorkingDir = key("process.working_directory", String, Event, "CWD", "the working directory")
	UserID            = key("user.id", String, Event, "normalization / uid", "the subject's uid (auid on user-space records), always the number")
	UserName          = key("user.name", String, Event, "normalization, resolve_ids", "the subject's user name")
	FilePath          = key("file.path", String, Event, "PATH name", "the file object's path")
	FileInode         = key("file.inode", String, Event, "PATH inode", "the file object's inode")
	FileMode          = key("file.mode", String, Event, "PATH mode", "the file object's permission bits, 4-digit octal")
	FileOwnerID       = key("file.owner.id", String, Event, "PATH ouid", "the file object's owner uid")
	FileOwnerName     = key("file.owner.name", String, Event, "PATH ouid, resolve_ids", "the file object's owner name")
	FileGroupID       = key("file.group.id", String, Event, "PATH ogid", "the file object's group gid")
	FileGroupName     = key("file.group.name", String, Event, "PATH ogid, resolve_ids", "the file object's group name")
	SourceAddress     = key("source.address", String, Event, "SOCKADDR / addr", "the source IP or unix socket path")
	SourcePort        = key("source.port", Int, Event, "SOCKADDR", "the source port")
	DestAddress       = key("destination.address", String, Event, "SOCKADDR", "the destination IP or unix socket path")
	DestPort          = key("destination.port", Int, Event, "SOCKADDR", "the destination port")

	// Enrichment of kernel events (internal/enrich): the process table and /proc.
	ProcessCgroup         = key("process.linux.cgroup", String, Event, "/proc/<pid>/cgroup", "the cgroup line the container or unit was found in")
	ProcessSessionLeader  = key("process.session_leader.pid", Int, Event, "/proc/<pid>/stat", "the session id: the session leader's pid")
	ProcessSystemdUnit    = key(ns+"process.systemd_unit", String, Event, "/proc/<pid>/cgroup", "the systemd unit of a process outside containers")
	ParentExecPath        = key(ns+"process.parent.executable.path", String, Event, "process table, /proc", "the parent's executable path")
	ParentExecName        = key(ns+"process.parent.executable.name", String, Event, "process table, /proc", "the parent's executable base name, or comm")
	ParentCommand         = key(ns+"process.parent.command_line", String, Event, "process table, /proc", "the parent's command line")
	SessionLeaderExecPath = key(ns+"process.session_leader.executable.path", String, Event, "process table, /proc", "the session leader's executable path")
	SessionLeaderExecName = key(ns+"process.session_leader.executable.name", String, Event, "process table, /proc", "the session leader's executable base name, or comm")
	SessionLeaderCommand  = key(ns+"process.session_leader.command_line", String, Event, "process table, /proc", "the session leader's command line")
	ProcessAncestors      = key(ns+"process.ancestors", MapSlice, Event, "process table, /proc", "the ancestors, parent first (enrich.ancestor_depth)")

	// Resource attributes.
	HostName    = key("host.name", String, Resource, "os.Hostname", "the host the receiver runs on")
	OSType      = key("os.type", String, Resource, "constant", "always linux")
	ContainerID = key("container.id", String, Resource, "/proc/<pid>/cgroup", "the full container id of the events' processes")
	K8sPodUID   = key("k8s.pod.uid", String, Resource, "/proc/<pid>/cgroup", "the Kubernetes pod UID of the events' container")

	// Notices: the loss marker and the rule drift report.
	LostKernel         = key(ns+"lost.kernel", Int, Notice, "kernel lost counter", "records the kernel lost since the previous marker")
	LostSequenceGaps   = key(ns+"lost.sequence_gaps", Int, Notice, "sequence numbers", "sequence numbers that never arrived")
	LostUserspace      = key(ns+"lost.userspace", Int, Notice, "receiver", "events the receiver dropped")
	LostSocketOverruns = key(ns+"lost.socket_overruns", Int, Notice, "ENOBUFS", "reads that found the socket overrun")
	LostSequenceFirst  = key(ns+"lost.sequence.first", Int, Notice, "sequence numbers", "the first sequence number affected, where known")
	LostSequenceLast   = key(ns+"lost.sequence.last", Int, Notice, "sequence numbers", "the last sequence number affected, where known")
	DriftMissing       = key(ns+"rules_drift.missing", StringSlice, Notice, "kernel rules", "configured rules the kernel no longer had")
	DriftExtra         = key(ns+"rules_drift.extra", StringSlice, Notice, "kernel rules", "kernel rules that were not configured")
	DriftReinstalled   = key(ns+"rules_drift.reinstalled", Bool, Notice, "receiver", "whether the configured rules were re-installed")
	DriftError         = key(ns+"rules_drift.error", String, Notice, "receiver", "why re-installing them failed")
)

var table []Attribute

// key adds an attribute to the table and returns its key, or a family's prefix.
func key(k string, typ Type, level Level, source, meaning string) string {
	a := Attribute{Key: k, Type: typ, Level: level, Source: source, Meaning: meaning}
	table = append(table, a)
	return a.Prefix()
}

// All returns the table, in declaration order.
func All() []Attribute { return append([]Attribute(nil), table...) }

// Lookup finds the attribute that key is, or belongs to as a family.
func Lookup(k string) (Attribute, bool) {
	for _, a := range table {
		if k == a.Key || (a.Family() && strings.HasPrefix(k, a.Prefix()) && len(k) > len(a.Prefix())) {
			return a, true
		}
	}
	return Attribute{}, false
}

// fixedEventKeys is counted once the table is complete.
var fixedEventKeys int

func init() { fixedEventKeys = countFixed(Event) }

// FixedEventKeys is the number of event attributes that are one key each:
// the most an event holds besides its families (one key per field).
func FixedEventKeys() int { return fixedEventKeys }

func countFixed(level Level) int {
	n := 0
	for _, a := range table {
		if a.Level == level && !a.Family() {
			n++
		}
	}
	return n
}

// IsID tells whether a record field holds a user or group id (auid, uid,
// euid, egid, ouid, ...): go-libaudit moves these out of the event's data
// into its ids, so they are put under actor.attrs.<id> (or paths), never
// under data.<field>.
func IsID(field string) bool {
	return IsUserID(field) || IsGroupID(field)
}

// IsUserID tells whether an id field holds a uid (resolved as a user name).
func IsUserID(field string) bool { return strings.HasSuffix(field, "uid") }

// IsGroupID tells whether an id field holds a gid (resolved as a group name).
func IsGroupID(field string) bool { return strings.HasSuffix(field, "gid") }

// RepresentedElsewhere tells whether a field of the leading record has an
// attribute of its own, so that data.<field> leaves it out: result
// (result), ses (session), ids (actor.attrs), subj_* (actor.selinux), items
// (the PATH records' count, held by paths), and the process fields
// go-libaudit moves out of its data, as Auditbeat's data leaves them out too:
// pid, ppid, comm, exe, cwd and proctitle (process.pid, process.parent_pid,
// audit.kernel.process.comm, process.executable.path,
// process.working_directory, process.title).
func RepresentedElsewhere(field string) bool {
	switch field {
	case "result", "ses", "items", "pid", "ppid", "comm", "exe", "cwd", "proctitle":
		return true
	}
	return IsID(field) || strings.HasPrefix(field, "subj_")
}
