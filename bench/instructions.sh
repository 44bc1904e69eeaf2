#!/usr/bin/env bash
# Instructions per event of a stage benchmark, counted by valgrind's callgrind:
# the figures of bench/RESULTS.md that say "callgrind". Wall time on a shared
# 2-vCPU host moves by ±5-50% from run to run; instruction counts do not.
#
# The benchmark runs twice, for N1 and N2 iterations, in one P (-test.cpu 1),
# built with the profile the distribution is built with. The difference of the
# two counts, divided by N2 - N1 and by the events per iteration, leaves the
# setup out. With GOGC=off (the default here) the count is deterministic to a
# few hundred instructions per event; with the GC on, it depends on where the
# cycles fall (±5%): take the median of a few runs.
#
#   BENCH      [UserspacePath/enrich=on$]  the -test.bench pattern (one benchmark)
#   GOGC       [off]
#   ITERATIONS ["5 45", or "20 100" with the GC on]
#   PGO        [pgo/auditkernel.pprof]     "off" builds without a profile
#   BY_OWNER   [0]                         1: also the self cost summed by owner
#
# Run it through `make bench-instructions`, which sets the Go release that the
# distribution is built with. Installs valgrind from Debian when it is missing
# (root).
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C # sort and join must agree on the order

BENCH=${BENCH:-'UserspacePath/enrich=on$'}
GOGC=${GOGC:-off}
if [ "$GOGC" = off ]; then
	ITERATIONS=${ITERATIONS:-5 45}
else
	ITERATIONS=${ITERATIONS:-20 100}
fi
read -r N1 N2 <<<"$ITERATIONS"
PGO=${PGO:-pgo/auditkernel.pprof}
BY_OWNER=${BY_OWNER:-0}
go="${GO:-go}"

if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "instructions: valgrind is missing; run as root (or: sudo apt-get install -y valgrind)" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind >/dev/null; }
fi

WORK=$(mktemp -d /tmp/auditkernel-instructions.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
pgo=$PGO
if [ "$PGO" != off ]; then pgo=$(realpath "$PGO"); fi
"$go" test -c -pgo="$pgo" -o "$WORK/stages.test" ./receiver/auditkernelreceiver

# The benchmarks read their recorded streams relative to the package. No
# asynchronous preemption: its signals would make runs differ. No RDTSCP,
# which valgrind does not know: the runtime's spinning locks read the clock
# with it, and the run dies of SIGILL when one spins.
cd receiver/auditkernelreceiver
for n in "$N1" "$N2"; do
	GOGC=$GOGC GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$n" \
		"$WORK/stages.test" -test.run '^$' -test.bench "$BENCH" -test.cpu 1 -test.benchtime "${n}x" \
		>"$WORK/out.$n" 2>"$WORK/valgrind.$n" || {
		echo "instructions: the benchmark failed under valgrind ($n iterations):" >&2
		grep -v '^==' "$WORK/valgrind.$n" | head -n 20 >&2
		exit 1
	}
done

# The events of one iteration: the benchmark reports both ns/op and ns/event.
events=$(awk '/^Benchmark/ { for (i = 2; i < NF; i++) { if ($(i+1) == "ns/op") op = $i; if ($(i+1) == "ns/event") ev = $i } }
	END { if (op == "" || ev == "" || ev == 0) exit 1; printf "%.0f", op / ev }' "$WORK/out.$N2") || {
	echo "instructions: $BENCH reported no ns/event (is the pattern one of the per-event benchmarks?)" >&2
	cat "$WORK/out.$N2" >&2
	exit 1
}
total() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
ir1=$(total "$WORK/cg.$N1")
ir2=$(total "$WORK/cg.$N2")
echo "$BENCH, $("$go" env GOVERSION), GOGC=$GOGC, PGO=$PGO, iterations $N1 and $N2 of $events events:"
awk -v a="$ir1" -v b="$ir2" -v n="$((N2 - N1))" -v e="$events" \
	'BEGIN { printf "%.0f instructions per event\n", (b - a) / n / e }'

[ "$BY_OWNER" = 1 ] || exit 0

# Self cost of every function, per event, summed by who owns the code.
# "runtime: allocation" is mallocgc and what it calls for every caller;
# "runtime: GC" is marking, sweeping and the write barriers.
self() {
	callgrind_annotate --threshold=100 --inclusive=no "$1" 2>/dev/null |
		grep -E '^ *[0-9,]+ +(\([ 0-9.]+%\) +)?[^ ]+\.(go|s):' | grep -v '=>' |
		sed -E 's/,//g; s/ \([ 0-9.]+%\)//' | awk '{ c = $1; $1 = ""; print c "\t" $0 }' | sort -t $'\t' -k2
}
self "$WORK/cg.$N1" >"$WORK/self.$N1"
self "$WORK/cg.$N2" >"$WORK/self.$N2"
join -t $'\t' -1 2 -2 2 -a 2 -e 0 -o 0,1.1,2.1 "$WORK/self.$N1" "$WORK/self.$N2" |
	awk -F '\t' -v n="$((N2 - N1))" -v e="$events" '
	{
		d = ($3 - $2) / n / e; f = $1; g = "other"
		if (f ~ /pdata\/xpdata/) g = "pdata: xpdata.MapBuilder"
		else if (f ~ /collector\/pdata/) g = "pdata"
		else if (f ~ /runtime\/(mgc|mwbbuf|mbarrier)/ || f ~ /gcWriteBarrier|bulkBarrier|tryDefer|scanObject|scanobject|greyobject|findObject|markBits|gcDrain|spanSet|sweep|typePointers|wbBuf|gcmarknewobject|gcAssist|deductAssist/) g = "runtime: GC (mark, sweep, barriers)"
		else if (f ~ /runtime\/(malloc|mcache|mcentral|mheap|mbitmap|msize|memclr|mfixalloc|mpagealloc|mpallocbits|arena)/ || f ~ /mallocgc|newobject|nextFreeFast|makeslice|growslice|rawstring|slicebytetostring/) g = "runtime: allocation"
		else if (f ~ /internal\/record\//) g = "own: record (header, fields, interpretation)"
		else if (f ~ /internal\/coalesce\//) g = "own: coalesce and id resolution"
		else if (f ~ /internal\/translate\//) g = "own: translate"
		else if (f ~ /internal\/(reassembly|enrich)\//) g = "own: reassembly, enrichment"
		else if (f ~ /receiver\/auditkernelreceiver\//) g = "own: receiver pipeline"
		else if (f ~ /unicode\/utf8|strconv|bytealg|strings\/|memmove|memequal|memeqbody|indexbyte|countbody|cmpbody/) g = "Go library: UTF-8, integers, memmove, compares"
		else if (f ~ /runtime\//) g = "runtime: scheduler, channels, timers, the rest"
		s[g] += d; t += d
	}
	END {
		for (g in s) if (s[g] >= 0.5 || s[g] <= -0.5) printf "%9.0f %6.1f%%  %s\n", s[g], 100 * s[g] / t, g
		printf "%9.0f         total\n", t
	}' | sort -rn
