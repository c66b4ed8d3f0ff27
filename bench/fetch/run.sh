#!/bin/bash
# bench/fetch: 10,000 feeds on a loopback server (wh_feedserver,
# libmicrohttpd) spread over 1,000 loopback addresses (hosts), polled
#   1. by ONE wirehose-producer process (--once, two runs against a
#      wirehose-devbroker: cold, then with the state of the first run so
#      that unchanged feeds answer 304), the figure issue 4 asks for;
#   2. by the fetcher library alone (wh_fetch_bench: wh_fetcher, one
#      process, two rounds, the same fetch settings);
#   3. by the old one-at-a-time fetcher (bench/fetch/peer_fetch.c, the peer) on a
#      sample of the feeds;
#   4. by a fleet (sources = kafka, the feeds imported into the sources
#      topic with wirehose-sources, one group): first 1 instance, then 3,
#      each polling as fast as it can (poll.interval_ms 100); feeds/min is
#      the feed requests the server answered over a window of
#      FLEET_WINDOW_S once the group settled and FLEET_WARM_S passed (the
#      first, cold round), CPU and peak RSS summed over the instances. The
#      fetch settings are per instance: 3 instances may ask one host three
#      times as often.
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
# $WH_BENCH_BUILD/main), FLEET_INSTANCES ("1 3": the fleet sizes
# measured), FLEET_PARTITIONS (12, of the sources and state topics),
# FLEET_WARM_S (15), FLEET_WINDOW_S (30), PERF (1: record the producer's runs with perf,
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
FLEET_INSTANCES=${FLEET_INSTANCES:-1 3}
FLEET_PARTITIONS=${FLEET_PARTITIONS:-12}
FLEET_WARM_S=${FLEET_WARM_S:-15}
FLEET_WINDOW_S=${FLEET_WINDOW_S:-30}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wh-bench-fetch.XXXXXX")
STATE=$(mktemp -d "${STATE_DIR:-$WORK}/wh-bench-state.XXXXXX")
SERVER_PID=
BROKER_PID=
FLEET_PIDS=
cleanup() {
    local pid
    for pid in $FLEET_PIDS $BROKER_PID $SERVER_PID; do
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
        wirehose-devbroker wirehose-sources; } >"$WORK/build.log" 2>&1 ||
    { tail -n 40 "$WORK/build.log" >&2; exit 1; }
PRODUCER=$PBUILD/bin/wirehose-producer
BROKER=$PBUILD/bin/wirehose-devbroker
SOURCES=$PBUILD/bin/wirehose-sources

"$BUILD/wh_feedserver" --port-file "$WORK/port" --urls-file "$WORK/urls" \
    --feeds "$FEEDS" --hosts "$HOSTS" --changing-every "$CHANGING_EVERY" \
    --slow-every "$SLOW_EVERY" --slow-ms "$SLOW_MS" \
    --item-every "$ITEM_EVERY" 2>"$WORK/server.log" &
SERVER_PID=$!
wait_file "$WORK/port" "$SERVER_PID" "$WORK/server.log"

STATE_TOPICS=()
for n in $FLEET_INSTANCES; do
    STATE_TOPICS+=(--topic "wirehose.bench.state$n")
done
"$BROKER" --topic wirehose.bench --topic wirehose.bench.sources \
    "${STATE_TOPICS[@]}" --partitions "$FLEET_PARTITIONS" --bootstrap-file "$WORK/bootstrap" >/dev/null 2>"$WORK/broker.log" &
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

# ---- the fleet ----
awk -F/ '{ print "feed" $NF " " $0 }' "$WORK/urls" >"$WORK/sources.txt"
"$SOURCES" -b "$(tr -d '[:space:]' <"$WORK/bootstrap")" -t wirehose.bench \
    import "$WORK/sources.txt" 2>"$WORK/import.log" ||
    { cat "$WORK/import.log" >&2; exit 1; }

# server_counts FILE: the server's counters now, appended to FILE.
server_counts() {
    local before
    before=$(grep -c ' counts at_ms ' "$WORK/server.log" || true)
    kill -USR1 "$SERVER_PID"
    for _ in $(seq 50); do
        [ "$(grep -c ' counts at_ms ' "$WORK/server.log" || true)" -gt \
            "$before" ] && break
        sleep 0.1
    done
    grep ' counts at_ms ' "$WORK/server.log" | tail -n 1 >>"$1"
}

# cpu_ticks PID...: user + sys clock ticks of the processes.
cpu_ticks() {
    local pid t=0 f
    for pid in "$@"; do
        read -r -a f <"/proc/$pid/stat"
        t=$((t + f[13] + f[14]))
    done
    echo "$t"
}

# settled N: the last assignment of each of the N instances sums to
# every partition and none is empty.
settled() {
    local i sum=0 k
    for i in $(seq "$1"); do
        k=$(sed -n 's/.*assignment: \([0-9]*\) partitions.*/\1/p' \
            "$WORK/fleet$1-$i.log" | tail -n 1)
        [ -n "$k" ] && [ "$k" -gt 0 ] || return 1
        sum=$((sum + k))
    done
    [ "$sum" -eq "$FLEET_PARTITIONS" ]
}

