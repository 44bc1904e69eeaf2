//go:build linux

package translate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/recordtest"
)

// The differential fidelity test: every event of the reference data (Auditbeat's
// golden documents and go-libaudit's aucoalesce goldens, in ../shared/fidelity-ref
// beside the repository) goes through the receivers' parse → reassemble →
// normalize → translate path, and each field of the reference is compared with
// ours through a mapping table (fidelityMappings). A field that differs must be
// listed in docs/auditbeat-differences.md with its reason; anything else fails.

// fidelityRefEnv overrides where the reference data is.
const fidelityRefEnv = "AUDITKERNEL_FIDELITY_REF"

// fidelityRefDir finds the reference data: $AUDITKERNEL_FIDELITY_REF, else
// shared/fidelity-ref beside the repository's root. CI always has it there, so
// only outside CI may the test skip without it.
func fidelityRefDir(t *testing.T) string {
	dir := os.Getenv(fidelityRefEnv)
	if dir == "" {
		root, err := filepath.Abs("../..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "..", "shared", "fidelity-ref")
	}
	if _, err := os.Stat(filepath.Join(dir, "beats-auditd-testdata")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the fidelity reference data is missing (%v); CI must have shared/fidelity-ref beside the clone, or set %s", err, fidelityRefEnv)
		}
		t.Skipf("the fidelity reference data is not at %s (%v); set %s to its path", dir, err, fidelityRefEnv)
	}
	return dir
}

// The golden tests of Auditbeat resolve ids with these users and groups.
var (
	goldenUsers = fixedResolver(map[string]string{
		"0": "root", "1000": "vagrant", "1001": "alice", "1002": "oldbob", "1003": "charlie", "1004": "testuser", "9999": "bob",
	})
	goldenGroups = fixedResolver(map[string]string{
		"0": "root", "1000": "vagrant", "1001": "alice", "1002": "oldbob", "1003": "charlie", "1004": "testgroup", "9999": "bob",
	})
)

type fixedNames struct{ byID, byName map[string]string }

func fixedResolver(ids map[string]string) *fixedNames {
	r := &fixedNames{byID: ids, byName: make(map[string]string, len(ids))}
	for id, name := range ids {
		r.byName[name] = id
	}
	return r
}

func (r *fixedNames) LookupID(id string) string     { return r.byID[id] }
func (r *fixedNames) LookupName(name string) string { return r.byName[name] }

// fidelityPipeline runs the lines of one reference event through the
// receivers' path (the reader's filter and header parser, the reassembler,
// Event) and returns the flat attributes of each log record, plus
// "@timestamp" (RFC 3339, milliseconds).
func fidelityPipeline(t *testing.T, lines []string, resolve bool) []map[string]any {
	return pipeline(t, lines, Options{ResolveIDs: resolve, IncludeRawMessage: true})
}

// pipeline is fidelityPipeline with any options; with ResolveIDs, ids are
// named from the golden tables (Auditbeat's test users), not this host's.
func pipeline(t *testing.T, lines []string, opts Options) []map[string]any {
	var raw []*libaudit.RawAuditMessage
	for _, l := range lines {
		name, payload, ok := strings.Cut(strings.TrimPrefix(l, "type="), " msg=")
		if !ok {
			t.Fatalf("malformed line %q", l)
		}
		typ, err := auparse.GetAuditMessageType(name)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		raw = append(raw, &libaudit.RawAuditMessage{Type: typ, Data: []byte(payload)})
	}
	var out []map[string]any
	for _, recs := range recordtest.Reassemble(recordtest.Headers(t, raw)) {
		// Event's steps, to check the attribute bound against the event.
		ev, err := Normalize(recs, false)
		if err != nil {
			t.Logf("normalize: %v", err)
			continue
		}
		if opts.ResolveIDs {
			coalesce.ResolveIDsWith(ev, goldenUsers, goldenGroups)
		}
		assertRecordsInData(t, ev, recs)
		lr := plog.NewLogRecord()
		Record(ev, recs, time.Unix(0, 0), opts, lr)
		if n := lr.Attributes().Len(); n > attrCapacity(ev, opts) {
			t.Errorf("sequence %d: %d attributes, attrCapacity %d", ev.Sequence, n, attrCapacity(ev, opts))
		}
		attrs := lr.Attributes().AsRaw()
		attrs["@timestamp"] = lr.Timestamp().AsTime().UTC().Format("2006-01-02T15:04:05.000Z")
		out = append(out, attrs)
	}
	return out
}

