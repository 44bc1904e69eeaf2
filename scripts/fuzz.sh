#!/usr/bin/env bash
# Runs every fuzz target of the receiver (FuzzRecordStream, FuzzRules, FuzzConfig)
# with `go test -fuzz`, one after the other, for FUZZTIME each.
#
# Usage: fuzz.sh [FUZZTIME]   (default 10m; `make fuzz-smoke` passes a few seconds)
#
# A crasher makes go test fail and write the input to
# receiver/auditkernelreceiver/testdata/fuzz/<target>/: fix the bug and commit that
# file, it then runs as a regression test in every `go test`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzztime="${1:-10m}"
pkg=./receiver/auditkernelreceiver
go="${GO:-go}"
cd "$root"

targets=$("$go" test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz targets found in $pkg" >&2
	exit 1
fi

summary=()
for target in $targets; do
	echo "fuzz: $target for $fuzztime"
	log=$(mktemp)
	# No minimization: it stops the worker for every new interesting input,
	# which took most of the time for FuzzRecordStream's multi-kilobyte inputs.
	if ! "$go" test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 "$pkg" 2>&1 | tee "$log"; then
		echo "fuzz: $target FAILED; the crasher is in $pkg/testdata/fuzz/$target/" >&2
		rm -f "$log"
		exit 1
	fi
	execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
	rm -f "$log"
	summary+=("$target: $execs inputs, no crasher")
done
printf 'fuzz: %s\n' "${summary[@]}"
