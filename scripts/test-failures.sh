#!/usr/bin/env bash
# Prints what failed in a `go test -v` log, compactly: for each failing top-level
# test, the last lines it printed between its "=== RUN" and its "--- FAIL", then
# any panic, race or timeout report, and last the list of failing tests. CI shows
# only the tail of its output, so this runs last when the tests fail.
#
# Usage: test-failures.sh LOG [LINES_PER_TEST]
set -euo pipefail

log="${1:?usage: test-failures.sh LOG [LINES_PER_TEST]}"
keep="${2:-12}"
[ -f "$log" ] || { echo "test-failures: no test log at $log" >&2; exit 1; }

echo "==== test failures in $log ===="
# Kernel tests run one at a time, so a top-level test's lines sit between its RUN
# and its result; keep a ring of the last $keep of them and print it on FAIL.
awk -v keep="$keep" '
	/^=== RUN   [^\/]+$/ { name = $3; n = 0; next }
	/^--- FAIL: / {
		print "-- " $3 " " $4
		start = (n > keep) ? n - keep : 0
		for (i = start; i < n; i++) print "   " ring[i % keep]
		n = 0; next
	}
	/^--- (PASS|SKIP): / { n = 0; next }
	name != "" { ring[n % keep] = $0; n++ }
' "$log"
grep -E -m 20 -- '^(panic: |fatal error: |WARNING: DATA RACE)|test timed out' "$log" || true
echo "==== failing tests ===="
grep -E -- '--- FAIL: |^FAIL	' "$log" | sed 's/^ *//' || true
