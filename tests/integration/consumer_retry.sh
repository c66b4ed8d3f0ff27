#!/bin/sh
# consumer_retry.sh - a sink that cannot write for a while loses nothing
# and lets no committed offset pass an unwritten record.
#
# The consumer runs under a file-size limit (ulimit -f), so its JSONL sink
# fills up mid-stream and its writes fail (EFBIG) like on a full disk.
# While it is stuck, the group's committed offsets must cover no more
# records than the file holds. Then the test makes room, as often as
# needed (it saves the full file and empties it, as an operator freeing
# space would); each time the sink resumes where it stopped, so the saved
# parts put end to end are the complete stream: every record, every line
# whole. After SIGTERM the group has committed everything (a second run
# reads nothing).
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

set -u

# shellcheck source=lib_consumer.sh
. "$(dirname "$0")/lib_consumer.sh"
need_tools kcat "$PYTHON"
need_progs wirehose-devbroker wirehose-consumer wirehose-replay

# The limit in bytes (ulimit -f counts 512- or 1024-byte blocks,
# depending on the shell).
BLOCKS=16
(trap '' XFSZ && ulimit -f $BLOCKS &&
    head -c 1000000 /dev/zero >"$TMP/probe") 2>/dev/null
LIMIT=$(stat -c %s "$TMP/probe")
if [ "$LIMIT" -lt 4096 ]; then
    echo "consumer_retry: SKIP: ulimit -f does not work here" >&2
    exit 77
fi
N=40

start_broker --partitions 3 --topic articles

PAD=0123456789012345678901234567890123456789012345678901234567890123456789
n=1
while [ $n -le $N ]; do
    printf 'k%d:{"uri":"http://example.test/%d","bodies":[{"role":' "$n" "$n"
    printf '"main","contentType":"text/plain","value":"Body %d %s"}]}\n' \
        "$n" "$PAD"
    n=$((n + 1))
done | kcat -P -b "$ADDR" -t articles -K: || {
    echo "FAIL: kcat could not produce" >&2
    exit 1
}

printf 'flush.records = 5\nflush.ms = 200\n' >"$TMP/consumer.conf"
OUT=$TMP/out.jsonl
(ulimit -f $BLOCKS && exec "$BIN/wirehose-consumer" -c "$TMP/consumer.conf" \
    -b "$ADDR" -t articles -g g1 -X session.timeout.ms=6000 \
    --sink "jsonl:$OUT") 2>"$TMP/consumer.err" &
CONSUMER_PID=$!

# --- stuck: writes fail ---------------------------------------------------
i=0
while ! grep -q 'File too large' "$TMP/consumer.err" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$CONSUMER_PID" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if grep -q 'File too large' "$TMP/consumer.err"; then
    ok "the sink is full ($(stat -c %s "$OUT") bytes) and retries"
else
    fail "the sink never reported a failed write"
    cat "$TMP/consumer.err" >&2
fi
# Let the automatic commit (every 5 s) send whatever was stored.
sleep 6
"$BIN/wirehose-replay" -b "$ADDR" -t articles -g g1 --from-beginning \
    --dry-run >"$TMP/plan.out" 2>"$TMP/plan.err"
committed=$(awk '$1 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ { n += $4 }
                 END { print n + 0 }' "$TMP/plan.out")
held=$(lines "$OUT")
if kill -0 "$CONSUMER_PID" 2>/dev/null && [ "$committed" -le "$held" ] &&
    [ "$committed" -lt "$N" ]; then
    ok "while stuck: $committed committed, $held lines on disk, $N in all"
else
    fail "while stuck: $committed committed, $held lines on disk, $N in all"
    cat "$TMP/plan.out" "$TMP/plan.err" >&2
fi

# --- room again, as often as needed: the sink resumes where it stopped ----
# A full file cannot change under us: every write to it fails.
: >"$TMP/saved.jsonl"
rounds=0
i=0
while [ "$(cat "$TMP/saved.jsonl" "$OUT" | grep -o '{"uri"' | wc -l)" \
        -lt "$N" ]; do
    if [ "$(stat -c %s "$OUT")" -ge "$LIMIT" ]; then
        cat "$OUT" >>"$TMP/saved.jsonl"
        : >"$OUT"
        rounds=$((rounds + 1))
    fi
    i=$((i + 1))
    if [ $i -gt 1200 ] || ! kill -0 "$CONSUMER_PID" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
ok "made room $rounds time(s)"
sleep 1
kill -TERM "$CONSUMER_PID"
wait "$CONSUMER_PID"
rc=$?
CONSUMER_PID=
if [ $rc -ne 0 ]; then
    fail "consumer exit $rc after SIGTERM"
    cat "$TMP/consumer.err" >&2
fi
cat "$TMP/saved.jsonl" "$OUT" >"$TMP/all.jsonl"
"$PYTHON" - "$TMP/all.jsonl" "$N" <<'EOF' || fail "the stream has holes"
import json, sys
data = open(sys.argv[1], encoding="utf-8").read()
assert data.endswith("\n"), "the last line is not whole"
uris = set()
for i, line in enumerate(data[:-1].split("\n")):
    try:
        uris.add(json.loads(line)["uri"])
    except ValueError as e:
        sys.exit("line %d is not whole: %s: %r" % (i + 1, e, line[:80]))
want = {"http://example.test/%d" % n for n in range(1, int(sys.argv[2]) + 1)}
missing = want - uris
if missing:
    sys.exit("missing: %s" % sorted(missing))
EOF
[ $FAILS -eq 0 ] && ok "every record written, every line whole"

# --- everything was committed at shutdown ---------------------------------
expect_committed g1 "jsonl:$TMP/again.jsonl"

finish
