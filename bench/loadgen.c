// loadgen: makes audited statfs(2) calls on a marker path at a target rate,
// so that a rule selecting only this process (-F pid=<its pid>) yields one
// SYSCALL+CWD+PATH+PROCTITLE+EOE event per call.
//
// usage: loadgen <rate per second, 0 = as fast as possible> <seconds> <marker path> [fork]
// It prints its PID, waits for a line on stdin (the rule is installed by
// then), runs, and prints "generated=N seconds=S rate=R".
//
// With "fork", every call is made by a new process that exits right after
// (vfork, statfs, _exit): a fork/exec storm in which every event comes from
// a different short-lived process; a rule selects them with -F ppid=<pid>.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *marker;
static struct statfs st;

// call makes one audited statfs, in this process or in a child made for it.
static void call(int forked) {
	if (!forked) {
		syscall(SYS_statfs, marker, &st);
		return;
	}
	// vfork: the parent waits until the child has exited, and no page table
	// is copied, so the rate is bounded by the kernel's process creation.
	pid_t pid = vfork();
	if (pid == 0) {
		syscall(SYS_statfs, marker, &st);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
	if (argc != 4 && !(argc == 5 && strcmp(argv[4], "fork") == 0)) {
		fprintf(stderr, "usage: %s <rate, 0 = max> <seconds> <marker path> [fork]\n", argv[0]);
		return 2;
	}
	double rate = atof(argv[1]), seconds = atof(argv[2]);
	int forked = argc == 5;
	marker = argv[3];
	printf("%d\n", getpid());
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		return 1;

	long n = 0;
	double start = now(), end = start + seconds, t = start;
	while (t < end) {
		// Read the clock every 256 calls at most: often enough to stop on
		// time when calls block in the kernel's backlog wait, rarely enough
		// to cost nothing.
		long due = rate > 0 ? (long)((t - start) * rate) + 1 : n + 256;
		if (due > n + 256)
			due = n + 256;
		while (n < due) {
			call(forked);
			n++;
		}
		t = now();
		if (rate > 0) {
			double ahead = (double)n / rate - (t - start);
			if (ahead > 0.0005) {
				struct timespec ts = {0, (long)(ahead * 1e9)};
				nanosleep(&ts, NULL);
				t = now();
			}
		}
	}
	double elapsed = now() - start;
	printf("generated=%ld seconds=%.3f rate=%.0f\n", n, elapsed, n / elapsed);
	return 0;
}
