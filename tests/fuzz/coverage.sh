#!/bin/bash
# coverage.sh [TARGET...] - line and branch coverage of each fuzz
# target's own sources, from its corpus (out/fuzz/corpus/TARGET, grown by
# `make fuzz`) and seeds: the replay drivers built with clang's source
# coverage in build-cov/, run over the corpus, then llvm-cov report. Needs
# llvm (llvm-profdata, llvm-cov). Prints one table; see docs/fuzzing.md.
set -euo pipefail

cd "$(dirname "$0")/../.."
build=${COV_BUILD:-build-cov}
out=${FUZZ_OUT:-$PWD/out/fuzz}
all="url robots date charset extract sources record config enrich dedup"
targets=${*:-$all}

# The files a target is meant to cover.
sources() {
    case $1 in
    url) echo common/src/url.c ;;
    robots) echo producers/fetcher/robots.c ;;
    date) echo common/src/date.c ;;
    charset) echo producers/extract/charset.c ;;
    extract) ls producers/extract/{extract,charset,text,meta,body}.c ;;
    sources) ls producers/sources/*.c ;;
    record) echo common/src/record.c ;;
    config) echo common/src/config.c ;;
    enrich) ls consumers/enrich/*.c ;;
    dedup) ls consumers/dedup/{near,store,simhash,index}.c ;;
    esac
}

CC=clang cmake -S . -B "$build" -DWH_WERROR=ON \
    -DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target fuzz-replays >/dev/null
mkdir -p "$out/cov"
printf '%-9s %8s %9s %9s  %s\n' target inputs lines branches files
for t in $targets; do
    rm -rf "$out/cov/$t" && mkdir -p "$out/cov/$t"
    tests/fuzz/seeds.sh "$t" "$out/cov/$t/seeds" >/dev/null
    FUZZ_BUDGET=0 LLVM_PROFILE_FILE="$out/cov/$t/%p.profraw" \
        "$build/tests/replay_$t" tests/data/fuzz-regressions/"$t" \
        "$out/cov/$t/seeds" "$out/corpus/$t" >"$out/cov/$t/replay.log" 2>&1
    llvm-profdata merge -sparse "$out/cov/$t"/*.profraw \
        -o "$out/cov/$t/all.profdata"
    # shellcheck disable=SC2046
    llvm-cov report "$build/tests/replay_$t" \
        -instr-profile="$out/cov/$t/all.profdata" $(sources "$t") \
        >"$out/cov/$t/report.txt"
    total=$(grep '^TOTAL' "$out/cov/$t/report.txt")
    # TOTAL regions missed % functions missed % lines missed % branches missed %
    read -r _ _ _ _ _ _ _ _ _ lines _ _ branches <<<"$total"
    inputs=$(grep -o '^replay: [0-9]* inputs' "$out/cov/$t/replay.log" |
        grep -o '[0-9]*')
    printf '%-9s %8s %9s %9s  %s\n' "$t" "$inputs" "$lines" "$branches" \
        "$(sources "$t" | xargs -n1 basename | tr '\n' ' ')"
done
