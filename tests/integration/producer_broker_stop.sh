#!/bin/bash
# producer_broker_stop.sh - wirehose-producer when its broker stops
# answering; the dev broker, the fixture site, the producer and a
# NOTIFY_SOCKET listener are real processes on loopback.
#
# With the broker frozen (SIGSTOP: connections stay open, nothing
# answers):
#  - the daemon's loop keeps turning: WATCHDOG=1 at its pace (the broker
#    check runs in a thread of its own), /healthz answers at once, 503
#    "Kafka broker unreachable"; once the broker is back, 200 again;
#  - --inspect in the fleet mode ends in bounded time, the sources topic
#    it could not read named on stderr and in its header's "error".
#
# Environment: WH_BINDIR = the build directory.
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed"
wh_need_bin wirehose-sources
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
# shellcheck disable=SC2034 # read by producer_common.sh
TOPIC=wirehose.stop
INSPECT_BOUND_S=30 # a metadata timeout (10 s), the bounded close (3 s), slack

start_site
wh_start_notify_listener

# ---- the daemon: the loop does not wait for a frozen broker
cat "$WORK/base.conf" - >"$WORK/producer.conf" <<CONF
poll.interval_ms = 300
poll.jitter_pct = 0
source = rss2 $(source_url rss2)
CONF
NOTIFY_SOCKET=$NOTIFY_SOCK WATCHDOG_USEC=2000000 \
    wh_spawn "$WORK/producer.log" "$PRODUCER" -c "$WORK/producer.conf" \
    --metrics 127.0.0.1:0
PID=$WH_LAST_PID
wh_metrics_url "$WORK/producer.log" "$PID"

# healthz_within CODE SECONDS: /healthz answers CODE within SECONDS.
healthz_within() {
    local code=
    for _ in $(seq $(($2 * 10))); do
        code=$(curl -s -m 2 -o "$WORK/healthz" -w '%{http_code}' \
            "$M/healthz") || true
        [ "$code" = "$1" ] && return 0
        sleep 0.1
    done
    wh_show "$WORK/healthz" "$WORK/producer.log"
    fail "/healthz: $code, want $1"
}
healthz_within 200 20
since=$(awk '{ t = $1 } END { print t }' "$WORK/notify.log")
kill -STOP "$BROKER_PID"
# Over FREEZE_S seconds (a broker check at least, every 10 s), WATCHDOG=1
# keeps its pace: every 0.5 s with WATCHDOG_USEC=2 s, gaps of 0.5-0.7 s (a
# turn idles up to 200 ms). With the check on the loop (500 ms while the
# broker does not answer) a gap of 1.0-1.2 s came with each check.
sleep "${FREEZE_S:-14}"
kill -0 "$PID" || fail "the producer died with the broker frozen"
wh_watchdog_gap "$since" 0.9
wh_healthz_unreachable "$WORK/producer.log"
echo "ok: broker frozen: the loop turns, /healthz 503 in $HEALTHZ_MS ms"
kill -CONT "$BROKER_PID"
healthz_within 200 20
echo "ok: broker back: /healthz 200"
kill -TERM "$PID"
wait "$PID" || { wh_show "$WORK/producer.log"; fail "exit $? after SIGTERM"; }

# ---- --inspect in the fleet mode, the broker frozen
echo "rss2 $(source_url rss2)" >"$WORK/sources.txt"
"$BIN/wirehose-sources" -b "$BROKERS" -t "$TOPIC.sources" import \
    "$WORK/sources.txt" 2>"$WORK/import.log" ||
    { cat "$WORK/import.log" >&2; fail "import"; }
cat "$WORK/base.conf" - >"$WORK/fleet.conf" <<CONF
sources = kafka
sources.topic = $TOPIC.sources
CONF
kill -STOP "$BROKER_PID"
t0=$(date +%s%N)
rc=0
timeout $((INSPECT_BOUND_S + 60)) "$PRODUCER" -c "$WORK/fleet.conf" \
    --inspect "$(source_url rss2)" --no-pages >"$WORK/inspect.out" \
    2>"$WORK/inspect.err" || rc=$?
t1=$(date +%s%N)
kill -CONT "$BROKER_PID"
took=$(((t1 - t0) / 1000000))
[ "$rc" -ne 124 ] || { wh_show "$WORK/inspect.err"; fail "--inspect hung"; }
[ "$took" -le $((INSPECT_BOUND_S * 1000)) ] || {
    wh_show "$WORK/inspect.err"
    fail "--inspect took $took ms with the broker frozen (bound" \
        "$INSPECT_BOUND_S s)"
}
grep -q "^inspect: .*$TOPIC.sources" "$WORK/inspect.err" || {
    wh_show "$WORK/inspect.err"
    fail "--inspect: no error naming the sources topic on stderr"
}
head -n 1 "$WORK/inspect.out" | grep -q '"fleet":{.*"error":' || {
    head -c 600 "$WORK/inspect.out" >&2
    fail "--inspect: no \"error\" in the header's fleet member"
}
echo "ok: broker frozen: --inspect (fleet) exit $rc in $took ms:" \
    "$(grep -m 1 "^inspect: .*$TOPIC.sources" "$WORK/inspect.err")"
echo "producer_broker_stop: OK"
