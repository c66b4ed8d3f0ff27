#!/bin/sh
# consumer_replay.sh - wirehose-replay against wirehose-devbroker, with
# wirehose-consumer doing the reprocessing, all as real processes over TCP
# on loopback.
#
# Checks: --from-time finds, by bisection on message timestamps (the dev
# broker has no time index), exactly the records produced after the time;
# --dry-run commits nothing; after a commit the group reprocesses exactly
# those records, and after --from-beginning all of them; moving a group
# past records it has not processed is refused without --force; unknown
# topics, a running group and bad flags get clear errors.
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

set -u

# shellcheck source=lib_consumer.sh
. "$(dirname "$0")/lib_consumer.sh"
need_tools kcat
need_progs wirehose-devbroker wirehose-consumer wirehose-replay
# Sum of the "reprocess" column of a replay plan.
reprocess() {
    awk '$1 ~ /^[0-9]+$/ && NF >= 8 && $6 ~ /^[0-9]+$/ { n += $6 }
         END { print n + 0 }' "$1"
}

start_broker --partitions 3 --topic articles
KOPT="-X session.timeout.ms=6000"

produce() { # first last
    n=$1
    while [ "$n" -le "$2" ]; do
        printf 'k%d:{"uri":"http://example.test/%d","bodies":[{"role":' \
            "$n" "$n"
        printf '"main","contentType":"text/plain","value":"Body %d."}]}\n' \
            "$n"
        n=$((n + 1))
    done | kcat -P -b "$ADDR" -t articles -K: || {
        echo "FAIL: kcat could not produce" >&2
        exit 1
    }
}
# The JSONL sink never writes a line it holds already (a replay leaves
# its files as they were), so each pass writes to a file of its own.
consume() { # log out
    # shellcheck disable=SC2086
    "$BIN/wirehose-consumer" --once -b "$ADDR" -t articles -g g1 $KOPT \
        --sink "jsonl:$2" 2>"$1"
}

produce 1 6
sleep 1.5
T1=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.5
produce 7 12

if consume "$TMP/c1.err" "$TMP/out.jsonl" &&
    [ "$(lines "$TMP/out.jsonl")" -eq 12 ]; then
    ok "first pass: 12 records"
else
    fail "first pass: $(lines "$TMP/out.jsonl") records"
    cat "$TMP/c1.err" >&2
fi

# --- --from-time, dry run ------------------------------------------------
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g1 --from-time "$T1" \
    --dry-run >"$TMP/dry.out" 2>"$TMP/dry.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(reprocess "$TMP/dry.out")" -eq 6 ] &&
    grep -q 'bisection' "$TMP/dry.out" &&
    grep -q 'dry run: nothing committed' "$TMP/dry.out"; then
    ok "--from-time --dry-run: 6 records to reprocess, by bisection"
else
    fail "--from-time --dry-run (exit $rc)"
    cat "$TMP/dry.out" "$TMP/dry.err" >&2
fi
if consume "$TMP/c2.err" "$TMP/out.jsonl" &&
    grep -q 'records in 0,' "$TMP/c2.err"; then
    ok "--dry-run committed nothing"
else
    fail "the group read records after --dry-run"
    cat "$TMP/c2.err" >&2
fi

# --- --from-time, for real -----------------------------------------------
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g1 --from-time "$T1" \
    >"$TMP/time.out" 2>"$TMP/time.err"
rc=$?
if [ $rc -eq 0 ] && grep -q 'committed offset' "$TMP/time.out"; then
    ok "--from-time committed"
else
    fail "--from-time (exit $rc)"
    cat "$TMP/time.out" "$TMP/time.err" >&2
fi
consume "$TMP/c3.err" "$TMP/time.jsonl"
got=$(sed 's/.*"uri":"\([^"]*\)".*/\1/' "$TMP/time.jsonl" |
    sort | tr '\n' ' ')
want=$(for n in 10 11 12 7 8 9; do echo "http://example.test/$n"; done |
    sort | tr '\n' ' ')
if [ "$(lines "$TMP/time.jsonl")" -eq 6 ] && [ "$got" = "$want" ]; then
    ok "the group reprocessed exactly the records after the time"
else
    fail "after --from-time: $(lines "$TMP/time.jsonl") lines; got: $got"
    cat "$TMP/c3.err" >&2
fi

# --- --from-beginning ----------------------------------------------------
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g1 --from-beginning \
    >"$TMP/beg.out" 2>"$TMP/beg.err"
rc=$?
consume "$TMP/c4.err" "$TMP/beg.jsonl"
if [ $rc -eq 0 ] && [ "$(lines "$TMP/beg.jsonl")" -eq 12 ]; then
    ok "--from-beginning: all 12 again"
else
    fail "--from-beginning (exit $rc): $(lines "$TMP/beg.jsonl") lines"
    cat "$TMP/beg.out" "$TMP/beg.err" "$TMP/c4.err" >&2
fi

# --- skipping unprocessed records needs --force --------------------------
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g9 --from-offset 0 \
    >/dev/null 2>&1
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g9 --from-offset 1 \
    >"$TMP/skip.out" 2>"$TMP/skip.err"
rc=$?
if [ $rc -ne 0 ] && grep -q 'would skip' "$TMP/skip.out" &&
    grep -q 'refusing to skip' "$TMP/skip.err"; then
    ok "skipping unprocessed records refused without --force"
else
    fail "skip without --force: exit $rc"
    cat "$TMP/skip.out" "$TMP/skip.err" >&2
fi
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g9 --from-offset 1 \
    --force >"$TMP/force.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q 'committed offset 1' "$TMP/force.out"; then
    ok "--force skips"
else
    fail "--force: exit $rc"
    cat "$TMP/force.out" >&2
fi

# --- errors --------------------------------------------------------------
"$BIN/wirehose-replay" -b "$ADDR" -t no.such.topic -g g1 --from-beginning \
    >/dev/null 2>"$TMP/topic.err"
rc=$?
if [ $rc -ne 0 ] && grep -q 'no.such.topic: unknown topic' "$TMP/topic.err"
then
    ok "unknown topic"
else
    fail "unknown topic: exit $rc"
    cat "$TMP/topic.err" >&2
fi
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g1 >/dev/null \
    2>"$TMP/usage.err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'from-beginning' "$TMP/usage.err"; then
    ok "no FROM: usage error"
else
    fail "no FROM: exit $rc"
fi
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g1 --from-time yesterday \
    >/dev/null 2>"$TMP/date.err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'is not a date' "$TMP/date.err"; then
    ok "bad --from-time: usage error"
else
    fail "bad --from-time: exit $rc"
fi

# --- a running group is not rewound --------------------------------------
# shellcheck disable=SC2086
"$BIN/wirehose-consumer" -b "$ADDR" -t articles -g g1 $KOPT \
    --sink "jsonl:$TMP/live.jsonl" 2>"$TMP/live.err" &
CONSUMER_PID=$!
i=0
while ! grep -q 'assigned' "$TMP/live.err" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 300 ] && break
    sleep 0.1
done
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g1 --from-beginning \
    --timeout 8 >"$TMP/live.out" 2>"$TMP/live-replay.err"
rc=$?
kill -TERM "$CONSUMER_PID"
wait "$CONSUMER_PID"
CONSUMER_PID=
if [ $rc -ne 0 ] && grep -q 'active' "$TMP/live-replay.err"; then
    ok "a running group is refused"
else
    fail "replay of a running group: exit $rc"
    cat "$TMP/live.out" "$TMP/live-replay.err" >&2
fi

finish