// fidelityMapping maps a reference field (exact, or a prefix ending in ".*"
// whose rest is substituted for "*" in ours) to our attribute keys, the first
// present of which is compared.
type fidelityMapping struct {
	ref  string
	ours []string
	// set compares arrays as sets (Auditbeat builds related.user from a map).
	set bool
	// outcome compares Auditbeat's event.outcome with our result (fail → failure).
	outcome bool
	// time compares RFC 3339 instants.
	time bool
}

var auditbeatMappings = []fidelityMapping{
	{ref: "auditd.message_type", ours: []string{"audit.kernel.record_type"}},
	{ref: "auditd.sequence", ours: []string{"audit.kernel.sequence"}},
	{ref: "auditd.result", ours: []string{"audit.kernel.result"}},
	{ref: "auditd.session", ours: []string{"audit.kernel.session"}},
	{ref: "auditd.data.socket.*", ours: []string{"audit.kernel.socket.*"}},
	{ref: "auditd.data.*", ours: []string{"audit.kernel.data.*"}},
	{ref: "auditd.summary.actor.primary", ours: []string{"audit.kernel.actor.primary"}},
	{ref: "auditd.summary.actor.secondary", ours: []string{"audit.kernel.actor.secondary"}},
	{ref: "auditd.summary.object.primary", ours: []string{"audit.kernel.thing.primary"}},
	{ref: "auditd.summary.object.secondary", ours: []string{"audit.kernel.thing.secondary"}},
	{ref: "auditd.summary.object.type", ours: []string{"audit.kernel.thing.what"}},
	{ref: "auditd.summary.how", ours: []string{"audit.kernel.how"}},
	{ref: "auditd.paths", ours: []string{"audit.kernel.paths"}},
	{ref: "event.action", ours: []string{"audit.kernel.action"}},
	{ref: "event.kind", ours: []string{"audit.kernel.event.kind"}},
	{ref: "event.category", ours: []string{"audit.kernel.event.category"}},
	{ref: "event.type", ours: []string{"audit.kernel.event.type"}},
	{ref: "event.outcome", ours: []string{"audit.kernel.result"}, outcome: true},
	{ref: "event.original", ours: []string{"audit.kernel.messages"}},
	{ref: "error.message", ours: []string{"audit.kernel.warnings"}},
	{ref: "tags", ours: []string{"audit.kernel.key"}},
	{ref: "user.id", ours: []string{"user.id"}},
	{ref: "user.name", ours: []string{"user.name"}},
	// On user-space events the account acted on; on syscall events the euid.
	{ref: "user.effective.id", ours: []string{"audit.kernel.user.effective.id", "process.user.id"}},
	{ref: "user.effective.name", ours: []string{"audit.kernel.user.effective.name", "process.user.name"}},
	{ref: "user.effective.group.id", ours: []string{"audit.kernel.actor.attrs.egid"}},
	{ref: "user.effective.group.name", ours: []string{"audit.kernel.actor.names.egid"}},
	{ref: "user.target.*", ours: []string{"audit.kernel.user.target.*"}},
	{ref: "user.changes.*", ours: []string{"audit.kernel.user.changes.*"}},
	// Older Auditbeat called the group acted on group.target.
	{ref: "group.target.*", ours: []string{"audit.kernel.group.*"}},
	{ref: "group.*", ours: []string{"audit.kernel.group.*"}},
	{ref: "related.user", ours: []string{"audit.kernel.related.user"}, set: true},
	{ref: "user.audit.id", ours: []string{"audit.kernel.actor.attrs.auid"}},
	{ref: "user.audit.name", ours: []string{"audit.kernel.actor.names.auid"}},
	{ref: "user.group.id", ours: []string{"audit.kernel.actor.attrs.gid"}},
	{ref: "user.group.name", ours: []string{"audit.kernel.actor.names.gid"}},
	{ref: "user.saved.id", ours: []string{"process.saved_user.id"}},
	{ref: "user.saved.name", ours: []string{"process.saved_user.name"}},
	{ref: "user.saved.group.id", ours: []string{"audit.kernel.actor.attrs.sgid"}},
	{ref: "user.saved.group.name", ours: []string{"audit.kernel.actor.names.sgid"}},
	{ref: "user.filesystem.id", ours: []string{"audit.kernel.actor.attrs.fsuid"}},
	{ref: "user.filesystem.name", ours: []string{"audit.kernel.actor.names.fsuid"}},
	{ref: "user.filesystem.group.id", ours: []string{"audit.kernel.actor.attrs.fsgid"}},
	{ref: "user.filesystem.group.name", ours: []string{"audit.kernel.actor.names.fsgid"}},
	{ref: "user.selinux.*", ours: []string{"audit.kernel.actor.selinux.*"}},
	// Any other id field (old-auid, new_auid, ...): user.<field>.id and .name.
	{ref: "user.*.id", ours: []string{"audit.kernel.actor.attrs.*"}},
	{ref: "user.*.name", ours: []string{"audit.kernel.actor.names.*"}},
	{ref: "process.pid", ours: []string{"process.pid"}},
	{ref: "process.parent.pid", ours: []string{"process.parent_pid"}},
	{ref: "process.ppid", ours: []string{"process.parent_pid"}}, // older Auditbeat
	{ref: "process.title", ours: []string{"process.title"}},
	{ref: "process.name", ours: []string{"audit.kernel.process.comm"}},
	{ref: "process.executable", ours: []string{"process.executable.path"}},
	{ref: "process.working_directory", ours: []string{"process.working_directory"}},
	{ref: "process.args", ours: []string{"process.command_args"}},
	{ref: "file.path", ours: []string{"file.path"}},
	{ref: "file.inode", ours: []string{"file.inode"}},
	{ref: "file.mode", ours: []string{"file.mode"}},
	{ref: "file.device", ours: []string{"audit.kernel.thing.device"}},
	{ref: "file.uid", ours: []string{"file.owner.id"}},
	{ref: "file.gid", ours: []string{"file.group.id"}},
	{ref: "file.owner", ours: []string{"file.owner.name"}},
	{ref: "file.group", ours: []string{"file.group.name"}},
	{ref: "file.selinux.*", ours: []string{"audit.kernel.thing.selinux.*"}},
	{ref: "source.ip", ours: []string{"source.address"}},
	{ref: "source.path", ours: []string{"source.address"}},
	{ref: "source.port", ours: []string{"source.port"}},
	{ref: "destination.ip", ours: []string{"destination.address"}},
	{ref: "destination.path", ours: []string{"destination.address"}},
	{ref: "destination.port", ours: []string{"destination.port"}},
	{ref: "network.direction", ours: []string{"audit.kernel.network.direction"}},
}

