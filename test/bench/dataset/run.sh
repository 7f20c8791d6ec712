#!/usr/bin/env bash
# The Dataset benchmark (test/bench/dataset/README.md): a 1,000,000-item snapshot against the seed's
# copy of every object, and collecting 10,000 logged predictions, side by side in one run on the
# real MinIO and PostgreSQL. BOSUN_TEST_ENV=<dir> reuses a running environment; otherwise one is
# started and stopped. Prints a table with verdicts; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../../.."
# The project's Node 24 (npm's `node` package), whatever the shell's PATH holds.
export PATH="$PWD/node_modules/.bin:$PATH"
exec node test/bench/dataset/bench.ts "$@"
