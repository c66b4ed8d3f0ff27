#!/bin/bash
# bench/fetch: 10,000 feeds on a loopback server (wh_feedserver,
# libmicrohttpd) spread over 1,000 loopback addresses (hosts), polled
#   1. by ONE wirehose-producer process (--once, two runs against a
#      wirehose-devbroker: cold, then with the state of the first run so
#      that unchanged feeds answer 304), the figure issue 4 asks for;
#   2. by the fetcher library alone (wh_fetch_bench: wh_fetcher, one
#      process, two rounds, the same fetch settings);
#   3. by the old one-at-a-time fetcher (bench/fetch/peer_fetch.c, the peer) on a
#      sample of the feeds.
# Prints one table: feeds per minute, CPU seconds per 1,000 feeds (user +
# sys of the process, all threads), cores, peak RSS.
# Targets (producer runs): >= 10,000 feeds/min, <= 1 core, <= 200 MB RSS.
#
# Feeds: 1 in CHANGING_EVERY changes on every request (always 200), the
# others answer 304 to their ETag; 1 in SLOW_EVERY answers after SLOW_MS;
# 1 in ITEM_EVERY carries one item whose page the server also serves (the
# producer fetches and publishes it in its first run); the other feeds
# have no items, so the producer's Kafka side stays light.
#
# Knobs (environment): FEEDS (10000), HOSTS (1000), PEER_FEEDS (300),
# MAX_TOTAL (64), MAX_PER_HOST (2), HOST_DELAY_MS (1000) (the producer's
# fetch.* defaults, used by both the producer and wh_fetch_bench),
# SLOW_EVERY (50), SLOW_MS (1000), CHANGING_EVERY (4), ITEM_EVERY (100),
# STATE_DIR (where the producer's state directory is made, removed at
# the end; default TMPDIR: its file system matters, see the table header),
# WH_BENCH_BUILD (build directory of bench/fetch, default
# $WH_BINDIR/bench-fetch), WH_PRODUCER_BUILD (a Release build of the whole
# tree for wirehose-producer and wirehose-devbroker, default
# $WH_BENCH_BUILD/main), PERF (1: record the producer's runs with perf,
# the report goes to stderr).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WH_SRCDIR=${WH_SRCDIR:-$(cd "$HERE/../.." && pwd)}
WH_BINDIR=${WH_BINDIR:-$WH_SRCDIR/build}
BUILD=${WH_BENCH_BUILD:-$WH_BINDIR/bench-fetch}
PBUILD=${WH_PRODUCER_BUILD:-$BUILD/main}
FEEDS=${FEEDS:-10000}
HOSTS=${HOSTS:-1000}
PEER_FEEDS=${PEER_FEEDS:-300}
MAX_TOTAL=${MAX_TOTAL:-64}
MAX_PER_HOST=${MAX_PER_HOST:-2}
HOST_DELAY_MS=${HOST_DELAY_MS:-1000}
SLOW_EVERY=${SLOW_EVERY:-50}
SLOW_MS=${SLOW_MS:-1000}
CHANGING_EVERY=${CHANGING_EVERY:-4}
ITEM_EVERY=${ITEM_EVERY:-100}
PERF=${PERF:-0}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wh-bench-fetch.XXXXXX")
STATE=$(mktemp -d "${STATE_DIR:-$WORK}/wh-bench-state.XXXXXX")
SERVER_PID=
BROKER_PID=
cleanup() {
    local pid
    for pid in $BROKER_PID $SERVER_PID; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$STATE" "$WORK"
}
trap cleanup EXIT

