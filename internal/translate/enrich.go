//go:build linux

package translate

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/enrich"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// Enrichment puts what enrichment found about an event's process on its log
// record (Record has filled it). Values from /proc need not be UTF-8; they
// are made valid like the record's, without a warning (Record has put its
// warnings already).
func Enrichment(info *enrich.Info, lr plog.LogRecord) {
	attrs := lr.Attributes()
	if cg := info.Cgroup; cg != nil {
		putSet(attrs, schema.ProcessCgroup, cg.Line)
		putSet(attrs, schema.ProcessSystemdUnit, cg.Unit)
	}
	if info.SessionLeader > 0 {
		attrs.PutInt(schema.ProcessSessionLeader, info.SessionLeader)
	}
	if p := info.Parent; p != nil {
		putSet(attrs, schema.ParentExecPath, p.Executable)
		putSet(attrs, schema.ParentExecName, executableName(p.Executable, p.Name))
		putSet(attrs, schema.ParentCommand, p.CommandLine)
	}
	if p := info.Session; p != nil {
		putSet(attrs, schema.SessionLeaderExecPath, p.Executable)
		putSet(attrs, schema.SessionLeaderExecName, executableName(p.Executable, p.Name))
		putSet(attrs, schema.SessionLeaderCommand, p.CommandLine)
	}
	if len(info.Ancestors) > 0 {
		ancestors := attrs.PutEmptySlice(schema.ProcessAncestors)
		ancestors.EnsureCapacity(len(info.Ancestors))
		for _, a := range info.Ancestors {
			m := ancestors.AppendEmpty().SetEmptyMap()
			m.PutStr("pid", strconv.FormatInt(a.PID, 10))
			putSet(m, "executable.path", a.Executable)
			putSet(m, "executable.name", executableName(a.Executable, a.Name))
			putSet(m, "command_line", a.CommandLine)
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

// putSet puts value when it is set. enrich.Info's strings are valid UTF-8.
func putSet(m pcommon.Map, key, value string) {
	if value != "" {
		m.PutStr(key, value)
	}
}
