#!/bin/bash
# bench/entities: the entities enricher on the shared NER dev set
# (../shared/datasets/ner-dev/gold.json: 144 documents of nine genres with
# their people, organisations and places), against the baseline enricher
# in the same run.
#
# Builds the driver ner_eval (bench/entities/ner_eval.c: language, then
# entities, over every record; CPU time of the entities enricher per
# record) twice, Release: over this checkout, and over the baseline
# commit BASE unpacked from git (its own code and its own data/), then
# runs both on the records that ../shared/tools/score_entities.py
# --records prints, alternately, and scores both outputs with that
# scorer. Prints one table: P/R/F1 per type and per genre, baseline and
# now side by side, and microseconds per record with the ratio.
#
# Knobs (environment): BASE (git commit of the baseline enricher,
# default c98d2d2, main before issue 19), REPEAT (timing passes per run,
# default 5; the fastest counts), WH_BENCH_BUILD (build directory,
# default $WH_BINDIR/bench-entities or build/bench-entities), WH_SHARED
# (default ../shared beside the checkout), ERRORS=N (also list the misses
# and wrong names of N documents for the current enricher).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WH_SRCDIR=${WH_SRCDIR:-$(cd "$HERE/../.." && pwd)}
WH_BINDIR=${WH_BINDIR:-$WH_SRCDIR/build}
BUILD=${WH_BENCH_BUILD:-$WH_BINDIR/bench-entities}
SHARED=${WH_SHARED:-$WH_SRCDIR/../shared}
BASE=${BASE:-c98d2d2}
REPEAT=${REPEAT:-5}
PYTHON=${WH_PYTHON:-python3}
GOLD=$SHARED/datasets/ner-dev/gold.json
SCORER=$SHARED/tools/score_entities.py

for f in "$GOLD" "$SCORER"; do
    [ -f "$f" ] || { echo "bench/entities: $f is missing" >&2; exit 1; }
done
base_commit=$(git -C "$WH_SRCDIR" rev-parse --verify --quiet \
    "$BASE^{commit}") || {
    echo "bench/entities: baseline commit $BASE not in this clone (set BASE)" >&2
    exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wh-bench-entities.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The baseline's sources stay beside its build, so a second run rebuilds
# nothing.
BASE_SRC=$BUILD/base-src-$base_commit
if [ ! -f "$BASE_SRC/CMakeLists.txt" ]; then
    rm -rf "$BASE_SRC"
    mkdir -p "$BASE_SRC"
    git -C "$WH_SRCDIR" archive "$base_commit" | tar -x -C "$BASE_SRC"
fi

build() { # build DIR TREE
    echo "building ner_eval (Release) over $2 in $1 ..." >&2
    cmake -S "$HERE" -B "$1" -DCMAKE_BUILD_TYPE=Release -DWH_SANITIZE=OFF \
        -DWH_TREE="$2" >"$WORK/cmake.log" 2>&1 ||
        { cat "$WORK/cmake.log" >&2; exit 1; }
    cmake --build "$1" -j2 --target ner_eval >"$WORK/build.log" 2>&1 ||
        { tail -30 "$WORK/build.log" >&2; exit 1; }
}
build "$BUILD/now" "$WH_SRCDIR"
build "$BUILD/base-$base_commit" "$BASE_SRC"

"$PYTHON" "$SCORER" --records "$GOLD" >"$WORK/records.tsv"
run() { # run NAME BIN DATA
    "$2" -d "$3" -r "$REPEAT" <"$WORK/records.tsv" >"$WORK/$1.jsonl" \
        2>>"$WORK/$1.cost"
}
# alternate, so both see the same load; the faster of two runs counts
for round in 1 2; do
    run base "$BUILD/base-$base_commit/ner_eval" "$BASE_SRC/data"
    run now "$BUILD/now/ner_eval" "$WH_SRCDIR/data"
done
for name in base now; do
    "$PYTHON" "$SCORER" "$GOLD" "$WORK/$name.jsonl" --by-genre --quiet \
        --json "$WORK/$name.json"
done

"$PYTHON" - "$WORK" "$base_commit" <<'PY'
import json, re, sys
work, base = sys.argv[1], sys.argv[2][:12]
res = {n: json.load(open("%s/%s.json" % (work, n))) for n in ("base", "now")}
cost = {}
for n in res:
    us = [float(m) for m in re.findall(r"([0-9.]+) us/record \(entities\)",
                                       open("%s/%s.cost" % (work, n)).read())]
    cost[n] = min(us)
docs = res["now"]["documents"]
print("bench/entities: %d documents of ../shared/datasets/ner-dev, "
      "baseline %s against this tree" % (docs, base))
print("%-26s %6s %6s %6s   %6s %6s %6s" % ("", "P", "R", "F1", "P", "R", "F1"))
print("%-26s %20s   %20s" % ("", "baseline", "now"))
def line(label, a, b):
    print("%-26s %6.3f %6.3f %6.3f   %6.3f %6.3f %6.3f" % (
        label, a["precision"], a["recall"], a["f1"],
        b["precision"], b["recall"], b["f1"]))
for t in ("people", "organisations", "places"):
    line(t, res["base"]["types"][t], res["now"]["types"][t])
line("all", res["base"]["all"], res["now"]["all"])
for g in sorted(res["now"]["genres"]):
    line("genre " + g, res["base"]["genres"][g]["all"],
         res["now"]["genres"][g]["all"])
for n in ("base", "now"):
    print("type confusion %-5s %s" % (n, ", ".join(
        "%s %d" % kv for kv in res[n]["type_confusion"].items()) or "none"))
print("entities us/record (CPU)   baseline %.1f   now %.1f   ratio %.2f" % (
    cost["base"], cost["now"], cost["now"] / cost["base"]))
PY
if [ "${ERRORS:-0}" != 0 ]; then
    "$PYTHON" "$SCORER" "$GOLD" "$WORK/now.jsonl" --quiet --errors "$ERRORS"
fi
