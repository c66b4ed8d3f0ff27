#!/bin/sh
# consumer_basic.sh - wirehose-devbroker and wirehose-consumer as real
# processes over TCP on loopback, records produced with kcat.
#
# Checks: the JSONL sink gets one line per distinct record; an exact
# duplicate (same uri, same body up to whitespace) is written once; a
# changed body under the same uri is written; records that are not JSON
# or have no uri are logged with topic/partition/offset and go, as they
# were, to the dead-letter topic articles.dlq with a reason;
# --once exits 0 once caught up, also on a topic with only empty
# partitions, and fails after --timeout when nothing is assigned (no
# broker); offsets are committed (a second run of the group reads
# nothing); SIGTERM stops cleanly (exit 0, summary line, records on
# disk); the broker exits 0 on SIGTERM and removes its bootstrap file.
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

set -u

# shellcheck source=lib_consumer.sh
. "$(dirname "$0")/lib_consumer.sh"
need_tools kcat "$PYTHON"
need_progs wirehose-devbroker wirehose-consumer

# --- the broker ---------------------------------------------------------
start_broker --partitions 3 --topic articles --topic empty
case $ADDR in
    127.0.0.1:*) ok "dev broker at $ADDR" ;;
    *) fail "bootstrap file holds '$ADDR', expected 127.0.0.1:PORT" ;;
esac
if [ "$(head -n 1 "$TMP/broker.out")" != "$ADDR" ]; then
    fail "the broker did not print its address on stdout"
fi

# --- records ------------------------------------------------------------
# A shorter session timeout: the dev broker makes a group wait that long
# before the next member may join after one left.
KOPT="-X session.timeout.ms=6000"

rec() { # uri body [headline]
    printf '{"uri":"%s","type":"text","headlines":[{"role":"main",' "$1"
    printf '"value":"%s"}],"bodies":[{"role":"main",' "${3:-Headline}"
    printf '"contentType":"text/plain","value":"%s"}]}' "$2"
}
{
    printf 'k1:%s\n' "$(rec http://example.test/a 'First body.' 'One')"
    printf 'k2:%s\n' "$(rec http://example.test/b 'Second body.' 'Two')"
    printf 'k3:%s\n' "$(rec http://example.test/c 'Third body.' 'Three')"
    # exact duplicate of /a: the body differs only in whitespace
    printf 'k1:%s\n' "$(rec http://example.test/a '  First   body. ' 'One')"
    # same uri, new body: not a duplicate
    printf 'k1:%s\n' "$(rec http://example.test/a 'First body, updated.' \
        'One')"
    printf 'k4:this is not json\n'
    printf 'k5:{"type":"text","headlines":[]}\n'
} >"$TMP/records.txt"
if ! kcat -P -b "$ADDR" -t articles -K: -H origin=test \
        <"$TMP/records.txt" 2>"$TMP/kcat.err"; then
    cat "$TMP/kcat.err" >&2
    echo "FAIL: kcat could not produce" >&2
    exit 1
fi

# --- --once -------------------------------------------------------------
OUT=$TMP/out.jsonl
# shellcheck disable=SC2086
"$BIN/wirehose-consumer" --once -b "$ADDR" -t articles -g g1 $KOPT \
    --sink "jsonl:$OUT" 2>"$TMP/once.err"
rc=$?
if [ $rc -ne 0 ]; then
    fail "consumer --once exited $rc"
    cat "$TMP/once.err" >&2
fi
"$PYTHON" - "$OUT" <<'EOF' || fail "JSONL content (see above)"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == "", "the file does not end with a newline"
recs = [json.loads(l) for l in lines[:-1]]
got = sorted((r["uri"], r["bodies"][0]["value"]) for r in recs)
want = sorted([
    ("http://example.test/a", "First body."),
    ("http://example.test/b", "Second body."),
    ("http://example.test/c", "Third body."),
    ("http://example.test/a", "First body, updated."),
])
if got != want:
    print("got ", got, file=sys.stderr)
    print("want", want, file=sys.stderr)
    sys.exit(1)
heads = {r["uri"]: r["headlines"][0]["value"] for r in recs}
assert heads["http://example.test/b"] == "Two", heads
EOF
[ -s "$OUT" ] && ok "--once wrote $(lines "$OUT") records"
if grep -q 'records in 7, written 4, duplicates 1, bad 2' "$TMP/once.err"
then
    ok "summary line"
else
    fail "summary line missing or wrong"
    cat "$TMP/once.err" >&2
