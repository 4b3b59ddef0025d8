#!/usr/bin/env bash
# The Makefile's bench target: the generator's performance row (issue 5).
# Builds protoc-gen-lkrpc, installs the baseline plugins into .cache/bench/bin
# (once; never globally), runs every plugin RUNS times (default 5) on the
# synthetic 500 services × 10 methods request and prints the comparison table.
# Pass -strict (BENCHFLAGS=-strict) to fail when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/gen -n "${RUNS:-5}" "$@"
