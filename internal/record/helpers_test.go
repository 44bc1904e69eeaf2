//go:build !windows

package record

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// rawDir holds the repository's recorded streams, "type=NAME msg=PAYLOAD" per
// line.
const rawDir = "../../testdata/raw"

// outcome is everything ParseHeader and ParseFields produce, in a form that
// auparse's results convert to as well.
type outcome struct {
	HeaderErr string
	Type      auparse.AuditMessageType
	Timestamp time.Time
	Sequence  uint32
	Raw       string
	Fields    map[string]string
	Tags      []string
	Err       string
}

// reference is what auparse makes of a record; panicked reports that auparse
// panicked instead.
func reference(typ auparse.AuditMessageType, data string) (out outcome, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	msg, err := auparse.Parse(typ, data)
	if err != nil {
		return outcome{HeaderErr: err.Error()}, false
	}
	out = outcome{Type: msg.RecordType, Timestamp: msg.Timestamp, Sequence: msg.Sequence, Raw: msg.RawData}
	out.Fields, err = msg.Data()
	if err != nil {
		out.Err = err.Error()
	}
	out.Tags, _ = msg.Tags()
	return out, false
}

// ours is what this package makes of a record. It fails t if Fields has a
// key twice or is set along with Err.
func ours(t testing.TB, typ auparse.AuditMessageType, data string) outcome {
	t.Helper()
	r, err := ParseHeader(typ, []byte(data))
	if err != nil {
		return outcome{HeaderErr: err.Error()}
	}
	r.ParseFields()
	checkValidUTF8(t, r)
	out := outcome{Type: r.Type, Timestamp: r.Timestamp, Sequence: r.Sequence, Raw: r.Raw, Tags: r.Tags}
	if r.Err != nil {
		out.Err = r.Err.Error()
		if r.NumFields() != 0 {
			t.Errorf("fields %v set along with Err %q", r.AppendFields(nil), r.Err)
		}
		return out
	}
	fields := r.AppendFields(nil)
	if len(fields) != r.NumFields() {
		t.Errorf("AppendFields gave %d fields, NumFields %d", len(fields), r.NumFields())
	}
	out.Fields = make(map[string]string, len(fields))
	for i, f := range fields {
		// The accessors must all read the same fields.
		if g := r.Field(i); g != f || r.Key(i) != f.Key {
			t.Errorf("field %d: Field %q=%q, Key %q, AppendFields %q=%q", i, g.Key, g.Value, r.Key(i), f.Key, f.Value)
		}
		if _, dup := out.Fields[f.Key]; dup {
			t.Errorf("key %q twice in fields %v", f.Key, fields)
		}
		out.Fields[f.Key] = f.Value
	}
	return out
}

// checkValidUTF8 fails t if r claims valid UTF-8 that a value or tag lacks.
func checkValidUTF8(t testing.TB, r *Record) {
	t.Helper()
	if !r.ValidUTF8 {
		return
	}
	for i := range r.NumFields() {
		if f := r.Field(i); !utf8.ValidString(f.Value) {
			t.Errorf("ValidUTF8 set, but %s=%q is not", f.Key, f.Value)
		}
	}
	for _, tag := range r.Tags {
		if !utf8.ValidString(tag) {
			t.Errorf("ValidUTF8 set, but tag %q is not", tag)
		}
	}
}

// checkSame fails t unless this package and auparse agree on the record, and
// returns our outcome. Inputs on which auparse panics are skipped.
func checkSame(t testing.TB, typ auparse.AuditMessageType, data string) outcome {
	t.Helper()
	want, panicked := reference(typ, data)
	if panicked {
		t.Skipf("auparse panics on type %d %q", typ, data)
	}
	got := ours(t, typ, data)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("type %v, data %q:\n got %+v\nwant %+v", typ, data, got, want)
	}
	return got
}

// rawLine is one record of a recorded stream.
type rawLine struct {
	name string // file:line
	typ  auparse.AuditMessageType
	data string
}

// readRawLines reads the records of a "type=NAME msg=PAYLOAD" file.
func readRawLines(tb testing.TB, path string) []rawLine {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var lines []rawLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		rec, err := ParseLine(sc.Bytes())
		if err != nil {
			tb.Fatalf("%s:%d: %v", path, n, err)
		}
		lines = append(lines, rawLine{filepath.Base(path) + ":" + strconv.Itoa(n), rec.Type, rec.Raw})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

// allRawLines reads every recorded stream.
func allRawLines(tb testing.TB) []rawLine {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(rawDir, "*.log"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no streams in %s: %v", rawDir, err)
	}
	var lines []rawLine
	for _, f := range files {
		lines = append(lines, readRawLines(tb, f)...)
	}
	return lines
}
