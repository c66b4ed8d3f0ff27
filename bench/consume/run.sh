#!/bin/bash
# bench/consume: consumer throughput against kcat, in the same run, on
# three mixes of records, and the CPU cost of each enricher on each.
#
# Mixes (each in a topic of its own on one wirehose-devbroker):
#   english       RECORDS wire-like ninjs records (bodies of about
#                 BODY_BYTES, a dateline, names, places; every one a
#                 different story): real article text where the
#                 extraction dev set is beside the clone, else generated
#   multilingual  MIX_RECORDS records of the language evaluation set
#                 (bench/language/make_evalset.py: 31 languages in 9
#                 scripts, sentences of real words from Debian's word
#                 lists), bodies of at least BODY_BYTES
#   hostile       MIX_RECORDS records of its junk classes (random
#                 letters, base64, source code, tables of numbers), as long
# Each mix is read with:
#   kcat -C -e -o beginning -q        to /dev/null (the peer)
#   wirehose-consumer --once           JSONL sink, each of:
#       every enricher, dedup on       (issue 6's figure: >= 0.25 of kcat)
#       every enricher, dedup off
#       no enricher,    dedup on       (english only)
#       no enricher,    dedup off      (english only)
# each consumer in a new group with a fresh dedup state directory. A
# consumer's rate is its records over the time from its partition
# assignment to "caught up" (its group join, ~3 s on the dev broker, is
# left out: kcat does not join a group), and its CPU time (user + sys of
# the whole run, join included: on a machine shared with other jobs the
# CPU per record says more than the wall-clock rate). Then enrich_cost
# prints the CPU cost of each enricher per record on each mix (the same
# records; also the dedup stage's, and dedup with every enricher: the
# consumer's stages), and the worst ratio of each enricher's cost on the other
# mixes to its cost on English (issue 18's bound: 3).
#
# The dev broker keeps about 5 MiB per partition and silently drops older
# messages: the script sizes PARTITIONS so that each holds at most 3 MiB
# and checks that kcat reads every record back.
#
# Knobs (environment): RECORDS (20000), MIX_RECORDS (5000), BODY_BYTES
# (1500), COST_RECORDS (records per enrich_cost table, 2000),
# BASELINE_BIN (the bin/ directory of another build, e.g. main's: its
# consumer is run on english too, with every enricher, for a before and
# after in one run), PARTITIONS
# (computed), WH_BENCH_BUILD (build directory, default
# $WH_BINDIR/bench-consume or build/bench-consume: a Release build of
# bench/consume/, which builds the whole tree beside it). The
# multilingual and hostile mixes need the word lists named in
# bench/language/make_evalset.py (bench-only packages); a language whose
# list is missing is left out, and without any the two mixes are skipped.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WH_SRCDIR=${WH_SRCDIR:-$(cd "$HERE/../.." && pwd)}
WH_BINDIR=${WH_BINDIR:-$WH_SRCDIR/build}
BUILD=${WH_BENCH_BUILD:-$WH_BINDIR/bench-consume}
RECORDS=${RECORDS:-20000}
MIX_RECORDS=${MIX_RECORDS:-5000}
BODY_BYTES=${BODY_BYTES:-1500}
COST_RECORDS=${COST_RECORDS:-2000}
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
"$PYTHON" - "$RECORDS" "$BODY_BYTES" "$GT" >"$WORK/english.records" <<'EOF'
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
# ---- multilingual and hostile: the language evaluation set's classes,
# as records (headline: the first line; the rest is the body)
to_records() {
    "$PYTHON" -c '
import json, re, sys
name = sys.argv[1]
for i, line in enumerate(sys.stdin):
    cls, text = line.rstrip("\n").split("\t", 1)
    text = re.sub(r"\\(n|\\)",
                  lambda m: "\n" if m.group(1) == "n" else "\\", text)
    head, _, body = text.partition("\n\n")
    if not body:
        head, body = cls, text
    uri = "https://bench.example/%s/%d" % (name, i)
    rec = {"uri": uri, "type": "text",
           "headlines": [{"role": "main", "value": head}],
           "bodies": [{"role": "main", "contentType": "text/plain",
                       "value": body}],
           "wirehose": {"source": "bench-" + cls,
                        "fetchedAt": "2026-11-27T10:00:00Z"}}
    print(uri + "\t" + json.dumps(rec, ensure_ascii=False))' "$1"
}
# shuffle N: N lines of stdin in a fixed random order
shuffle() {
    "$PYTHON" -c '
import random, sys
lines = sys.stdin.readlines()
random.Random(7).shuffle(lines)
sys.stdout.writelines(lines[:int(sys.argv[1])])' "$1"
}
MIXES=(english)
EVALSET=$WH_SRCDIR/bench/language/make_evalset.py
"$PYTHON" "$EVALSET" --kinds languages --body-bytes "$BODY_BYTES" \
    --per-class $(((MIX_RECORDS + 30) / 31)) 2>"$WORK/evalset.log" |
    shuffle "$MIX_RECORDS" | to_records multilingual >"$WORK/multilingual.records"
