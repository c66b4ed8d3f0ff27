#!/bin/bash
# usage: scripts/bench.sh NAME
# Runs the benchmark bench/NAME: the first of bench/NAME/run,
# bench/NAME/run.sh, bench/NAME.sh that exists. WH_BINDIR (the build
# directory) and WH_SRCDIR are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: $0 NAME}
export WH_SRCDIR=$PWD
export WH_BINDIR=${WH_BINDIR:-$PWD/build}
for cand in "bench/$name/run" "bench/$name/run.sh" "bench/$name.sh"; do
    if [ -f "$cand" ]; then
        exec bash "$cand"
    fi
done
echo "bench: no benchmark '$name' (looked for bench/$name/run," \
    "bench/$name/run.sh, bench/$name.sh)" >&2
find bench -mindepth 1 -maxdepth 1 -printf "  available: %f\n" >&2 2>/dev/null || true
exit 1
