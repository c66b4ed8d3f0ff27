#!/bin/bash
# The producer as a daemon (no --once), on a schedule:
#  - a source answering 429 with Retry-After: 2 is tried again after the
#    server's pause, not at its interval nor at once, then published;
#  - an unchanged source (304 every time) is polled at a growing interval
#    (adaptive backoff), far less often than its poll.interval_ms;
#  - /metrics, scraped while it runs, has the fetch, extraction-fill and
#    produce families with the expected series, and /healthz says 200;
#  - SIGHUP reloads the source list: the new source is published, the
#    removed one stops, and a kafka.* change is reported as needing a
#    restart;
#  - /healthz turns 503 when the broker goes away;
#  - SIGTERM stops it with exit status 0.
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

# shellcheck disable=SC2034 # read by producer_common.sh
TOPIC=wirehose.daemon
RSS=/example.com/news/rss2.xml
start_site --etag --status "$RSS=429*1" --retry-after "$RSS=2"

# wait_for SECONDS CMD...: until CMD succeeds; fails after SECONDS.
wait_for() {
    local secs=$1
    shift
    for _ in $(seq $((secs * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        kill -0 "$PID" 2>/dev/null || { wh_show "$LOG"; fail "producer died"; }
        sleep 0.1
    done
    wh_show "$LOG" "$WORK/http.access"
    fail "timed out after ${secs}s waiting for: $*"
}
topic_count() {
    read_topic "$WORK/t.jsonl"
    [ "$(grep -c . "$WORK/t.jsonl")" -ge "$1" ]
}

CONF=$WORK/producer.conf
cat "$WORK/base.conf" - >"$CONF" <<CONF
poll.interval_ms = 300
poll.max_interval_ms = 3000
poll.retry_min_ms = 200
poll.jitter_pct = 0
source = rss2 $(source_url rss2)
source = unchanged $(source_url atom)
CONF
LOG=$WORK/producer.log
wh_spawn "$LOG" "$PRODUCER" -c "$CONF" -v --metrics 127.0.0.1:0
PID=$WH_LAST_PID

# 429 then Retry-After: one retry after about 2 s, then the feed's items.
wait_for 30 topic_count 5
grep -E "^<5>\[source:rss2\] next try in 2\.[0-9] s" "$LOG" >/dev/null ||
    { wh_show "$LOG"; fail "429: not rescheduled after the Retry-After"; }
[ "$(grep -c "^GET $RSS 429 " "$WORK/http.access")" -eq 1 ] ||
    fail "429: expected one 429 answer"
echo "ok: 429 with Retry-After: rescheduled in 2 s, then published"

# /metrics and /healthz while running.
port=$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' "$LOG" | head -n 1)
[ -n "$port" ] || { wh_show "$LOG"; fail "no metrics port in the log"; }
M=http://127.0.0.1:$port
curl -fsS "$M/metrics" >"$WORK/metrics.txt" || fail "GET /metrics failed"
for re in \
    '^wirehose_fetches_total\{source="rss2",status="429"\} 1$' \
    '^wirehose_fetches_total\{source="rss2",status="200"\} [0-9]+$' \
    '^wirehose_fetches_total\{source="unchanged",status="200"\} [0-9]+$' \
    '^wirehose_extraction_fill_total\{source="rss2",field="page"\} 2$' \
    '^wirehose_extraction_fill_total\{source="rss2",field="body"\} 2$' \
    '^wirehose_extraction_fill_total\{source="unchanged",field="date"\} [0-9]+$' \
    '^wirehose_extraction_fill_total\{source="unchanged",field="byline"\} [0-9]+$' \
    '^wirehose_records_total\{stage="produce",outcome="delivered"\} 5$' \
    '^# TYPE wirehose_fetches_total counter$'; do
    grep -Eq "$re" "$WORK/metrics.txt" ||
        { cat "$WORK/metrics.txt"; fail "/metrics: no line matching /$re/"; }
done
echo "ok: /metrics has the fetch, fill and produce families"
code=$(curl -s -o "$WORK/healthz" -w '%{http_code}' "$M/healthz")
[ "$code" = 200 ] || { cat "$WORK/healthz"; fail "/healthz answered $code"; }
echo "ok: /healthz 200"

# Adaptive interval: the unchanged feed (304 each time) over 5 s; with a
# fixed 300 ms interval that would be about 16 polls.
sleep 5
n304=$(grep -c "^GET /example.com/news/atom.xml 304 " "$WORK/http.access" || true)
echo "unchanged feed: $n304 polls answered 304"
if [ "$n304" -lt 2 ] || [ "$n304" -gt 8 ]; then
    fail "adaptive interval: $n304 polls of an unchanged feed (want 2..8)"
fi
grep -Eq "^<7>\[source:unchanged\] next poll in (1\.[5-9]|2\.|3\.0)" "$LOG" ||
    { wh_show "$LOG"; fail "the interval of the unchanged feed did not grow"; }
echo "ok: the interval of an unchanged feed grows"

# SIGHUP: rss2 removed, ninjs3 added, a kafka.* change reported.
cat "$WORK/base.conf" - >"$CONF" <<CONF
poll.interval_ms = 300
kafka.client.id = changed
source = unchanged $(source_url atom)
source = ninjs3 $(source_url ninjs3)
CONF
kill -HUP "$PID"
wait_for 20 topic_count 6
wait_for 5 grep -q "reload: 1 sources kept, 1 added, 1 removed" "$LOG"
grep -q "kafka.\* changes need a restart" "$LOG" ||
    { wh_show "$LOG"; fail "reload: the kafka.* change was not reported"; }
n_before=$(grep -c "^GET $RSS " "$WORK/http.access" || true)
sleep 1.5
n_after=$(grep -c "^GET $RSS " "$WORK/http.access" || true)
[ "$n_before" -eq "$n_after" ] || fail "removed source still polled"
echo "ok: SIGHUP: source added and removed, restart-only change reported"

read_topic "$WORK/topic.jsonl"

# /healthz turns 503 once the broker is gone (checked every 10 s).
kill -TERM "$BROKER_PID"
healthz_down() {
    [ "$(curl -s -o "$WORK/healthz" -w '%{http_code}' "$M/healthz")" = 503 ]
}
wait_for 30 healthz_down
grep -q "broker unreachable" "$WORK/healthz" ||
    { cat "$WORK/healthz"; fail "/healthz 503 without the reason"; }
echo "ok: /healthz 503 ($(cat "$WORK/healthz")) with the broker down"

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || { wh_show "$LOG"; fail "SIGTERM: exit status $rc"; }
"$WH_PYTHON" "$HERE/producer_check.py" --messages "$WORK/topic.jsonl" \
    --count rss2=2 --count unchanged=3 --count ninjs3=1 --total 6 \
    --no-dup-keys || fail "topic contents (above)"
echo "producer_daemon: all checks passed"