"$PYTHON" "$EVALSET" --kinds junk --body-bytes "$BODY_BYTES" \
    --per-class $(((MIX_RECORDS + 3) / 4)) 2>>"$WORK/evalset.log" |
    shuffle "$MIX_RECORDS" | to_records hostile >"$WORK/hostile.records"
sed 's/^/records: /' "$WORK/evalset.log" >&2
if [ "$(wc -l <"$WORK/multilingual.records")" -gt 0 ]; then
    MIXES+=(multilingual hostile)
else
    echo "records: no word list installed: multilingual and hostile" \
        "mixes skipped (see bench/language/make_evalset.py)" >&2
fi

biggest=0
for mix in "${MIXES[@]}"; do
    b=$(wc -c <"$WORK/$mix.records")
    [ "$b" -gt "$biggest" ] && biggest=$b
done
PARTITIONS=${PARTITIONS:-$(((biggest + 3 * 1048576 - 1) / (3 * 1048576)))}
[ "$PARTITIONS" -ge 2 ] || PARTITIONS=2

topics=()
for mix in "${MIXES[@]}"; do topics+=(--topic "bench-$mix"); done
"$BIN/wirehose-devbroker" --partitions "$PARTITIONS" "${topics[@]}" \
    --bootstrap-file "$WORK/bootstrap" >/dev/null 2>"$WORK/broker.log" &
BROKER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
BROKERS=$(head -n 1 "$WORK/bootstrap")
for mix in "${MIXES[@]}"; do
    kcat -P -b "$BROKERS" -t "bench-$mix" -K $'\t' \
        -X queue.buffering.max.messages=1000000 <"$WORK/$mix.records" ||
        { echo "kcat could not produce" >&2; exit 1; }
    # every record is there (-f '\n': one line per message)
    want=$(wc -l <"$WORK/$mix.records")
    got=$(kcat -C -b "$BROKERS" -t "bench-$mix" -e -o beginning -q -f '\n' |
        wc -l)
    if [ "$got" -ne "$want" ]; then
        echo "kcat read $got of $want $mix records (the dev broker" \
            "dropped some? raise PARTITIONS)" >&2
        exit 1
    fi
done

# consumer MIX NAME ARGS...: one --once run in a new group; records its
# name, the seconds from the assignment to "caught up" and its CPU time.
# CONSUMER_BIN (default: this build's) is the binary run.
run=0
consumer() {
    local mix=$1 name=$2
    shift 2
    run=$((run + 1))
    /usr/bin/time -f '%U %S' -o "$WORK/cpu$run" \
        "${CONSUMER_BIN:-$BIN/wirehose-consumer}" --once -b "$BROKERS" -t "bench-$mix" \
        -g "bench$run" --sink "jsonl:$WORK/out$run.jsonl" \
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
        echo "consumer run '$mix: $name' failed" >&2
        exit 1
    }
    lines=$(grep -c . "$WORK/out$run.jsonl" || true)
    # With dedup on, records whose text another record already carries
    # (the dev set holds a few articles twice) are dropped as duplicates:
    # the summary must account for every record either way.
    dups=$(grep -o 'duplicates [0-9]*' "$WORK/log$run" | tail -n 1 |
        grep -o '[0-9]*' || echo 0)
    want=$(wc -l <"$WORK/$mix.records")
    [ $((lines + ${dups:-0})) -eq "$want" ] || {
        echo "consumer run '$mix: $name' wrote $lines of $want records:" \
            "$(cat "$WORK/log$run") (${dups:-0} duplicates)" >&2
        exit 1
    }
    rm -f "$WORK/out$run.jsonl"
    rm -rf "$WORK/state$run"
    NAMES+=("consumer, $name")
    SECS+=("$(cat "$WORK/t$run")")
    CPUS+=("$(awk '{ print $1 + $2 }' "$WORK/cpu$run")")
}

