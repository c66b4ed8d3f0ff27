#!/bin/bash
# usage: scripts/bench.sh NAME
# Runs the benchmark bench/NAME: the first of bench/NAME/run,
# bench/NAME/run.sh, bench/NAME.sh that exists, from the top of the tree
# (WH_SRCDIR is set to it). Each benchmark makes its own build.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: $0 NAME}
export WH_SRCDIR=$PWD
for cand in "bench/$name/run" "bench/$name/run.sh" "bench/$name.sh"; do
    if [ -f "$cand" ]; then
        exec bash "$cand"
    fi
done
echo "bench: no benchmark '$name' (looked for bench/$name/run," \
    "bench/$name/run.sh, bench/$name.sh)" >&2
find bench -mindepth 1 -maxdepth 1 -printf "  available: %f\n" >&2 2>/dev/null || true
exit 1
