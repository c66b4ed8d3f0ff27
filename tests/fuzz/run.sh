#!/bin/bash
# run.sh [TARGET...] - what `make fuzz` and the CI's fuzz gate run: builds
# the libFuzzer targets (clang, WH_FUZZ=ON, in build-fuzz/), runs each for
# FUZZ_SECONDS and prints one table: target, executions, coverage (edges
# libFuzzer saw), corpus size, findings. Exits 1 when any target found
# something; the input is kept under out/fuzz/findings/TARGET/ until the
# next run of that target (copy it to tests/data/fuzz-regressions/TARGET/
# with the fix, see docs/fuzzing.md).
#
# Knobs (environment):
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_JOBS     targets run at once (default 2)
#   FUZZ_BUILD    build directory (default build-fuzz)
#   FUZZ_OUT      corpora, findings and logs (default out/fuzz); the
#                 corpus of each target is kept there and grows from run
#                 to run (a long campaign is many runs, or one long one)
#   FUZZ_ARGS     more libFuzzer flags for every target
#   FUZZ_NO_BUILD 1: run the targets already built in FUZZ_BUILD
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
build=${FUZZ_BUILD:-build-fuzz}
out=${FUZZ_OUT:-$root/out/fuzz}
all="url robots date charset extract sources record config enrich dedup"
targets=${*:-$all}

# Per target: the longest input (bytes) and the dictionary.
max_len() {
    case $1 in
    date) echo 256 ;;
    url) echo 4096 ;;
    config) echo 8192 ;;
    robots) echo 32768 ;;
    *) echo 65536 ;;
    esac
}
dicts() {
    case $1 in
    url) echo url ;;
    robots) echo robots ;;
    charset | extract) echo html ;;
    sources) echo "xml json" ;;
    record) echo json ;;
    esac
}

mkdir -p "$out/logs" "$out/dict"
if [ "${FUZZ_NO_BUILD:-0}" = 1 ]; then
    : # run_selftest.sh, or a second campaign over the same build
elif ! { CC=clang CXX=clang++ cmake -S . -B "$build" -DWH_FUZZ=ON -DWH_WERROR=ON &&
    cmake --build "$build" -j"$jobs" --target fuzz-targets; } \
    >"$out/logs/build.log" 2>&1; then
    tail -n 40 "$out/logs/build.log"
    echo "fuzz: the build failed (log: $out/logs/build.log)"
    exit 1
fi

# The dedup and config targets write files: on tmpfs when there is one.
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
    local t=$1 d args=()
    # findings of an earlier run are gone: keep them first (see above)
    rm -rf "$out/findings/$t"
    mkdir -p "$out/corpus/$t" "$out/findings/$t"
    rm -rf "$out/seeds/$t"
    tests/fuzz/seeds.sh "$t" "$out/seeds/$t" >/dev/null
    : >"$out/dict/$t.dict"
    for d in $(dicts "$t"); do
        cat "tests/fuzz/dict/$d.dict" >>"$out/dict/$t.dict"
    done
    [ -s "$out/dict/$t.dict" ] && args+=("-dict=$out/dict/$t.dict")
    # libFuzzer refuses a corpus directory that does not exist, and git
    # keeps no empty one: a target with no regression yet has none.
    local regress=()
    [ -d "tests/data/fuzz-regressions/$t" ] &&
        regress=("tests/data/fuzz-regressions/$t")
    # shellcheck disable=SC2086
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/findings/$t/" "${args[@]}" ${FUZZ_ARGS:-} \
        "$out/corpus/$t" "$out/seeds/$t" "${regress[@]}" \
        >"$out/logs/$t.log" 2>&1 || echo "exit $?" >>"$out/logs/$t.log"
}
export -f run_one max_len dicts
export seconds build out

echo "fuzz: $(wc -w <<<"$targets") targets, ${seconds}s each, $jobs at once"
# shellcheck disable=SC2086 # one target a word
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run_one {}'

found=0
printf '\n%-9s %12s %9s %8s %9s\n' target executions coverage corpus findings
for t in $targets; do
    log=$out/logs/$t.log
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" |
        grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' ||
        echo 0)
    corp=$(find "$out/corpus/$t" -type f | wc -l)
    n=$(find "$out/findings/$t" -type f | wc -l)
    if grep -q '^exit [0-9]' "$log" && [ "$n" -eq 0 ]; then
        n=1 # died without leaving an input (see the log)
    fi
    printf '%-9s %12s %9s %8s %9s\n' "$t" "${execs:-0}" "${cov:-0}" "$corp" "$n"
    if [ "$n" -ne 0 ]; then
        found=1
        echo "  $t: see $log and $out/findings/$t/" >&2
        grep -m 3 -E 'ERROR|invariant|runtime error' "$log" | sed 's/^/  /' >&2 || true
    fi
done
if [ "$found" -ne 0 ]; then
    echo "fuzz: FINDINGS (keep each input in tests/data/fuzz-regressions/TARGET/ with its fix)"
    exit 1
fi
echo "fuzz: no finding"
