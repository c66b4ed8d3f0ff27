#!/usr/bin/env bash
# A fleet of producers sharing the sources topic (sources = kafka) on the
# dev broker: N feeds on a loopback site, 3 instances in one group; every
# source is polled by exactly one instance; one instance killed with
# SIGKILL has its sources taken over after the session timeout; a 4th
# instance takes a share without any other restarting. Ownership is read
# from the instances' logs ("[source:NAME] URL: rss, ..." at each round)
# over windows of a few poll intervals; the feeds carry ETags, and a feed
# taken over is asked conditionally (its validators move in the state
# topic) and answered 304. Each instance has a state
# directory of its own: only the state topic carries a source's published
# ids to its next owner; the items published twice are counted (< 1 %).
# Also: --check-config and --inspect in the fleet mode, a state topic
# with fewer partitions said at start. The issue's size by default (300
# sources, a 3 s interval); by hand: FLEET_SOURCES=N, FLEET_INTERVAL_MS=MS,
# FLEET_CHURN=K (a kill while every feed gains an item each half second:
# what a failover republishes).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-devbroker wirehose-producer wirehose-sources
N=${FLEET_SOURCES:-300}
TOPIC=news
# windows are three intervals long: 300 sources a 3 s interval keep the
# fixture site (and a loaded 2-core machine) well inside its rate
INTERVAL_MS=${FLEET_INTERVAL_MS:-3000}
WIN=$((3 * INTERVAL_MS / 1000))
SESSION_MS=6000

wh_start_broker --topic "$TOPIC" --topic "$TOPIC.sources" \
    --topic "$TOPIC.state" --partitions 12
mkdir -p "$WORK/www/feeds"
# ETags: a feed polled again is answered 304 when its validators are known
wh_start_fixture_server "$WORK/www" --etag

# write_page I K: the article page of item K of feed I.
write_page() {
    cat >"$WORK/www/a/$1-$2.html.tmp" <<HTML
<!doctype html><html><head><title>Story $2 of feed $1</title></head>
<body><article><h1>Story $2 of feed $1</h1>
<p>This is story $2 of feed $1. The council met on Tuesday and agreed on
a new budget for the coming year after a long debate about roads.</p>
<p>Residents said the decision was overdue and asked for more detail on
how the money would be spent in each district of the town.</p>
</article></body></html>
HTML
    mv "$WORK/www/a/$1-$2.html.tmp" "$WORK/www/a/$1-$2.html"
}

# write_feed I C: feed I with its two items and C more (c1..cC, for
# FLEET_CHURN below), newest first.
write_feed() {
    local c
    {
        cat <<XML
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Feed $1</title>
<link>$HTTP/</link><description>fixture</description>
XML
        for c in $(seq "$2" -1 1); do
            cat <<XML
<item><title>Churn $c of $1</title><link>$HTTP/a/$1-c$c.html</link>
<guid>fleet-$1-c$c</guid><description>A later story of feed $1, told in
enough words to be a body of its own for the record.</description></item>
XML
        done
        cat <<XML
<item><title>One of $1</title><link>$HTTP/a/$1-1.html</link>
<guid>fleet-$1-1</guid><description>The first story of feed $1, told in
enough words to be a body of its own for the record.</description></item>
<item><title>Two of $1</title><link>$HTTP/a/$1-2.html</link>
<guid>fleet-$1-2</guid><description>The second story of feed $1, told in
enough words to be a body of its own for the record.</description></item>
</channel></rss>
XML
    } >"$WORK/www/feeds/f$1.xml.tmp"
    mv "$WORK/www/feeds/f$1.xml.tmp" "$WORK/www/feeds/f$1.xml"
}

# N feeds, two items each, and their article pages.
: >"$WORK/sources.txt"
mkdir -p "$WORK/www/a"
for i in $(seq -w 1 "$N"); do
    write_feed "$i" 0
    write_page "$i" 1
    write_page "$i" 2
    echo "s$i $HTTP/feeds/f$i.xml" >>"$WORK/sources.txt"
