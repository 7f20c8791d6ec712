#!/usr/bin/env bash
# Rollouts under load (issue 17): an InferenceService following `production` with 2 replicas, a
# client Pod sending steady infer load, 5 promotions. Uses the environment named by BOSUN_TEST_ENV,
# else the one `make cluster-up` started, else starts one with a node (needs root). Prints a table
# and the verdicts, and writes them with the client's raw lines and the timings to a results
# directory (git-ignored; the path is printed); asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../../.."
# The project's Node 24 (npm's `node` package) whatever the shell's PATH holds, and as the Makefile
# does: Go (the pause image's source) and /usr/sbin, /sbin (ip, iptables, umount for the node).
export PATH="$PWD/node_modules/.bin:/usr/local/go/bin:$PATH:/usr/sbin:/sbin"
exec node test/bench/inference-service/bench.ts "$@"
