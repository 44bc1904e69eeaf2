//go:build linux

package translate

import (
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata"

	"github.com/auditkernel/auditkernel/internal/coalesce"
	"github.com/auditkernel/auditkernel/internal/enrich"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// EnrichedRecord is Record with what enrichment found about the event's
// process (info) after the event's own attributes. Values from /proc need
// not be UTF-8: enrich.Info holds them made valid, without a warning.
func EnrichedRecord(ev *coalesce.Event, recs []*record.Record, observed time.Time, opts Options, info *enrich.Info, lr plog.LogRecord) {
	fill(ev, recs, observed, opts, (*enrichment)(info), lr)
}

// enrichment is the extraAttrs of an enrich.Info.
type enrichment enrich.Info

// count is what put puts at most: a set process adds up to three keys.
func (e *enrichment) count() int {
	n := 0
	if e.Cgroup != nil {
		n += 2
	}
	if e.SessionLeader > 0 {
		n++
	}
	if e.Parent != nil {
		n += 3
	}
	if e.Session != nil {
		n += 3
	}
	if len(e.Ancestors) > 0 {
		n++
	}
	return n
}

func (e *enrichment) put(w *attrWriter) {
	b := &w.b
	if cg := e.Cgroup; cg != nil {
		putSet(b, schema.ProcessCgroup, cg.Line)
		putSet(b, schema.ProcessSystemdUnit, cg.Unit)
	}
	if e.SessionLeader > 0 {
		b.AppendEmpty(schema.ProcessSessionLeader).SetInt(e.SessionLeader)
	}
	if p := e.Parent; p != nil {
		putSet(b, schema.ParentExecPath, p.Executable)
		putSet(b, schema.ParentExecName, executableName(p.Executable, p.Name))
		putSet(b, schema.ParentCommand, p.CommandLine)
	}
	if p := e.Session; p != nil {
		putSet(b, schema.SessionLeaderExecPath, p.Executable)
		putSet(b, schema.SessionLeaderExecName, executableName(p.Executable, p.Name))
		putSet(b, schema.SessionLeaderCommand, p.CommandLine)
	}
	if len(e.Ancestors) > 0 {
		ancestors := b.AppendEmpty(schema.ProcessAncestors).SetEmptySlice()
		ancestors.EnsureCapacity(len(e.Ancestors))
		var ab xpdata.MapBuilder
		for _, a := range e.Ancestors {
			ab.EnsureCapacity(4)
			ab.AppendEmpty("pid").SetStr(strconv.FormatInt(a.PID, 10))
			putSet(&ab, "executable.path", a.Executable)
			putSet(&ab, "executable.name", executableName(a.Executable, a.Name))
			putSet(&ab, "command_line", a.CommandLine)
			ab.UnsafeIntoMap(ancestors.AppendEmpty().SetEmptyMap())
		}
	}
}

// ResourceKey is the key of the resource an event belongs to (for Batch):
// "" for the host's own processes, else its container (and pod).
func ResourceKey(info *enrich.Info) string {
	cg := info.Cgroup
	switch {
	case cg == nil || cg.ContainerID == "":
		return ""
	case cg.PodUID == "":
		return cg.ContainerID
	default:
		return cg.ContainerID + "/" + cg.PodUID
	}
}

// PutContainerResource puts the container attributes a ResourceKey stands
// for on a resource (nothing for "").
func PutContainerResource(key string, attrs pcommon.Map) {
	if key == "" {
		return
	}
	id, pod, _ := strings.Cut(key, "/")
	attrs.PutStr(schema.ContainerID, id)
	if pod != "" {
		attrs.PutStr(schema.K8sPodUID, pod)
	}
}

// putSet appends value when it is set (enrich.Info's strings are valid UTF-8).
func putSet(b *xpdata.MapBuilder, key, value string) {
	if value != "" {
		b.AppendEmpty(key).SetStr(value)
	}
}
