//go:build linux

// Package kubernetes checks the DaemonSet and ConfigMap in this directory: the
// settings the audit socket needs, least privilege, resources, and that the
// collector configuration is valid for the distro and gets every variable it
// reads from the DaemonSet.
package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// object is one decoded manifest; get walks it by keys and list indexes.
type object = map[string]any

func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// manifests decodes every document of every YAML file here, by kind.
func manifests(t *testing.T) map[string][]object {
	t.Helper()
	return manifestsIn(t, ".")
}

// manifestsIn decodes every document of every YAML file in dir, by kind.
func manifestsIn(t *testing.T, dir string) map[string][]object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	byKind := map[string][]object{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, f)
			kind, _ := doc["kind"].(string)
			require.NotEmpty(t, kind, "%s: a document without kind", f)
			byKind[kind] = append(byKind[kind], doc)
		}
	}
	return byKind
}

func only(t *testing.T, m map[string][]object, kind string) object {
	t.Helper()
	require.Len(t, m[kind], 1, kind)
	return m[kind][0]
}

func TestDaemonSetSettings(t *testing.T) {
	m := manifests(t)
	ds := only(t, m, "DaemonSet")
	pod := get(ds, "spec", "template", "spec")
	assert.Equal(t, true, get(pod, "hostNetwork"), "the audit socket exists only in the initial network namespace")
	assert.Equal(t, true, get(pod, "hostPID"), "the kernel takes audit configuration only from the initial PID namespace")
	assert.Equal(t, "ClusterFirstWithHostNet", get(pod, "dnsPolicy"), "cluster DNS for the OTLP endpoint with hostNetwork")

	containers, _ := get(pod, "containers").([]any)
	require.Len(t, containers, 1)
	c := containers[0]
	sc := get(c, "securityContext")
	assert.Equal(t, []any{"ALL"}, get(sc, "capabilities", "drop"))
	assert.Equal(t, []any{"AUDIT_CONTROL", "AUDIT_READ"}, get(sc, "capabilities", "add"))
	assert.Equal(t, true, get(sc, "readOnlyRootFilesystem"))
	assert.Equal(t, false, get(sc, "allowPrivilegeEscalation"))
	assert.NotEqual(t, true, get(sc, "privileged"))
	assert.Equal(t, "RuntimeDefault", get(sc, "seccompProfile", "type"))

	for _, res := range []string{"cpu", "memory"} {
		assert.NotNil(t, get(c, "resources", "requests", res), "requests.%s", res)
		assert.NotNil(t, get(c, "resources", "limits", res), "limits.%s", res)
	}
	request := mebibytes(t, get(c, "resources", "requests", "memory"))
	limit := mebibytes(t, get(c, "resources", "limits", "memory"))
	assert.Less(t, request, limit)
	// GOMEMLIMIT below the container limit, so that the GC acts before the OOM killer.
	goMemLimit := mebibytes(t, envValue(t, c, "GOMEMLIMIT"))
	assert.Less(t, goMemLimit, limit)
	assert.Greater(t, goMemLimit, request)
	// The GC setting the distribution ships (bench/RESULTS.md), as the systemd unit.
	assert.Equal(t, "400", envValue(t, c, "GOGC"))
}

// TestConfigMapWiring checks that the DaemonSet mounts the ConfigMap where
// --config points, and that every watched path lies under a host mount.
func TestConfigMapWiring(t *testing.T) {
	m := manifests(t)
	ds, cm := only(t, m, "DaemonSet"), only(t, m, "ConfigMap")
	pod := get(ds, "spec", "template", "spec")
	c := get(pod, "containers", 0)

	volumes := map[string]any{}
	for _, v := range get(pod, "volumes").([]any) {
		volumes[get(v, "name").(string)] = v
	}
	hostMounts := []string{}
	configDir := ""
	for _, vm := range get(c, "volumeMounts").([]any) {
		v := volumes[get(vm, "name").(string)]
		require.NotNil(t, v, "volumeMount %v has no volume", get(vm, "name"))
		assert.Equal(t, true, get(vm, "readOnly"), "every mount is read-only: %v", get(vm, "mountPath"))
		if get(v, "configMap", "name") == get(cm, "metadata", "name") {
			configDir = get(vm, "mountPath").(string)
		}
		if get(v, "hostPath") != nil && get(vm, "subPath") == nil {
			hostMounts = append(hostMounts, get(vm, "mountPath").(string))
		}
	}
	require.NotEmpty(t, configDir, "the ConfigMap is mounted")
	args := get(c, "args").([]any)
	assert.Contains(t, args, "--config="+configDir+"/config.yaml")
	require.Contains(t, get(cm, "data"), "config.yaml")

	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(get(cm, "data", "config.yaml").(string)), &cfg))
	rules, _ := get(cfg, "receivers", "auditkernel", "audit_rules").(string)
	watches := regexp.MustCompile(`(?m)^\s*-w\s+(\S+)`).FindAllStringSubmatch(rules, -1)
	require.NotEmpty(t, watches, "the rule set watches files")
	for _, w := range watches {
		under := false
		for _, mnt := range hostMounts {
			under = under || strings.HasPrefix(w[1], mnt+"/")
		}
		assert.True(t, under, "watch %s is not under a host mount %v: it would watch the container's file", w[1], hostMounts)
	}
}

