#!/bin/bash
# consumer_metrics.sh - wirehose-consumer's /metrics, /healthz, systemd
# notify messages and SIGHUP, scraped and listened to during a run; the
# dev broker, the consumer and a NOTIFY_SOCKET listener are real
# processes on loopback.
#
# Checks: wirehose_records_total{stage,outcome} counts what came in
# (consume ok / error), what each stage and sink did; the dead letters by
# reason; the sink latency histogram; the consumer lag per partition
# (0 once caught up); /healthz 200 while running; READY, STATUS and
# WATCHDOG over the notify socket; SIGHUP applies flush.ms / log.level,
# names a changed group as needing a restart and sends RELOADING then
# READY; SIGTERM sends STOPPING and exits 0; a second consumer's /healthz
# turns 503 once the broker is gone; a busy metrics address stops
# start-up with exit 2.
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for tool in kcat curl; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
wh_need_bin wirehose-devbroker wirehose-consumer
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
# the dedup stage's decision log (if a consumer gets no dedup.state_dir)
export STATE_DIRECTORY="$WORK/state"

wh_start_broker --partitions 2 --topic articles
BROKER_PID=$WH_LAST_PID

wh_start_notify_listener

N=30
for n in $(seq $N); do
    if [ "$n" -eq 7 ] || [ "$n" -eq 19 ]; then
        printf 'k%d\tnot json %d\n' "$n" "$n"
        continue
    fi
    printf 'k%d\t{"uri":"http://example.test/%d","bodies":[{"role":' "$n" "$n"
    printf '"main","contentType":"text/plain","value":"Body number %d of the '"$n"
    printf 'metrics test, with a few words."}]}\n'
done | kcat -P -b "$BROKERS" -t articles -K $'\t' || fail "kcat could not produce"

cat >"$WORK/consumer.conf" <<EOF
group = gm
flush.records = 5
flush.ms = 200
enrich = counts
dedup.state_dir = $WORK/state
metrics = 127.0.0.1:0
EOF

NOTIFY_SOCKET=$NOTIFY_SOCK WATCHDOG_USEC=2000000 \
    wh_spawn "$WORK/consumer.log" "$BIN/wirehose-consumer" \
    -c "$WORK/consumer.conf" -b "$BROKERS" -t articles \
    -X session.timeout.ms=6000 --sink "jsonl:$WORK/out.jsonl"
CONSUMER_PID=$WH_LAST_PID

wh_metrics_url "$WORK/consumer.log" "$CONSUMER_PID"

lines() {
    local n
    n=$(grep -c . "$WORK/out.jsonl" 2>/dev/null) || true
    echo "${n:-0}"
}
for _ in $(seq 300); do
    [ "$(lines)" -ge $((N - 2)) ] && break
    sleep 0.1
done
[ "$(lines)" -eq $((N - 2)) ] ||
    { wh_show "$WORK/consumer.log"; fail "$(lines) of $((N - 2)) written"; }

# value NAME{LABELS}: the sample's value in the last scrape, or "none".
value() {
    awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found)
        print "none" }' "$WORK/metrics"
}
expect() {
    local got
    got=$(value "$1")
    [ "$got" = "$2" ] ||
        { cat "$WORK/metrics" >&2; fail "$1 = $got, expected $2"; }
}

# the lag is sampled every 5 s: wait for both partitions at 0
for _ in $(seq 100); do
    curl -sf "$M/metrics" >"$WORK/metrics" || fail "GET /metrics failed"
    [ "$(value 'wirehose_consumer_lag{topic="articles",partition="0"}')" = 0 ] &&
        [ "$(value 'wirehose_consumer_lag{topic="articles",partition="1"}')" = 0 ] &&
        break
    sleep 0.2
done
expect 'wirehose_consumer_lag{topic="articles",partition="0"}' 0
expect 'wirehose_consumer_lag{topic="articles",partition="1"}' 0
expect 'wirehose_records_total{stage="consume",outcome="ok"}' $((N - 2))
expect 'wirehose_records_total{stage="consume",outcome="error"}' 2
expect 'wirehose_records_total{stage="enrich:counts",outcome="ok"}' $((N - 2))
expect 'wirehose_records_total{stage="sink:jsonl",outcome="ok"}' $((N - 2))
expect 'wirehose_dead_letters_total{reason="not_json"}' 2
n=$(value 'wirehose_sink_latency_seconds_count{sink="jsonl"}')
[ "$n" != none ] && [ "$n" -ge $((N - 2)) ] ||
    fail "sink latency count $n, expected >= $((N - 2))"
dec=$(grep '^wirehose_dedup_decisions_total{decision="new"}' "$WORK/metrics" |
    awk '{ print $2 }')
