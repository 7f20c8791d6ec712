#!/usr/bin/env bash
# Decode benchmark (see bench.ts): both decoders of lib/image and Pillow, pinned to one core.
# Pillow comes from PyPI into a throwaway virtual environment.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "setting up Pillow and numpy in a throwaway venv…" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check pillow numpy >&2
core="${BENCH_SERVER_CORE:-1}"
(cd "$root" && taskset -c "$core" node "$here/bench.ts" "$work/venv/bin/python")
