#!/usr/bin/env bash
# Inspects the .deb built by `make package` with dpkg-deb: control fields and
# version, every file with its mode and owner, the maintainer scripts (the
# service user is created before unpacking), and that the packaged binary is the
# built one and reports the version.
#
# Usage: check-package.sh DEB BINARY VERSION
set -euo pipefail

deb="${1:?usage: check-package.sh DEB BINARY VERSION}"
binary="${2:?usage: check-package.sh DEB BINARY VERSION}"
version="${3:?usage: check-package.sh DEB BINARY VERSION}"
# Debian orders a pre-release before its release with "~": 0.1.0-dev -> 0.1.0~dev.
deb_version="${version/-/\~}"

failures=0
fail() {
	echo "check-package: FAIL: $*" >&2
	failures=$((failures + 1))
}
expect_field() {
	local got
	got=$(dpkg-deb --field "$deb" "$1")
	[ "$got" = "$2" ] || fail "control field $1 is '$got', expected '$2'"
}

expect_field Package otelcol-auditkernel
expect_field Version "$deb_version"
expect_field Architecture "$(go env GOARCH)"
expect_field Pre-Depends passwd
expect_field Section admin

# "mode owner/group path" for every entry of the data archive.
listing=$(dpkg-deb --contents "$deb" | awk '{print $1, $2, $6}')
expect_entry() {
	grep -qxF -e "$1" <<<"$listing" || fail "no entry '$1' in the package; it has:$(printf '\n  %s' "$listing")"
}
expect_entry "-rwxr-xr-x root/root ./usr/bin/otelcol-auditkernel"
expect_entry "-rw-r--r-- root/root ./usr/lib/systemd/system/otelcol-auditkernel.service"
expect_entry "drwxr-x--- root/otelcol-auditkernel ./etc/otelcol-auditkernel/"
# net.core.rmem_max at least the default socket_buffer_size, which the
# service (no CAP_NET_ADMIN) cannot exceed, applied by postinst.
sysctl_conf=./usr/lib/sysctl.d/60-otelcol-auditkernel.conf
expect_entry "-rw-r--r-- root/root $sysctl_conf"
rmem_max=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO "$sysctl_conf" | sed -n 's/^net.core.rmem_max = //p')
default_buffer=$(($(sed -n 's/.*SocketBufferSize: *\([0-9][0-9]* << [0-9]*\).*/\1/p' receiver/auditkernelreceiver/factory.go)))
[ "$default_buffer" -gt 0 ] && [ "${rmem_max:-0}" -ge "$default_buffer" ] ||
	fail "$sysctl_conf sets net.core.rmem_max '$rmem_max', below the default socket_buffer_size '$default_buffer'"
expect_entry "-rw-r----- root/otelcol-auditkernel ./etc/otelcol-auditkernel/config.yaml"
for example in examples/*.yaml; do
	expect_entry "-rw-r--r-- root/root ./usr/share/doc/otelcol-auditkernel/$example"
done
# The auditlog receiver's systemd drop-in, as it is in deploy/systemd.
dropin=./usr/share/doc/otelcol-auditkernel/examples/auditlog.conf
expect_entry "-rw-r--r-- root/root $dropin"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$dropin" | cmp -s - deploy/systemd/auditlog.conf ||
	fail "$dropin differs from deploy/systemd/auditlog.conf"

# conffiles: an edited config survives upgrades.
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
[ "$conffiles" = "/etc/otelcol-auditkernel/config.yaml" ] || fail "conffiles is '$conffiles'"

# The service user is created in preinst, before the files owned by its group
# are unpacked.
preinst=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./preinst)
grep -q 'useradd --system' <<<"$preinst" || fail "preinst does not create a system user"
grep -q 'groupadd --system otelcol-auditkernel' <<<"$preinst" || fail "preinst does not create the group"
unit_user=$(sed -n 's/^User=//p' packaging/systemd/otelcol-auditkernel.service)
grep -q "otelcol-auditkernel\$" <<<"$(grep -A3 useradd <<<"$preinst")" || fail "preinst creates a user other than the unit's ($unit_user)"
for script in preinst postinst prerm postrm; do
	mode=$(dpkg-deb --ctrl-tarfile "$deb" | tar -tv "./$script" | awk '{print $1}')
	[ "$mode" = "-rwxr-xr-x" ] || fail "$script has mode $mode"
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO "./$script" | sh -n || fail "$script is not valid sh"
done

# The packaged binary is the one built: static, without paths or VCS state, and
# stamped with the version.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/bin/otelcol-auditkernel
cmp -s "$tmp/usr/bin/otelcol-auditkernel" "$binary" || fail "the packaged binary differs from $binary"
buildinfo=$(go version -m "$tmp/usr/bin/otelcol-auditkernel")
for setting in CGO_ENABLED=0 -trimpath=true; do
	grep -qE "^\s+build\s+$setting\$" <<<"$buildinfo" || fail "the binary was not built with $setting (static, reproducible)"
done
grep -qE '^\s+build\s+vcs' <<<"$buildinfo" && fail "the binary carries VCS stamps (its bytes would depend on the checkout)"
stamped=$("$tmp/usr/bin/otelcol-auditkernel" --version)
[ "$stamped" = "otelcol-auditkernel version $version" ] || fail "--version prints '$stamped'"

# Same timestamp on every file: SOURCE_DATE_EPOCH.
dates=$(dpkg-deb --contents "$deb" | awk '{print $4, $5}' | sort -u | wc -l)
[ "$dates" -eq 1 ] || fail "files carry $dates different timestamps"

if [ "$failures" -gt 0 ]; then
	echo "check-package: $failures problem(s) in $deb" >&2
	exit 1
fi
echo "check-package: ok: $deb ($(stat -c %s "$deb") bytes, version $deb_version)"
