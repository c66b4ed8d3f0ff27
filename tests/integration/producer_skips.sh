#!/bin/bash
# Permanent and transient item outcomes, with the producer as a daemon
# polling two feeds every few hundred ms:
#  - "blocked": one item whose page robots.txt disallows. The item is
#    skipped and remembered (<source>.skip), the feed's validators are
#    stored, so every later poll is answered 304; the skip is counted once
#    (wirehose_items_total{outcome="skipped",reason="robots"} 1) and the
#    page is never requested. When the feed changes the item (a new date),
#    it is looked at again: fetched in full, skipped and counted again.
#  - "flaky": one item whose page answers 500 once. The item fails
#    (reason server_error), the feed is fetched in full at the next poll
#    (no 304: its validators wait), the page is fetched again and the
#    record published.
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

TOPIC=wirehose.skips
wh_start_broker --topic "$TOPIC"
mkdir -p "$WORK/www/private" "$WORK/www/news"
wh_start_fixture_server "$WORK/www" --etag --status "/news/flaky.html=500*1"
printf 'User-agent: *\nDisallow: /private/\n' >"$WORK/www/robots.txt"

# feed FILE LINK DATE: an RSS feed of one item.
feed() {
    cat >"$1" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Skips</title><link>$HTTP/</link>
<description>one item</description>
<item><title>The one item</title><link>$2</link><guid>$2</guid>
<pubDate>$3</pubDate></item>
</channel></rss>
XML
}
feed "$WORK/www/blocked.xml" "$HTTP/private/a.html" \
    "Mon, 02 Mar 2015 08:00:00 GMT"
feed "$WORK/www/flaky.xml" "$HTTP/news/flaky.html" \
    "Mon, 02 Mar 2015 09:00:00 GMT"
para="The council voted on Tuesday to close the old bridge to traffic for"
para="$para three months while engineers replace the deck and the railings,"
para="$para a repair the city has postponed twice since the floods."
cat >"$WORK/www/news/flaky.html" <<HTML
<html><head><title>Bridge closes</title></head><body><article>
<h1>Bridge closes</h1><p>$para</p><p>$para</p><p>$para</p>
</article></body></html>
HTML

STATE=$WORK/state
CONF=$WORK/producer.conf
cat >"$CONF" <<CONF
brokers = $BROKERS
topic = $TOPIC
fetch.allow_address = 127.0.0.1/32
fetch.host_delay_ms = 0
poll.interval_ms = 200
poll.max_interval_ms = 400
poll.retry_min_ms = 200
poll.jitter_pct = 0
state_dir = $STATE
source = blocked $HTTP/blocked.xml
source = flaky $HTTP/flaky.xml
CONF
LOG=$WORK/producer.log
wh_spawn "$LOG" "$PRODUCER" -c "$CONF" -v --metrics 127.0.0.1:0
PID=$WH_LAST_PID

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
answers() { # answers PATH STATUS: how many times PATH was answered STATUS
    grep -c "^GET $1 $2 " "$WORK/http.access" || true
}
at_least() { [ "$(answers "$1" "$2")" -ge "$3" ]; }
metric() { # metric LINE-PREFIX: the value of that series, or "none"
    curl -fsS "$METRICS/metrics" | awk -v k="$1" \
        'index($0, k " ") == 1 { print $2; f = 1 } END { if (!f) print "none" }'
}

wait_for 20 grep -q "metrics on .* (port " "$LOG"
METRICS=http://127.0.0.1:$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' "$LOG" | head -n 1)
SKIP_ROBOTS='wirehose_items_total{outcome="skipped",reason="robots"}'

# blocked: polled three times, the last two answered 304.
wait_for 30 at_least /blocked.xml 304 2
[ "$(answers /blocked.xml 200)" -eq 1 ] ||
    { cat "$WORK/http.access"; fail "blocked.xml: expected one full download"; }
[ "$(metric "$SKIP_ROBOTS")" = 1 ] ||
    { curl -fsS "$METRICS/metrics" | grep items_total; fail "robots skip not counted exactly once"; }
[ "$(grep -c "^GET /private/" "$WORK/http.access")" -eq 0 ] ||
    fail "a page robots.txt disallows was requested"
n=$(cat "$STATE"/*.skip 2>/dev/null | grep -c "^robots	$HTTP/private/a.html	" || true)
[ "$n" -eq 1 ] || { cat "$STATE"/*.skip; fail "the skip is not in the state (.skip)"; }
echo "ok: blocked: skipped once (robots), remembered, then 304 at every poll"

# flaky: failed once (500), the feed downloaded in full again, published.
wait_for 30 at_least /news/flaky.html 200 1
wait_for 30 grep -q "queued $HTTP/news/flaky.html" "$LOG"
[ "$(answers /flaky.xml 200)" -ge 2 ] ||
    { cat "$WORK/http.access"; fail "flaky.xml: not downloaded in full after the failure"; }
[ "$(metric 'wirehose_items_total{outcome="failed",reason="server_error"}')" = 1 ] ||
    fail "the 500 is not counted as failed (server_error)"
if cat "$STATE"/*.skip | grep -q flaky; then
    fail "a transient failure was remembered as a skip"
fi
echo "ok: flaky: 500 counted failed, retried at the next poll, published"

# The feed changes the item's date: looked at again, skipped again.
feed "$WORK/www/blocked.xml" "$HTTP/private/a.html" \
    "Tue, 03 Mar 2015 08:00:00 GMT"
wait_for 30 at_least /blocked.xml 200 2
wait_for 10 test "$(metric "$SKIP_ROBOTS")" = 2
[ "$(grep -c "^GET /private/" "$WORK/http.access")" -eq 0 ] ||
    fail "a page robots.txt disallows was requested"
echo "ok: blocked: a new date is a new version, skipped again"

read_topic "$WORK/topic.jsonl"
[ "$(grep -c . "$WORK/topic.jsonl")" -eq 1 ] ||
    { cat "$WORK/topic.jsonl"; fail "expected exactly one record (flaky)"; }
kill -TERM "$PID"
wait "$PID" || fail "producer exited $? on SIGTERM"
echo "producer_skips: all checks passed"
