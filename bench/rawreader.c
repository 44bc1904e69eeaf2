// rawreader: the physical limit. Registers as the audit daemon on a netlink
// audit socket and only reads and counts, until SIGTERM or SIGINT; then
// unregisters and prints "messages=N syscalls=N overruns=N" (syscalls: statfs
// events).
//
// usage: rawreader <receive buffer bytes, 0 = system default>
#include <errno.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
	int rcvbuf = argc > 1 ? atoi(argv[1]) : 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0) { perror("socket"); return 1; }
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
		perror("SO_RCVBUFFORCE"); return 1;
	}
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) { perror("bind"); return 1; }

	// AUDIT_SET: enable auditing and make this process the audit daemon.
	struct {
		struct nlmsghdr nh;
		struct audit_status s;
	} req = {0};
	req.nh.nlmsg_len = sizeof req;
	req.nh.nlmsg_type = AUDIT_SET;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.s.mask = AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID;
	req.s.enabled = 1;
	req.s.pid = getpid();
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		perror("AUDIT_SET"); return 1;
	}

	struct sigaction sa = {.sa_handler = on_signal}; // no SA_RESTART: recv returns EINTR
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);

	static char buf[16384]; // the kernel sends at most 8970 bytes of payload
	long messages = 0, syscalls = 0, overruns = 0;
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			if (errno == ENOBUFS) overruns++;
			else if (errno != EINTR) { perror("recv"); return 1; }
			continue;
		}
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;
		messages++;
		// Only the load generator's statfs(2) calls (auditctl's own calls
		// also come with SYSCALL records).
		if (nh->nlmsg_type == AUDIT_SYSCALL && n < (ssize_t)sizeof buf) {
			buf[n] = 0;
			if (strstr((char *)NLMSG_DATA(nh), " syscall=137 ")) syscalls++;
		}
	}
	// Only the registered daemon may unregister itself.
	req.s.mask = AUDIT_STATUS_PID;
	req.s.pid = 0;
	if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		perror("AUDIT_SET pid 0");
	printf("messages=%ld syscalls=%ld overruns=%ld\n", messages, syscalls, overruns);
	return 0;
}
