#!/usr/bin/env bash
# Prints what failed in a `go test -v` log, compactly: for each failing top-level
# test, the first and the last lines it printed between its "=== RUN" and its
# "--- FAIL" (its first error, and where it ended), then any panic, race or
# timeout report, and last the list of failing tests. CI shows only the tail of
# its output, so this runs last when the tests fail.
#
# Usage: test-failures.sh LOG [LINES]   (LINES from each end of a test's output, default 6)
set -euo pipefail

log="${1:?usage: test-failures.sh LOG [LINES]}"
keep="${2:-6}"
[ -f "$log" ] || { echo "test-failures: no test log at $log" >&2; exit 1; }

echo "==== test failures in $log ===="
# Kernel tests run one at a time, so a top-level test's lines sit between its
# RUN and its result.
awk -v keep="$keep" '
	/^=== RUN   [^\/]+$/ { name = $3; n = 0; next }
	/^--- FAIL: / {
		print "-- " $3 " " $4
		for (i = 0; i < n; i++) {
			if (i == keep && n > 2 * keep) { print "   ..."; i = n - keep }
			print "   " lines[i]
		}
		n = 0; next
	}
	/^--- (PASS|SKIP): / { n = 0; next }
	name != "" { lines[n++] = $0 }
' "$log"
grep -E -m 20 -- '^(panic: |fatal error: |WARNING: DATA RACE)|test timed out' "$log" || true
echo "==== failing tests ===="
grep -E -- '--- FAIL: |^FAIL	' "$log" | sed 's/^ *//' || true
