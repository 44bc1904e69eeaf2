#!/usr/bin/env bash
# End-to-end load benchmark: the same audited load against three receivers,
# side by side: rawreader (reads and counts only: the physical limit), Debian's
# auditd (writing a RAW log to a temporary directory) and our distribution
# (_build/otelcol-auditkernel, debug exporter at verbosity basic).
#
# For every receiver x backlog_wait_time x socket buffer x rate, loadgen makes
# audited statfs(2) calls for SECONDS seconds; one rule selects only its calls
# (-F pid=<loadgen pid>), one event (SYSCALL CWD PATH PROCTITLE EOE) per call.
# Prints a markdown table row per point. CPU is the receiver's utime+stime
# from /proc/<pid>/stat from the start of the load until delivery stops;
# "load avg" is the host's 1-minute load average at the end of the point
# (other work on the host skews every figure).
#
# Environment (defaults in brackets):
#   READERS  [raw auditd otelcol]   RATES [5000 10000 20000 50000 0]  (0 = max)
#            (otelcol_off: our distribution with enrichment off, for A/B;
#            otelcol_pooling: with pdata's pdata.useProtoPooling gate on)
#   TABLE_MAX_ENTRIES: when set, our distribution's enrich.table_max_entries
#   LOAD     [same]: same = every call from loadgen itself; fork = every call
#            from a new short-lived child of loadgen (a fork/exec storm, each
#            event from a different process; the rule selects -F ppid=)
#   BWTS     [0 15000]              BUFFERS [0]  (socket receive buffer, 0 = system default)
#   SECONDS_PER_POINT [5]           OTELCOL [_build/otelcol-auditkernel]
#   WARMUP_SECONDS [0]: the same load for that long before each point, not
#                  measured (the receiver's heap reaches its steady size).
#   STORM_MINUTES: when set, runs only otelcol at RATES' first value for that
#                  long and samples its RSS every 10 s instead of the matrix.
#   PERF_DIR:      when set, `perf record -g` samples the receiver during each
#                  point's load into PERF_DIR/<receiver>-<rate>-<bwt>.data (give
#                  OTELCOL an unstripped build, e.g. `go -C _build build -o X .`).
#
# Needs root. Holds /tmp/auditkernel-kernel-tests.lock for the whole run and
# restores the kernel's audit state (rules, enabled, failure, backlog_limit,
# backlog_wait_time, rate_limit, audit PID) on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
READERS=${READERS:-raw auditd otelcol}
RATES=${RATES:-5000 10000 20000 50000 0}
BWTS=${BWTS:-0 15000}
BUFFERS=${BUFFERS:-0}
SECONDS_PER_POINT=${SECONDS_PER_POINT:-5}
OTELCOL=${OTELCOL:-_build/otelcol-auditkernel}
LOAD=${LOAD:-same}
case $LOAD in
same) LOAD_ARG= RULE_FIELD=pid ;;
fork) LOAD_ARG=fork RULE_FIELD=ppid ;;
*)
	echo "LOAD=$LOAD: use same or fork" >&2
	exit 2
	;;
esac
BACKLOG_LIMIT=8192
METRICS_PORT=18888

exec 9>/tmp/auditkernel-kernel-tests.lock
flock 9

WORK=$(mktemp -d /tmp/auditkernel-bench.XXXXXX)
# Until the kernel's state is saved (restore, below), there is only WORK to remove.
trap 'rm -rf "$WORK"' EXIT
gcc -O2 -Wall -o "$WORK/loadgen" bench/loadgen.c
gcc -O2 -Wall -o "$WORK/rawreader" bench/rawreader.c
MARKER=$WORK/marker
touch "$MARKER"

status() { auditctl -s | awk -v k="$1" '$1 == k { print $2 }'; }

# --- save and restore the kernel's audit state -------------------------------
SAVED_ENABLED=$(status enabled)
SAVED_FAILURE=$(status failure)
SAVED_BACKLOG=$(status backlog_limit)
SAVED_WAIT=$(status backlog_wait_time)
SAVED_RATE=$(status rate_limit)
SAVED_PID=$(status pid)
auditctl -l | grep -v '^No rules$' > "$WORK/saved.rules" || true
if [ "$SAVED_ENABLED" = 2 ]; then
	echo "the audit configuration is locked (enabled 2); nothing can be measured" >&2
	exit 1
fi
if [ "$SAVED_PID" != 0 ]; then
	echo "audit PID $SAVED_PID holds the unicast socket; stop it first" >&2
	exit 1
fi

