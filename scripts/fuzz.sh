#!/usr/bin/env bash
# Runs every fuzz target of the receiver (FuzzRecordStream, FuzzConfig), of its
# rule parser (FuzzRules),
# of its parser and coalescer (FuzzParseDifferential, FuzzCoalesceDifferential:
# identity with go-libaudit; FuzzParseLine: auditd log lines; FuzzPooledParse,
# FuzzPooledCoalesce: the same identity after reusing a released record or
# event; FuzzParseInt, FuzzParseHex: the number parsers' fast paths against
# strconv) and of its reassembler (FuzzReassembler) with `go test -fuzz`, one
# after the other, for FUZZTIME each.
#
# Usage: fuzz.sh [FUZZTIME]   (default 10m; `make fuzz-smoke` passes a few seconds)
#
# A crasher makes go test fail and write the input to <package>/testdata/fuzz/<target>/:
# fix the bug and commit that file, it then runs as a regression test in every `go test`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzztime="${1:-10m}"
pkgs="./receiver/auditkernelreceiver ./internal/kernel ./internal/record ./internal/coalesce ./internal/reassembly"
go="${GO:-go}"
cd "$root"

summary=()
for pkg in $pkgs; do
	targets=$("$go" test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	if [ -z "$targets" ]; then
		echo "fuzz: no fuzz targets found in $pkg" >&2
		exit 1
	fi

	for target in $targets; do
		echo "fuzz: $target for $fuzztime"
		corpus="$pkg/testdata/fuzz/$target"
		before=$(ls "$corpus" 2>/dev/null || true)
		log=$(mktemp)
		# No minimization: it stops the worker for every new interesting input,
		# which took most of the time for FuzzRecordStream's multi-kilobyte inputs.
		# -timeout 0: go test's default 10m would end a 10m run as a failure.
		rc=0
		"$go" test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 -timeout 0 "$pkg" 2>&1 | tee "$log" || rc=$?
		execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
		# Before fuzzing, go test runs the whole cached corpus (baseline); a short
		# run on a big local cache may end before it is through.
		baseline=$(grep -oE 'baseline coverage: [0-9]+/[0-9]+' "$log" | tail -n 1 | cut -d' ' -f3 || true)
		if [ "$rc" -ne 0 ]; then
			after=$(ls "$corpus" 2>/dev/null || true)
			# Go before 1.27 may end a run whose -fuzztime expired with a bare
			# "context deadline exceeded" and no input (go.dev/issue/75804): a
			# race in its coordinator, not a crasher.
			if [ "$before" = "$after" ] && grep -q '^    context deadline exceeded$' "$log" && ! grep -q 'Failing input written' "$log"; then
				summary+=("$target: corpus ${baseline:-?} replayed, $execs inputs fuzzed, no crasher (the run ended with Go's fuzztime race, go.dev/issue/75804)")
				rm -f "$log"
				continue
			fi
			echo "fuzz: $target FAILED; the crasher is in $corpus/" >&2
			rm -f "$log"
			exit 1
		fi
		rm -f "$log"
		summary+=("$target: corpus ${baseline:-?} replayed, $execs inputs fuzzed, no crasher")
	done
done
printf 'fuzz: %s\n' "${summary[@]}"