# fleet_run N: N instances in one group; writes $WORK/fleetN.out.
fleet_run() {
    local n=$1 i pids=() t0 c0 c1 rss=0
    {
        grep -v '^state_dir' "$WORK/producer.conf" | grep -v '^source '
        echo "sources = kafka"
        echo "sources.group = wirehose.bench.fleet$n"
        echo "sources.state_topic = wirehose.bench.state$n"
        echo "poll.interval_ms = 100"
        echo "poll.max_interval_ms = 100"
        echo "poll.jitter_pct = 0"
        echo "kafka.session.timeout.ms = 6000"
    } >"$WORK/fleet$n.conf"
    for i in $(seq "$n"); do
        mkdir -p "$STATE/fleet$n-$i"
        "$PRODUCER" -c "$WORK/fleet$n.conf" --state-dir "$STATE/fleet$n-$i" \
            --allow-address 127.0.0.0/8 2>"$WORK/fleet$n-$i.log" &
        pids+=($!)
        FLEET_PIDS="$FLEET_PIDS $!"
    done
    t0=$SECONDS
    until settled "$n"; do
        for i in "${pids[@]}"; do
            kill -0 "$i" 2>/dev/null || {
                tail -n 20 "$WORK"/fleet"$n"-*.log >&2
                exit 1
            }
        done
        [ $((SECONDS - t0)) -lt 120 ] || {
            echo "fleet of $n: not settled in 120 s" >&2
            tail -n 5 "$WORK"/fleet"$n"-*.log >&2
            exit 1
        }
        sleep 0.5
    done
    echo "SETTLE_S $((SECONDS - t0))" >"$WORK/fleet$n.out"
    sleep "$FLEET_WARM_S"
    c0=$(cpu_ticks "${pids[@]}")
    server_counts "$WORK/fleet$n.out"
    sleep "$FLEET_WINDOW_S"
    server_counts "$WORK/fleet$n.out"
    c1=$(cpu_ticks "${pids[@]}")
    for i in "${pids[@]}"; do
        rss=$((rss + $(awk '$1 == "VmHWM:" { print $2 }' "/proc/$i/status")))
    done
    settled "$n" || echo "UNSETTLED" >>"$WORK/fleet$n.out"
    echo "CPU_S $(((c1 - c0) * 1000 / $(getconf CLK_TCK)))e-3" \
        "RSS_KB $rss" >>"$WORK/fleet$n.out"
    for i in "${pids[@]}"; do
        kill -TERM "$i" 2>/dev/null || true
    done
    for i in "${pids[@]}"; do
        wait "$i" 2>/dev/null || true
    done
    FLEET_PIDS=
}

for n in $FLEET_INSTANCES; do
    echo "running a fleet of $n wirehose-producer (sources = kafka) ..." >&2
    fleet_run "$n"
done

kill -TERM "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

FSTYPE=$(stat -f -c %T "$STATE" 2>/dev/null || echo "?")
NSTATE=$(find "$STATE" -type f | wc -l)

/usr/bin/python3 - "$WORK" "$FLEET_INSTANCES" <<PY
import re
import sys

work = sys.argv[1]
fleet_sizes = [int(n) for n in sys.argv[2].split()]


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

fleet = {}
for n in fleet_sizes:
    counts = []
    f = dict(settle=0, unsettled=False)
    for line in open("%s/fleet%d.out" % (work, n)):
        p = line.split()
        if p[0] == "SETTLE_S":
            f["settle"] = int(p[1])
        elif p[0] == "UNSETTLED":
            f["unsettled"] = True
        elif p[0] == "CPU_S":
            f["cpu"] = float(p[1])
            f["rss_kb"] = int(p[3])
        elif "counts" in p:
            counts.append(kv(line[line.index("counts"):]))
    c0, c1 = counts[0], counts[-1]
    wall = (int(c1["at_ms"]) - int(c0["at_ms"])) / 1000.0
    f.update(feeds=int(c1["feeds"]) - int(c0["feeds"]), wall=wall, ok="-",
             unchanged="-", failed="-")
    fleet[n] = f
    rows.append(("fleet: %d instance%s (sustained)" % (n, "s" * (n > 1)), f))

server = [line for line in
          open(work + "/server.log").read().strip().splitlines()
          if " counts at_ms " not in line]
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
peer = [r for name, r in rows if name.startswith("peer")][0]
peer_rate = peer["feeds"] / peer["wall"] * 60
print("producer feeds/min vs peer: %.1fx (run 1), %.1fx (run 2)" % (
    p1["feeds"] / p1["wall"] * 60 / peer_rate,
    p2["feeds"] / p2["wall"] * 60 / peer_rate))
if fleet:
    rate = dict((n, f["feeds"] / f["wall"] * 60) for n, f in fleet.items())
    print("fleet (sources = kafka, one group, poll.interval_ms 100): feeds/min "
          "over %.0f s after the group settled (%s s) and $FLEET_WARM_S s "
          "of warm-up: %s%s" % (
              min(f["wall"] for f in fleet.values()),
              "/".join(str(f["settle"]) for f in fleet.values()),
              ", ".join("%d instance%s %.0f" % (n, "s" * (n > 1), rate[n])
                        for n in sorted(rate)),
              "".join("; %d vs 1: %.2fx" % (n, rate[n] / rate[1])
                      for n in sorted(rate) if n > 1 and 1 in rate)))
    for n, f in fleet.items():
        if f["unsettled"]:
            print("fleet of %d: the assignment changed during the window" % n)
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
