package enrich

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const (
	id1 = "3f1bd5e4bc8c1a6d0e7e5a1b5c3e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
	id2 = "9b2e7c4d1a0f3e6b8c5d2a9f7e4b1c8d5a2f9e6b3c0d7a4e1b8f5c2d9a6e3b0f"
	uid = "6ab2c2f5-1b3e-4a9d-9b0e-2f1f4b9d3c11"
	// The same UID as the systemd cgroup driver spells it.
	uidUnderscored = "6ab2c2f5_1b3e_4a9d_9b0e_2f1f4b9d3c11"
	staticPodUID   = "d41d8cd98f00b204e9800998ecf8427e"
)

// Samples of /proc/<pid>/cgroup as each runtime writes them, on cgroup v1,
// v2 and hybrid hosts.
func TestParseCgroup(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want Cgroup
	}{{
		name: "docker, systemd driver, v2",
		text: "0::/system.slice/docker-" + id1 + ".scope\n",
		want: Cgroup{Line: "0::/system.slice/docker-" + id1 + ".scope", ContainerID: id1},
	}, {
		name: "docker, cgroupfs driver, v1",
		text: "12:pids:/docker/" + id1 + "\n11:memory:/docker/" + id1 + "\n4:cpu,cpuacct:/docker/" + id1 + "\n1:name=systemd:/docker/" + id1 + "\n",
		want: Cgroup{Line: "12:pids:/docker/" + id1, ContainerID: id1},
	}, {
		name: "docker, cgroupfs driver, hybrid (v2 line at the root)",
		text: "9:name=systemd:/docker/" + id1 + "\n4:memory:/docker/" + id1 + "\n0::/\n",
		want: Cgroup{Line: "9:name=systemd:/docker/" + id1, ContainerID: id1},
	}, {
		name: "kubernetes, containerd, systemd driver, burstable, v2",
		text: "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidUnderscored + ".slice/cri-containerd-" + id1 + ".scope\n",
		want: Cgroup{Line: "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidUnderscored + ".slice/cri-containerd-" + id1 + ".scope", ContainerID: id1, PodUID: uid},
	}, {
		name: "kubernetes, containerd, systemd driver, guaranteed, v2",
		text: "0::/kubepods.slice/kubepods-pod" + uidUnderscored + ".slice/cri-containerd-" + id1 + ".scope",
		want: Cgroup{Line: "0::/kubepods.slice/kubepods-pod" + uidUnderscored + ".slice/cri-containerd-" + id1 + ".scope", ContainerID: id1, PodUID: uid},
	}, {
		name: "kubernetes, CRI-O, besteffort, v2",
		text: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidUnderscored + ".slice/crio-" + id2 + ".scope\n",
		want: Cgroup{Line: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidUnderscored + ".slice/crio-" + id2 + ".scope", ContainerID: id2, PodUID: uid},
	}, {
		name: "kubernetes, CRI-O conmon is not the container",
		text: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidUnderscored + ".slice/crio-conmon-" + id2 + ".scope\n",
		want: Cgroup{Line: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidUnderscored + ".slice/crio-conmon-" + id2 + ".scope", Unit: "crio-conmon-" + id2 + ".scope"},
	}, {
		name: "kubernetes, docker, cgroupfs driver, burstable, v1",
		text: "11:cpu,cpuacct:/kubepods/burstable/pod" + uid + "/" + id1 + "\n10:memory:/kubepods/burstable/pod" + uid + "/" + id1 + "\n1:name=systemd:/kubepods/burstable/pod" + uid + "/" + id1 + "\n",
		want: Cgroup{Line: "11:cpu,cpuacct:/kubepods/burstable/pod" + uid + "/" + id1, ContainerID: id1, PodUID: uid},
	}, {
		name: "kubernetes, containerd, cgroupfs driver, guaranteed, v2",
		text: "0::/kubepods/pod" + uid + "/" + id2 + "\n",
		want: Cgroup{Line: "0::/kubepods/pod" + uid + "/" + id2, ContainerID: id2, PodUID: uid},
	}, {
		name: "kubernetes static pod (hash UID), v1",
		text: "3:memory:/kubepods/besteffort/pod" + staticPodUID + "/" + id1 + "\n",
		want: Cgroup{Line: "3:memory:/kubepods/besteffort/pod" + staticPodUID + "/" + id1, ContainerID: id1, PodUID: staticPodUID},
	}, {
		name: "podman rootful, v2",
		text: "0::/machine.slice/libpod-" + id2 + ".scope/container\n",
		want: Cgroup{Line: "0::/machine.slice/libpod-" + id2 + ".scope/container", ContainerID: id2},
	}, {
		name: "podman rootless, v2",
		text: "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id2 + ".scope/container\n",
		want: Cgroup{Line: "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id2 + ".scope/container", ContainerID: id2},
	}, {
		name: "podman, v1",
		text: "5:devices:/machine.slice/libpod-" + id2 + ".scope\n1:name=systemd:/machine.slice/libpod-" + id2 + ".scope\n",
		want: Cgroup{Line: "5:devices:/machine.slice/libpod-" + id2 + ".scope", ContainerID: id2},
	}, {
		name: "kind: CRI container nested in a docker container, the inner one wins",
		text: "0::/docker/" + id1 + "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + uidUnderscored + ".slice/cri-containerd-" + id2 + ".scope\n",
		want: Cgroup{Line: "0::/docker/" + id1 + "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + uidUnderscored + ".slice/cri-containerd-" + id2 + ".scope", ContainerID: id2},
	}, {
		name: "systemd service, v2",
		text: "0::/system.slice/sshd.service\n",
		want: Cgroup{Line: "0::/system.slice/sshd.service", Unit: "sshd.service"},
	}, {
		name: "login session scope, v2",
		text: "0::/user.slice/user-1000.slice/session-3.scope\n",
		want: Cgroup{Line: "0::/user.slice/user-1000.slice/session-3.scope", Unit: "session-3.scope"},
	}, {
		name: "user service below user@.service, v2",
		text: "0::/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service\n",
		want: Cgroup{Line: "0::/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service", Unit: "dbus.service"},
	}, {
		name: "systemd service, hybrid: the v2 line names the unit",
		text: "9:name=systemd:/system.slice/cron.service\n4:memory:/system.slice/cron.service\n0::/system.slice/cron.service\n",
		want: Cgroup{Line: "0::/system.slice/cron.service", Unit: "cron.service"},
	}, {
		name: "systemd service, v1 only: the name=systemd line names the unit",
		text: "4:memory:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n",
		want: Cgroup{Line: "1:name=systemd:/system.slice/cron.service", Unit: "cron.service"},
	}, {
		name: "hybrid host without systemd (this test machine's layout)",
		text: "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/53bf6359017c03ca96f235fd79b8ccbb\n1:cpu:/\n0::/\n",
		want: Cgroup{Line: "0::/"},
	}, {
		name: "a 64-hex segment with upper case is not a container id",
		text: "0::/docker/" + strings.ToUpper(id1) + "\n",
		want: Cgroup{Line: "0::/docker/" + strings.ToUpper(id1)},
	}, {
		name: "empty",
		text: "",
		want: Cgroup{},
	}, {
		name: "garbage",
		text: "no colons here\n::\n0:\n",
		want: Cgroup{Line: "::"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ParseCgroup(tc.text))
		})
	}
}