fi
n=$(grep -c 'articles \[[0-9]*\] @ [0-9]*: not a record, skipped' \
    "$TMP/once.err")
if [ "$n" -eq 2 ]; then
    ok "bad records logged with topic, partition and offset"
else
    fail "expected 2 bad-record lines, got $n"
    cat "$TMP/once.err" >&2
fi

# --- the two bad records went to articles.dlq, as they were -------------
kcat -C -b "$ADDR" -t articles.dlq -e -q -f '%k|%s|%h\n' \
    >"$TMP/dlq.txt" 2>"$TMP/dlq.err"
if [ "$(grep -c . "$TMP/dlq.txt")" -eq 2 ] &&
    grep '^k4|this is not json|' "$TMP/dlq.txt" |
        grep 'origin=test' | grep 'wh.dlq.reason=not_json' |
        grep -q 'wh.dlq.topic=articles' &&
    grep '^k5|{"type":"text","headlines":\[\]}|' "$TMP/dlq.txt" |
        grep 'wh.dlq.reason=invalid_record' | grep -q 'wh.dlq.offset='; then
    ok "dead letters: original key, bytes and headers, with the reason"
else
    fail "dead-letter topic content"
    cat "$TMP/dlq.txt" "$TMP/dlq.err" >&2
fi

# --- offsets were committed: the group reads nothing again --------------
# shellcheck disable=SC2086
"$BIN/wirehose-consumer" --once -b "$ADDR" -t articles -g g1 $KOPT \
    --sink "jsonl:$OUT" 2>"$TMP/again.err"
rc=$?
if [ $rc -eq 0 ] && grep -q 'records in 0,' "$TMP/again.err" &&
    [ "$(lines "$OUT")" -eq 4 ]; then
    ok "second run of the group: nothing re-read"
else
    fail "second run (exit $rc) re-read records or failed"
    cat "$TMP/again.err" >&2
fi

# --- a topic whose partitions are all empty -----------------------------
# shellcheck disable=SC2086
"$BIN/wirehose-consumer" --once -b "$ADDR" -t empty -g g3 $KOPT \
    --sink "jsonl:$TMP/empty.jsonl" 2>"$TMP/empty.err"
rc=$?
if [ $rc -eq 0 ] && [ -f "$TMP/empty.jsonl" ] && [ ! -s "$TMP/empty.jsonl" ]
then
    ok "--once on empty partitions"
else
    fail "--once on empty partitions: exit $rc"
    cat "$TMP/empty.err" >&2
fi

# --- nothing assigned: --once gives up after --timeout ------------------
# (The dev broker creates any topic asked for, so use a port where no
# broker listens: the group is never joined.)
"$BIN/wirehose-consumer" --once --timeout 3 -b 127.0.0.1:1 -t articles \
    -g g4 --sink "jsonl:$TMP/none.jsonl" 2>"$TMP/none.err"
rc=$?
if [ $rc -ne 0 ] && grep -q 'no partition assigned after 3 s' \
    "$TMP/none.err"; then
    ok "--once timeout without an assignment (exit $rc)"
else
    fail "--once without a broker: exit $rc"
    cat "$TMP/none.err" >&2
fi

# --- SIGTERM: flush, commit, exit 0 -------------------------------------
OUT2=$TMP/term.jsonl
# shellcheck disable=SC2086
"$BIN/wirehose-consumer" -b "$ADDR" -t articles -g g2 $KOPT \
    --sink "jsonl:$OUT2" 2>"$TMP/term.err" &
CONSUMER_PID=$!
i=0
while [ "$(lines "$OUT2")" -lt 4 ]; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$CONSUMER_PID" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
kill -TERM "$CONSUMER_PID"
wait "$CONSUMER_PID"
rc=$?
CONSUMER_PID=
if [ $rc -eq 0 ] && [ "$(lines "$OUT2")" -eq 4 ] &&
    grep -q 'records in [0-9]*, written 4,' "$TMP/term.err"; then
    ok "SIGTERM: clean stop"
else
    fail "SIGTERM: exit $rc, $(lines "$OUT2") lines"
    cat "$TMP/term.err" >&2
fi

# --- the broker stops cleanly -------------------------------------------
kill -TERM "$BROKER_PID"
wait "$BROKER_PID"
rc=$?
BROKER_PID=
if [ $rc -eq 0 ] && [ ! -e "$TMP/bootstrap" ]; then
    ok "dev broker: clean stop, bootstrap file removed"
else
    fail "dev broker: exit $rc on SIGTERM, or bootstrap file left"
fi

finish
