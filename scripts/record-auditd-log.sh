#!/usr/bin/env bash
# Records the auditd logs of testdata/auditlog (see its README): runs Debian's
# auditd against a temporary directory, with a watch and an execve rule,
# writes the watched file, runs commands with arguments, injects user
# messages with `auditctl -m`, rotates the log (SIGUSR1) in the middle, then
# stops auditd and copies audit.log.1 and audit.log to OUTDIR.
#
# Usage: record-auditd-log.sh OUTDIR RAW|ENRICHED NODE|none   (as root)
#
# It takes the kernel tests' lock, since auditd takes the audit socket, and
# leaves no rule and no auditd behind. The kernel's enabled flag is set back
# to what it was (auditd leaves it at 1).
set -euo pipefail

out="${1:?usage: record-auditd-log.sh OUTDIR RAW|ENRICHED NODE|none}"
fmt="${2:?log format}"
node="${3:?node name or none}"
lock="${TMPDIR:-/tmp}/auditkernel-kernel-tests.lock"

if [ -z "${RECORD_AUDITD_LOCKED:-}" ]; then
	exec env RECORD_AUDITD_LOCKED=1 flock "$lock" "$0" "$@"
fi

enabled=$(auditctl -s | awk '/^enabled/{print $2}')
d=$(mktemp -d)
mkdir -p "$d/conf" "$d/plugins" "$d/log" "$d/w"
if [ "$node" = none ]; then
	names="name_format = none"
else
	names=$(printf 'name_format = user\nname = %s' "$node")
fi
cat >"$d/conf/auditd.conf" <<EOC
local_events = yes
write_logs = yes
log_file = $d/log/audit.log
log_format = $fmt
flush = SYNC
max_log_file = 8
num_logs = 5
max_log_file_action = ROTATE
$names
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
plugin_dir = $d/plugins
q_depth = 2000
overflow_action = IGNORE
EOC
chmod 0600 "$d/conf/auditd.conf"

auditd -n -c "$d/conf" &
apid=$!
cleanup() {
	auditctl -D >/dev/null || true
	kill "$apid" 2>/dev/null || true
	wait "$apid" || true
	auditctl -e "$enabled" >/dev/null || true
	rm -rf "$d"
}
trap cleanup EXIT
for _ in $(seq 50); do
	[ "$(auditctl -s | awk '/^pid/{print $2}')" = "$apid" ] && break
	sleep 0.1
done

touch "$d/w/target"
auditctl -w "$d/w/target" -p wa -k alwatch
auditctl -a always,exit -F arch=b64 -S execve -F ppid=$$ -F key=alexec
echo hello >>"$d/w/target"
/usr/bin/printf '%s %s\n' 'hello world' /tmp >/dev/null
auditctl -m "altest message one"
sleep 0.3
kill -USR1 "$apid"
sleep 0.3
echo again >>"$d/w/target"
/bin/ls -la /tmp >/dev/null
auditctl -m "altest message two"
sleep 0.3
auditctl -D
kill "$apid"
wait "$apid" || true
mkdir -p "$out"
cp "$d/log/audit.log.1" "$d/log/audit.log" "$out/"
chmod 0644 "$out"/audit.log*
