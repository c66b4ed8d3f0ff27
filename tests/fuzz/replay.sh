#!/bin/bash
# replay.sh NAME REPLAY_BINARY - what ctest runs for fuzz target NAME:
# the inputs of tests/data/fuzz-regressions/NAME/ and the target's seed
# corpus (seeds.sh), through the replay driver. Fails on the first input
# that breaks an invariant (the driver names it).
set -euo pipefail

name=$1
bin=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/seeds.sh" "$name" "$work/seeds" >/dev/null
"$bin" "$here/../data/fuzz-regressions/$name" "$work/seeds" 2>"$work/log" || {
    tail -n 30 "$work/log" >&2
    exit 1
}