CHILDREN=() # processes started and not yet reaped
reap() {     # reap <pid>: wait for it and forget it
	wait "$1" || true
	local keep=() pid
	for pid in "${CHILDREN[@]}"; do
		if [ "$pid" != "$1" ]; then keep+=("$pid"); fi
	done
	CHILDREN=("${keep[@]}")
}
restore() {
	local pid
	for pid in "${CHILDREN[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${CHILDREN[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	auditctl -D >/dev/null
	if [ -s "$WORK/saved.rules" ]; then
		auditctl -R "$WORK/saved.rules" >/dev/null
	fi
	auditctl -f "$SAVED_FAILURE" -b "$SAVED_BACKLOG" -r "$SAVED_RATE" --backlog_wait_time "$SAVED_WAIT" >/dev/null
	auditctl -e "$SAVED_ENABLED" >/dev/null
	if [ "$(status pid)" != "$SAVED_PID" ]; then
		echo "warning: audit pid is $(status pid), was $SAVED_PID" >&2
	fi
	rm -rf "$WORK"
}
trap restore EXIT
trap 'exit 130' INT TERM

# --- per-process figures from /proc -------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
minor_faults() { awk '{ print $10 }' "/proc/$1/stat"; }
# Context switches of all the receiver's threads: each is a wake-up or a
# preemption, which costs far more than the work around it in a VM.
context_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'; }
peak_rss_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

wait_for() { # wait_for <tries of 0.1 s> <command...>
	local tries=$1
	shift
	until "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ]; then return 1; fi
		sleep 0.1
	done
}
audit_pid_is() { [ "$(status pid)" = "$1" ]; }

# --- receivers: start_<r> sets RECV_PID; delivered_<r> prints events so far ---
# registered: the receiver just started in the background is the audit daemon.
registered() {
	RECV_PID=$!
	CHILDREN+=("$RECV_PID")
	wait_for 100 audit_pid_is "$RECV_PID"
}
stop_receiver() {
	kill -TERM "$RECV_PID"
	reap "$RECV_PID"
}

start_raw() {
	local buffer=$1
	auditctl -b "$BACKLOG_LIMIT" --backlog_wait_time "$BWT" >/dev/null
	"$WORK/rawreader" "$buffer" >"$WORK/raw.out" &
	registered
}
delivered_raw() { sed -n 's/.*syscalls=\([0-9]*\).*/\1/p' "$WORK/raw.out"; }
ours_lost_raw() { sed -n 's/.*overruns=\([0-9]*\).*/overruns \1/p' "$WORK/raw.out"; }

start_auditd() {
	auditctl -b "$BACKLOG_LIMIT" --backlog_wait_time "$BWT" >/dev/null
	mkdir -p "$WORK/auditd/plugins"
	: > "$WORK/auditd.log"
	cat > "$WORK/auditd/auditd.conf" <<EOF
log_file = $WORK/auditd.log
log_format = RAW
log_group = root
priority_boost = 4
flush = INCREMENTAL_ASYNC
freq = 50
num_logs = 1
max_log_file = 0
max_log_file_action = IGNORE
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
write_logs = yes
name_format = NONE
plugin_dir = $WORK/auditd/plugins
local_events = yes
EOF
	auditd -n -c "$WORK/auditd" 2>"$WORK/auditd.stderr" &
	registered
}
delivered_auditd() { grep -c '^type=SYSCALL .* syscall=137 ' "$WORK/auditd.log" || true; }
ours_lost_auditd() { echo "-"; }

start_otelcol() {
	local buffer=$1 strategy=kernel enrich= gates=
	case ${2:-} in
	off) enrich="lineage: false, container: false" ;;
	pooling) gates=--feature-gates=pdata.useProtoPooling ;;
	esac
	if [ -n "${TABLE_MAX_ENTRIES:-}" ]; then enrich="${enrich:+$enrich, }table_max_entries: $TABLE_MAX_ENTRIES"; fi
	if [ "$BWT" != 0 ]; then
		strategy=none # keeps the kernel's backlog_wait_time (15000) and blocks when full
	fi
	cat > "$WORK/otelcol.yaml" <<EOF
receivers:
  auditkernel:
    socket_type: unicast
    resolve_ids: true
    backlog_limit: $BACKLOG_LIMIT
    backpressure_strategy: $strategy
    socket_buffer_size: $buffer
${enrich:+    enrich: {$enrich\}}
exporters:
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: $METRICS_PORT
  pipelines:
    logs:
      receivers: [auditkernel]
      exporters: [debug]