# Waits for file $1 written by process $2 (log $3).
wait_file() {
    local _
    for _ in $(seq 150); do
        [ -s "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || { cat "$3" >&2; exit 1; }
        sleep 0.1
    done
    echo "timed out waiting for $1" >&2
    cat "$3" >&2
    exit 1
}

echo "building in $BUILD and $PBUILD (Release) ..." >&2
{ cmake -S "$HERE" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$BUILD" -j2 --target wh_feedserver wh_fetch_bench \
        wh_fetch_bench_easy &&
    cmake -S "$WH_SRCDIR" -B "$PBUILD" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$PBUILD" -j2 --target wirehose-producer \
        wirehose-devbroker; } >"$WORK/build.log" 2>&1 ||
    { tail -n 40 "$WORK/build.log" >&2; exit 1; }
PRODUCER=$PBUILD/bin/wirehose-producer
BROKER=$PBUILD/bin/wirehose-devbroker

"$BUILD/wh_feedserver" --port-file "$WORK/port" --urls-file "$WORK/urls" \
    --feeds "$FEEDS" --hosts "$HOSTS" --changing-every "$CHANGING_EVERY" \
    --slow-every "$SLOW_EVERY" --slow-ms "$SLOW_MS" \
    --item-every "$ITEM_EVERY" 2>"$WORK/server.log" &
SERVER_PID=$!
wait_file "$WORK/port" "$SERVER_PID" "$WORK/server.log"

"$BROKER" --topic wirehose.bench --partitions 3 \
    --bootstrap-file "$WORK/bootstrap" >/dev/null 2>"$WORK/broker.log" &
BROKER_PID=$!
wait_file "$WORK/bootstrap" "$BROKER_PID" "$WORK/broker.log"

# The producer's configuration: its fetch.* defaults spelt out (the same
# for wh_fetch_bench), one source per feed.
{
    echo "brokers = $(tr -d '[:space:]' <"$WORK/bootstrap")"
    echo "topic = wirehose.bench"
    echo "state_dir = $STATE"
    echo "fetch.max_total = $MAX_TOTAL"
    echo "fetch.max_per_host = $MAX_PER_HOST"
    echo "fetch.host_delay_ms = $HOST_DELAY_MS"
    echo "contact_url = http://bench.invalid/"
    awk -F/ '{ print "source = feed" $NF " " $0 }' "$WORK/urls"
} >"$WORK/producer.conf"

# Runs the producer once (run $1) under /usr/bin/time.
producer_run() {
    local pre=()
    if [ "$PERF" = 1 ]; then
        pre=(perf record -q -g -o "$WORK/perf$1.data")
    fi
    /usr/bin/time -f 'TIME wall %e user %U sys %S rss_kb %M' \
        -o "$WORK/time$1" "${pre[@]}" "$PRODUCER" -c "$WORK/producer.conf" \
        --allow-address 127.0.0.0/8 --once 2>"$WORK/producer$1.log" &&
        rc=0 || rc=$?
    echo "EXIT $rc" >>"$WORK/time$1"
    if [ "$PERF" = 1 ]; then
        echo "---- perf, producer run $1 (self, top 40) ----" >&2
        perf report -i "$WORK/perf$1.data" --no-children --sort dso,sym \
            -g none 2>/dev/null | grep '%' | head -n 40 >&2 || true
    fi
}

echo "running wirehose-producer --once on $FEEDS feeds (cold) ..." >&2
producer_run 1
echo "running wirehose-producer --once on $FEEDS feeds (with state) ..." >&2
producer_run 2

echo "running wh_fetcher alone on $FEEDS feeds ..." >&2
"$BUILD/wh_fetch_bench" --urls "$WORK/urls" --rounds 2 \
    --max-total "$MAX_TOTAL" --max-per-host "$MAX_PER_HOST" \
    --host-delay-ms "$HOST_DELAY_MS" >"$WORK/fetcher.out" 2>"$WORK/fetcher.log" ||
    { tail -n 5 "$WORK/fetcher.log" >&2; }
echo "running the peer (fetch.c, one at a time) on $PEER_FEEDS feeds ..." >&2
"$BUILD/wh_fetch_bench_easy" --urls "$WORK/urls" --feeds "$PEER_FEEDS" \
    >"$WORK/peer.out" 2>"$WORK/peer.log" || { tail -n 5 "$WORK/peer.log" >&2; }

kill -TERM "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

FSTYPE=$(stat -f -c %T "$STATE" 2>/dev/null || echo "?")
NSTATE=$(find "$STATE" -type f | wc -l)

/usr/bin/python3 - "$WORK" <<PY
import re
import sys

work = sys.argv[1]


def kv(line):
    p = line.split()
    return dict(zip(p[1::2], p[2::2]))


def producer(n):
    t = {}
    for line in open("%s/time%d" % (work, n)):
        if line.startswith("TIME"):
            t = kv(line)
        elif line.startswith("EXIT"):
            t["exit"] = line.split()[1]
    log = open("%s/producer%d.log" % (work, n), errors="replace").read()
    m = re.search(r"summary: sources (\d+) ok, (\d+) failed; items (\d+) new"
                  r".*?published (\d+)", log)
    if not m:
        sys.exit("producer run %d: no summary (exit %s):\n%s" % (
            n, t.get("exit"), log[-2000:]))
    ok, failed, new, published = (int(x) for x in m.groups())
    n304 = log.count("unchanged (304)")
    wall = float(t["wall"])
    cpu = float(t["user"]) + float(t["sys"])
    return dict(feeds=ok + failed, ok=ok - n304, unchanged=n304,
                failed=failed, wall=wall, cpu=cpu,
                rss_kb=int(t["rss_kb"]), exit=t["exit"], new=new,
                published=published, user=float(t["user"]),
                sys=float(t["sys"]))


rows = []
p1, p2 = producer(1), producer(2)
rows.append(("wirehose-producer run 1 (cold)", p1))
rows.append(("wirehose-producer run 2 (state)", p2))
frss = 0
for line in open(work + "/fetcher.out"):
    if line.startswith("ROUND"):
        p = line.split()
        r = dict(zip(p[2::2], p[3::2]))
        name = {"1": "wh_fetcher alone, round 1 (cold)",
                "2": "wh_fetcher alone, round 2 (ETags)"}[line.split()[1]]
        rows.append((name, dict(
            feeds=int(r["feeds"]), ok=int(r["ok"]),
            unchanged=int(r["unchanged"]), failed=int(r["failed"]),
            wall=float(r["wall_s"]), cpu=float(r["cpu_s"]), rss_kb=None)))
    elif line.startswith("PEAK_RSS_KB"):
        frss = int(line.split()[1])
for _, r in rows[2:]:
    r["rss_kb"] = frss
for line in open(work + "/peer.out"):
    r = kv(line)
    rows.append(("peer: fetch.c (easy, serial)", dict(
        feeds=int(r["feeds"]), ok=int(r["ok"]), unchanged=0,
        failed=int(r["feeds"]) - int(r["ok"]), wall=float(r["wall_s"]),
        cpu=float(r["cpu_s"]), rss_kb=None)))

server = open(work + "/server.log").read().strip().splitlines()
print("bench/fetch: %s" % server[0].replace("wh_feedserver: ", ""))
print("  1 in $CHANGING_EVERY changing, 1 in $SLOW_EVERY slow ($SLOW_MS ms), "
      "1 in $ITEM_EVERY with an item; fetch.max_total $MAX_TOTAL, "
      "max_per_host $MAX_PER_HOST, host_delay_ms $HOST_DELAY_MS, "
      "robots.txt per host")
print("  producer state: $NSTATE files on $FSTYPE; server: %s" %
      server[-1].replace("wh_feedserver: ", ""))
fmt = "%-34s %6s %6s %6s %6s %7s %9s %10s %6s %8s"
hdr = fmt % ("run", "feeds", "200", "304", "failed", "wall s", "feeds/min",
             "CPU s/1000", "cores", "RSS MB")
print(hdr)
print("-" * len(hdr))
for name, r in rows:
    print(fmt % (name, r["feeds"], r["ok"], r["unchanged"], r["failed"],
                 "%.2f" % r["wall"], "%.0f" % (r["feeds"] / r["wall"] * 60),
                 "%.3f" % (r["cpu"] / (r["feeds"] / 1000.0)),
                 "%.2f" % (r["cpu"] / r["wall"]),
                 "-" if r["rss_kb"] is None else "%.1f" % (r["rss_kb"] / 1024.0)))
print("-" * len(hdr))
for name, p in rows[:2]:
    print("%s: user %.2f s, sys %.2f s; %d new items, %d published; "
          "exit %s" % (name, p["user"], p["sys"], p["new"], p["published"],
                       p["exit"]))
peer = rows[-1][1]
peer_rate = peer["feeds"] / peer["wall"] * 60
print("producer feeds/min vs peer: %.1fx (run 1), %.1fx (run 2)" % (
    p1["feeds"] / p1["wall"] * 60 / peer_rate,
    p2["feeds"] / p2["wall"] * 60 / peer_rate))
ps = (p1, p2)
ok = (min(p["feeds"] / p["wall"] * 60 for p in ps) >= 10000,
      max(p["cpu"] / p["wall"] for p in ps) <= 1.0,
      max(p["rss_kb"] for p in ps) <= 200 * 1024,
      all(p["failed"] == 0 and p["exit"] == "0" for p in ps))
print("targets (producer): >= 10,000 feeds/min %s; <= 1 core %s; "
      "<= 200 MB RSS %s; no failures %s" %
      tuple("PASS" if o else "FAIL" for o in ok))
sys.exit(0 if all(ok) else 1)
PY
