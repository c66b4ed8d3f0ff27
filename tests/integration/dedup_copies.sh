#!/bin/bash
# dedup_copies.sh - where near-duplicate copies go: dedup.copies = topic
# sends them to their own topic (<topic>.copies) instead of the sinks,
# dedup.copies = drop writes them nowhere; the dev broker and the
# consumer are real processes on loopback.
#
# Checks: with topic, the sink holds the originals, the different story
# and nothing else, and wire.copies holds exactly the dateline copies,
# each with its clusterId / duplicateOf, keyed by uri; with drop, the
# sink holds the same as with topic and the summary counts the copies as
# duplicates; every offset is committed in both cases.
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer
"$BIN/wirehose-consumer" --help | grep '^  dedup:dedup' >/dev/null ||
    skip "this consumer has no dedup stage"

TOPIC=wire
wh_start_broker --partitions 3 --topic "$TOPIC" --topic "${TOPIC}2"
"$WH_PYTHON" "$HERE/dedup_stream.py" gen "$WORK" || fail "generator"

# run MODE TOPIC: phase 1 (the originals), consumed; then phase 2 (the
# dateline copies, a re-sent item), consumed: one consumer --once each
# time, dedup.copies = MODE, its own state.
run() {
    local p
    printf 'dedup.state_dir = %s\ndedup.copies = %s\n' "$WORK/state-$1" \
        "$1" >"$WORK/$1.conf"
    for p in 1 2; do
        kcat -P -b "$BROKERS" -t "$2" -K $'\t' <"$WORK/phase$p.txt" ||
            fail "kcat could not produce"
        timeout 120 "$BIN/wirehose-consumer" --once -c "$WORK/$1.conf" \
            -b "$BROKERS" -t "$2" -g "g$1" -X session.timeout.ms=6000 \
            --enrich none --sink "jsonl:$WORK/$1.jsonl" >>"$WORK/$1.log" 2>&1 ||
            { wh_show "$WORK/$1.log"; fail "consumer (copies = $1) failed"; }
    done
}
uris() {
    "$WH_PYTHON" -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(line)["uri"])' "$1" | sort
}

run topic "$TOPIC"
# phase 1: 3 originals + a different story; phase 2: 3 dateline copies
# and a re-sent original (a repeat: dropped)
uris "$WORK/topic.jsonl" >"$WORK/topic.uris"
[ "$(wc -l <"$WORK/topic.uris")" -eq 4 ] && ! grep -q '/wire/' \
    "$WORK/topic.uris" ||
    { cat "$WORK/topic.uris" >&2; fail "copies = topic: sink content"; }
kcat -C -b "$BROKERS" -t "$TOPIC.copies" -e -q -f '%k\t%s\n' \
    >"$WORK/copies" 2>"$WORK/copies.err" ||
    { cat "$WORK/copies.err" >&2; fail "cannot read $TOPIC.copies"; }
"$WH_PYTHON" - "$WORK/copies" <<'EOF' || fail "copies = topic: copies topic"
import json, sys
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1],
                                                    encoding="utf-8") if l.strip()]
if len(rows) != 3:
    sys.exit("%d messages in the copies topic, expected 3" % len(rows))
for key, value in rows:
    d = json.loads(value)
    e = d["wirehose"]
    if key != d["uri"] or "-dl" not in key:
        sys.exit("unexpected copy %s (key %s)" % (d["uri"], key))
    if e.get("dedup") != "copy" or not e.get("clusterId") \
            or e.get("duplicateOf") != e.get("clusterId") \
            or e.get("dedupRoute") != "copies":
        sys.exit("copy %s: %s" % (key, e))
EOF
grep -q 'records in 4, written 3, duplicates 1,' "$WORK/topic.log" ||
    { wh_show "$WORK/topic.log"; fail "copies = topic: summary"; }
echo "ok: copies = topic: copies in $TOPIC.copies, the rest in the sink"

run drop "${TOPIC}2"
uris "$WORK/drop.jsonl" >"$WORK/drop.uris"
cmp -s "$WORK/topic.uris" "$WORK/drop.uris" ||
    { cat "$WORK/drop.uris" >&2; fail "copies = drop: sink content"; }
grep -q 'records in 4, written 0, duplicates 4,' "$WORK/drop.log" ||
    { wh_show "$WORK/drop.log"; fail "copies = drop: summary"; }
echo "ok: copies = drop: copies written nowhere, counted as duplicates"

for mode in topic drop; do
    t=$TOPIC
    [ $mode = drop ] && t=${TOPIC}2
    timeout 60 "$BIN/wirehose-consumer" --once -c "$WORK/$mode.conf" \
        -b "$BROKERS" -t "$t" -g "g$mode" -X session.timeout.ms=6000 \
        --enrich none --sink "jsonl:$WORK/$mode.again" >"$WORK/again.log" 2>&1 ||
        { wh_show "$WORK/again.log"; fail "second run ($mode)"; }
    grep -q 'records in 0,' "$WORK/again.log" ||
        { wh_show "$WORK/again.log"; fail "$mode: offsets not committed"; }
done
echo "ok: every offset committed"
echo "dedup_copies: all passed"
