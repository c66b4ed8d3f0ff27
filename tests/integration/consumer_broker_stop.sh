#!/bin/bash
# consumer_broker_stop.sh - wirehose-consumer when its broker stops
# answering; the dev broker, the consumer and a NOTIFY_SOCKET listener are
# real processes on loopback.
#
# Checks, with the broker frozen (SIGSTOP: connections stay open, nothing
# answers): the loop keeps turning (WATCHDOG=1 at its pace, /healthz
# answers at once, 503 "Kafka broker unreachable"), the lag gauge keeps
# its last value with wirehose_consumer_lag_stale 1; SIGTERM stops the consumer within close.timeout_ms plus a few
# seconds, exit 0, the log naming each partition whose offset it could
# not commit; the group still has those records to go once the broker
# is back (wirehose-replay --watch). Then with the broker killed (kill -9) before SIGTERM: exit 0
# in bounded time too.
#
# Environment: WH_BINDIR = the build directory.
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer wirehose-replay
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export STATE_DIRECTORY="$WORK/state"
N=6
CLOSE_MS=3000
BOUND_S=$((CLOSE_MS / 1000 + 15)) # the close timeout plus a few seconds

# produce FIRST LAST: records FIRST..LAST, one line "key<TAB>json" each
produce() {
    local n
    for n in $(seq "$1" "$2"); do
        printf 'k%d\t{"uri":"http://example.test/stop/%d",' "$n" "$n"
        printf '"headlines":[{"value":"Stop %d"}],"bodies":[{"role":' "$n"
        printf '"main","contentType":"text/plain","value":"Body %d."}]}\n' "$n"
    done | kcat -P -b "$BROKERS" -t articles -K $'\t' ||
        fail "kcat could not produce"
}

# start_consumer NAME [flags...]: a consumer of group gs into
# $WORK/NAME.jsonl; commits only at stop (a long auto commit interval),
# so what a stop cannot commit is all it consumed; its session outlasts
# the freeze (it keeps its partitions). Sets CONSUMER_PID.
start_consumer() {
    local name=$1
    shift
    cat >"$WORK/$name.conf" <<EOF
group = gs
flush.ms = 200
close.timeout_ms = $CLOSE_MS
metrics = 127.0.0.1:0
kafka.auto.commit.interval.ms = 600000
kafka.session.timeout.ms = 20000
EOF
    NOTIFY_SOCKET=$NOTIFY_SOCK WATCHDOG_USEC=2000000 \
        wh_spawn "$WORK/$name.log" "$BIN/wirehose-consumer" \
        -c "$WORK/$name.conf" -b "$BROKERS" -t articles --enrich none \
        --dedup none --sink "jsonl:$WORK/$name.jsonl" "$@"
    CONSUMER_PID=$WH_LAST_PID
}

# wait_lines FILE N LOG: waits up to 60 s for N lines in FILE
wait_lines() {
    local got=0
    for _ in $(seq 600); do
        got=0
        [ -f "$1" ] && got=$(wc -l <"$1")
        [ "$got" -ge "$2" ] && return 0
        sleep 0.1
    done
    wh_show "$3"
    fail "$got of $2 lines in $(basename "$1")"
}

# stop_within PID LOG: SIGTERM, then the exit status must be 0 within
# BOUND_S seconds. Sets TOOK (seconds, tenths).
stop_within() {
    local pid=$1 log=$2 t0 t1 rc=0
    t0=$(date +%s%N)
    kill -TERM "$pid"
    for _ in $(seq $((BOUND_S * 10 + 50))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    t1=$(date +%s%N)
    if kill -0 "$pid" 2>/dev/null; then
        wh_show "$log"
        fail "still running $(((t1 - t0) / 1000000)) ms after SIGTERM"
    fi
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || { wh_show "$log"; fail "exit $rc after SIGTERM"; }
    TOOK=$(((t1 - t0) / 100000000))
    TOOK="$((TOOK / 10)).$((TOOK % 10))"
    [ $(((t1 - t0) / 1000000)) -le $((BOUND_S * 1000)) ] ||
        { wh_show "$log"; fail "SIGTERM took $TOOK s (bound $BOUND_S s)"; }
}

# consume_all NAME: a new dev broker (BROKER_PID) with N records, and a
# consumer (start_consumer NAME) that has written them all.
consume_all() {
    rm -f "$WORK/bootstrap"
    wh_start_broker --partitions 2 --topic articles
    BROKER_PID=$WH_LAST_PID
    produce 1 $N
    start_consumer "$1"
    wh_metrics_url "$WORK/$1.log" "$CONSUMER_PID"
    wait_lines "$WORK/$1.jsonl" $N "$WORK/$1.log"
}

wh_start_notify_listener

# ---- the broker frozen, then SIGTERM
consume_all frozen
lag() { # the lag gauge (sum) and the stale gauge (max) of the topic
    curl -s -m 2 "$M/metrics" | awk '
        /^wirehose_consumer_lag\{topic="articles"/ { lag += $2; n++ }
        /^wirehose_consumer_lag_stale\{topic="articles"/ {
            if ($2 > stale) stale = $2 }
        END { printf "%s %d\n", n ? lag : "none", stale }'
}
got=
for _ in $(seq 100); do
    got=$(lag)
    [ "$got" = "$N 0" ] && break
    sleep 0.1
done
# Nothing committed yet (commits only at stop): all N records count.
[ "$got" = "$N 0" ] || { wh_show "$WORK/frozen.log"; fail "lag '$got'"; }
since=$(awk '{ t = $1 } END { print t }' "$WORK/notify.log")
kill -STOP "$BROKER_PID"
# The loop does not wait for the brokers: over FREEZE_S seconds (two lag
# refreshes and a broker check at least) WATCHDOG=1 keeps its pace (every
# 0.5 s with WATCHDOG_USEC=2 s), /healthz answers at once and says the
# broker is unreachable, the lag keeps its last value, marked stale.
sleep "${FREEZE_S:-12}"
kill -0 "$CONSUMER_PID" || fail "the consumer died with the broker frozen"
wh_watchdog_gap "$since" 1.25
wh_healthz_unreachable "$WORK/frozen.log"
got=$(lag)
[ "$got" = "$N 1" ] || { wh_show "$WORK/frozen.log"; fail "lag while frozen: '$got'"; }
echo "ok: broker frozen: the loop turns, /healthz 503 at once, lag $N kept" \
    "and marked stale"
stop_within "$CONSUMER_PID" "$WORK/frozen.log"
grep -q 'articles \[[01]\]: offset [0-9]* not committed' "$WORK/frozen.log" ||
    { wh_show "$WORK/frozen.log"; fail "no 'not committed' line"; }
grep -q 'close: the brokers did not answer within' "$WORK/frozen.log" ||
    { wh_show "$WORK/frozen.log"; fail "no line about the close"; }
echo "ok: broker frozen: SIGTERM -> exit 0 in $TOOK s (close.timeout_ms" \
    "$CLOSE_MS), the offsets not committed named"

# Nothing was committed: once the broker is back, the group still has
# every record to go (read again by its next member: at-least-once).
kill -CONT "$BROKER_PID"
wh_expect_to_go gs $N $N
echo "ok: broker back: the group has the $N records not committed to go"

# ---- the broker killed, then SIGTERM
kill -KILL "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null || true
consume_all killed
kill -KILL "$BROKER_PID"
sleep 2
stop_within "$CONSUMER_PID" "$WORK/killed.log"
echo "ok: broker killed: SIGTERM -> exit 0 in $TOOK s"
echo "consumer_broker_stop: OK"
