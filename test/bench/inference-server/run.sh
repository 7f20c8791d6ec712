#!/usr/bin/env bash
# Benchmarks the inference server against raw in-process onnxruntime-node and FastAPI + uvicorn +
# onnxruntime (+ Pillow), in one run on the same machine and models. FastAPI comes from PyPI into
# a throwaway virtual environment; load comes from wrk (Debian) in a separate process. The server
# and wrk are pinned to different cores. Prints a table and the targets, and writes them with every
# raw wrk output to a results directory (git-ignored; the path is printed); it asserts nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH"

if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian…" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "wrk is missing: run 'apt-get install -y wrk' as root" >&2; exit 1; fi
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
if [ "$(nproc)" -lt 2 ]; then echo "the benchmark pins the server and wrk to different cores: it needs 2" >&2; exit 1; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "setting up FastAPI, uvicorn, onnxruntime and Pillow in a throwaway venv…" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check fastapi uvicorn onnxruntime pillow numpy >&2
"$work/venv/bin/python" -c 'import fastapi, uvicorn, onnxruntime, PIL; print("fastapi", fastapi.__version__, "uvicorn", uvicorn.__version__, "onnxruntime", onnxruntime.__version__, "pillow", PIL.__version__)' >&2
echo "writing the models and request bodies…" >&2
mkdir -p "$work/data"
(cd "$root" && node "$here/prepare.ts" "$work/data") > "$work/data/prepared.json"
(cd "$root" && node "$here/bench.ts" "$work/data" "$work/venv")
