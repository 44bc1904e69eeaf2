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
		putValid(attrs, schema.ProcessCgroup, cg.Line)
		putValid(attrs, schema.ProcessSystemdUnit, cg.Unit)
	}
	if info.SessionLeader > 0 {
		attrs.PutInt(schema.ProcessSessionLeader, info.SessionLeader)
	}
	if p := info.Parent; p != nil {
		putValid(attrs, schema.ParentExecPath, p.Executable)
		putValid(attrs, schema.ParentExecName, executableName(p.Executable, p.Name))
		putValid(attrs, schema.ParentCommand, p.CommandLine)
	}
	if p := info.Session; p != nil {
		putValid(attrs, schema.SessionLeaderExecPath, p.Executable)
		putValid(attrs, schema.SessionLeaderExecName, executableName(p.Executable, p.Name))
		putValid(attrs, schema.SessionLeaderCommand, p.CommandLine)
	}
	if len(info.Ancestors) > 0 {
		ancestors := attrs.PutEmptySlice(schema.ProcessAncestors)
		ancestors.EnsureCapacity(len(info.Ancestors))
		for _, a := range info.Ancestors {
			m := ancestors.AppendEmpty().SetEmptyMap()
			m.PutStr("pid", strconv.FormatInt(a.PID, 10))
			putValid(m, "executable.path", a.Executable)
			putValid(m, "executable.name", executableName(a.Executable, a.Name))
			putValid(m, "command_line", a.CommandLine)
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

func putValid(m pcommon.Map, key, value string) {
	if value != "" {
		m.PutStr(key, ValidUTF8(value))
	}
}
