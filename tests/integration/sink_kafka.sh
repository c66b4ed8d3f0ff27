#!/bin/bash
# sink_kafka.sh - the kafka sink against wirehose-devbroker, driven by
# sink_driver:
#   1. records -> messages keyed by uri, delivered by flush();
#   2. a message larger than message.max.bytes -> REJECT naming the uri;
#   3. the broker gone -> flush() RETRY (the failed message kept);
#   4. its own input topic as output -> refused at init.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DRIVER=$WH_BINDIR/tests/sink_driver
[ -x "$DRIVER" ] || fail "$DRIVER not built"
wh_need_bin wirehose-devbroker
command -v kcat >/dev/null || skip "kcat is not installed"

wh_start_broker --topic enriched --partitions 2
BROKER_PID=$WH_LAST_PID

# record URI [BODY]
record() {
    printf '{"uri":"%s","version":"1","headlines":[{"role":"main",' "$1"
    printf '"value":"Headline of %s"}],"bodies":[{"role":"main",' "$1"
    printf '"contentType":"text/plain","value":"%s"}],' "${2:-Body.}"
    printf '"wirehose":{"source":"wire","fetchedAt":"2024-03-01T10:00:01Z",'
    printf '"contentHash":"xxh3:0000000000000001"}}\n'
}

expect_line() {
    local file=$1 pattern=$2
    grep -Eq -- "$pattern" "$file" || {
        wh_show "$file" "$file.err"
        fail "no line matching '$pattern' in $(basename "$file")"
    }
}

# ---- 1. records -> messages keyed by uri
for i in 1 2 3 4 5; do record "urn:wh:kafka:$i"; done >"$WORK/s1"
"$DRIVER" -b "$BROKERS" kafka:enriched "$WORK/s1" >"$WORK/o1" \
    2>"$WORK/o1.err" || { wh_show "$WORK/o1" "$WORK/o1.err"; \
    fail "run 1 failed"; }
[ "$(grep -c ' OK$' "$WORK/o1")" -eq 7 ] || { wh_show "$WORK/o1"; \
    fail "run 1: expected init, 5 records and a flush OK"; }
kcat -b "$BROKERS" -C -t enriched -e -q -f '%k\t%s\n' >"$WORK/topic" \
    2>"$WORK/kcat.err" || { wh_show "$WORK/kcat.err"; fail "kcat failed"; }
"$WH_PYTHON" - "$WORK/topic" <<'EOF' || fail "topic content is wrong"
import json, sys
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1])]
assert len(rows) == 5, rows
for key, value in rows:
    doc = json.loads(value)
    assert doc["uri"] == key, (key, doc)
    assert doc["headlines"][0]["value"] == "Headline of " + key, doc
assert sorted(k for k, _ in rows) == [f"urn:wh:kafka:{i}" for i in range(1, 6)]
EOF

# ---- 2. too large for message.max.bytes -> REJECT with the uri
big=$(head -c 3000 /dev/zero | tr '\0' 'x')
{ record urn:wh:kafka:6; record urn:wh:kafka:big "$big"; } >"$WORK/s2"
"$DRIVER" -b "$BROKERS" -X message.max.bytes=2000 kafka:enriched \
    "$WORK/s2" >"$WORK/o2" 2>"$WORK/o2.err" ||
    { wh_show "$WORK/o2" "$WORK/o2.err"; fail "run 2 failed"; }
expect_line "$WORK/o2" '^process [0-9]+ urn:wh:kafka:big REJECT: urn:wh:kafka:big: [0-9]+-byte message refused: .*too large'
expect_line "$WORK/o2" '^process [0-9]+ urn:wh:kafka:6 OK$'
[ "$(tail -n 1 "$WORK/o2")" = "flush OK" ] || fail "run 2: last flush not OK"

# ---- 3. the broker gone: flush RETRY, the message kept for later
echo "!sh kill -TERM $BROKER_PID; sleep 0.5" >"$WORK/s3"
record urn:wh:kafka:7 >>"$WORK/s3"
"$DRIVER" -b "$BROKERS" -X message.timeout.ms=1500 kafka:enriched \
    "$WORK/s3" >"$WORK/o3" 2>"$WORK/o3.err" && rc=0 || rc=$?
[ "$rc" -eq 1 ] || { wh_show "$WORK/o3" "$WORK/o3.err"; \
    fail "run 3: exit $rc, not 1 (records left unwritten)"; }
expect_line "$WORK/o3" '^flush RETRY: 1 message\(s\) failed, sent again at the next flush; last: urn:wh:kafka:7: '
expect_line "$WORK/o3.err" 'failed message\(s\) never sent again'

# ---- 4. output topic = input topic
"$DRIVER" -b 127.0.0.1:9 -o topic=news,enriched kafka:enriched /dev/null \
    >"$WORK/o4" 2>&1 && rc=0 || rc=$?
{ [ "$rc" -eq 2 ] && expect_line "$WORK/o4" \
    '^init FAILED: kafka: enriched is also the topic consumed'; } ||
    fail "a loop topic was accepted"

echo "sink_kafka: OK"
