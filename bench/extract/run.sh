#!/bin/sh
# bench/extract/run.sh - extraction benchmark: wirehose-extract against
# Mozilla Readability (with jsdom) on the shared dev set, in one run.
#
#   bench/extract/run.sh            # (make bench-extract)
#
# Environment:
#   WH_SHARED   the shared folder (default: <repo>/../shared)
#   WH_BUILD    build directory (default: <repo>/build-bench, Release)
#   PEER_CHUNK  pages per Readability process (default 300: jsdom's
#               one-process batch grows past 4 GB after ~1,100 pages and
#               dies, so the peer runs as a few batch processes in turn)
#   SKIP_PEER=1 skip Readability
#
# Prints one table: F1, precision, recall per source dataset and overall
# for both extractors, pages/s and peak RSS for each, the bare libxml2
# parse time of the same pages, and the start-up cost of a one-page run;
# then how our dates and bylines agree with the pages' structured data
# (meta_agreement.py, on records written outside the timed runs).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${WH_SHARED:-$root/../shared}
dev=$shared/datasets/extraction-dev
scorer=$shared/tools/score_extraction.py
peer_src=$shared/tools/peers/readability
build=${WH_BUILD:-$root/build-bench}
chunk=${PEER_CHUNK:-300}

if [ ! -d "$dev/html" ]; then
    echo "bench-extract: the dev set is not at $dev (set WH_SHARED)" >&2
    exit 2
fi
if [ ! -x /usr/bin/time ]; then
    echo "bench-extract: needs /usr/bin/time (apt-get install -y time)" >&2
    exit 2
fi

# outputs go to memory when possible, so file-system noise stays out
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    TMPDIR=/dev/shm
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wh-bench-extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "building wirehose-extract (Release) in $build ..." >&2
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target wirehose-extract >/dev/null
ext=$build/bin/wirehose-extract

# "elapsed_seconds max_rss_kb cpu_seconds" from a /usr/bin/time -v log
time_of() {
    awk -F': ' '/Elapsed \(wall clock\)/ {
                    n = split($2, t, ":"); s = 0;
                    for (i = 1; i <= n; i++) s = s * 60 + t[i]; el = s }
                /Maximum resident set size/ { rss = $2 }
                /User time \(seconds\)/ { cpu += $2 }
                /System time \(seconds\)/ { cpu += $2 }
                END { printf "%.3f %d %.3f\n", el, rss, cpu }' "$1"
}

# is $1 < $2 (decimal numbers)?
lt() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}

ls "$dev/html" | grep '\.html$' | sort > "$tmp/pages"
npages=$(wc -l < "$tmp/pages")
sed "s|^|$dev/html/|" "$tmp/pages" > "$tmp/paths"

# --- wirehose-extract: one process over all pages ---
# (the dev set's 1,497 paths fit in one command line; no blanks in them)
echo "wirehose-extract over $npages pages ..." >&2
# best of 3 runs (the machine is shared; the best run is the least
# disturbed one), for us and for the bare parse alike
set -- $(cat "$tmp/paths")
ours_s=
ours_cpu=
ours_rss=0
for run in 1 2 3; do
    rm -rf "$tmp/ours"
    /usr/bin/time -v -o "$tmp/ours.time" "$ext" --text --out-dir \
        "$tmp/ours" "$@" 2>"$tmp/ours.err" || true
    set -- $(time_of "$tmp/ours.time") "$@"
    if [ -z "$ours_s" ] || lt "$1" "$ours_s"; then
        ours_s=$1
    fi
    if [ -z "$ours_cpu" ] || lt "$3" "$ours_cpu"; then
        ours_cpu=$3
    fi
    [ "$2" -gt "$ours_rss" ] && ours_rss=$2
    shift 3
done
nours=$(ls "$tmp/ours" | wc -l)

# --- bare libxml2 parse of the same pages ---
echo "bare libxml2 parse ..." >&2
cc -O2 -o "$tmp/parse_only" "$here/parse_only.c" \
    $(pkg-config --cflags --libs libxml-2.0)
set -- $(cat "$tmp/paths")
parse_s=
parse_cpu=
parse_inproc=
parse_rss=0
for run in 1 2 3; do
    /usr/bin/time -v -o "$tmp/parse.time" "$tmp/parse_only" "$@" \
        > "$tmp/parse.out"
    set -- $(cat "$tmp/parse.out") $(time_of "$tmp/parse.time") "$@"
    if [ -z "$parse_inproc" ] || lt "$2" "$parse_inproc"; then
        parse_inproc=$2
    fi
    if [ -z "$parse_s" ] || lt "$3" "$parse_s"; then
        parse_s=$3
    fi
    if [ -z "$parse_cpu" ] || lt "$5" "$parse_cpu"; then
        parse_cpu=$5
    fi
    [ "$4" -gt "$parse_rss" ] && parse_rss=$4
    shift 5
done

