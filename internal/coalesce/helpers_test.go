//go:build !windows

package coalesce

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/elastic/go-libaudit/v2/aucoalesce"
	"github.com/elastic/go-libaudit/v2/auparse"

	"github.com/auditkernel/auditkernel/internal/record"
)

// parseLine parses an audit log line with record.ParseLine, then its
// payload as auparse does.
func parseLine(line string) (*auparse.AuditMessage, error) {
	rec, err := record.ParseLine([]byte(line))
	if err != nil {
		return nil, err
	}
	return auparse.Parse(rec.Type, rec.Raw)
}

// editFunc changes the parsed data of the i-th message of an event. Because
// auparse caches Data()'s map, the edit is what both the record builder and
// aucoalesce see; it reaches states that auparse's own parsing rejects.
type editFunc func(i int, data map[string]string)

// parseEvent parses lines into fresh messages (each call parses anew so that
// aucoalesce's mutations of cached data never leak between calls) and
// applies edit.
func parseEvent(tb testing.TB, lines []string, edit editFunc) []*auparse.AuditMessage {
	tb.Helper()
	msgs := make([]*auparse.AuditMessage, 0, len(lines))
	for _, l := range lines {
		m, err := parseLine(l)
		if err != nil {
			tb.Fatalf("parse %q: %v", l, err)
		}
		msgs = append(msgs, m)
	}
	if edit != nil {
		for i, m := range msgs {
			if data, err := m.Data(); err == nil {
				edit(i, data)
			}
		}
	}
	return msgs
}

// toRecord builds the record the fast parser is specified to produce for msg:
// Data() as fields in key order, Tags(), and Data()'s error.
func toRecord(msg *auparse.AuditMessage) *record.Record {
	data, err := msg.Data()
	tags, _ := msg.Tags()
	r := &record.Record{
		Type:      msg.RecordType,
		Timestamp: msg.Timestamp,
		Sequence:  msg.Sequence,
		Raw:       msg.RawData,
		Tags:      tags,
		Err:       err,
	}
	if err == nil {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fields := make([]record.Field, 0, len(keys))
		for _, k := range keys {
			fields = append(fields, record.Field{Key: k, Value: data[k]})
		}
		r.SetFields(fields)
	}
	return r
}

func toRecords(msgs []*auparse.AuditMessage) []*record.Record {
	recs := make([]*record.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = toRecord(m)
	}
	return recs
}

// recordState is what a record holds, copied. A record.Record value shares
// its fields' storage with the record, so a write to the fields shows only
// in Fields.
type recordState struct {
	Record record.Record
	Fields []record.Field
}

// snapshot copies what r holds, for a later comparison to detect writes.
func snapshot(r *record.Record) recordState {
	s := recordState{Record: *r, Fields: r.AppendFields(nil)}
	s.Record.Tags = slices.Clone(r.Tags)
	return s
}

// cloneRecords snapshots recs so that a later comparison detects writes.
func cloneRecords(recs []*record.Record) []recordState {
	out := make([]recordState, len(recs))
	for i, r := range recs {
		out[i] = snapshot(r)
	}
	return out
}

// buildRecords parses lines into records, reporting a panic in auparse
// rather than failing on a go-libaudit bug.
func buildRecords(tb testing.TB, lines []string, edit editFunc) (recs []*record.Record, panicked any) {
	tb.Helper()
	defer func() { panicked = recover() }()
	return toRecords(parseEvent(tb, lines, edit)), nil
}

// libaudit runs aucoalesce, turning a panic into an error so that a
// go-libaudit bug is reported rather than crashing the test.
func libaudit(msgs []*auparse.AuditMessage) (ev *aucoalesce.Event, panicked any, err error) {
	defer func() { panicked = recover() }()
	ev, err = aucoalesce.CoalesceMessages(msgs)
	return ev, nil, err
}

// differential coalesces lines with both implementations, then resolves the
// events' ids with both, and reports every difference. It returns our event, before ResolveIDs, as an
// aucoalesce.Event (see libauditView) for further checks.
func differential(tb testing.TB, lines []string, edit editFunc) (*aucoalesce.Event, error) {
	tb.Helper()
	recs, panicked := buildRecords(tb, lines, edit)
	if panicked != nil {
		tb.Skipf("auparse panicked: %v", panicked)
	}
	before := cloneRecords(recs)

	want, panicked, wantErr := libaudit(parseEvent(tb, lines, edit))
	got, gotErr := Coalesce(recs)
	if panicked != nil {
		tb.Logf("aucoalesce panicked (%v); ours returned %v, %v", panicked, got, gotErr)
		return libauditView(got), gotErr
	}

	if !reflect.DeepEqual(gotErr, wantErr) {
		tb.Errorf("error: got %#v, want %#v", gotErr, wantErr)
	}
	checkSlices(tb, got)
	view := libauditView(got)
	for _, d := range diffEvents(view, want) {
		tb.Error(d)
	}

	if got != nil && want != nil {
		ResolveIDs(got)
		aucoalesce.ResolveIDs(want)
		checkSlices(tb, got)
		for _, d := range diffEvents(libauditView(got), want) {
			tb.Error("after ResolveIDs: " + d)
		}
	}

	for i, r := range recs {
		if now := snapshot(r); !reflect.DeepEqual(now, before[i]) {
			tb.Errorf("record %d modified:\n got %#v\nwant %#v", i, now, before[i])
		}
	}
	return view, gotErr
}

