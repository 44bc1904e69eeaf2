#!/usr/bin/env bash
# Checks a `go test -v` log for the kernel tests (TestKernel...) and the distro tests
# (TestDistro...; with TestKernel... in e2e/, they run the built otelcol-auditkernel named
# by OTELCOL_AUDITKERNEL). They call t.Skip when they cannot reach the kernel audit
# subsystem or have no distro; a run where any of them was skipped, or no kernel test
# ran at all, did not test the receiver against the kernel.
#
# Usage: check-kernel-tests.sh [--strict] LOG
#   --strict (or CI=true): fail; otherwise only warn.
set -euo pipefail

strict=""
if [ "${CI:-}" = "true" ]; then strict=1; fi
if [ "${1:-}" = "--strict" ]; then strict=1; shift; fi
log="${1:?usage: check-kernel-tests.sh [--strict] LOG}"

if [ ! -f "$log" ]; then
	echo "check-kernel-tests: no test log at $log" >&2
	exit 1
fi

# Top-level and subtest results both appear as "--- RESULT: Name (time)".
passed=$(grep -cE -- '--- PASS: TestKernel' "$log" || true)
failed=$(grep -cE -- '--- FAIL: TestKernel' "$log" || true)
skipped=$(grep -cE -- '--- SKIP: Test(Kernel|Distro)' "$log" || true)

echo "check-kernel-tests: TestKernel* results (incl. subtests): passed=${passed} failed=${failed}; TestKernel*/TestDistro* skipped=${skipped}"

problem=""
if [ "$skipped" -gt 0 ]; then
	echo "check-kernel-tests: kernel or distro tests were SKIPPED:" >&2
	grep -E -A2 -- '--- SKIP: Test(Kernel|Distro)' "$log" | sed 's/^/    /' >&2 || true
	problem=1
fi
if [ $((passed + failed)) -eq 0 ]; then
	echo "check-kernel-tests: no TestKernel test ran at all" >&2
	problem=1
fi

if [ -n "$problem" ]; then
	if [ -n "$strict" ]; then
		echo "check-kernel-tests: FAIL (kernel tests must run in CI: run as root with CAP_AUDIT_CONTROL in the initial network namespace, and no auditd daemon running)" >&2
		exit 1
	fi
	echo "check-kernel-tests: WARNING: the receiver was not fully tested against the kernel (this fails when CI=true)" >&2
fi
exit 0
