#!/bin/bash
# bench/soak: state that stays bounded over a long run.
#
# Consumer soak: one wirehose-consumer (not --once: the daemon) with every
# stage - dedup, every enricher, the JSONL sink - over RECORDS distinct
# records of real-size text, streamed to a wirehose-devbroker at RATE
# records a second, twice:
#   window 0      dedup.window = 0, jsonl.window_s = 0 (keep everything:
#                 the growth per record)
#   window 1/5    dedup.window = jsonl.window_s = a fifth of the length of
#                 the window-0 run (of RECORDS / RATE when there was
#                 none), the JSONL file rotated every tenth of that
#                 (memory must be flat once the window has filled)
# The window is in time, so time passes for real: the stream is paced
# (RATE) and the window is a number of seconds; nothing is faked. A
# sampler reads the consumer's RSS (/proc) and records consumed (its
# /metrics) every second; the log size is the sum of the dedup.log*
# segments. After each run the consumer is started again on the full
# state and the time to its "state in ... decisions" line (the dedup
# store read back: from the snapshot the consumer left at exit, and the
# log after it) is its start-up time.
#
# Start-up with a long history (wh_soak_state, bench/soak/state_gen.c):
# SDAYS days of SPER_DAY random distinct decisions each, the store's clock
# moving through them, once with dedup.window = 0 and once with 30 days;
# then the time to open the store as a consumer does at start-up, from
# the snapshot (dedup.snap) and from the log alone.
#
# Producer soak: one wirehose-producer (the daemon) polling PFEEDS feeds of
# wh_feedserver (bench/fetch's loopback server; 1 in 4 changes on every
# request, 1 in 10 carries an item) every PPOLL_MS for PSECONDS, RSS
# sampled; memory must be flat.
#
# Records: each body is sentences drawn at random from the articles of
# ../shared/datasets/extraction-dev (real news text, ~BODY_BYTES), so no
# two records are near-duplicates; generated text when the set is absent
# (said in the output). The dev broker keeps ~5 MiB a partition and drops
# older messages: the topic has PARTITIONS partitions and the generator
# pauses whenever the consumer is more than MAX_LAG records behind, so
# nothing is dropped; the count the sink wrote is checked against
# RECORDS. librdkafka's prefetch queue is capped at 8 MiB
# (kafka.queued.max.messages.kbytes) so that the RSS measures the state,
# not how far behind the consumer happens to be.
#
# Knobs (environment): RECORDS (1000000), RATE (1500), BODY_BYTES (1500),
# PARTITIONS (64), MAX_LAG (40000), RUNS ("0 5": window 0 and 1/5),
# PFEEDS (300), PPOLL_MS (1000), PSECONDS (300; 0 skips the producer
# soak), SDAYS (365; 0 skips the start-up part), SPER_DAY (10000), WH_BENCH_BUILD (Release build, default $WH_BINDIR/bench-soak),
# KEEP (1: keep the work directory).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WH_SRCDIR=${WH_SRCDIR:-$(cd "$HERE/../.." && pwd)}
WH_BINDIR=${WH_BINDIR:-$WH_SRCDIR/build}
BUILD=${WH_BENCH_BUILD:-$WH_BINDIR/bench-soak}
RECORDS=${RECORDS:-1000000}
RATE=${RATE:-1500}
BODY_BYTES=${BODY_BYTES:-1500}
PARTITIONS=${PARTITIONS:-64}
MAX_LAG=${MAX_LAG:-40000}
RUNS=${RUNS:-0 5}
PFEEDS=${PFEEDS:-300}
PPOLL_MS=${PPOLL_MS:-1000}
PSECONDS=${PSECONDS:-300}
SDAYS=${SDAYS:-365}
SPER_DAY=${SPER_DAY:-10000}
PYTHON=${WH_PYTHON:-python3}

for tool in kcat "$PYTHON" cmake curl; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench/soak: $tool is not installed" >&2
        exit 1
    }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wh-bench-soak.XXXXXX")
PIDS=()
cleanup() {
    local i pid
    # the newest first: consumers and the producer before their broker
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[$i]}
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $WORK" >&2 ||
        rm -rf "$WORK"
}
trap cleanup EXIT

