#!/bin/bash
# bench/fetch: 10,000 feeds on a loopback server (wh_feedserver,
# libmicrohttpd) polled by one wh_fetcher process, two rounds (cold, then
# with ETags: a mix of 200 and 304, some slow feeds), against the previous
# easy-interface fetcher (producers/fetch.c) on a sample of feeds.
# Prints one table. Targets: >= 10,000 feeds/min, <= 1 core, <= 200 MB RSS.
#
# Knobs (environment): FEEDS (10000), HOSTS (1000), PEER_FEEDS (300),
# MAX_TOTAL (128), MAX_PER_HOST (2), HOST_DELAY_MS (250), SLOW_EVERY (50),
# SLOW_MS (1000), CHANGING_EVERY (4), WH_BENCH_BUILD (build directory,
# default $WH_BINDIR/bench-fetch).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WH_SRCDIR=${WH_SRCDIR:-$(cd "$HERE/../.." && pwd)}
WH_BINDIR=${WH_BINDIR:-$WH_SRCDIR/build}
BUILD=${WH_BENCH_BUILD:-$WH_BINDIR/bench-fetch}
FEEDS=${FEEDS:-10000}
HOSTS=${HOSTS:-1000}
PEER_FEEDS=${PEER_FEEDS:-300}
MAX_TOTAL=${MAX_TOTAL:-128}
MAX_PER_HOST=${MAX_PER_HOST:-2}
HOST_DELAY_MS=${HOST_DELAY_MS:-250}
SLOW_EVERY=${SLOW_EVERY:-50}
SLOW_MS=${SLOW_MS:-1000}
CHANGING_EVERY=${CHANGING_EVERY:-4}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wh-bench-fetch.XXXXXX")
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "building in $BUILD (Release) ..." >&2
cmake -S "$HERE" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake.log" 2>&1 ||
    { cat "$WORK/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j2 --target wh_feedserver wh_fetch_bench \
    wh_fetch_bench_easy >"$WORK/build.log" 2>&1 ||
    { tail -n 40 "$WORK/build.log" >&2; exit 1; }

"$BUILD/wh_feedserver" --port-file "$WORK/port" --feeds "$FEEDS" \
    --changing-every "$CHANGING_EVERY" --slow-every "$SLOW_EVERY" \
    --slow-ms "$SLOW_MS" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do
    [ -s "$WORK/port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done
PORT=$(tr -d '[:space:]' <"$WORK/port")

echo "running wh_fetcher on $FEEDS feeds ..." >&2
"$BUILD/wh_fetch_bench" --port "$PORT" --feeds "$FEEDS" --hosts "$HOSTS" \
    --rounds 2 --max-total "$MAX_TOTAL" --max-per-host "$MAX_PER_HOST" \
    --host-delay-ms "$HOST_DELAY_MS" >"$WORK/fetcher.out"
echo "running the peer (fetch.c, one at a time) on $PEER_FEEDS feeds ..." >&2
"$BUILD/wh_fetch_bench_easy" --port "$PORT" --feeds "$PEER_FEEDS" \
    >"$WORK/peer.out"

/usr/bin/python3 - "$WORK/fetcher.out" "$WORK/peer.out" <<PY
import sys

rounds, rss = [], 0
for line in open(sys.argv[1]):
    if line.startswith("ROUND"):
        p = line.split()
        rounds.append(dict(zip(p[2::2], p[3::2])) | {"round": p[1]})
    elif line.startswith("PEAK_RSS_KB"):
        rss = int(line.split()[1])
peer = {}
for line in open(sys.argv[2]):
    p = line.split()
    peer = dict(zip(p[1::2], p[2::2]))

slow = ("1 in $SLOW_EVERY slow ($SLOW_MS ms)" if int("$SLOW_EVERY") > 0
        else "none slow")
print("bench/fetch: $FEEDS feeds on $HOSTS host names (loopback), "
      "1 in $CHANGING_EVERY changing, " + slow + "; "
      "max_total $MAX_TOTAL, max_per_host $MAX_PER_HOST, "
      "host_delay $HOST_DELAY_MS ms, robots.txt per host")
hdr = "%-34s %7s %7s %7s %6s %8s %10s %11s %6s" % (
    "run", "feeds", "200", "304", "failed", "wall s", "feeds/min",
    "CPU s/1000", "cores")
print(hdr)
print("-" * len(hdr))
names = {"1": "wh_fetcher round 1 (cold)", "2": "wh_fetcher round 2 (ETags)"}
for r in rounds:
    print("%-34s %7s %7s %7s %6s %8s %10s %11s %6s" % (
        names.get(r["round"], "round " + r["round"]), r["feeds"], r["ok"],
        r["unchanged"], r["failed"], r["wall_s"], r["feeds_per_min"],
        r["cpu_s_per_1000"], r["core_share"]))
print("%-34s %7s %7s %7s %6s %8s %10s %11s %6s" % (
    "peer: fetch.c (easy, serial)", peer["feeds"], peer["ok"], "0",
    int(peer["feeds"]) - int(peer["ok"]), peer["wall_s"],
    peer["feeds_per_min"], peer["cpu_s_per_1000"], "-"))
print("-" * len(hdr))
best = min(float(r["feeds_per_min"]) for r in rounds)
cores = max(float(r["core_share"]) for r in rounds)
print("feeds/min vs peer: %.1fx (round 1), %.1fx (round 2); "
      "CPU s/1000 vs peer: %.2fx (round 1)" % (
          float(rounds[0]["feeds_per_min"]) / float(peer["feeds_per_min"]),
          float(rounds[-1]["feeds_per_min"]) / float(peer["feeds_per_min"]),
          float(rounds[0]["cpu_s_per_1000"]) /
          max(float(peer["cpu_s_per_1000"]), 1e-9)))
print("peak RSS of the wh_fetcher process: %.1f MB" % (rss / 1024.0))
ok = (best >= 10000, cores <= 1.0, rss <= 200 * 1024,
      all(r["failed"] == "0" for r in rounds))
print("targets: >= 10,000 feeds/min %s; <= 1 core %s; <= 200 MB RSS %s; "
      "no failures %s" % tuple("PASS" if o else "FAIL" for o in ok))
sys.exit(0 if all(ok) else 1)
PY