# --- start-up cost: a one-page run, best of 20 ---
small=$(ls -S "$dev/html"/*.html | tail -n 1)
startup=$(python3 - "$ext" "$small" <<'PY'
import subprocess, sys, time
best = 1e9
for _ in range(20):
    t = time.perf_counter()
    subprocess.run([sys.argv[1], '--text', sys.argv[2]],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    best = min(best, time.perf_counter() - t)
print('%.1f' % (best * 1000))
PY
)

# --- Mozilla Readability ---
peer_ok=0
if [ "${SKIP_PEER:-0}" != 1 ] && command -v node >/dev/null &&
   command -v npm >/dev/null && [ -d "$peer_src" ]; then
    echo "installing the Readability peer (npm) ..." >&2
    mkdir -p "$tmp/peer"
    cp "$peer_src"/cli.js "$peer_src"/package.json "$tmp/peer/"
    if (cd "$tmp/peer" && npm install --no-audit --no-fund \
            >"$tmp/npm.log" 2>&1); then
        peer_ok=1
    else
        echo "bench-extract: npm install failed, see below" >&2
        tail -5 "$tmp/npm.log" >&2
    fi
fi
if [ $peer_ok = 1 ]; then
    echo "Readability over $npages pages, $chunk per process ..." >&2
    split -l "$chunk" "$tmp/pages" "$tmp/chunk."
    peer_s=0
    peer_rss=0
    for c in "$tmp"/chunk.*; do
        d=$c.d
        mkdir -p "$d"
        while read -r p; do ln -s "$dev/html/$p" "$d/$p"; done < "$c"
        /usr/bin/time -v -o "$c.time" node "$tmp/peer/cli.js" --batch \
            "$d" "$tmp/peer-out" >/dev/null 2>"$c.err" || true
        set -- $(time_of "$c.time")
        peer_s=$(echo "$peer_s $1" | awk '{ printf "%.3f", $1 + $2 }')
        [ "$2" -gt "$peer_rss" ] && peer_rss=$2
    done
fi

# --- dates and bylines against structured data (records, untimed) ---
"$ext" --out-dir "$tmp/records" $(cat "$tmp/paths") 2>/dev/null || true
python3 "$here/meta_agreement.py" --html "$dev/html" --records "$tmp/records" \
    > "$tmp/meta.txt"

# --- scores and the table ---
python3 "$here/score_by_source.py" --scorer "$scorer" \
    --gt "$dev/ground-truth.json" --pred "$tmp/ours" --json > "$tmp/ours.json"
if [ $peer_ok = 1 ]; then
    python3 "$here/score_by_source.py" --scorer "$scorer" \
        --gt "$dev/ground-truth.json" --pred "$tmp/peer-out" --json \
        > "$tmp/peer.json"
else
    echo '{}' > "$tmp/peer.json"
fi

python3 - "$tmp/ours.json" "$tmp/peer.json" <<PY
import json, sys
ours = json.load(open(sys.argv[1]))
peer = json.load(open(sys.argv[2]))
n = $npages
ours_s, peer_s = $ours_s, ${peer_s:-0}
parse_s, parse_inproc = $parse_s, $parse_inproc
ours_cpu, parse_cpu = $ours_cpu, $parse_cpu
def rate(s):
    return n / s if s else float('nan')
print()
print('extraction dev set: %d pages (%d written by wirehose-extract)'
      % (n, $nours))
print('%-18s %-18s %7s %7s %7s' % ('source', 'extractor', 'F1', 'P', 'R'))
for src in sorted(ours, key=lambda k: (k == 'overall', k)):
    for name, res in (('wirehose-extract', ours), ('readability', peer)):
        if src in res:
            s = res[src]
            print('%-18s %-18s %7.4f %7.4f %7.4f' % (
                src + ' (%d)' % s['pages'], name, s['f1'], s['precision'],
                s['recall']))
print()
print('%-26s %10s %12s %14s %8s' % ('run', 'seconds', 'pages/s',
      'peak RSS MB', 'CPU s'))
print('%-26s %10.2f %12.1f %14.1f %8.2f' % ('wirehose-extract', ours_s,
      rate(ours_s), $ours_rss / 1024, ours_cpu))
if peer:
    print('%-26s %10.2f %12.1f %14.1f' % ('readability (jsdom)', peer_s,
          rate(peer_s), ${peer_rss:-0} / 1024))
print('%-26s %10.2f %12.1f %14.1f %8.2f' % ('bare libxml2 parse (proc)',
      parse_s, rate(parse_s), $parse_rss / 1024, parse_cpu))
print('%-26s %10.2f %12.1f' % ('bare libxml2 parse (only)', parse_inproc,
      rate(parse_inproc)))
print()
if peer:
    print('speed vs readability:       %.1fx' % (peer_s / ours_s))
    print('F1 vs readability:          %+.4f' % (ours['overall']['f1']
          - peer['overall']['f1']))
print('extraction / bare parse:    %.2fx wall, %.2fx CPU (whole '
      'processes, best of 3); %.2fx vs the parse calls alone'
      % (ours_s / parse_s, ours_cpu / parse_cpu, ours_s / parse_inproc))
print('start-up, one-page run:     %s ms (best of 20)' % '$startup')
print()
print('dev F1 (overall):           %.4f (issue 15 target >= 0.955); '
      'extraction / bare parse target <= 1.5x' % ours['overall']['f1'])
PY
echo
echo "dates and bylines against structured data (meta_agreement.py):"
cat "$tmp/meta.txt"