wait_file() { # FILE PID LOG
    local _
    for _ in $(seq 300); do
        [ -s "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || { cat "$3" >&2; exit 1; }
        sleep 0.1
    done
    echo "timed out waiting for $1" >&2
    exit 1
}

echo "building (Release) in $BUILD ..." >&2
{ cmake -S "$WH_SRCDIR" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DWH_SANITIZE=OFF &&
    cmake --build "$BUILD" -j2 --target wirehose-consumer \
        wirehose-devbroker wirehose-producer &&
    cmake -S "$WH_SRCDIR/bench/fetch" -B "$BUILD/fetch" \
        -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$BUILD/fetch" -j2 --target wh_feedserver &&
    cmake -S "$WH_SRCDIR/bench/soak" -B "$BUILD/soak" \
        -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$BUILD/soak" -j2 --target wh_soak_state; } \
    >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; exit 1; }
BIN=$BUILD/bin
GT=$WH_SRCDIR/../shared/datasets/extraction-dev/ground-truth.json

# The sampler: every second, the RSS of PID and the records its sink
# took (from /metrics), until the process ends; "t rss_kb records
# anon_kb" (RssAnon: the RSS without the pages of files mapped - the
# dedup log is read through a mapping, and the pages a lookup touched
# count in VmRSS while they stay in the page cache).
cat >"$WORK/sample.py" <<'EOF'
import re, sys, time, urllib.request
pid, url, out = sys.argv[1], sys.argv[2], sys.argv[3]
pat = re.compile(r'wirehose_records_total\{stage="sink:jsonl",'
                 r'outcome="ok"\} (\d+)')
t0 = time.monotonic()
with open(out, "w") as f:
    while True:
        try:
            status = open(f"/proc/{pid}/status").read()
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            anon = int(re.search(r"RssAnon:\s+(\d+)", status).group(1))
        except (OSError, AttributeError):
            break
        n = -1
        if url:
            try:
                m = pat.search(urllib.request.urlopen(url, timeout=2)
                               .read().decode())
                n = int(m.group(1)) if m else 0
            except OSError:
                pass
        f.write("%.1f %d %d %d\n" % (time.monotonic() - t0, rss, n, anon))
        f.flush()
        time.sleep(1)
EOF

# The record stream: RECORDS lines "uri TAB ninjs" at RATE a second,
# pausing while the consumer's sink (its /metrics, argv[5]) is more than
# MAX_LAG behind.
cat >"$WORK/stream.py" <<'EOF'
import json, os, random, re, sys, time, urllib.request
n, rate, size, lag_max = (int(a) for a in sys.argv[1:5])
url, gt, tag = sys.argv[5], sys.argv[6], sys.argv[7]
rnd = random.Random(17)
if os.path.exists(gt):
    sents = []
    for v in json.load(open(gt)).values():
        body = v.get("articleBody") or ""
        sents += [s.strip() + "." for s in re.split(r"\.\s+", body)
                  if 40 <= len(s.strip()) <= 400 and "\0" not in s]
    sys.stderr.write("records: sentences of %d real articles (%d "
                     "sentences), ~%d bytes a body\n"
                     % (len(json.load(open(gt))), len(sents), size))
else:
    words = ("the government said on tuesday that it would raise taxes cut "
             "spending budget deficit talks minister officials reported "
             "market shares rose fell percent company profits quarter growth "
             "election voters parliament court ruling police protest city "
             "river bridge harbour train orchestra season players coach team "
             "weather storm flood rescue hospital doctors health school "
             "research scientists climate energy prices oil gas workers").split()
    sents = [" ".join(rnd.choice(words) for _ in range(rnd.randint(10, 20)))
             .capitalize() + "." for _ in range(50000)]
    sys.stderr.write("records: generated text (no extraction dev set)\n")
pat = re.compile(r'wirehose_records_total\{stage="sink:jsonl",'
                 r'outcome="ok"\} (\d+)')

def consumed():
    try:
        m = pat.search(urllib.request.urlopen(url, timeout=2).read().decode())
        return int(m.group(1)) if m else 0
    except OSError:
        return -1

out = sys.stdout
t0 = time.monotonic()
sent = 0
paused = 0.0
unreachable = 0
while sent < n:
    batch = min(n - sent, max(1, rate // 10))
    for i in range(sent, sent + batch):
        paras, total, para = [], 0, []
        while total < size:
            s = rnd.choice(sents)
            para.append(s)
            total += len(s) + 1
            if len(para) >= 4:
                paras.append(" ".join(para))
                para = []
        if para:
            paras.append(" ".join(para))
        uri = "https://soak.example/%s/%d" % (tag, i)
        rec = {"uri": uri, "type": "text",
               "headlines": [{"role": "main", "value": paras[0][:80]}],
               "bodies": [{"role": "main", "contentType": "text/plain",
                           "value": "\n\n".join(paras)}],
               "wirehose": {"source": "soak",
                            "fetchedAt": "2026-12-07T10:00:00Z"}}
        out.write(uri + "\t" + json.dumps(rec) + "\n")
    out.flush()
    sent += batch
    ahead = t0 + paused + sent / rate - time.monotonic()
    if ahead > 0:  # pace
        time.sleep(ahead)
    c = consumed()
    while c >= 0 and sent - c > lag_max:  # never too far ahead
        time.sleep(0.5)
        paused += 0.5
        c = consumed()
    unreachable = unreachable + 1 if c < 0 else 0
    if unreachable > 50:
        sys.exit("stream: the consumer's metrics are unreachable: stopped")
sys.stderr.write("stream: %d records in %.0f s (%.0f s paused for the "
                 "consumer)\n" % (sent, time.monotonic() - t0, paused))
EOF

# ---- consumer soak, one run: run DIV (0: no window; else window =
# planned length / DIV)
PLANNED=$(((RECORDS + RATE - 1) / RATE))
consumer_run() {
    local div=$1 dir=$WORK/run$1 window=0 port length=$PLANNED
    mkdir -p "$dir/state" "$dir/out"
    # the window-0 run's length when there was one (the rate the
    # consumer sustains may be below RATE)
    [ -s "$WORK/run0/samples" ] &&
        length=$(tail -n 1 "$WORK/run0/samples" | awk '{ printf "%d", $1 }')
    [ "$div" -gt 0 ] && window=$(((length + div - 1) / div))
    "$BIN/wirehose-devbroker" --partitions "$PARTITIONS" --topic soak \
        --bootstrap-file "$dir/bootstrap" >/dev/null 2>"$dir/broker.log" &
    PIDS+=($!)
    local broker=$!
    wait_file "$dir/bootstrap" "$broker" "$dir/broker.log"
    {
        echo "brokers = $(head -n 1 "$dir/bootstrap")"
        echo "topic = soak"
        echo "group = soak$div"
        echo "sink = jsonl:$dir/out/records.jsonl"
        echo "metrics = 127.0.0.1:0"
        echo "dedup.state_dir = $dir/state"
        echo "dedup.window = $window"
        echo "jsonl.window_s = $window"
        [ "$window" -gt 0 ] &&
            echo "jsonl.max_age_s = $(((window + 9) / 10))"
        echo "flush.ms = 1000"
        echo "kafka.queued.max.messages.kbytes = 8192"
    } >"$dir/consumer.conf"
    "$BIN/wirehose-consumer" -c "$dir/consumer.conf" 2>"$dir/consumer.log" &
    local cpid=$!
    PIDS+=($cpid)
    for _ in $(seq 300); do
        port=$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' \
            "$dir/consumer.log")
        [ -n "$port" ] && break
        kill -0 "$cpid" 2>/dev/null || { cat "$dir/consumer.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { echo "no metrics port" >&2; exit 1; }
    "$PYTHON" "$WORK/sample.py" "$cpid" "http://127.0.0.1:$port/metrics" \
        "$dir/samples" &
    local spid=$!
    for _ in $(seq 300); do
        grep -q 'assigned' "$dir/consumer.log" && break
        sleep 0.1
    done
    # log size, sampled beside (bytes of dedup.log*)
    (while kill -0 "$cpid" 2>/dev/null; do
        echo "$(date +%s) $(cat "$dir"/state/dedup.log* 2>/dev/null |
            wc -c)" >>"$dir/logsize"
        # rotated JSONL files out of the window: an operator's cron job
        [ "$window" -gt 0 ] && find "$dir/out" -name 'records.jsonl.*' \
            -mmin +$(((window * 2 + 59) / 60)) -delete 2>/dev/null
        sleep 5
    done) &
    local lpid=$!
    echo "run window=$window s: streaming $RECORDS records at $RATE/s ..." >&2
    kill -0 "$cpid" 2>/dev/null || { cat "$dir/consumer.log" >&2; exit 1; }
    "$PYTHON" "$WORK/stream.py" "$RECORDS" "$RATE" "$BODY_BYTES" "$MAX_LAG" \
        "http://127.0.0.1:$port/metrics" "$GT" "w$div" 2>"$dir/stream.log" |
        kcat -P -b "$(head -n 1 "$dir/bootstrap")" -t soak -K $'\t' \
            -X queue.buffering.max.messages=200000 -X linger.ms=50
    cat "$dir/stream.log" >&2
    # wait for the consumer to take everything
    local last=-1 n
    for _ in $(seq 600); do
        n=$(tail -n 1 "$dir/samples" | awk '{ print $3 }')
        [ "${n:-0}" -ge "$RECORDS" ] && break
        sleep 1
        last=$n
    done
    kill -TERM "$cpid"
    wait "$cpid" || true
    wait "$spid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
    echo "$(date +%s) $(cat "$dir"/state/dedup.log* | wc -c)" >>"$dir/logsize"
    # start-up with the full state: time to the dedup store's line
    "$PYTHON" - "$BIN/wirehose-consumer" "$dir/consumer.conf" \
        >"$dir/startup" <<'EOF'
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen([sys.argv[1], "-c", sys.argv[2], "-g", "startup"],
                     stderr=subprocess.PIPE, text=True)
for line in p.stderr:
    if "[dedup:dedup] state in" in line:
        t = time.monotonic() - t0
        rss = open("/proc/%d/status" % p.pid).read()
        rss = int(rss.split("VmRSS:")[1].split()[0])
        print("%.2f %d %s" % (t, rss, line.split("state in", 1)[1].strip()))
        break
p.terminate()
p.wait()
EOF
    kill -TERM "$broker" 2>/dev/null || true
    wait "$broker" 2>/dev/null || true
    # what the sink wrote, from its own count (rotated files out of the
    # window were deleted above)
    local lines
    lines=$(sed -n 's/.* \([0-9]*\) line(s) written, .*/\1/p' \
        "$dir/consumer.log" | tail -n 1)
    echo "$window ${lines:-0}" >"$dir/meta"
    rm -rf "$dir/out"
}

for div in $RUNS; do
    consumer_run "$div"
done

# ---- start-up with a long history
if [ "$SDAYS" -gt 0 ]; then
    for w in 0 2592000; do
        echo "start-up: $SDAYS days of $SPER_DAY decisions, window $w s ..." >&2
        "$BUILD/soak/bin/wh_soak_state" "$WORK/hist$w" "$SDAYS" "$SPER_DAY" \
            "$w" >"$WORK/startup$w"
        rm -rf "$WORK/hist$w"
    done
fi

# ---- producer soak
if [ "$PSECONDS" -gt 0 ]; then
    P=$WORK/producer
    mkdir -p "$P/state"
    "$BUILD/fetch/wh_feedserver" --port-file "$P/port" --urls-file "$P/urls" \
        --feeds "$PFEEDS" --hosts 30 --changing-every 4 --item-every 10 \
        2>"$P/server.log" &
    spid=$!
    PIDS+=($spid)
    wait_file "$P/port" "$spid" "$P/server.log"
    "$BIN/wirehose-devbroker" --partitions 3 --topic psoak \
        --bootstrap-file "$P/bootstrap" >/dev/null 2>"$P/broker.log" &
    PIDS+=($!)
    wait_file "$P/bootstrap" "$!" "$P/broker.log"
    {
        echo "brokers = $(head -n 1 "$P/bootstrap")"
        echo "topic = psoak"
        echo "state_dir = $P/state"
        echo "contact_url = http://bench.invalid/"
        echo "poll.interval_ms = $PPOLL_MS"
        echo "poll.max_interval_ms = $PPOLL_MS"
        echo "poll.jitter_pct = 0"
        echo "fetch.host_delay_ms = 0"
        awk -F/ '{ print "source = feed" $NF " " $0 }' "$P/urls"
    } >"$P/producer.conf"
    echo "producer soak: $PFEEDS feeds every $PPOLL_MS ms for $PSECONDS s ..." >&2
    "$BIN/wirehose-producer" -c "$P/producer.conf" \
        --allow-address 127.0.0.0/8 2>"$P/producer.log" &
    ppid=$!
    PIDS+=($ppid)
    "$PYTHON" "$WORK/sample.py" "$ppid" "" "$P/samples" &
    sleep "$PSECONDS"
    kill -TERM "$ppid"
    wait "$ppid" || true
    sleep 1
    kill -TERM "$spid"
    wait "$spid" || true
    grep -o 'feeds 200: [0-9]*, 304: [0-9]*' "$P/server.log" | tail -n 1 \
        >"$P/polls" || true
fi

# ---- the table
"$PYTHON" - "$WORK" "$RECORDS" "$RATE" "$RUNS" "$PSECONDS" "$SDAYS" \
    "$SPER_DAY" <<'EOF'
import os, sys
work, records, rate, runs, pseconds = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4].split(), int(sys.argv[5])
sdays, sper_day = int(sys.argv[6]), int(sys.argv[7])

def samples(path):
    out = []
    for line in open(path):
        t, rss, n, anon = line.split()
        out.append((float(t), int(rss), int(n), int(anon)))
    return out

def at_fraction(s, frac, total):
    """(RSS kB, anon kB, t) at frac * total records: the medians of the
    samples within 2.5% of the stream of that point (a purge or a
    snapshot makes a transient peak of a second or two; the level is
    what stays)."""
    near = [x for x in s if abs(x[2] - frac * total) <= 0.025 * total]
    if frac >= 1.0:
        near = [x for x in s if x[2] >= 0.975 * total]
    if not near:
        near = [s[-1]]
    rss = sorted(x[1] for x in near)[len(near) // 2]
    anon = sorted(x[3] for x in near)[len(near) // 2]
    return rss, anon, near[0][0]

print("consumer soak: %d records at %d/s (every stage: dedup, every "
      "enricher, JSONL); shared 2-CPU machine, loaded" % (records, rate))
print("RSS in MB (VmRSS, and in brackets RssAnon: without mapped file "
      "pages), the median of the samples within 2.5% of the stream of each "
      "point; B/record: RssAnon growth from 25% to 100% per record")
print("%-12s %15s %15s %15s %15s %12s %8s %7s %14s" %
      ("window", "RSS 25%", "RSS 50%", "RSS 75%", "RSS 100%",
       "100%/50%", "B/rec", "log MB", "start-up"))
for div in runs:
    d = os.path.join(work, "run" + div)
    window, lines = open(os.path.join(d, "meta")).read().split()
    s = [x for x in samples(os.path.join(d, "samples")) if x[2] >= 0]
    rate_real = s[-1][2] / s[-1][0]
    r = [at_fraction(s, f, records) for f in (0.25, 0.5, 0.75, 1.0)]
    logsize = int(open(os.path.join(d, "logsize")).read().split()[-1])
    st = open(os.path.join(d, "startup")).read().split(None, 2)
    if window == "0":
        # growth per record held, between 25% and 100%
        per = (r[3][1] - r[0][1]) * 1024 / (0.75 * records)
        held = records
    else:
        # the window holds window * rate records once full
        held = min(records, int(window) * rate_real)
        per = float("nan")
    name = "0" if window == "0" else "%s s (1/%s)" % (window, div)
    cell = ["%6.1f (%5.1f)" % (x[0] / 1024, x[1] / 1024) for x in r]
    print("%-12s %15s %15s %15s %15s %5.3f/%5.3f %8s %7.1f %5s s %4.0f MB" %
          (name, cell[0], cell[1], cell[2], cell[3], r[3][0] / r[1][0],
           r[3][1] / r[1][1], "%.0f" % per if per == per else "-",
           logsize / 1e6, st[0], int(st[1]) / 1024))
    print("%-12s sink wrote %s lines (want %d); %.0f s, %.0f records/s; "
          "log %.0f B/record held; store at start-up: %s" %
          ("", lines, records, s[-1][0], rate_real, logsize / held,
           st[2].strip()))
    if lines != str(records):
        print("  WARNING: %s lines written, %d records streamed"
              % (lines, records))
if sdays > 0:
    print("start-up of the dedup store after %d days of %d decisions a day "
          "(seconds: wall-clock / CPU)" % (sdays, sper_day))
    print("%-10s %10s %10s %8s %8s %16s %16s %9s" % (
        "window", "decisions", "held", "log MB", "snap MB",
        "open, snapshot", "open, log only", "store MB"))
    for w in ("0", "2592000"):
        made, held, logb, snapb, sw, sc, lw, lc, mem = \
            open(os.path.join(work, "startup" + w)).read().split()
        print("%-10s %10s %10s %8.1f %8.1f %7s / %6s %7s / %6s %9.1f" % (
            "0" if w == "0" else "30 days", made, held, int(logb) / 1e6,
            int(snapb) / 1e6, sw, sc, lw, lc, int(mem) / 1e6))
if pseconds > 0:
    s = samples(os.path.join(work, "producer", "samples"))
    n = len(s)
    q = [s[min(n - 1, int(n * f))][1] / 1024 for f in (0.25, 0.5, 0.75)]
    q.append(s[-1][1] / 1024)
    polls = open(os.path.join(work, "producer", "polls")).read().strip()
    print("producer soak: %.0f s, feed answers %s; RSS at 25/50/75/100%% of the time: "
          "%.1f / %.1f / %.1f / %.1f MB (100%%/50%%: %.3f)" %
          (s[-1][0], polls or "?", q[0], q[1], q[2], q[3], q[3] / q[1]))
EOF