// libauditMappings map the fields of aucoalesce.Event's JSON.
var libauditMappings = []fidelityMapping{
	{ref: "@timestamp", ours: []string{"@timestamp"}, time: true},
	{ref: "sequence", ours: []string{"audit.kernel.sequence"}},
	{ref: "category", ours: []string{"audit.kernel.category"}},
	{ref: "record_type", ours: []string{"audit.kernel.record_type"}},
	{ref: "result", ours: []string{"audit.kernel.result"}},
	{ref: "session", ours: []string{"audit.kernel.session"}},
	{ref: "tags", ours: []string{"audit.kernel.key"}},
	{ref: "summary.actor.primary", ours: []string{"audit.kernel.actor.primary"}},
	{ref: "summary.actor.secondary", ours: []string{"audit.kernel.actor.secondary"}},
	{ref: "summary.action", ours: []string{"audit.kernel.action"}},
	{ref: "summary.object.primary", ours: []string{"audit.kernel.thing.primary"}},
	{ref: "summary.object.secondary", ours: []string{"audit.kernel.thing.secondary"}},
	{ref: "summary.object.type", ours: []string{"audit.kernel.thing.what"}},
	{ref: "summary.how", ours: []string{"audit.kernel.how"}},
	{ref: "user.ids.*", ours: []string{"audit.kernel.actor.attrs.*"}},
	{ref: "user.names.*", ours: []string{"audit.kernel.actor.names.*"}},
	{ref: "user.selinux.*", ours: []string{"audit.kernel.actor.selinux.*"}},
	{ref: "process.pid", ours: []string{"process.pid"}},
	{ref: "process.ppid", ours: []string{"process.parent_pid"}},
	{ref: "process.title", ours: []string{"process.title"}},
	{ref: "process.name", ours: []string{"audit.kernel.process.comm"}},
	{ref: "process.exe", ours: []string{"process.executable.path"}},
	{ref: "process.cwd", ours: []string{"process.working_directory"}},
	{ref: "process.args", ours: []string{"process.command_args"}},
	{ref: "file.path", ours: []string{"file.path"}},
	{ref: "file.device", ours: []string{"audit.kernel.thing.device"}},
	{ref: "file.inode", ours: []string{"file.inode"}},
	{ref: "file.mode", ours: []string{"file.mode"}},
	{ref: "file.uid", ours: []string{"file.owner.id"}},
	{ref: "file.gid", ours: []string{"file.group.id"}},
	{ref: "file.owner", ours: []string{"file.owner.name"}},
	{ref: "file.group", ours: []string{"file.group.name"}},
	{ref: "file.selinux.*", ours: []string{"audit.kernel.thing.selinux.*"}},
	{ref: "source.ip", ours: []string{"source.address"}},
	{ref: "source.path", ours: []string{"source.address"}},
	{ref: "source.port", ours: []string{"source.port"}},
	{ref: "destination.ip", ours: []string{"destination.address"}},
	{ref: "destination.path", ours: []string{"destination.address"}},
	{ref: "destination.port", ours: []string{"destination.port"}},
	{ref: "network.direction", ours: []string{"audit.kernel.network.direction"}},
	{ref: "data.socket_*", ours: []string{"audit.kernel.socket.*"}},
	{ref: "data.*", ours: []string{"audit.kernel.data.*"}},
	{ref: "paths", ours: []string{"audit.kernel.paths"}},
	{ref: "ecs.event.kind", ours: []string{"audit.kernel.event.kind"}},
	{ref: "ecs.event.category", ours: []string{"audit.kernel.event.category"}},
	{ref: "ecs.event.type", ours: []string{"audit.kernel.event.type"}},
	{ref: "ecs.event.outcome", ours: []string{"audit.kernel.result"}, outcome: true},
	{ref: "ecs.user.id", ours: []string{"user.id"}},
	{ref: "ecs.user.name", ours: []string{"user.name"}},
	{ref: "ecs.user.effective.*", ours: []string{"audit.kernel.user.effective.*"}},
	{ref: "ecs.user.target.*", ours: []string{"audit.kernel.user.target.*"}},
	{ref: "ecs.user.changes.*", ours: []string{"audit.kernel.user.changes.*"}},
	{ref: "ecs.group.*", ours: []string{"audit.kernel.group.*"}},
}

