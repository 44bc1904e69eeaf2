package schema

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// documented reads the attribute keys of docs/fields.md's tables (up to the
// mapping from Auditbeat's document, which names Auditbeat's fields) with
// the type their row gives, "" where the row gives none.
func documented(t *testing.T) map[string]Type {
	content, err := os.ReadFile("../../docs/fields.md")
	require.NoError(t, err)
	text, _, found := strings.Cut(string(content), "## Mapping from Auditbeat")
	require.True(t, found, "docs/fields.md lost its mapping section; adjust this test")
	keyPattern := regexp.MustCompile("`([a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)+(?:\\.<[a-z]+>)?)`")
	docs := map[string]Type{}
	for line := range strings.Lines(text) {
		cells := strings.Split(strings.TrimSpace(line), "|")
		if len(cells) < 4 || !strings.HasPrefix(line, "|") {
			continue
		}
		var keys []string
		for _, m := range keyPattern.FindAllStringSubmatch(cells[1], -1) {
			keys = append(keys, m[1])
		}
		types := strings.Split(strings.TrimSpace(cells[2]), " / ")
		for i, k := range keys {
			typ := Type(types[min(i, len(types)-1)])
			if !slices.Contains([]Type{String, Int, Bool, StringSlice, MapSlice, Map}, typ) {
				typ = "" // a row that describes the value instead
			}
			docs[k] = typ
		}
	}
	return docs
}

// TestDocsMatchSchema: every key in the table is documented with its type,
// and every documented key is in the table.
func TestDocsMatchSchema(t *testing.T) {
	docs := documented(t)
	require.NotEmpty(t, docs)
	for _, a := range All() {
		typ, ok := docs[a.Key]
		if !assert.True(t, ok, "%s (internal/schema) is not documented in docs/fields.md", a.Key) {
			continue
		}
		if typ != "" {
			assert.Equal(t, a.Type, typ, "docs/fields.md gives %s another type", a.Key)
		}
	}
	for k := range docs {
		_, ok := Lookup(k)
		assert.True(t, ok, "docs/fields.md documents %s, which internal/schema does not declare", k)
	}
}

func TestTableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range All() {
		assert.False(t, seen[a.Key], "%s declared twice", a.Key)
		seen[a.Key] = true
		assert.NotEmpty(t, a.Type, a.Key)
		assert.NotEmpty(t, a.Source, a.Key)
		assert.NotEmpty(t, a.Meaning, a.Key)
		assert.Contains(t, []Level{Event, Notice, Resource}, a.Level, a.Key)
	}
}

func TestLookup(t *testing.T) {
	for key, want := range map[string]string{
		"audit.kernel.sequence":        "audit.kernel.sequence",
		"audit.kernel.data.syscall":    "audit.kernel.data.<field>",
		"audit.kernel.actor.attrs.uid": "audit.kernel.actor.attrs.<id>",
		"audit.kernel.socket.port":     "audit.kernel.socket.<field>",
		"process.pid":                  "process.pid",
	} {
		a, ok := Lookup(key)
		if assert.True(t, ok, key) {
			assert.Equal(t, want, a.Key)
		}
	}
	for _, key := range []string{"audit.kernel.data.", "audit.kernel.nope", "process"} {
		_, ok := Lookup(key)
		assert.False(t, ok, key)
	}
}

func TestIDRule(t *testing.T) {
	for _, field := range []string{"auid", "uid", "euid", "suid", "fsuid", "ouid", "gid", "egid", "ogid", "old-auid", "sauid"} {
		assert.True(t, IsID(field), field)
		assert.True(t, RepresentedElsewhere(field), field)
	}
	for _, field := range []string{"pid", "ppid", "id", "exe", "uidx", "d", "ui"} {
		assert.False(t, IsID(field), field)
	}
	for _, field := range []string{"result", "ses", "items", "subj_role", "pid", "ppid", "comm", "exe", "cwd", "proctitle"} {
		assert.True(t, RepresentedElsewhere(field), field)
	}
	for _, field := range []string{"subj", "res", "key", "tty", "argc", "addr"} {
		assert.False(t, RepresentedElsewhere(field), field)
	}
}
