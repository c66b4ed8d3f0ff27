#!/bin/bash
# bench/consume: consumer throughput against kcat, in the same run.
#
# Produces RECORDS wire-like ninjs records (bodies of about BODY_BYTES,
# a dateline, names, places; every one a different story) to a topic of
# PARTITIONS partitions on a wirehose-devbroker, then reads the whole
# topic with:
#   kcat -C -e -o beginning -q        to /dev/null (the peer)
#   wirehose-consumer --once           JSONL sink, each of:
#       every enricher, dedup on       (issue 6's figure: >= 0.25 of kcat)
#       every enricher, dedup off
#       no enricher,    dedup on
#       no enricher,    dedup off
# each consumer in a new group with a fresh dedup state directory. A
# consumer's rate is its records over the time from its partition
# assignment to "caught up" (its group join, ~3 s on the dev broker, is
# left out: kcat does not join a group), and its CPU time (user + sys of
# the whole run, join included: on a machine shared with other jobs the
# CPU per record says more than the wall-clock rate). Then
# enrich_cost prints the CPU cost of each enricher per record.
#
# The dev broker keeps about 5 MiB per partition and silently drops older
# messages: the script sizes PARTITIONS so that each holds at most 3 MiB
# and checks that kcat reads every record back.
#
# Knobs (environment): RECORDS (20000), BODY_BYTES (1500), PARTITIONS
# (computed), WH_BENCH_BUILD (build directory, default
# $WH_BINDIR/bench-consume or build/bench-consume: a Release build of
# bench/consume/, which builds the whole tree beside it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WH_SRCDIR=${WH_SRCDIR:-$(cd "$HERE/../.." && pwd)}
WH_BINDIR=${WH_BINDIR:-$WH_SRCDIR/build}
BUILD=${WH_BENCH_BUILD:-$WH_BINDIR/bench-consume}
RECORDS=${RECORDS:-20000}
BODY_BYTES=${BODY_BYTES:-1500}
PYTHON=${WH_PYTHON:-python3}

for tool in kcat "$PYTHON" cmake bc /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench/consume: $tool is not installed" >&2
        exit 1
    }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wh-bench-consume.XXXXXX")
