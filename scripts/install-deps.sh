#!/usr/bin/env bash
# Installs the system packages the tests need, from Debian:
#   - auditd: provides auditctl, which the kernel tests use to inspect rules/status,
#             and the auditd daemon that TestKernelAuditd runs on a temporary directory
#             for the auditlog receiver (and stops again).
#   - gcc:    `go test -race` needs cgo.
# The auditd daemon must NOT run (it would own the audit netlink socket and fight the
# receiver), so the package's init script is kept from starting it and any running
# daemon is stopped afterwards.
set -euo pipefail

missing=()
command -v auditctl >/dev/null 2>&1 || missing+=(auditd)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)

if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing ${missing[*]}; run as root (or: sudo apt-get install -y ${missing[*]})" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	# policy-rc.d exit 101 tells invoke-rc.d not to start services during the install.
	created_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		created_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	rc=0
	{ apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } || rc=$?
	if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
	[ "$rc" -eq 0 ] || exit "$rc"
fi

# Never leave the auditd daemon running (exact process name only).
if command -v pgrep >/dev/null 2>&1 && pgrep -x auditd >/dev/null 2>&1; then
	echo "install-deps: stopping the auditd daemon"
	if [ "$(id -u)" -eq 0 ]; then
		pkill -x auditd || true
	else
		echo "install-deps: auditd is running and would conflict with the receiver; stop it as root" >&2
	fi
fi
exit 0
