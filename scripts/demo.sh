#!/bin/bash
# The demo: the bundled sample feeds (examples/feeds/, file:// sources, no
# HTTP server needed) through the whole path. Starts wirehose-devbroker,
# runs `wirehose-producer --once` then `wirehose-consumer --once` into a
# JSONL file, prints what was ingested and stops the broker.
#
# usage: WH_BINDIR=build scripts/demo.sh        (make demo does this)
# The JSONL goes to $WH_DEMO_OUT (default out/demo/records.jsonl).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WH_BINDIR=${WH_BINDIR:-$ROOT/build}
BIN=$WH_BINDIR/bin
PY=${WH_PYTHON:-/usr/bin/python3}
OUT=${WH_DEMO_OUT:-$ROOT/out/demo/records.jsonl}
TOPIC=wirehose.demo
LOGS=$(dirname "$OUT")

for b in wirehose-devbroker wirehose-producer wirehose-consumer; do
    if [ ! -x "$BIN/$b" ]; then
        echo "demo: $BIN/$b not built (run: make demo)" >&2
        exit 1
    fi
done

mkdir -p "$LOGS"
rm -f "$OUT" "$LOGS/bootstrap"
# A fresh state directory per run (published ids, dedup decisions), so
# every demo run ingests the same sample from scratch.
export STATE_DIRECTORY=$LOGS/state
rm -rf "$STATE_DIRECTORY"
mkdir -p "$STATE_DIRECTORY"
cd "$LOGS"
broker_pid=
stop_broker() {
    if [ -n "$broker_pid" ]; then
        kill -TERM "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
        broker_pid=
    fi
}
trap stop_broker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n== %s\n' "$*"; }

step "starting the dev broker (in memory, for development only)"
"$BIN/wirehose-devbroker" --bootstrap-file "$LOGS/bootstrap" \
    --topic "$TOPIC" --partitions 3 >"$LOGS/devbroker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 100); do
    [ -s "$LOGS/bootstrap" ] && break
    if ! kill -0 "$broker_pid" 2>/dev/null; then
        cat "$LOGS/devbroker.log" >&2
        echo "demo: the dev broker did not start" >&2
        exit 1
    fi
    sleep 0.1
done
[ -s "$LOGS/bootstrap" ] || { echo "demo: no bootstrap file" >&2; exit 1; }
BROKERS=$(head -n 1 "$LOGS/bootstrap" | tr -d '[:space:]')
echo "broker at $BROKERS, topic $TOPIC"

step "producer: polling examples/feeds/news.rss and news.atom once"
if ! "$BIN/wirehose-producer" --once -b "$BROKERS" -t "$TOPIC" \
    --source "file://$ROOT/examples/feeds/news.rss" \
    --source "file://$ROOT/examples/feeds/news.atom" \
    2>"$LOGS/producer.log"; then
    tail -n 30 "$LOGS/producer.log" >&2
    echo "demo: the producer failed (log: $LOGS/producer.log)" >&2
    exit 1
fi
sed -n 's/^<5>//p' "$LOGS/producer.log"    # the notice-level summary
echo "(log: $LOGS/producer.log)"

step "consumer: reading the topic to its end into JSONL"
if ! "$BIN/wirehose-consumer" --once -b "$BROKERS" -t "$TOPIC" \
    -g "wirehose-demo-$$" --sink "jsonl:$OUT" 2>"$LOGS/consumer.log"; then
    tail -n 30 "$LOGS/consumer.log" >&2
    echo "demo: the consumer failed (log: $LOGS/consumer.log)" >&2
    exit 1
fi
sed -n 's/^<5>//p' "$LOGS/consumer.log"
echo "(log: $LOGS/consumer.log)"

stop_broker

step "ingested"
"$PY" - "$OUT" <<'PYEOF'
import json
import sys

rows = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        rec = json.loads(line)
        ext = rec.get("wirehose") or {}
        head = next((h.get("value", "") for h in rec.get("headlines", [])
                     if h.get("role") == "main"), "")
        body = next((b.get("value", "") for b in rec.get("bodies", [])
                     if b.get("contentType") == "text/plain"), "")
        src = ext.get("source", "")
        rows.append((src.rsplit("/", 1)[-1], head, len(body.split())))
if not rows:
    sys.exit("demo: no records written")
w_src = max(len("source"), *(len(r[0]) for r in rows))
w_head = min(64, max(len("headline"), *(len(r[1]) for r in rows)))
print("%-*s  %-*s  %5s" % (w_src, "source", w_head, "headline", "words"))
print("%s  %s  %s" % ("-" * w_src, "-" * w_head, "-" * 5))
for src, head, words in rows:
    if len(head) > w_head:
        head = head[:w_head - 3] + "..."
    print("%-*s  %-*s  %5d" % (w_src, src, w_head, head, words))
print("\n%d record(s)" % len(rows))
PYEOF
echo "JSONL: $OUT"