done
"$BIN/wirehose-sources" -b "$BROKERS" -t "$TOPIC" import "$WORK/sources.txt" \
    2>"$WORK/import.log" || { cat "$WORK/import.log" >&2; fail "import"; }

cat >"$WORK/fleet.conf" <<CONF
brokers = $BROKERS
topic = $TOPIC
sources = kafka
fetch.allow_address = 127.0.0.1/32
fetch.host_delay_ms = 0
poll.interval_ms = $INTERVAL_MS
poll.max_interval_ms = $INTERVAL_MS
poll.jitter_pct = 0
kafka.session.timeout.ms = $SESSION_MS
kafka.heartbeat.interval.ms = 500
CONF

"$BIN/wirehose-producer" -c "$WORK/fleet.conf" --check-config |
    grep -qF "group $TOPIC.producers on $TOPIC.sources, state in $TOPIC.state" ||
    fail "--check-config in the fleet mode"
rc=0
"$BIN/wirehose-producer" -c "$WORK/fleet.conf" --once 2>"$WORK/once.err" ||
    rc=$?
if [ "$rc" -ne 2 ] || ! grep -q 'once' "$WORK/once.err"; then
    fail "--once with sources = kafka: exit $rc, want 2"
fi
rc=0
"$BIN/wirehose-producer" -c "$WORK/fleet.conf" --source "$HTTP/feeds/f01.xml" \
    --check-config 2>"$WORK/src.err" || rc=$?
if [ "$rc" -ne 2 ] || ! grep -q 'not used with sources' "$WORK/src.err"; then
    fail "a source key with sources = kafka: exit $rc, want 2"
fi

# a state topic with fewer partitions than the sources topic is said at
# start (the dev broker makes any topic asked about, with 4 partitions;
# a real broker is asked to create a missing one, compacted)
{
    cat "$WORK/fleet.conf"
    echo "sources.state_topic = $TOPIC.small"
    echo "sources.group = probe"
} >"$WORK/small.conf"
wh_spawn "$WORK/small.log" "$BIN/wirehose-producer" -c "$WORK/small.conf" \
    --state-dir "$WORK/state-small"
for _ in $(seq 150); do
    grep -q 'cannot be written' "$WORK/small.log" && break
    sleep 0.1
done
kill -TERM "$WH_LAST_PID"
wait "$WH_LAST_PID" 2>/dev/null || true
grep -q "$TOPIC.small has 4 partitions, $TOPIC.sources 12" "$WORK/small.log" ||
    { wh_show "$WORK/small.log"; fail "a small state topic not said"; }

declare -A PID
start_instance() {
    mkdir -p "$WORK/state$1"
    wh_spawn "$WORK/p$1.log" "$BIN/wirehose-producer" -c "$WORK/fleet.conf" \
        --state-dir "$WORK/state$1" --metrics 127.0.0.1:0 -v
    PID[$1]=$WH_LAST_PID
}

# polled_in I FROM: the source names instance I polled since byte FROM of
# its log, one a line, sorted and unique.
polled_in() {
    tail -c +"$(($2 + 1))" "$WORK/p$1.log" |
        sed -n 's/^<[0-9]>\[source:\(s[0-9]*\)\] http[^ ]*: \(rss, \|unchanged (304)\).*/\1/p' |
        sort -u
}