BROKER_PID=
cleanup() {
    if [ -n "$BROKER_PID" ]; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "building (Release) in $BUILD ..." >&2
cmake -S "$HERE" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DWH_SANITIZE=OFF \
    >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j2 --target wirehose-consumer wirehose-devbroker \
    enrich_cost >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
BIN=$BUILD/bin

# ---- records
# Real news text where the extraction dev set is beside the clone (enricher
# costs depend on the text: word salad defeats the language fast path);
# generated text otherwise. Either way the corpus is named in the output.
GT=${WH_SRCDIR:-$HERE/../..}/../shared/datasets/extraction-dev/ground-truth.json
"$PYTHON" - "$RECORDS" "$BODY_BYTES" "$GT" >"$WORK/records" <<'EOF'
import json, os, random, sys
n, size = int(sys.argv[1]), int(sys.argv[2])

def emit(i, paras):
    """Prints record i (key TAB ninjs JSON) with a body of paras."""
    uri = "https://bench.example/story/%d" % i
    rec = {"uri": uri, "type": "text",
           "headlines": [{"role": "main", "value": "Story %d" % i}],
           "bodies": [{"role": "main", "contentType": "text/plain",
                       "value": "\n\n".join(paras)}],
           "wirehose": {"source": "bench",
                        "fetchedAt": "2026-11-27T10:00:00Z"}}
    print(uri + "\t" + json.dumps(rec))

rnd = random.Random(42)
if os.path.exists(sys.argv[3]):
    bodies = [v["articleBody"] for v in json.load(open(sys.argv[3])).values()
              if len(v.get("articleBody") or "") >= 500
              and "\0" not in v["articleBody"]]
    sys.stderr.write("records: %d real article bodies from the extraction "
                     "dev set, cut to ~%d bytes\n" % (len(bodies), size))
    for i in range(n):
        text = bodies[i % len(bodies)]
        paras = [p.strip() for p in text.split("\n") if p.strip()]
        out, total = [], 0
        for p in paras:
            if total >= size:
                break
            out.append(p)
            total += len(p)
        emit(i, out)
    sys.exit(0)
sys.stderr.write("records: generated text (no extraction dev set found)\n")
words = ("the government said on tuesday that it would raise taxes cut "
         "spending budget deficit talks minister officials reported "
         "market shares rose fell percent company profits quarter growth "
         "election voters parliament court ruling police protest city "
         "river bridge harbour train orchestra season players coach team "
         "match league weather storm flood rescue hospital doctors health "
         "school teachers students university research scientists climate "
         "energy prices oil gas power plant workers union strike factory").split()
names = ["Maria Novak", "Ahmed Haddad", "Li Wong", "Anna Schmidt",
         "Pedro Silva", "Olga Petrov", "James Okafor", "Kenji Tanaka"]
places = ["Paris", "Berlin", "Nairobi", "Tokyo", "Lisbon", "Cairo", "Lima"]
for i in range(n):
    paras, total = [], 0
    first = True
    while total < size:
        s = []
        for _ in range(rnd.randint(3, 5)):
            w = [rnd.choice(words) for _ in range(rnd.randint(10, 20))]
            if rnd.random() < 0.5:
                w.insert(rnd.randint(0, len(w)), rnd.choice(names))
            if rnd.random() < 0.3:
                w.insert(rnd.randint(0, len(w)), "in " + rnd.choice(places))
            s.append(" ".join(w).capitalize() + ".")
        p = " ".join(s)
        if first:
            p = rnd.choice(places).upper() + " (Wire) - " + p
            first = False
        paras.append(p)
        total += len(p)
    emit(i, paras)
EOF
bytes=$(wc -c <"$WORK/records")
PARTITIONS=${PARTITIONS:-$(((bytes + 3 * 1048576 - 1) / (3 * 1048576)))}
[ "$PARTITIONS" -ge 2 ] || PARTITIONS=2

"$BIN/wirehose-devbroker" --partitions "$PARTITIONS" --topic bench \
    --bootstrap-file "$WORK/bootstrap" >/dev/null 2>"$WORK/broker.log" &
BROKER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
BROKERS=$(head -n 1 "$WORK/bootstrap")
kcat -P -b "$BROKERS" -t bench -K $'\t' -X queue.buffering.max.messages=1000000 \
    <"$WORK/records" || { echo "kcat could not produce" >&2; exit 1; }

# ---- every record is there (-f '\n': one line per message)
got=$(kcat -C -b "$BROKERS" -t bench -e -o beginning -q -f '\n' | wc -l)
if [ "$got" -ne "$RECORDS" ]; then
    echo "kcat read $got of $RECORDS records (the dev broker dropped some?" \
        "raise PARTITIONS)" >&2
    exit 1
fi

# ---- kcat, the peer: wall time of the whole read
t0=$(date +%s.%N)
/usr/bin/time -f '%U %S' -o "$WORK/kcat.cpu" \
    kcat -C -b "$BROKERS" -t bench -e -o beginning -q >/dev/null
t1=$(date +%s.%N)
KCAT_S=$(echo "$t1 - $t0" | bc -l)
KCAT_CPU=$(awk '{ print $1 + $2 }' "$WORK/kcat.cpu")

# consumer NAME ARGS...: one --once run in a new group; prints seconds
# from the assignment to "caught up".
run=0
consumer() {
    local name=$1
    shift
    run=$((run + 1))
    /usr/bin/time -f '%U %S' -o "$WORK/cpu$run" \
        "$BIN/wirehose-consumer" --once -b "$BROKERS" -t bench -g "bench$run" \
        --sink "jsonl:$WORK/out$run.jsonl" \
        -c <(printf 'dedup.state_dir = %s\n' "$WORK/state$run") "$@" 2>&1 |
        "$PYTHON" -c '
import sys, time
start = end = None
summary = ""
for line in sys.stdin:
    now = time.monotonic()
    if start is None and "assigned" in line:
        start = now
    if "caught up" in line:
        end = now
    if "records in" in line:
        summary = line.strip()
    sys.stderr.write(line) if "<3>" in line else None
open(sys.argv[1], "w").write(summary + "\n")
if start is None or end is None:
    sys.exit("no assignment / caught-up line")
print("%.3f" % (end - start))' "$WORK/log$run" >"$WORK/t$run" || {
        echo "consumer run '$name' failed" >&2
        exit 1
    }
    lines=$(grep -c . "$WORK/out$run.jsonl")
    # With dedup on, records whose text another record already carries
    # (the dev set holds a few articles twice) are dropped as duplicates:
    # the summary must account for every record either way.
    dups=$(grep -o 'duplicates [0-9]*' "$WORK/log$run" | tail -n 1 |
        grep -o '[0-9]*' || echo 0)
    [ $((lines + ${dups:-0})) -eq "$RECORDS" ] || {
        echo "consumer run '$name' wrote $lines of $RECORDS records: $(cat "$WORK/log$run")" \
            "(${dups:-0} duplicates)" >&2
        exit 1
    }
    rm -f "$WORK/out$run.jsonl"
    rm -rf "$WORK/state$run"
    NAMES+=("$name")
    SECS+=("$(cat "$WORK/t$run")")
    CPUS+=("$(awk '{ print $1 + $2 }' "$WORK/cpu$run")")
}
NAMES=()
SECS=()
CPUS=()
consumer "every enricher, dedup on"
consumer "every enricher, dedup off" --dedup none
consumer "no enricher, dedup on" --enrich none
consumer "no enricher, dedup off" --enrich none --dedup none

printf '\nbench/consume: %d records, %d bytes (%.0f per record), %d partitions\n' \
    "$RECORDS" "$bytes" "$(echo "$bytes / $RECORDS" | bc -l)" "$PARTITIONS"
printf '%-36s %8s %10s %7s %7s %11s\n' "reader" "seconds" \
    "records/s" "x kcat" "CPU s" "CPU us/rec"
kr=$(echo "$RECORDS / $KCAT_S" | bc -l)
printf '%-36s %8.3f %10.0f %7.3f %7.2f %11.1f\n' \
    "kcat -C -e -o beginning -q" "$KCAT_S" "$kr" 1 "$KCAT_CPU" \
    "$(echo "$KCAT_CPU * 1000000 / $RECORDS" | bc -l)"
for i in "${!NAMES[@]}"; do
    r=$(echo "$RECORDS / ${SECS[$i]}" | bc -l)
    printf '%-36s %8.3f %10.0f %7.3f %7.2f %11.1f\n' \
        "consumer, ${NAMES[$i]}" "${SECS[$i]}" "$r" \
        "$(echo "$r / $kr" | bc -l)" "${CPUS[$i]}" \
        "$(echo "${CPUS[$i]} * 1000000 / $RECORDS" | bc -l)"
done
echo
"$BUILD/enrich_cost" -n 2000 -s "$BODY_BYTES" -d "$WH_SRCDIR/data"