// oursFor returns the attribute keys that mappings give for the reference
// field, the first match winning. A pattern has at most one "*", which
// matches one or more characters.
func oursFor(mappings []fidelityMapping, field string) (fidelityMapping, []string, bool) {
	for _, m := range mappings {
		star := strings.IndexByte(m.ref, '*')
		if star < 0 {
			if m.ref == field {
				return m, m.ours, true
			}
			continue
		}
		prefix, suffix := m.ref[:star], m.ref[star+1:]
		if len(field) <= len(prefix)+len(suffix) || !strings.HasPrefix(field, prefix) || !strings.HasSuffix(field, suffix) {
			continue
		}
		rest := field[len(prefix) : len(field)-len(suffix)]
		keys := make([]string, len(m.ours))
		for i, o := range m.ours {
			keys[i] = strings.Replace(o, "*", rest, 1)
		}
		return m, keys, true
	}
	return fidelityMapping{}, nil, false
}

// flatten turns a JSON document into dotted leaf paths; arrays are leaves,
// empty objects (ecs.user.effective: {}) are nothing.
func flatten(prefix string, v any, out map[string]any) {
	m, ok := v.(map[string]any)
	if !ok {
		out[prefix] = v
		return
	}
	for k, x := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		flatten(key, x, out)
	}
}

// canonical renders a value for comparison: numbers as their decimal text
// (Auditbeat's JSON numbers and our int attributes alike; an id is a string
// in one and a number in the other only where a type is listed as a
// difference), arrays and maps as JSON of canonical elements.
func canonical(v any) string {
	var conv func(any) any
	conv = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			return x.String()
		case int64:
			return strconv.FormatInt(x, 10)
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(x)
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = conv(e)
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[k] = conv(e)
			}
			return out
		}
		return v
	}
	switch c := conv(v).(type) {
	case string:
		return c
	default:
		b, _ := json.Marshal(c)
		return string(b)
	}
}

