package enrich

import (
	"strings"
)

// Cgroup is what a process's /proc/<pid>/cgroup tells about where it runs.
// Values are immutable once built; processes in the same cgroup share one.
type Cgroup struct {
	// Line is the line of the cgroup file that the container or unit was
	// taken from, else the cgroup v2 line ("0::/..."), else the first line:
	// semconv's process.linux.cgroup.
	Line string
	// ContainerID is the full 64-hex container id (docker, containerd/CRI,
	// CRI-O, podman), empty when the process is not in a container.
	ContainerID string
	// PodUID is the Kubernetes pod UID (with dashes) when the path carries it.
	PodUID string
	// Unit is the systemd unit (*.service, *.scope) when there is no container.
	Unit string
}

// ParseCgroup reads the text of /proc/<pid>/cgroup: lines of
// "hierarchy-id:controllers:path", one per v1 hierarchy and "0::path" for
// v2, both in hybrid mode. Every line is searched for a container (they
// agree where a runtime placed the process; the first found wins); the unit
// comes from the v2 line, else the name=systemd v1 line, which is where
// systemd names units.
func ParseCgroup(text string) Cgroup {
	var cg Cgroup
	var v2, systemd, first string
	for text != "" {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		line = strings.TrimSpace(line)
		_, afterID, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		controllers, path, ok := strings.Cut(afterID, ":")
		if !ok {
			continue
		}
		if first == "" {
			first = line
		}
		switch {
		case strings.HasPrefix(line, "0::"):
			v2 = line
		case controllers == "name=systemd":
			systemd = line
		}
		if cg.ContainerID == "" {
			if id, pod := containerInPath(path); id != "" {
				cg.ContainerID, cg.PodUID, cg.Line = id, pod, line
			}
		}
	}
	if cg.ContainerID != "" {
		return cg
	}
	for _, line := range [...]string{v2, systemd} {
		if line == "" {
			continue
		}
		_, path, _ := strings.Cut(line[strings.IndexByte(line, ':')+1:], ":")
		if unit := unitInPath(path); unit != "" {
			cg.Unit, cg.Line = unit, line
			return cg
		}
	}
	switch {
	case v2 != "":
		cg.Line = v2
	case systemd != "":
		cg.Line = systemd
	default:
		cg.Line = first
	}
	return cg
}

// containerScopePrefixes are the systemd scope names runtimes give a
// container: <prefix><64 hex>.scope. A conmon (CRI-O, podman monitor)
// scope holds the monitor, not the container, and is not among them.
var containerScopePrefixes = [...]string{
	"docker-",         // docker with the systemd cgroup driver
	"cri-containerd-", // containerd's CRI plugin
	"crio-",           // CRI-O
	"libpod-",         // podman
	"containerd-",     // containerd without CRI (nerdctl)
}

// containerInPath returns the innermost container id of a cgroup path and
// the pod UID of the path, if any. The innermost: a container nested in
// another (docker in docker) is the one the process runs in. Runtimes name
// the container's cgroup either as a systemd scope (docker-<id>.scope,
// cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope) or, with
// the cgroupfs driver, as the bare id (/docker/<id>,
// /kubepods/burstable/pod<uid>/<id>).
func containerInPath(path string) (id, pod string) {
	for path != "" {
		var seg string
		path, seg = cutLastSegment(path)
		if id == "" {
			id = containerInSegment(seg)
			continue
		}
		if pod = podInSegment(seg); pod != "" {
			return id, pod
		}
	}
	return id, ""
}

func containerInSegment(seg string) string {
	if isHex64(seg) {
		return seg
	}
	name, ok := strings.CutSuffix(seg, ".scope")
	if !ok {
		return ""
	}
	for _, p := range containerScopePrefixes {
		if id, ok := strings.CutPrefix(name, p); ok && isHex64(id) {
			return id
		}
	}
	return ""
}

// podInSegment returns the pod UID of a kubelet pod cgroup: pod<uid> with
// the cgroupfs driver, kubepods[-<qos>]-pod<uid with _ for ->.slice with
// the systemd driver. A UID is a UUID (36 characters) or, for a static pod,
// 32 hex digits.
func podInSegment(seg string) string {
	var uid string
	switch {
	case strings.HasPrefix(seg, "pod"):
		uid = seg[len("pod"):]
	case strings.HasPrefix(seg, "kubepods-") && strings.HasSuffix(seg, ".slice"):
		name := seg[:len(seg)-len(".slice")]
		i := strings.LastIndex(name, "-pod")
		if i < 0 {
			return ""
		}
		uid = strings.ReplaceAll(name[i+len("-pod"):], "_", "-")
	default:
		return ""
	}
	if (len(uid) == 36 || len(uid) == 32) && isUIDChars(uid) {
		return uid
	}
	return ""
}

// unitInPath returns the innermost systemd unit of a cgroup path: its last
// segment that names a service or scope (a process of a service's
// sub-cgroup, e.g. user@1000.service/app.slice/x.service, runs in x).
func unitInPath(path string) string {
	for path != "" {
		var seg string
		path, seg = cutLastSegment(path)
		if strings.HasSuffix(seg, ".service") || strings.HasSuffix(seg, ".scope") {
			return seg
		}
	}
	return ""
}

// cutLastSegment splits a path before its last segment.
func cutLastSegment(path string) (rest, seg string) {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i], path[i+1:]
	}
	return "", path
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isUIDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}
