#!/bin/bash
# consumer_pg_outage.sh - wirehose-consumer started while its PostgreSQL
# sink's server is down; the dev broker, PostgreSQL, the consumer and a
# NOTIFY_SOCKET listener are real processes on loopback.
#
# Checks: the consumer starts, sends READY=1, and after OUTAGE_S seconds
# (60 by default) is still running, has sent WATCHDOG=1 at least every
# 10 s, says in STATUS= what it waits for; /healthz answers 503 naming the
# sink, /livez 200; with one record waiting, wirehose_consumer_lag of its
# partition is 1, the number `wirehose-replay --watch` prints. Then the
# server starts: every record lands (nothing lost), /healthz turns 200,
# the log says "up after"; SIGTERM exits 0.
#
# Environment: WH_BINDIR = the build directory; OUTAGE_S (default 60).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for tool in kcat curl psql; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
wh_need_bin wirehose-devbroker wirehose-consumer wirehose-replay
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export STATE_DIRECTORY="$WORK/state"
OUTAGE_S=${OUTAGE_S:-60}
N=20

wh_start_broker --partitions 1 --topic articles
wh_start_postgres
CTL=(bash "$HERE/pg_helper.sh" ctl "$PGHOST_DIR")
"${CTL[@]}" stop || fail "could not stop PostgreSQL"

wh_start_notify_listener

# record N: one line "key<TAB>json"
record() {
    printf 'k%d\t{"uri":"http://example.test/outage/%d",' "$1" "$1"
    printf '"headlines":[{"value":"Outage %d"}],"bodies":[{"role":"main",' "$1"
    printf '"contentType":"text/plain","value":"Body %d."}]}\n' "$1"
}
record 1 | kcat -P -b "$BROKERS" -t articles -K $'\t' ||
    fail "kcat could not produce"

cat >"$WORK/consumer.conf" <<EOF
group = go
flush.ms = 200
metrics = 127.0.0.1:0
sink = postgres:$CONNINFO
EOF
NOTIFY_SOCKET="$NOTIFY_SOCK" WATCHDOG_USEC=20000000 \
    wh_spawn "$WORK/consumer.log" "$BIN/wirehose-consumer" \
    -c "$WORK/consumer.conf" -b "$BROKERS" -t articles --enrich none \
    --dedup none
CONSUMER_PID=$WH_LAST_PID
start=$(date +%s)
wh_metrics_url "$WORK/consumer.log" "$CONSUMER_PID"

# ---- one record waits: the lag gauge says 1, as wirehose-replay does
lag() {
    curl -s "$M/metrics" | awk '
        /^wirehose_consumer_lag\{topic="articles",partition="0"\} / {
            print $2; found = 1 }
        END { if (!found) print "none" }'
}
got=none
for _ in $(seq 60); do
    got=$(lag)
    [ "$got" = 1 ] && break
    sleep 0.5
done
[ "$got" = 1 ] || { wh_show "$WORK/consumer.log"; fail "lag $got, want 1"; }
wh_expect_to_go go 1 1
echo "ok: one record waiting: lag gauge 1, replay --watch: 1 to go"

for n in $(seq 2 $N); do record "$n"; done |
    kcat -P -b "$BROKERS" -t articles -K $'\t' || fail "kcat could not produce"

# ---- the outage, OUTAGE_S seconds from the start
left=$((start + OUTAGE_S - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
kill -0 "$CONSUMER_PID" 2>/dev/null || {
    wh_show "$WORK/consumer.log"
    fail "the consumer exited during the outage"
}
grep -q ' READY=1$' "$WORK/notify.log" || fail "no READY=1"
wh_watchdog_gap 0 10
grep -q 'STATUS=waiting for sink postgres since [0-9:]*;' "$WORK/notify.log" ||
    { wh_show "$WORK/notify.log"; fail "STATUS= does not say what it waits for"; }
code=$(curl -s -o "$WORK/healthz" -w '%{http_code}' "$M/healthz")
{ [ "$code" = 503 ] &&
    grep -q '^sink postgres unreachable since ' "$WORK/healthz"; } || {
    wh_show "$WORK/healthz"
    fail "/healthz during the outage: $code"
}
code=$(curl -s -o "$WORK/livez" -w '%{http_code}' "$M/livez")
[ "$code" = 200 ] || { wh_show "$WORK/livez"; fail "/livez: $code"; }
grep -q 'sink:postgres.*down since' "$WORK/consumer.log" ||
    { wh_show "$WORK/consumer.log"; fail "no 'down since' log line"; }
echo "ok: after ${OUTAGE_S} s still running; /healthz 503 naming the sink," \
    "/livez 200"

# ---- the server is back: everything lands
"${CTL[@]}" start || fail "could not start PostgreSQL"
rows=0
for _ in $(seq 120); do
    rows=$("${PSQL[@]}" -c "SELECT count(*) FROM articles" 2>/dev/null) ||
        rows=0
    [ "${rows:-0}" = "$N" ] && break
    sleep 0.5
done
[ "${rows:-0}" = "$N" ] || {
    wh_show "$WORK/consumer.log"
    fail "$rows of $N records in PostgreSQL"
}
code=
for _ in $(seq 40); do
    code=$(curl -s -o "$WORK/healthz" -w '%{http_code}' "$M/healthz")
    [ "$code" = 200 ] && break
    sleep 0.5
done
[ "$code" = 200 ] || { wh_show "$WORK/healthz"; fail "/healthz: $code"; }
grep -q 'sink:postgres.*up after [0-9]* s' "$WORK/consumer.log" ||
    { wh_show "$WORK/consumer.log"; fail "no 'up after' log line"; }
kill -TERM "$CONSUMER_PID"
rc=0
wait "$CONSUMER_PID" || rc=$?
[ "$rc" -eq 0 ] || { wh_show "$WORK/consumer.log"; fail "exit $rc"; }
echo "ok: server back: $N of $N records, /healthz 200, exit 0"
echo "consumer_pg_outage: OK"
