#!/usr/bin/env bash
# Fails when `make generate` changes the tree: the files mdatagen writes
# (internal/metadata, documentation.md, generated tests) must be committed as
# it writes them from metadata.yaml. Part of `make test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

state() {
	git status --porcelain --untracked-files=all -- receiver
	git diff -- receiver | sha256sum
}
before=$(state)
make --no-print-directory generate >/dev/null
after=$(state)
if [ "$before" != "$after" ]; then
	echo "check-generate: make generate changed the files below; run it and commit the result" >&2
	git status --short -- receiver >&2
	exit 1
fi
echo "check-generate: make generate leaves the tree as it is"