// TestEnrichReadsHostProc checks that enrich.proc_path is the node's /proc,
// mounted from the host, in a pod that shares the host's PID namespace (the
// pids in audit events are host pids).
func TestEnrichReadsHostProc(t *testing.T) {
	m := manifests(t)
	ds, cm := only(t, m, "DaemonSet"), only(t, m, "ConfigMap")
	pod := get(ds, "spec", "template", "spec")
	require.Equal(t, true, get(pod, "hostPID"))
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(get(cm, "data", "config.yaml").(string)), &cfg))
	procPath, _ := get(cfg, "receivers", "auditkernel", "enrich", "proc_path").(string)
	require.NotEmpty(t, procPath, "the ConfigMap sets enrich.proc_path")

	hostPaths := map[string]any{}
	for _, v := range get(pod, "volumes").([]any) {
		hostPaths[get(v, "name").(string)] = get(v, "hostPath", "path")
	}
	found := false
	for _, vm := range get(pod, "containers", 0, "volumeMounts").([]any) {
		if get(vm, "mountPath") == procPath {
			found = true
			assert.Equal(t, "/proc", hostPaths[get(vm, "name").(string)], "%s is the host's /proc", procPath)
			assert.Nil(t, get(vm, "subPath"))
		}
	}
	assert.True(t, found, "enrich.proc_path %s is not mounted", procPath)
}

// TestGatewayAssociatesByContainerID checks the gateway example: its
// k8s_attributes processor associates pods by the container.id resource
// attribute (what the receiver sets), it may read pods and namespaces, and
// it listens where the DaemonSet exports to. No distribution here has
// k8s_attributes, so its configuration is checked by structure only.
func TestGatewayAssociatesByContainerID(t *testing.T) {
	m := manifestsIn(t, "gateway")
	cm, deploy, svc := only(t, m, "ConfigMap"), only(t, m, "Deployment"), only(t, m, "Service")
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(get(cm, "data", "config.yaml").(string)), &cfg))
	proc := get(cfg, "processors", "k8s_attributes")
	require.NotNil(t, proc, "the gateway configures k8s_attributes")
	assert.Equal(t, map[string]any{"from": "resource_attribute", "name": "container.id"}, get(proc, "pod_association", 0, "sources", 0))
	metadata, _ := get(proc, "extract", "metadata").([]any)
	assert.Contains(t, metadata, "container.image.name", "container.id association needs a container attribute extracted")
	assert.Contains(t, metadata, "k8s.pod.name")
	assert.Equal(t, "k8s_attributes", get(cfg, "service", "pipelines", "logs", "processors", 0), "before batch")

	// RBAC: the Deployment's service account may get, watch and list pods and namespaces.
	account := get(deploy, "spec", "template", "spec", "serviceAccountName")
	binding := only(t, m, "ClusterRoleBinding")
	assert.Equal(t, account, get(binding, "subjects", 0, "name"))
	role := only(t, m, "ClusterRole")
	assert.Equal(t, get(role, "metadata", "name"), get(binding, "roleRef", "name"))
	assert.Equal(t, []any{"pods", "namespaces"}, get(role, "rules", 0, "resources"))
	assert.ElementsMatch(t, []any{"get", "watch", "list"}, get(role, "rules", 0, "verbs"))

	// The DaemonSet's OTLP_ENDPOINT names this Service.
	ds := only(t, manifests(t), "DaemonSet")
	endpoint := envValue(t, get(ds, "spec", "template", "spec", "containers", 0), "OTLP_ENDPOINT")
	assert.Equal(t, get(svc, "metadata", "name").(string)+"."+get(svc, "metadata", "namespace").(string)+".svc.cluster.local:"+
		strconv.Itoa(get(svc, "spec", "ports", 0, "port").(int)), endpoint)
}

// TestDistroKubernetesConfigValidates runs `otelcol-auditkernel validate` on
// the ConfigMap's config with the DaemonSet's environment: a variable the
// config reads but the DaemonSet does not set fails here.
func TestDistroKubernetesConfigValidates(t *testing.T) {
	distro := os.Getenv("OTELCOL_AUDITKERNEL")
	if distro == "" {
		t.Skip("distro test skipped: OTELCOL_AUDITKERNEL is not set (make test builds the distro and sets it)")
	}
	m := manifests(t)
	ds, cm := only(t, m, "DaemonSet"), only(t, m, "ConfigMap")
	c := get(ds, "spec", "template", "spec", "containers", 0)
	config := get(cm, "data", "config.yaml").(string)

	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, e := range get(c, "env").([]any) {
		value, _ := get(e, "value").(string)
		if get(e, "valueFrom") != nil {
			value = "127.0.0.1" // status.podIP, set by the kubelet
		}
		env = append(env, get(e, "name").(string)+"="+value)
	}
	for _, ref := range regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(config, -1) {
		assert.NotEmpty(t, envValue(t, c, ref[1]), "the config reads ${env:%s}; the DaemonSet must set it", ref[1])
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	cmd := exec.Command(distro, "validate", "--config", path)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "validate: %s", out)
}

// envValue returns the container's env entry name: its value, or "valueFrom".
func envValue(t *testing.T, container any, name string) string {
	t.Helper()
	for _, e := range get(container, "env").([]any) {
		if get(e, "name") == name {
			if get(e, "valueFrom") != nil {
				return "valueFrom"
			}
			v, _ := get(e, "value").(string)
			return v
		}
	}
	return ""
}

// mebibytes reads a Kubernetes or Go memory quantity in Mi/MiB or Gi/GiB.
func mebibytes(t *testing.T, q any) float64 {
	t.Helper()
	s, _ := q.(string)
	for suffix, factor := range map[string]float64{"Mi": 1, "MiB": 1, "Gi": 1024, "GiB": 1024} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			if v, err := strconv.ParseFloat(n, 64); err == nil {
				return v * factor
			}
		}
	}
	require.Failf(t, "not a quantity in Mi or Gi", "%v", q)
	return 0
}
