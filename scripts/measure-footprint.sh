#!/usr/bin/env bash
# Measures the distro's memory (VmHWM: peak RSS, VmRSS) and CPU time with the
# Kubernetes ConfigMap's configuration, idle and under a modest load, exporting
# over OTLP to a second distro on loopback. The numbers size the DaemonSet's
# resources (deploy/kubernetes/README.md).
#
# Usage: [LOAD_SHELLS=10] measure-footprint.sh [OTELCOL] [LOAD_SECONDS]   (root; holds the kernel test lock)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
otelcol="${1:-$root/_build/otelcol-auditkernel}"
seconds="${2:-30}"
work=$(mktemp -d)

exec 9>/tmp/auditkernel-kernel-tests.lock
flock 9

# The kernel's audit state, restored on exit.
status=$(auditctl -s)
field() { awk -v k="$1" '$1 == k {print $2}' <<<"$status"; }
auditctl -l >"$work/rules.before"
pids=()
restore() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	auditctl -D >/dev/null
	if ! grep -qx 'No rules' "$work/rules.before"; then
		while read -r rule; do eval "auditctl $rule" >/dev/null; done <"$work/rules.before"
	fi
	auditctl -f "$(field failure)" -b "$(field backlog_limit)" -r "$(field rate_limit)" \
		--backlog_wait_time "$(field backlog_wait_time)" >/dev/null
	auditctl -e "$(field enabled)" >/dev/null
	rm -rf "$work"
}
trap restore EXIT

# The ConfigMap's collector config, with the host's /etc where the pod has
# /host/etc, and one more rule (every execve) so that the load generates events.
sed -n '/^  config.yaml: |$/,$p' "$root/deploy/kubernetes/configmap.yaml" | tail -n +2 | sed 's/^    //' |
	sed 's#/host/etc/#/etc/#; s#^\(    audit_rules: |\)$#\1\n      -a always,exit -F arch=b64 -S execve -k load-exec#' >"$work/agent.yaml"
printf 'service:\n  telemetry:\n    metrics:\n      level: none\n' >"$work/no-telemetry.yaml"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OTLP_GRPC_LISTEN=127.0.0.1:$port OTLP_HTTP_LISTEN=127.0.0.1:0 OTLP_OUTPUT=$work/gateway.json \
	"$otelcol" --config "$root/examples/otlp-gateway-to-file.yaml" --config "$work/no-telemetry.yaml" 2>"$work/gateway.log" &
pids+=($!)
sleep 1
OTLP_ENDPOINT=127.0.0.1:$port OTLP_INSECURE=true POD_IP=127.0.0.1 \
	"$otelcol" --config "$work/agent.yaml" --config "$work/no-telemetry.yaml" 2>"$work/agent.log" &
agent=$!
pids=("$agent" "${pids[@]}")

events() { grep -o '"timeUnixNano"' "$work/gateway.json" 2>/dev/null | wc -l; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
report() {
	local s
	s=$(cat "/proc/$agent/status")
	printf '%-6s VmHWM %s kB, VmRSS %s kB, CPU %s ticks (%s/s), events at the gateway: %s\n' "$1" \
		"$(awk '/^VmHWM/ {print $2}' <<<"$s")" "$(awk '/^VmRSS/ {print $2}' <<<"$s")" \
		"$(cpu_ticks)" "$(getconf CLK_TCK)" "$(events)"
}
sleep 10
grep -q "Everything is ready" "$work/agent.log" || { cat "$work/agent.log" >&2; exit 1; }
report idle

# Load: shells exec'ing /bin/true and sleep in a loop: a few hundred audited
# execve events per second (each event is SYSCALL, EXECVE, CWD, PATH x2, PROCTITLE).
events_before=$(events)
ticks_before=$(cpu_ticks)
end=$((SECONDS + seconds))
for _ in $(seq "${LOAD_SHELLS:-10}"); do
	(while [ $SECONDS -lt $end ]; do /bin/true; sleep 0.02; done) &
done
wait_load() { while [ $SECONDS -lt $end ]; do sleep 1; done; sleep 3; }
wait_load
report loaded
echo "load: $((($(events) - events_before) / seconds)) events/s delivered, $((($(cpu_ticks) - ticks_before) * 100 / seconds / $(getconf CLK_TCK)))% of one CPU"
echo "binary: $(stat -c %s "$otelcol") bytes"