// libauditView returns ev as aucoalesce would hold it: its slices as maps,
// an empty map for a nil Data or path (aucoalesce always has one) and nil
// for an empty IDs, Names or SELinux (aucoalesce creates those on the first
// entry). File is copied, so that a later ResolveIDs does not change the
// view. Keys are unique (checkSlices), so no entry is lost.
func libauditView(ev *Event) *aucoalesce.Event {
	if ev == nil {
		return nil
	}
	out := ev.Event
	out.Data = toMap(ev.Data)
	out.User.IDs = toMapOrNil(ev.IDs)
	out.User.Names = toMapOrNil(ev.Names)
	out.User.SELinux = toMapOrNil(ev.SubjectSELinux)
	if ev.Paths != nil {
		out.Paths = make([]map[string]string, len(ev.Paths))
		for i, p := range ev.Paths {
			out.Paths[i] = toMap(p.AppendFields(nil))
		}
	}
	if ev.File != nil {
		f := *ev.File
		f.SELinux = toMapOrNil(ev.FileSELinux)
		out.File = &f
	}
	return &out
}

func toMap(fields []record.Field) map[string]string {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		m[f.Key] = f.Value
	}
	return m
}

func toMapOrNil(fields []record.Field) map[string]string {
	if len(fields) == 0 {
		return nil
	}
	return toMap(fields)
}

// checkSlices reports a key that occurs twice in one of ev's slices, which
// stand for maps, a FileSELinux without File, and a map set in the embedded
// aucoalesce.Event, which the slices replace.
func checkSlices(tb testing.TB, ev *Event) {
	tb.Helper()
	if ev == nil {
		return
	}
	sets := map[string][]record.Field{
		"Data": ev.Data, "IDs": ev.IDs, "Names": ev.Names,
		"SubjectSELinux": ev.SubjectSELinux, "FileSELinux": ev.FileSELinux,
	}
	for i, p := range ev.Paths {
		sets[fmt.Sprintf("Paths[%d]", i)] = p.AppendFields(nil)
	}
	for name, fields := range sets {
		seen := make(map[string]bool, len(fields))
		for _, f := range fields {
			if seen[f.Key] {
				tb.Errorf("%s has key %q twice: %q", name, f.Key, fields)
			}
			seen[f.Key] = true
		}
	}
	if ev.File == nil && ev.FileSELinux != nil {
		tb.Errorf("FileSELinux %q without File", ev.FileSELinux)
	}
	if ev.Event.Data != nil || ev.User.IDs != nil || ev.User.Names != nil || ev.User.SELinux != nil ||
		ev.Event.Paths != nil || (ev.File != nil && ev.File.SELinux != nil) {
		tb.Errorf("embedded event has maps: %#v", ev.Event)
	}
}

// diffEvents describes how got differs from want: field by field with
// reflect.DeepEqual (so nil and empty differ), and warnings as sorted texts
// because aucoalesce emits some in map order.
func diffEvents(got, want *aucoalesce.Event) []string {
	if got == nil || want == nil {
		if got != want {
			return []string{fmt.Sprintf("event: got %#v, want %#v", got, want)}
		}
		return nil
	}
	var diffs []string
	if gw, ww := warningTexts(got.Warnings), warningTexts(want.Warnings); !reflect.DeepEqual(gw, ww) {
		diffs = append(diffs, fmt.Sprintf("Warnings:\n got %q\nwant %q", gw, ww))
	}
	g, w := reflect.ValueOf(*got), reflect.ValueOf(*want)
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		if name == "Warnings" {
			continue
		}
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if !reflect.DeepEqual(gf, wf) {
			diffs = append(diffs, fmt.Sprintf("%s:\n got %s\nwant %s", name, show(gf), show(wf)))
		}
	}
	return diffs
}

// show prints v with the targets of its top-level pointers.
func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return fmt.Sprintf("&%#v", rv.Elem().Interface())
	}
	return fmt.Sprintf("%#v", v)
}

// warningTexts returns the sorted texts of ws, nil if ws is nil.
func warningTexts(ws []error) []string {
	if ws == nil {
		return nil
	}
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Error()
	}
	sort.Strings(out)
	return out
}

// readEvents reads an audit log of "type=NAME msg=..." lines and groups them
// into events by sequence number, in order of first appearance, keeping each
// event's lines in file order.
func readEvents(tb testing.TB, path string) [][]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = f.Close() }()

	var events [][]string
	index := map[uint32]int{}
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseLine(line)
		if err != nil {
			tb.Fatalf("%s: parse %q: %v", path, line, err)
		}
		i, ok := index[m.Sequence]
		if !ok {
			i = len(events)
			index[m.Sequence] = i
			events = append(events, nil)
		}
		events[i] = append(events[i], line)
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	return events
}
