#!/bin/sh
# consumer_sink_down.sh - wirehose-consumer with the HTTP bulk sink
# against bulk_server.py while the server fails for a while, all real
# processes over TCP on loopback.
#
# Checks: while every bulk request fails (503), the sink's records are
# held (the partition paused, retried with backoff) and the group commits
# no offset past an unwritten record; once the server answers again every
# record arrives; a record the server refuses for good (400) is logged
# and the rest goes on (no stop); after SIGTERM everything is committed
# (a second run reads nothing).
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

set -u

# shellcheck source=lib_consumer.sh
. "$(dirname "$0")/lib_consumer.sh"
need_tools kcat "$PYTHON"
need_progs wirehose-devbroker wirehose-consumer wirehose-replay
if ! "$BIN/wirehose-consumer" --help | grep -q '^  sink:http'; then
    echo "consumer_sink_down: SKIP: this consumer has no http sink" >&2
    exit 77
fi
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# Distinct uris the server stored.
stored() {
    "$PYTHON" - "$TMP/store.json" <<'EOF'
import json, sys
try:
    store = json.load(open(sys.argv[1], encoding="utf-8"))
except (FileNotFoundError, ValueError):
    store = {}
print(len({d["uri"] for d in store.values()}))
EOF
}
# shellcheck disable=SC2317  # called through failing
failed_requests() {
    n=$(grep -c '"status": 503' "$TMP/requests.jsonl" 2>/dev/null)
    echo "${n:-0}"
}
# (wait_for evaluates its command each time: these read the state anew.)
# shellcheck disable=SC2317  # called through wait_for
failing() {
    [ "$(failed_requests)" -ge 4 ]
}
# shellcheck disable=SC2317  # called through wait_for
all_stored() {
    [ "$(stored)" -ge $((N - 1)) ]
}

# --- broker, bulk server, records ----------------------------------------
start_broker --partitions 3 --topic articles

printf 'request 503 12\nitem http://example.test/13 400\n' >"$TMP/script"
"$PYTHON" "$HERE/bulk_server.py" --port-file "$TMP/port" \
    --store "$TMP/store.json" --log "$TMP/requests.jsonl" \
    --script "$TMP/script" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
wait_for 20 test -s "$TMP/port" || {
    cat "$TMP/server.log" >&2
    echo "FAIL: bulk_server.py did not start" >&2
    exit 1
}
URL=http://127.0.0.1:$(tr -d '[:space:]' <"$TMP/port")/news

N=20
n=1
while [ $n -le $N ]; do
    printf 'k%d:{"uri":"http://example.test/%d","bodies":[{"role":' "$n" "$n"
    printf '"main","contentType":"text/plain","value":"Body %d."}]}\n' "$n"
    n=$((n + 1))
done | kcat -P -b "$ADDR" -t articles -K: || {
    echo "FAIL: kcat could not produce" >&2
    exit 1
}

cat >"$TMP/consumer.conf" <<EOF
flush.records = 3
flush.ms = 200
http.batch_docs = 3
http.max_retries = 1
EOF
"$BIN/wirehose-consumer" -c "$TMP/consumer.conf" -b "$ADDR" -t articles \
    -g g1 -X session.timeout.ms=6000 --sink "http:$URL" \
    2>"$TMP/consumer.err" &
CONSUMER_PID=$!

# --- the server fails: nothing committed past what it stored -------------
if wait_for 60 failing; then
    "$BIN/wirehose-replay" -b "$ADDR" -t articles -g g1 --from-beginning \
        --dry-run >"$TMP/plan.out" 2>"$TMP/plan.err"
    committed=$(awk '$1 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ { n += $4 }
                     END { print n + 0 }' "$TMP/plan.out")
    have=$(stored)
    if [ "$committed" -le "$have" ]; then
        ok "while failing: $committed committed, $have stored"
    else
        fail "while failing: $committed committed but $have stored"
        cat "$TMP/plan.out" >&2
    fi
else
    fail "the server saw no failing requests"
fi

# --- it answers again: everything arrives, the refused record aside ------
if wait_for 90 all_stored; then
    ok "all $((N - 1)) records stored after the failures"
else
    fail "only $(stored) of $((N - 1)) records stored"
fi
sleep 1
kill -TERM "$CONSUMER_PID"
wait "$CONSUMER_PID"
rc=$?
CONSUMER_PID=
if [ $rc -eq 0 ]; then
    ok "SIGTERM: exit 0"
else
    fail "consumer exit $rc"
fi
if grep -q 'partition paused' "$TMP/consumer.err"; then
    ok "records held with their partition paused while the sink failed"
else
    fail "no record was held (partition paused) while the sink failed"
fi
if grep -q 'example.test/13' "$TMP/consumer.err" && [ "$(stored)" -eq 19 ]
then
    ok "the refused record is logged, the rest stored"
else
    fail "refused record: not logged, or $(stored) stored"
fi
if [ $FAILS -ne 0 ]; then
    cat "$TMP/consumer.err" >&2
fi

# --- everything was committed ----------------------------------------------
expect_committed g1 "http:$URL"

finish
