#!/usr/bin/env bash
# Config smoke tests for the built distro:
#   testdata/valid/*.yaml and the shipped examples (examples/*.yaml, one of
#   them the package's default config) must pass `otelcol-auditkernel validate`;
#   testdata/invalid/*.yaml must fail it, and the output must contain the
#   substring given on the file's first line as `# expect: <substring>`.
#
# Usage: validate-configs.sh [OTELCOL_BINARY] [CONFIG_DIR]
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
otelcol="${1:-$root/_build/otelcol-auditkernel}"
dir="${2:-$root/testdata}"
# Make the arguments absolute, then run from the repo root: relative paths inside the
# configs (audit_rule_files globs, file exporter paths) are relative to it.
case "$otelcol" in /*) ;; *) otelcol="$PWD/$otelcol" ;; esac
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
cd "$root" || exit 1

if [ ! -x "$otelcol" ]; then
	echo "validate-configs: $otelcol not found or not executable (run: make otelcol)" >&2
	exit 1
fi

shopt -s nullglob
pass=0
fail=0
failures=()

for f in "$dir"/valid/*.yaml "$root"/examples/*.yaml; do
	if out=$("$otelcol" validate --config "$f" 2>&1); then
		echo "ok   valid   $f"
		pass=$((pass + 1))
	else
		echo "FAIL valid   $f: validate rejected it:"
		printf '%s\n' "$out" | sed 's/^/       /'
		fail=$((fail + 1))
		failures+=("$f")
	fi
done

for f in "$dir"/invalid/*.yaml; do
	first=$(head -n 1 "$f")
	case "$first" in
	"# expect: "*) expect="${first#"# expect: "}" ;;
	*)
		echo "FAIL invalid $f: first line must be '# expect: <substring>'"
		fail=$((fail + 1))
		failures+=("$f")
		continue
		;;
	esac
	if out=$("$otelcol" validate --config "$f" 2>&1); then
		echo "FAIL invalid $f: validate accepted it (expected an error containing '$expect')"
		fail=$((fail + 1))
		failures+=("$f")
	elif [[ "$out" == *"panic:"* ]]; then
		echo "FAIL invalid $f: validate panicked:"
		printf '%s\n' "$out" | sed 's/^/       /'
		fail=$((fail + 1))
		failures+=("$f")
	elif [[ "$out" != *"$expect"* ]]; then
		echo "FAIL invalid $f: error does not contain '$expect':"
		printf '%s\n' "$out" | sed 's/^/       /'
		fail=$((fail + 1))
		failures+=("$f")
	else
		echo "ok   invalid $f (error contains '$expect')"
		pass=$((pass + 1))
	fi
done

if [ $((pass + fail)) -eq 0 ]; then
	echo "validate-configs: no configs found under $dir/valid or $dir/invalid" >&2
	exit 1
fi
echo "validate-configs: ${pass} configs behaved as expected, ${fail} did not"
if [ "$fail" -gt 0 ]; then
	printf 'validate-configs: failed: %s\n' "${failures[@]}" >&2
	exit 1
fi