EOF
	"$OTELCOL" --config "$WORK/otelcol.yaml" $gates 2>"$WORK/otelcol.stderr" &
	registered
	wait_for 100 curl -sf "http://127.0.0.1:$METRICS_PORT/metrics"
	if [ "$BWT" != "$(status backlog_wait_time)" ]; then
		echo "otelcol set backlog_wait_time $(status backlog_wait_time), the point needs $BWT" >&2
		exit 1
	fi
}
start_otelcol_off() { start_otelcol "$1" off; }
delivered_otelcol_off() { delivered_otelcol; }
ours_lost_otelcol_off() { ours_lost_otelcol; }
start_otelcol_pooling() { start_otelcol "$1" pooling; }
delivered_otelcol_pooling() { delivered_otelcol; }
ours_lost_otelcol_pooling() { ours_lost_otelcol; }
metric() { # metric <name suffix>: the sum of the series, 0 when absent
	curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" |
		awk -v m="otelcol_receiver_auditkernel_$1" 'index($1, m) == 1 { s += $NF } END { printf "%d\n", s }'
}
delivered_otelcol() { metric events_emitted; }
process_metric() { # process_metric <name suffix>: the collector's own otelcol_process_<name>
	curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v m="otelcol_process_$1" '$1 == m { print $NF }'
}
ours_lost_otelcol() {
	echo "drops $(metric userspace_drops) overruns $(metric socket_overruns) gaps $(metric sequence_gaps)"
}

drained() { # drained <reader>: the count stops moving for 1 s (at most 30 s)
	local prev=-1 cur tries=30
	while [ "$tries" -gt 0 ]; do
		cur=$("delivered_$1")
		if [ "$cur" = "$prev" ]; then return; fi
		prev=$cur
		sleep 1
		tries=$((tries - 1))
	done
}

# start_loadgen <rate> <seconds>: sets GEN_PID; it starts on "echo go >&8".
start_loadgen() {
	rm -f "$WORK/go.fifo"
	mkfifo "$WORK/go.fifo"
	exec 8<>"$WORK/go.fifo"
	"$WORK/loadgen" "$1" "$2" "$MARKER" $LOAD_ARG <"$WORK/go.fifo" >"$WORK/gen.out" &
	GEN_PID=$!
	CHILDREN+=("$GEN_PID")
	wait_for 50 test -s "$WORK/gen.out"
}

# --- one point ----------------------------------------------------------------
run_point() {
	local reader=$1 rate=$2 buffer=$3
	auditctl -D >/dev/null
	"start_$reader" "$buffer"
	local gen_pid
	WARMUP_GENERATED=0
	if [ "${WARMUP_SECONDS:-0}" -gt 0 ]; then
		# The same load, not measured: a receiver's heap grows to its GC goal
		# in its first seconds, and each new page costs a fault (some 17 µs
		# in this VM), which a long-running receiver does not pay again.
		start_loadgen "$rate" "$WARMUP_SECONDS"
		auditctl -a always,exit -F arch=b64 -S statfs -F "$RULE_FIELD=$GEN_PID" -k akwarmup >/dev/null
		echo go >&8
		reap "$GEN_PID"
		WARMUP_GENERATED=$(sed -n 's/.*generated=\([0-9]*\).*/\1/p' "$WORK/gen.out" | tail -n1)
		if [ "$reader" != raw ]; then drained "$reader"; else sleep 1; fi
		auditctl -D >/dev/null
	fi
	start_loadgen "$rate" "$SECONDS_PER_POINT"
	gen_pid=$GEN_PID
	auditctl -a always,exit -F arch=b64 -S statfs -F "$RULE_FIELD=$gen_pid" -k akbench >/dev/null
	sleep 0.5 # the CONFIG_CHANGE record of the rule arrives before the baseline
	# The raw reader reports its count when it exits: the warm-up's events
	# are in it.
	local base=${WARMUP_GENERATED:-0}
	if [ "$reader" != raw ]; then base=$("delivered_$reader"); fi
	local lost0 cpu0 t0 flt0 csw0
	lost0=$(status lost)
	cpu0=$(cpu_ticks "$RECV_PID")
	flt0=$(minor_faults "$RECV_PID")
	csw0=$(context_switches "$RECV_PID")
	t0=$(date +%s.%N)
	local perf_pid=
	if [ -n "${PERF_DIR:-}" ]; then
		mkdir -p "$PERF_DIR"
		perf record -q -g -F 499 -p "$RECV_PID" -o "$PERF_DIR/$reader-$rate-$BWT.data" 2>/dev/null &
		perf_pid=$!
	fi
	echo go >&8
	reap "$gen_pid"
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
	fi
	local gen_line
	gen_line=$(tail -n1 "$WORK/gen.out")
	if [ "$reader" != raw ]; then drained "$reader"; else sleep 1; fi
	local cpu1 t1 lost1 hwm load flt1 csw1
	load=$(cut -d' ' -f1 /proc/loadavg)
	cpu1=$(cpu_ticks "$RECV_PID")
	flt1=$(minor_faults "$RECV_PID")
	csw1=$(context_switches "$RECV_PID")
	t1=$(date +%s.%N)
	lost1=$(status lost)
	hwm=$(peak_rss_kib "$RECV_PID")
	local delivered ours
	case $reader in otelcol*)
		delivered=$(($(delivered_otelcol) - base))
		ours=$(ours_lost_otelcol)
		;;
	esac
	auditctl -D >/dev/null
	stop_receiver
	if [ "${reader#otelcol}" = "$reader" ]; then
		delivered=$(($("delivered_$reader") - base))
		ours=$("ours_lost_$reader")
	fi
	local generated achieved
	generated=$(echo "$gen_line" | sed -n 's/.*generated=\([0-9]*\).*/\1/p')
	achieved=$(echo "$gen_line" | sed -n 's/.*rate=\([0-9]*\).*/\1/p')
	awk -v r="$reader" -v rate="$rate" -v bwt="$BWT" -v buf="$buffer" -v gen="$generated" \
		-v ach="$achieved" -v del="$delivered" -v lost=$((lost1 - lost0)) -v ours="$ours" \
		-v ticks=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v secs="$(echo "$t1 - $t0" | bc)" -v hwm="$hwm" -v load="$load" -v flt=$((flt1 - flt0)) -v csw=$((csw1 - csw0)) 'BEGIN {
		cpu = ticks / hz
		printf "| %s | %s | %s | %s | %d | %d | %d (%.1f%%) | %d | %s | %.0f%% | %.1f | %.1f | %d | %.2f | %s |\n",
			r, rate == 0 ? "max" : rate, bwt, buf == 0 ? "default" : buf, ach, gen, del,
			gen ? 100 * del / gen : 0, lost, ours, 100 * cpu / secs,
			del ? 1e6 * cpu / del : 0, hwm / 1024, flt, del ? csw / del : 0, load
	}'
}