[ "${dec:-0}" -ge 1 ] ||
    { cat "$WORK/metrics" >&2; fail "no dedup decisions counted"; }
grep -q '^# TYPE wirehose_sink_latency_seconds histogram' "$WORK/metrics" ||
    fail "sink latency is not a histogram"
echo "ok: /metrics counts records, dead letters, latency, lag, decisions"

[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/healthz")" = 200 ] ||
    fail "/healthz is not 200 while running"
echo "ok: /healthz 200"

# ---- SIGHUP: flush settings applied, the group change refused
sed -i 's/^flush.ms = 200/flush.ms = 300/; s/^group = gm/group = other/' \
    "$WORK/consumer.conf"
echo 'log.level = debug' >>"$WORK/consumer.conf"
kill -HUP "$CONSUMER_PID"
for _ in $(seq 50); do
    grep -q 'reload: log.level' "$WORK/consumer.log" && break
    sleep 0.1
done
grep -q 'reload: log.level debug, flush.records 5, flush.ms 300 applied' \
    "$WORK/consumer.log" || { wh_show "$WORK/consumer.log"; fail "reload"; }
grep -q 'reload: group changed; it needs a restart (still running with gm)' \
    "$WORK/consumer.log" || fail "the group change was not named"
kill -0 "$CONSUMER_PID" || fail "the consumer died on SIGHUP"
echo "ok: SIGHUP applies flush.ms and log.level, names the group change"

kill -TERM "$CONSUMER_PID"
rc=0
wait "$CONSUMER_PID" || rc=$?
[ $rc -eq 0 ] || { wh_show "$WORK/consumer.log"; fail "SIGTERM: exit $rc"; }
sleep 0.3
cut -d' ' -f2- "$WORK/notify.log" >"$WORK/notify.msgs" # without the times
msgs=$(tr '\n' ' ' <"$WORK/notify.msgs")
for want in READY=1 'STATUS=' WATCHDOG=1 RELOADING=1 STOPPING=1; do
    grep -q "^$want" "$WORK/notify.msgs" ||
        fail "no $want over the notify socket: $msgs"
done
# order: READY first; RELOADING followed by READY; STOPPING last
[ "$(head -n 1 "$WORK/notify.msgs")" = READY=1 ] || fail "READY not first: $msgs"
grep -A1 '^RELOADING=1' "$WORK/notify.msgs" | tail -n 1 | grep -q '^READY=1' ||
    fail "RELOADING not followed by READY: $msgs"
[ "$(tail -n 1 "$WORK/notify.msgs")" = STOPPING=1 ] ||
    fail "STOPPING not last: $msgs"
echo "ok: READY, STATUS, WATCHDOG, RELOADING/READY, STOPPING; exit 0"

# ---- a busy metrics address stops start-up
"$WH_PYTHON" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(30)' "$WORK/busy.port" &
BUSY_PID=$!
WH_PIDS+=("$BUSY_PID")
for _ in $(seq 50); do [ -s "$WORK/busy.port" ] && break; sleep 0.1; done
rc=0
timeout 30 "$BIN/wirehose-consumer" -b "$BROKERS" -t articles -g gb \
    --sink "jsonl:$WORK/busy.jsonl" \
    --metrics "127.0.0.1:$(cat "$WORK/busy.port")" >"$WORK/busy.log" 2>&1 ||
    rc=$?
[ $rc -eq 2 ] && grep -q 'metrics' "$WORK/busy.log" ||
    { cat "$WORK/busy.log" >&2; fail "busy metrics address: exit $rc"; }
echo "ok: a busy metrics address stops start-up (exit 2)"

# ---- /healthz 503 once the broker is gone
wh_spawn "$WORK/c2.log" "$BIN/wirehose-consumer" -b "$BROKERS" -t articles \
    -g gh -X session.timeout.ms=6000 --enrich none \
    --dedup none --sink "jsonl:$WORK/c2.jsonl" --metrics 127.0.0.1:0
C2=$WH_LAST_PID
wh_metrics_url "$WORK/c2.log" "$C2"
for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$M/healthz")" = 200 ] &&
        break
    sleep 0.1
done
kill -TERM "$BROKER_PID"
code=
for _ in $(seq 250); do
    code=$(curl -s -o /dev/null -w '%{http_code}' \
        "$M/healthz")
    [ "$code" = 503 ] && break
    sleep 0.1
done
[ "$code" = 503 ] || { wh_show "$WORK/c2.log"; fail "/healthz $code without broker"; }
curl -s "$M/healthz" | grep -q 'broker unreachable' ||
    fail "/healthz does not say why"
kill -KILL "$C2"
echo "ok: /healthz 503 once the broker is gone"
echo "consumer_metrics: all passed"