# window SECS I...: over SECS seconds, which instance polled which source;
# fails unless every source was polled by exactly one of the instances and
# no rebalance step ran meanwhile.
# Sets COUNT[I] (sources of instance I).
declare -A COUNT
window() {
    local secs=$1 i
    shift
    declare -A from
    for i in "$@"; do
        from[$i]=$(stat -c %s "$WORK/p$i.log")
    done
    sleep "$secs"
    : >"$WORK/window"
    for i in "$@"; do
        polled_in "$i" "${from[$i]}" >"$WORK/w$i"
        COUNT[$i]=$(wc -l <"$WORK/w$i")
        cat "$WORK/w$i" >>"$WORK/window"
    done
    local total uniq moved=0
    total=$(wc -l <"$WORK/window")
    uniq=$(sort -u "$WORK/window" | wc -l)
    # a cooperative rebalance goes in steps (revoke, then assign): a window
    # in which one of them happened proves nothing either way
    for i in "$@"; do
        if tail -c +"$((${from[$i]} + 1))" "$WORK/p$i.log" |
            grep -q '\[kafka\] rebalance'; then
            moved=1
        fi
    done
    [ "$moved" -eq 0 ] || fail "window over instances $*: a rebalance ran"
    if [ "$uniq" -ne "$N" ] || [ "$total" -ne "$N" ]; then
        for i in "$@"; do wh_show "$WORK/p$i.log"; done
        sort "$WORK/window" | uniq -d | head >&2
        fail "window over instances $*: $uniq of $N sources polled, $total" \
            "(source, instance) pairs; want each source by one instance"
    fi
    for i in "$@"; do
        [ "${COUNT[$i]}" -gt 0 ] || fail "instance $i polls no source"
    done
    echo "window: $(for i in "$@"; do printf 'p%s=%s ' "$i" "${COUNT[$i]}"; done)"
}

# settle SECS I...: waits until the instances together poll all N sources
# with no source polled by two of them over a window of three intervals.
settle() {
    local secs=$1 t0=$SECONDS
    shift
    while :; do
        if (window "$WIN" "$@") >"$WORK/settle.out" 2>&1; then
            cat "$WORK/settle.out"
            return 0
        fi
        [ $((SECONDS - t0)) -lt "$secs" ] || {
            cat "$WORK/settle.out" >&2
            fail "instances $* did not settle in $secs s"
        }
    done
}

for i in 1 2 3; do start_instance "$i"; done
t0=$SECONDS
settle 90 1 2 3
echo "3 instances settled in $((SECONDS - t0)) s"
window "$WIN" 1 2 3

# kill -9 one: its sources go to the others after the session timeout.
# The takeover is timed from the kill to the moment every source the
# killed instance polled has been polled by one of the others.
polled_in 1 0 >"$WORK/orphans"
from2=$(stat -c %s "$WORK/p2.log")
from3=$(stat -c %s "$WORK/p3.log")
kill -KILL "${PID[1]}"
wait "${PID[1]}" 2>/dev/null || true
kill_at=$(wc -l <"$WORK/http.access")
t_kill=$(date +%s%N)
while :; do
    { polled_in 2 "$from2"; polled_in 3 "$from3"; } | sort -u >"$WORK/adopted"
    left=$(comm -23 "$WORK/orphans" "$WORK/adopted" | wc -l)
    [ "$left" -gt 0 ] || break
    [ $(($(date +%s%N) - t_kill)) -lt $(((SESSION_MS + 60000) * 1000000)) ] ||
        fail "$left sources of the killed instance not polled by the others"
    sleep 0.2
done
takeover_ms=$((($(date +%s%N) - t_kill) / 1000000))
echo "takeover after SIGKILL: $(wc -l <"$WORK/orphans") sources polled by" \
    "the others after $takeover_ms ms (session timeout $SESSION_MS ms +" \
    "one interval $INTERVAL_MS ms = $((SESSION_MS + INTERVAL_MS)) ms)"
t0=$SECONDS
settle $((SESSION_MS / 1000 + 60)) 2 3
echo "2 instances settled $((SECONDS - t0)) s later"

grep -q 'state read' "$WORK/p2.log" "$WORK/p3.log" ||
    fail "the sources taken over came without their state"

# a 4th instance takes a share; 2 and 3 keep running
start_instance 4
t0=$SECONDS
settle 90 2 3 4
window "$WIN" 2 3 4
echo "4th instance: ${COUNT[4]} sources after $((SECONDS - t0)) s"
# the validators moved with the sources: every feed taken over (after
# the kill, and by the 4th instance) was asked conditionally and answered
# 304, none fetched in full again
full=$(tail -n +$((kill_at + 1)) "$WORK/http.access" |
    grep -c '^GET /feeds/f[0-9]*\.xml 200 ' || true)
