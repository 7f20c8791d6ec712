#!/usr/bin/env bash
# The TrainingRun overhead benchmark (test/bench/training-run/README.md): 50 TrainingRuns of a
# trivial trainer created at once on the real node; apply → Job created and Job succeeded →
# ModelVersion Ready per run. Uses the environment named by BOSUN_TEST_ENV, else the one
# `make cluster-up` started, else starts one with a node (needs root). Prints a table and the
# verdicts, and writes them with the raw moments to a results directory (git-ignored; the path is
# printed); asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../../.."
# The project's Node 24 (npm's `node` package) whatever the shell's PATH holds, and as the Makefile
# does: Go (the pause image's source) and /usr/sbin, /sbin (ip, iptables, umount for the node).
export PATH="$PWD/node_modules/.bin:/usr/local/go/bin:$PATH:/usr/sbin:/sbin"
exec node test/bench/training-run/bench.ts "$@"