// acceptedDifference is one row of docs/auditbeat-differences.md.
type acceptedDifference struct {
	source, field, events, reason string
	used                          bool
}

// readAcceptedDifferences parses the table rows "| source | field | events |
// reason |" of the accepted-differences document.
func readAcceptedDifferences(t *testing.T) []*acceptedDifference {
	b, err := os.ReadFile("../../docs/auditbeat-differences.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []*acceptedDifference
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		cells := strings.Split(strings.TrimSpace(s.Text()), "|")
		if len(cells) != 6 || cells[0] != "" || cells[5] != "" {
			continue
		}
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		if cells[1] != "auditbeat" && cells[1] != "go-libaudit" {
			continue // header or separator
		}
		if cells[4] == "" {
			t.Errorf("accepted difference %s %s has no reason", cells[1], cells[2])
		}
		out = append(out, &acceptedDifference{source: cells[1], field: cells[2], events: cells[3], reason: cells[4]})
	}
	return out
}

// accepts tells whether the row covers field of event (file#sequence).
func (a *acceptedDifference) accepts(source, event, field string) bool {
	if a.source != source || !fieldMatches(a.field, field) {
		return false
	}
	if a.events == "*" {
		return true
	}
	for _, e := range strings.Split(a.events, ",") {
		if strings.TrimSpace(e) == event {
			return true
		}
	}
	return false
}

func fieldMatches(pattern, field string) bool {
	prefix, suffix, glob := strings.Cut(pattern, "*")
	if !glob {
		return pattern == field
	}
	return len(field) > len(prefix)+len(suffix) && strings.HasPrefix(field, prefix) && strings.HasSuffix(field, suffix)
}

// fidelityCounts tallies the compared reference fields.
type fidelityCounts struct{ equal, accepted, failing int }

type fidelityCase struct {
	source, event string
	lines         []string
	doc           map[string]any // the reference, flattened
	resolve       bool
	mappings      []fidelityMapping
}

func TestFidelityDifferential(t *testing.T) {
	dir := fidelityRefDir(t)
	cases := append(auditbeatCases(t, filepath.Join(dir, "beats-auditd-testdata")), libauditCases(t, filepath.Join(dir, "go-libaudit", "v2.6.2"))...)
	accepted := readAcceptedDifferences(t)

	var total fidelityCounts
	perSource := map[string]*fidelityCounts{"auditbeat": {}, "go-libaudit": {}}
	for _, c := range cases {
		outs := fidelityPipeline(t, c.lines, c.resolve)
		// An event the pipeline does not emit leaves every field missing.
		var ours map[string]any
		if len(outs) > 0 {
			ours = outs[0]
		}
		if len(outs) > 1 {
			t.Logf("%s %s: %d log records, comparing the first", c.source, c.event, len(outs))
		}
		for _, o := range outs {
			checkLeafNotPrefix(t, c.event, o)
		}
		for _, o := range pipeline(t, c.lines, Options{ResolveIDs: c.resolve, IncludeWarnings: true, DataLayout: DataMap}) {
			checkLeafNotPrefix(t, c.event+" (data_layout: map)", o)
		}
		for _, field := range slices.Sorted(maps.Keys(c.doc)) {
			want := c.doc[field]
			got, key := lookupMapped(c.mappings, field, ours)
			ok := compareField(c.mappings, field, want, got)
			counts := perSource[c.source]
			switch {
			case ok:
				counts.equal++
			case acceptedBy(accepted, c.source, c.event, field):
				counts.accepted++
			default:
				counts.failing++
				t.Errorf("%s %s: %s = %s; ours (%s) = %s", c.source, c.event, field, canonical(want), key, describe(got))
			}
		}
	}
	for _, a := range accepted {
		if !a.used {
			t.Errorf("accepted difference %s %s (%s) matches no difference: remove it", a.source, a.field, a.events)
		}
	}
	for _, src := range []string{"auditbeat", "go-libaudit"} {
		c := perSource[src]
		total.equal += c.equal
		total.accepted += c.accepted
		total.failing += c.failing
		t.Logf("fidelity %s: %d equal, %d accepted, %d failing", src, c.equal, c.accepted, c.failing)
	}
	t.Logf("fidelity total: %d equal, %d accepted, %d failing (%d events)", total.equal, total.accepted, total.failing, len(cases))
}