# --- storm: RSS over time -------------------------------------------------------
if [ -n "${STORM_MINUTES:-}" ]; then
	BWT=0
	rate=${RATES%% *}
	start_otelcol "${BUFFERS%% *}"
	total=$((STORM_MINUTES * 60))
	start_loadgen "$rate" "$total"
	gen_pid=$GEN_PID
	auditctl -a always,exit -F arch=b64 -S statfs -F "$RULE_FIELD=$gen_pid" -k akbench >/dev/null
	echo go >&8
	echo "| elapsed s | delivered | RSS MiB | peak RSS MiB | Go heap MiB | threads | process table entries | table evictions | load avg |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	start=$SECONDS
	while kill -0 "$gen_pid" 2>/dev/null; do
		echo "| $((SECONDS - start)) | $(delivered_otelcol) | $(mib "$(rss_kib "$RECV_PID")") | $(mib "$(peak_rss_kib "$RECV_PID")") | $(process_metric runtime_heap_alloc_bytes | awk '{ printf "%.1f", $1 / 1048576 }') | $(awk '/^Threads/ { print $2 }' "/proc/$RECV_PID/status") | $(metric process_table_entries) | $(metric process_table_evictions) | $(cut -d' ' -f1 /proc/loadavg) |"
		sleep 10
	done
	reap "$gen_pid"
	drained otelcol
	sleep 16 # one more kernel status poll (every 15 s) reads the kernel's lost counter
	generated=$(tail -n1 "$WORK/gen.out" | sed -n 's/.*generated=\([0-9]*\).*/\1/p')
	delivered=$(delivered_otelcol)
	kernel_lost=$(metric kernel_lost)
	accounted=$((delivered + kernel_lost + $(metric userspace_drops) + $(metric sequence_gaps)))
	echo "loadgen: $(tail -n1 "$WORK/gen.out"); otelcol: delivered $delivered, kernel lost $kernel_lost records, $(ours_lost_otelcol)"
	echo "accounted (delivered + kernel lost + drops + gaps): $accounted of ${generated:-?} generated"
	exit 0
fi

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r); $(date -u +%FT%TZ)"
echo "command: READERS='$READERS' RATES='$RATES' BWTS='$BWTS' BUFFERS='$BUFFERS' SECONDS_PER_POINT=$SECONDS_PER_POINT LOAD=$LOAD bench/run.sh"
echo
echo "| receiver | target/s | backlog_wait_time | socket buffer | achieved/s | generated | delivered | kernel lost | our counted losses | CPU | CPU µs/event | peak RSS MiB | page faults | context switches/event | load avg |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for BWT in $BWTS; do
	for buffer in $BUFFERS; do
		for rate in $RATES; do
			for reader in $READERS; do
				run_point "$reader" "$rate" "$buffer"
			done
		done
	done
done
