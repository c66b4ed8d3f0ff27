#!/bin/sh
# bench/dedup/run.sh - the dedup measurements, printed as markdown:
#   1. the labelled set (copies made from the extraction dev set's
#      articles, read at run time, never stored) -> recall and false joins
#      for the chosen parameters and alternatives;
#   2. the permuted-table index at 100k, 1M and 10M fingerprints -> bytes
#      per article and lookup time;
#   3. the shared store -> decisions per second, against SQLite (WAL);
#   4. records per second through the consumer's per-record work with the
#      dedup stage on and off;
# then one summary table against the targets.
#
# Environment: WH_BENCH_BUILD (build dir, default build/bench-dedup),
# WH_DEDUP_GROUND_TRUTH (default ../shared/datasets/extraction-dev/
# ground-truth.json beside the repo), WH_DEDUP_MAX_N (default 10000000;
# 10M needs ~1 GB of memory and ~1 min).
#
# The consumer daemon's own throughput (Kafka, sinks) with dedup on and
# off is measured by bench/consume/run.sh; item 4 here measures the
# stage's share of the per-record work.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${WH_BENCH_BUILD:-$root/build/bench-dedup}
gt=${WH_DEDUP_GROUND_TRUTH:-$root/../shared/datasets/extraction-dev/ground-truth.json}
max_n=${WH_DEDUP_MAX_N:-10000000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/cmake.log" 2>&1 ||
    { cat "$out/cmake.log"; exit 1; }
cmake --build "$build" -j2 >"$out/build.log" 2>&1 ||
    { cat "$out/build.log"; exit 1; }

echo "# bench/dedup ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cpus)"
echo
if [ -r "$gt" ]; then
    "$build/bin/wh_dedup_eval" "$gt" | tee "$out/eval.md"
else
    echo "labelled set: SKIPPED, $gt not found (set WH_DEDUP_GROUND_TRUTH)"
    : >"$out/eval.md"
fi
echo
echo "## Index: bytes per article and lookup time"
echo
"$build/bin/wh_dedup_index_bench" "$max_n" | tee "$out/index.md"
if [ -x "$build/bin/wh_dedup_store_bench" ]; then
    echo
    echo "## Shared store: decisions per second"
    echo
    mkdir -p "$out/store"
    "$build/bin/wh_dedup_store_bench" "$out/store" 20000 | tee "$out/store.md"
else
    : >"$out/store.md"
fi
if [ -r "$gt" ]; then
    echo
    echo "## Per-record work with dedup on and off"
    echo
    mkdir -p "$out/stage"
    "$build/bin/wh_dedup_stage_bench" "$gt" "$out/stage" 2>/dev/null |
        tee "$out/stage.md"
else
    : >"$out/stage.md"
fi

# one summary table against the targets
field() { # FILE ROW-PREFIX COLUMN
    awk -F'|' -v p="$2" -v c="$3" 'index($0, p) == 1 { gsub(/ /, "", $c); print $c; exit }' "$1"
}
recall=$(field "$out/eval.md" "| chosen |" 3)
fj_c=$(field "$out/eval.md" "| chosen |" 5)
fj_o=$(field "$out/eval.md" "| chosen |" 6)
topic=$(field "$out/eval.md" "| chosen |" 7)
b10=$(field "$out/index.md" "| 10000000 |" 3)
l100=$(field "$out/index.md" "| 100000 |" 5)
l1m=$(field "$out/index.md" "| 1000000 |" 5)
l10=$(field "$out/index.md" "| 10000000 |" 5)
r10=$(field "$out/index.md" "| 10000000 |" 6)
dps=$(field "$out/store.md" "| wirehose store: whole decision | 2 | every 100 |" 5)
st_off=$(field "$out/stage.md" "| parse + serialize (dedup off)" 3)
st_on=$(field "$out/stage.md" "| parse + dedup stage + serialize (dedup on)" 3)
echo
echo "## Summary"
echo
echo "| measure | measured | target |"
echo "|---|---:|---:|"
echo "| recall on copies sharing >= 85% of 3-shingles | ${recall:-n/a} | >= 99% |"
echo "| false joins (copies / originals / same-topic pairs) | ${fj_c:-n/a} / ${fj_o:-n/a} / ${topic:-n/a} | 0 |"
echo "| index bytes per article at 10M | ${b10:-n/a} | <= 48 |"
echo "| lookup ns at 100k / 1M / 10M | ${l100:-n/a} / ${l1m:-n/a} / ${l10:-n/a} | |"
echo "| lookup at 10M vs 100k | ${r10:-n/a} | <= 1.5x |"
echo "| decisions/s, 2 processes, shared log | ${dps:-n/a} | |"
echo "| records/s, parse + serialize, dedup on / off | ${st_on:-n/a} / ${st_off:-n/a} | |"
echo "| consumer daemon throughput, dedup on / off | see bench/consume/run.sh | |"