n304=$(tail -n +$((kill_at + 1)) "$WORK/http.access" |
    grep -c '^GET /feeds/f[0-9]*\.xml 304 ' || true)
echo "feeds after the kill: $full fetched in full, $n304 answered 304"
[ "$full" -eq 0 ] || fail "$full feeds fetched in full after a takeover"
for i in 2 3 4; do
    kill -0 "${PID[$i]}" 2>/dev/null || fail "instance $i is not running"
done
for i in 2 3; do
    [ "$(grep -c 'started:' "$WORK/p$i.log")" -eq 1 ] ||
        fail "instance $i restarted"
done

# the fleet's metrics, per instance
for i in 2 4; do
    port=$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' \
        "$WORK/p$i.log" | head -n 1)
    [ -n "$port" ] || fail "instance $i: no metrics port in its log"
    curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics$i" ||
        fail "instance $i: /metrics"
    grep -q "^wirehose_fleet_sources ${COUNT[$i]}\$" "$WORK/metrics$i" ||
        fail "instance $i: wirehose_fleet_sources is not ${COUNT[$i]}"
    grep -Eq '^wirehose_fleet_rebalances_total [1-9]' "$WORK/metrics$i" ||
        fail "instance $i: no rebalance counted"
    # instance 2 published its first sources' items; 4 took over
    # sources whose state it read, with nothing new to write
    [ "$i" -eq 4 ] ||
        grep -Eq '^wirehose_fleet_state_writes_total\{outcome="ok"\} [1-9]' \
            "$WORK/metrics$i" || fail "instance $i: no state write counted"
    grep -E '^wirehose_fleet' "$WORK/metrics$i" | tr '\n' ' '
    echo
done

# --inspect in the fleet mode: the source's place in the fleet (its id,
# partition, state) beside the records and the extraction figures.
# check_inspect FILE PYTHON-ASSERTIONS: h is the header of FILE.
check_inspect() {
    "$WH_PYTHON" - "$1" "$2" <<'PY' || fail "--inspect header: $(head -c 600 "$1")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
h = json.loads(lines[0])
records = [json.loads(line) for line in lines[1:]]
f = h["fleet"]
exec(sys.argv[2])
PY
}
second=s$(seq -w 1 "$N" | sed -n 2p)
"$BIN/wirehose-producer" -c "$WORK/fleet.conf" \
    --inspect "$HTTP/feeds/f${second#s}.xml" >"$WORK/inspect.out" \
    2>"$WORK/inspect.err" || { cat "$WORK/inspect.err" >&2; fail "--inspect"; }
check_inspect "$WORK/inspect.out" "
assert h['items'] == 2 and len(records) == 2, 'two records'
e = h['extraction']
assert e['pages'] == 2 and e['headline'] == 1.0, e
assert 0 < e['median_body_words'] < 80 and e['body'] == 0.0, e
assert f['sources_topic'] == '$TOPIC.sources', f
assert f['state_topic'] == '$TOPIC.state', f
assert f['partitions'] == 12 and f['sources'] == $N, f
assert sum(f['sources_per_partition']) == $N, f
assert f['source']['id'] == '$second', f
assert 0 <= f['source']['partition'] < 12, f
assert f['source']['settings']['url'] == '$HTTP/feeds/f${second#s}.xml', f
assert f['state']['ids'] == 2, f
assert f['state']['interval_ms'] == $INTERVAL_MS, f
assert f['state']['validators']['etag'].startswith('\"'), f
assert f['group'] == '$TOPIC.producers', f
# written last by one of the instances running (1 was killed earlier)
owners = ['$(hostname):%s' % pid for pid in '${PID[2]} ${PID[3]} ${PID[4]}'.split()]
assert f['state']['owner'] in owners + ['$(hostname):${PID[1]}'], (f, owners)
assert f['state']['written_at'] > 1.7e9, f
"
echo "inspect (fleet): $(head -n 1 "$WORK/inspect.out" | cut -c 1-400)"