# kcat MIX: the peer, wall time of the whole read
kcat_read() {
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$WORK/kcat.cpu" \
        kcat -C -b "$BROKERS" -t "bench-$1" -e -o beginning -q >/dev/null
    t1=$(date +%s.%N)
    NAMES+=("kcat -C -e -o beginning -q")
    SECS+=("$(echo "$t1 - $t0" | bc -l)")
    CPUS+=("$(awk '{ print $1 + $2 }' "$WORK/kcat.cpu")")
}

printf '\nbench/consume: %d partitions; the machine may be shared: read the CPU\n' \
    "$PARTITIONS"
printf 'columns, and ratios within one mix (measured minutes apart)\n'
for mix in "${MIXES[@]}"; do
    NAMES=()
    SECS=()
    CPUS=()
    kcat_read "$mix"
    consumer "$mix" "every enricher, dedup on"
    consumer "$mix" "every enricher, dedup off" --dedup none
    if [ "$mix" = english ]; then
        consumer "$mix" "no enricher, dedup on" --enrich none
        consumer "$mix" "no enricher, dedup off" --enrich none --dedup none
        if [ -n "${BASELINE_BIN:-}" ]; then
            CONSUMER_BIN=$BASELINE_BIN/wirehose-consumer consumer "$mix" \
                "BASELINE every enricher, dedup on"
            CONSUMER_BIN=$BASELINE_BIN/wirehose-consumer consumer "$mix" \
                "BASELINE every enricher, dedup off" --dedup none
        fi
    fi
    n=$(wc -l <"$WORK/$mix.records")
    bytes=$(wc -c <"$WORK/$mix.records")
    printf '\n%s: %d records, %d bytes (%.0f per record)\n' "$mix" "$n" \
        "$bytes" "$(echo "$bytes / $n" | bc -l)"
    printf '%-36s %8s %10s %7s %7s %11s\n' "reader" "seconds" \
        "records/s" "x kcat" "CPU s" "CPU us/rec"
    kr=$(echo "$n / ${SECS[0]}" | bc -l)
    for i in "${!NAMES[@]}"; do
        r=$(echo "$n / ${SECS[$i]}" | bc -l)
        printf '%-36s %8.3f %10.0f %7.3f %7.2f %11.1f\n' "${NAMES[$i]}" \
            "${SECS[$i]}" "$r" "$(echo "$r / $kr" | bc -l)" "${CPUS[$i]}" \
            "$(echo "${CPUS[$i]} * 1000000 / $n" | bc -l)"
    done
done

# ---- the cost of each enricher per record, on each mix's records
for mix in "${MIXES[@]}"; do
    echo
    "$BUILD/enrich_cost" -n "$COST_RECORDS" -d "$WH_SRCDIR/data" \
        -i "$WORK/$mix.records" -l "$mix" -D "$WORK/cost-dedup-$mix" \
        2>"$WORK/cost-$mix.log" | tee "$WORK/cost-$mix" ||
        { cat "$WORK/cost-$mix.log" >&2; exit 1; }
done
if [ "${#MIXES[@]}" -gt 1 ]; then
    echo
    echo "each enricher's cost on the other mixes, as a multiple of its" \
        "cost on english (bound: 3)"
    awk '
        FNR == 1 { mix = FILENAME; sub(/.*cost-/, "", mix); mixes[++m] = mix }
        $1 != "stage" && NF == 6 && $1 != "enrich_cost:" {
            us[mix, $1] = $5; if (!($1 in seen)) { seen[$1] = 1; order[++s] = $1 }
        }
        END {
            printf "%-12s", "stage"
            for (j = 2; j <= m; j++) printf " %12s", mixes[j]
            printf " %9s\n", "worst"
            for (i = 1; i <= s; i++) {
                st = order[i]; worst = 0
                printf "%-12s", st
                for (j = 2; j <= m; j++) {
                    x = us[mixes[1], st] > 0 ? us[mixes[j], st] / us[mixes[1], st] : 0
                    if (x > worst) worst = x
                    printf " %12.2f", x
                }
                printf " %9.2f\n", worst
            }
        }' "$WORK/cost-english" "$WORK/cost-multilingual" "$WORK/cost-hostile"
fi
