// loadgen: makes audited statfs(2) calls on a marker path at a target rate,
// so that a rule selecting only this process (-F pid=<its pid>) yields one
// SYSCALL+CWD+PATH+PROCTITLE+EOE event per call.
//
// usage: loadgen <rate per second, 0 = as fast as possible> <seconds> <marker path>
// It prints its PID, waits for a line on stdin (the rule is installed by
// then), runs, and prints "generated=N seconds=S rate=R".
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: %s <rate, 0 = max> <seconds> <marker path>\n", argv[0]);
		return 2;
	}
	double rate = atof(argv[1]), seconds = atof(argv[2]);
	const char *marker = argv[3];
	printf("%d\n", getpid());
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		return 1;

	struct statfs st;
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
			syscall(SYS_statfs, marker, &st);
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