# a source removed from the topic stops being polled by its owner
first=s$(seq -w 1 "$N" | head -n 1)
"$BIN/wirehose-sources" -b "$BROKERS" -t "$TOPIC" remove "$first" ||
    fail "remove $first"
sleep 2
N=$((N - 1))
settle 60 2 3 4
grep -hx "$first" "$WORK/w2" "$WORK/w3" "$WORK/w4" &&
    fail "$first still polled"
"$BIN/wirehose-producer" -c "$WORK/fleet.conf" \
    --inspect "$HTTP/feeds/f${first#s}.xml" --no-pages >"$WORK/inspect1.out" \
    2>"$WORK/inspect1.err" || fail "--inspect of a removed source"
check_inspect "$WORK/inspect1.out" "
assert f['source'] is None and f['state'] is None, f
assert f['sources'] == $N, f
assert h['extraction'] == {'pages': 0}, h
"
grep -q 'is not a source of' "$WORK/inspect1.err" ||
    fail "--inspect of a removed source: not said on stderr"

# count_keys: TOTAL records and UNIQ distinct items in the topic.
count_keys() {
    timeout 60 kcat -C -b "$BROKERS" -t "$TOPIC" -e -q -f '%k\n' \
        >"$WORK/keys" 2>"$WORK/kcat.log" || fail "kcat"
    TOTAL=$(grep -c . "$WORK/keys" || true)
    UNIQ=$(grep . "$WORK/keys" | sort -u | wc -l)
}

# every item of every source is in the topic; how many twice (the state
# moves with its source through TOPIC.state: a failover republishes only
# what the dead instance delivered after its last state write)
if command -v kcat >/dev/null 2>&1; then
    count_keys
    [ "$UNIQ" -eq $((2 * (N + 1))) ] ||
        fail "$UNIQ distinct items in $TOPIC, want $((2 * (N + 1)))"
    echo "records: $TOTAL for $UNIQ items; published twice or more:" \
        "$((TOTAL - UNIQ)) ($(((TOTAL - UNIQ) * 100 / UNIQ)) % of items)"
    [ $(((TOTAL - UNIQ) * 100)) -lt "$UNIQ" ] ||
        fail "more than 1 % of the items published twice"
else
    echo "kcat not installed: items in the topic not counted"
fi

# FLEET_CHURN=K (by hand; 0 in ctest): K rounds, one every half second,
# of a new item in every feed still polled, with instance 2 killed
# (SIGKILL) half-way: what a failover republishes while items flow.
CHURN=${FLEET_CHURN:-0}
if [ "$CHURN" -gt 0 ] && command -v kcat >/dev/null 2>&1; then
    dup0=$((TOTAL - UNIQ))
    uniq0=$UNIQ
    (
        for c in $(seq "$CHURN"); do
            for i in $(seq -w 2 $((N + 1))); do
                write_page "$i" "c$c"
                write_feed "$i" "$c"
            done
            sleep 0.5
        done
    ) &
    WH_PIDS+=("$!")
    churn_pid=$!
    sleep $((CHURN / 4))
    kill -KILL "${PID[2]}"
    wait "${PID[2]}" 2>/dev/null || true
    wait "$churn_pid" || fail "churn"
    settle $((SESSION_MS / 1000 + 30)) 3 4
    sleep $((3 * WIN))
    count_keys
    new=$((UNIQ - uniq0))
    [ "$new" -eq $((CHURN * N)) ] ||
        fail "$new new items in $TOPIC, want $((CHURN * N))"
    dup=$((TOTAL - UNIQ - dup0))
    echo "churn: $new items added while instance 2 was killed;" \
        "published twice: $dup ($((dup * 1000 / new)) per mille)"
fi

echo "ok: producer_fleet"