// checkLeafNotPrefix fails when a key of a log record is also the prefix of
// another (user.id beside user.id.name), which backends that nest dotted
// keys (Elasticsearch, OpenSearch) cannot store.
func checkLeafNotPrefix(t *testing.T, event string, attrs map[string]any) {
	keys := slices.Sorted(maps.Keys(attrs))
	for _, k := range keys {
		if j, _ := slices.BinarySearch(keys, k+"."); j < len(keys) && strings.HasPrefix(keys[j], k+".") {
			t.Errorf("%s: %s is a key and the prefix of %s", event, k, keys[j])
		}
	}
}

func acceptedBy(accepted []*acceptedDifference, source, event, field string) bool {
	for _, a := range accepted {
		if a.accepts(source, event, field) {
			a.used = true
			return true
		}
	}
	return false
}

// lookupMapped returns our value for a reference field and the key it came
// from (the first key listed if none is present); nil if absent.
func lookupMapped(mappings []fidelityMapping, field string, ours map[string]any) (any, string) {
	_, keys, ok := oursFor(mappings, field)
	if !ok {
		return nil, "no mapping"
	}
	for _, k := range keys {
		if v, present := ours[k]; present {
			return v, k
		}
	}
	return nil, keys[0]
}

func compareField(mappings []fidelityMapping, field string, want, got any) bool {
	if got == nil {
		return false
	}
	m, _, _ := oursFor(mappings, field)
	switch {
	case m.outcome:
		g := canonical(got)
		if g == "fail" {
			g = "failure"
		}
		return g == canonical(want)
	case m.time:
		w, err1 := time.Parse(time.RFC3339Nano, canonical(want))
		g, err2 := time.Parse(time.RFC3339Nano, canonical(got))
		return err1 == nil && err2 == nil && w.Equal(g)
	case m.set:
		return canonical(sortedStrings(want)) == canonical(sortedStrings(got))
	}
	return canonical(want) == canonical(got)
}

func sortedStrings(v any) []any {
	list, _ := v.([]any)
	out := slices.Clone(list)
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(canonical(a), canonical(b)) })
	return out
}

func describe(v any) string {
	if v == nil {
		return "absent"
	}
	return canonical(v)
}

// auditbeatCases reads Auditbeat's golden documents; each carries its records
// in event.original.
func auditbeatCases(t *testing.T, dir string) []fidelityCase {
	files, err := filepath.Glob(filepath.Join(dir, "*.log-expected.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Auditbeat goldens in %s: %v", dir, err)
	}
	var cases []fidelityCase
	for _, file := range files {
		docs := decodeJSON[[]map[string]any](t, file)
		name := strings.TrimSuffix(filepath.Base(file), ".log-expected.json")
		for _, doc := range docs {
			flat := map[string]any{}
			flatten("", doc, flat)
			var lines []string
			for _, l := range flat["event.original"].([]any) {
				lines = append(lines, l.(string))
			}
			cases = append(cases, fidelityCase{
				source: "auditbeat", event: name + "#" + canonical(flat["auditd.sequence"]),
				lines: lines, doc: flat, resolve: true, mappings: auditbeatMappings,
			})
		}
	}
	return cases
}

// libauditCases reads go-libaudit's aucoalesce goldens (ids not resolved)
// with the records of their yaml files.
func libauditCases(t *testing.T, dir string) []fidelityCase {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no go-libaudit goldens in %s: %v", dir, err)
	}
	var cases []fidelityCase
	for _, file := range files {
		tests := recordtest.LibauditTests(t, file)
		goldens := decodeJSON[[]struct {
			TestName string         `json:"test_name"`
			Event    map[string]any `json:"event"`
		}](t, strings.TrimSuffix(file, ".yaml")+".json.golden")
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		for _, g := range goldens {
			lines := tests[g.TestName]
			if len(lines) == 0 {
				t.Fatalf("%s: golden %q has no records", file, g.TestName)
			}
			flat := map[string]any{}
			flatten("", g.Event, flat)
			cases = append(cases, fidelityCase{
				source: "go-libaudit", event: name + "#" + g.TestName,
				lines: lines, doc: flat, mappings: libauditMappings,
			})
		}
	}
	return cases
}

func decodeJSON[T any](t *testing.T, path string) T {
	var v T
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
