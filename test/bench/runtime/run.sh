#!/usr/bin/env bash
# The controller runtime benchmark (make bench): 1,000 ModelVersions sharing 10 artifacts, created in
# one burst, on a real control plane and node. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../../.."
# The project's Node 24 (npm's `node` package), whatever the shell's PATH holds.
export PATH="$PWD/node_modules/.bin:$PATH"
exec node test/bench/runtime/bench.ts "$@"
