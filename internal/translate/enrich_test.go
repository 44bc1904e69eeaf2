//go:build linux

package translate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/enrich"
	"github.com/auditkernel/auditkernel/internal/recordtest"
)

const (
	containerID = "3f1bd5e4bc8c1a6d0e7e5a1b5c3e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
	podUID      = "6ab2c2f5-1b3e-4a9d-9b0e-2f1f4b9d3c11"
)

func TestEnrichmentAttributes(t *testing.T) {
	recs := recordtest.Events(t, "execve.log")[0]
	ev, err := Normalize(recs, false)
	require.NoError(t, err)
	plain := plog.NewLogRecord()
	Record(ev, recs, time.Unix(0, 0), Options{}, plain)
	recordKeys := keys(plain.Attributes())

	info := &enrich.Info{
		Parent:        &enrich.Process{PID: 100, Executable: "/usr/bin/bash", Name: "bash", CommandLine: "bash -c make"},
		Ancestors:     []enrich.Process{{PID: 100, Executable: "/usr/bin/bash", Name: "bash"}, {PID: 1, Name: "systemd", CommandLine: "/sbin/init splash"}},
		SessionLeader: 42,
		Session:       &enrich.Process{PID: 42, Executable: "/usr/sbin/sshd", Name: "sshd", CommandLine: "sshd: alice [priv]"},
		Cgroup:        &enrich.Cgroup{Line: "0::/system.slice/cron.service", Unit: "cron.service"},
	}
	lr := plog.NewLogRecord()
	EnrichedRecord(ev, recs, time.Unix(0, 0), Options{}, info, lr)
	all := keys(lr.Attributes())
	require.Len(t, all, len(recordKeys)+len(enrichmentKeys))
	assert.Equal(t, recordKeys, all[:len(recordKeys)], "Record's attributes first, as Record puts them")
	// attrCapacity leaves these keys to enrichment.count.
	assert.Equal(t, enrichmentKeys[:], all[len(recordKeys):], "enrichmentKeys are what EnrichedRecord adds, in order")
	assert.LessOrEqual(t, len(all), attrCapacity(ev, Options{})+(*enrichment)(info).count())
	added := pcommon.NewMap()
	for _, k := range all[len(recordKeys):] {
		v, _ := lr.Attributes().Get(k)
		v.CopyTo(added.PutEmpty(k))
	}
	assert.Equal(t, map[string]any{
		"process.linux.cgroup":                                "0::/system.slice/cron.service",
		"audit.kernel.process.systemd_unit":                   "cron.service",
		"process.session_leader.pid":                          int64(42),
		"audit.kernel.process.parent.executable.path":         "/usr/bin/bash",
		"audit.kernel.process.parent.executable.name":         "bash",
		"audit.kernel.process.parent.command_line":            "bash -c make",
		"audit.kernel.process.session_leader.executable.path": "/usr/sbin/sshd",
		"audit.kernel.process.session_leader.executable.name": "sshd",
		"audit.kernel.process.session_leader.command_line":    "sshd: alice [priv]",
		"audit.kernel.process.ancestors": []any{
			map[string]any{"pid": "100", "executable.path": "/usr/bin/bash", "executable.name": "bash"},
			map[string]any{"pid": "1", "executable.name": "systemd", "command_line": "/sbin/init splash"},
		},
	}, added.AsRaw())

	lr = plog.NewLogRecord()
	EnrichedRecord(ev, recs, time.Unix(0, 0), Options{}, &enrich.Info{}, lr)
	assert.Equal(t, plain.Attributes().AsRaw(), lr.Attributes().AsRaw(), "nothing known, nothing added")
}

func keys(m pcommon.Map) []string {
	var keys []string
	for k := range m.All() {
		keys = append(keys, k)
	}
	return keys
}

// Events of two containers and of the host become three resources, each
// with its container's attributes: what k8s_attributes associates by.
func TestContainerResources(t *testing.T) {
	b := NewBatch(4, func(key string, res pcommon.Resource) {
		res.Attributes().PutStr("host.name", "node-1")
		PutContainerResource(key, res.Attributes())
	}, func(pcommon.InstrumentationScope) {})
	pod := &enrich.Cgroup{ContainerID: containerID, PodUID: podUID}
	docker := &enrich.Cgroup{ContainerID: "9b2e7c4d1a0f3e6b8c5d2a9f7e4b1c8d5a2f9e6b3c0d7a4e1b8f5c2d9a6e3b0f"}
	host := &enrich.Cgroup{Unit: "sshd.service"}
	for _, cg := range []*enrich.Cgroup{pod, host, docker, pod, nil} {
		b.Append(ResourceKey(&enrich.Info{Cgroup: cg})).SetEventName("x")
	}
	rls := b.Logs().ResourceLogs()
	var got []map[string]any
	var counts []int
	for i := range rls.Len() {
		got = append(got, rls.At(i).Resource().Attributes().AsRaw())
		counts = append(counts, rls.At(i).ScopeLogs().At(0).LogRecords().Len())
	}
	assert.Equal(t, []map[string]any{
		{"host.name": "node-1", "container.id": containerID, "k8s.pod.uid": podUID},
		{"host.name": "node-1"},
		{"host.name": "node-1", "container.id": docker.ContainerID},
	}, got)
	assert.Equal(t, []int{2, 2, 1}, counts)
}
