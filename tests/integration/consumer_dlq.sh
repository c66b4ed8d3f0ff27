#!/bin/bash
# consumer_dlq.sh - records a sink refuses only when it flushes go to the
# dead-letter topic: wirehose-consumer with the HTTP bulk sink against
# bulk_server.py, which answers a per-item 400 for two documents (the
# request itself is a 200), everything real over TCP on loopback.
#
# Checks: exactly those two records are in articles.dlq, as they were
# (key and bytes), with wh.dlq.reason=rejected, wh.dlq.stage=sink:http and
# the server's reason in wh.dlq.detail; every other record is in the
# sink; the summary counts them as rejected, not written; the offsets of
# all of them are committed (a second run reads nothing); the refusals
# come both from a batch sent by process() (batch full) and from flush().
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer
"$BIN/wirehose-consumer" --help | grep -q '^  sink:http' ||
    skip "this consumer has no http sink"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
# the dedup stage's decision log: this run's own
export STATE_DIRECTORY="$WORK/state"

wh_start_broker --partitions 1 --topic articles

# /4 is in the first batch of 5 (sent by process() when the 6th arrives),
# /12 in the last one (sent by flush()).
cat >"$WORK/script" <<'EOF'
item http://example.test/4 400 always
item http://example.test/12 400 always
EOF
wh_spawn "$WORK/server.log" "$WH_PYTHON" "$HERE/bulk_server.py" \
    --port-file "$WORK/port" --store "$WORK/store.json" \
    --log "$WORK/requests.jsonl" --script "$WORK/script"
wh_wait_file "$WORK/port" "$WH_LAST_PID" 20 ||
    { wh_show "$WORK/server.log"; fail "bulk_server.py did not start"; }
URL=http://127.0.0.1:$(tr -d '[:space:]' <"$WORK/port")/news

N=12
for n in $(seq $N); do
    printf 'k%d\t{"uri":"http://example.test/%d","bodies":[{"role":' "$n" "$n"
    printf '"main","contentType":"text/plain","value":"Body %d."}]}\n' "$n"
done >"$WORK/records"
kcat -P -b "$BROKERS" -t articles -K $'\t' -H origin=dlqtest \
    <"$WORK/records" || fail "kcat could not produce"

cat >"$WORK/consumer.conf" <<EOF
flush.records = 100
flush.ms = 60000
http.batch_docs = 5
http.max_retries = 1
enrich = none
EOF
timeout 120 "$BIN/wirehose-consumer" -c "$WORK/consumer.conf" \
    -b "$BROKERS" -t articles -g g1 -X session.timeout.ms=6000 \
    --sink "http:$URL" --once >"$WORK/consumer.log" 2>&1 ||
    { wh_show "$WORK/consumer.log"; fail "consumer --once failed"; }

# ---- the sink: every record but the two refused ones
"$WH_PYTHON" - "$WORK/store.json" $N <<'EOF' ||
import json, sys
store = json.load(open(sys.argv[1], encoding="utf-8"))
uris = sorted(d["uri"] for d in store.values())
want = sorted("http://example.test/%d" % n for n in range(1, int(sys.argv[2]) + 1)
              if n not in (4, 12))
if uris != want:
    sys.exit("sink holds %s, expected %s" % (uris, want))
EOF
    { wh_show "$WORK/consumer.log"; fail "sink content"; }
echo "ok: the sink holds the $((N - 2)) accepted records"

# ---- the dead-letter topic: exactly the two, as they were, with reasons
kcat -C -b "$BROKERS" -t articles.dlq -e -q -f '%k\t%s\t%h\n' \
    >"$WORK/dlq" 2>"$WORK/dlq.err" ||
    { cat "$WORK/dlq.err" >&2; fail "cannot read articles.dlq"; }
[ "$(grep -c . "$WORK/dlq")" -eq 2 ] ||
    { cat "$WORK/dlq" >&2; wh_show "$WORK/consumer.log"; \
      fail "expected 2 dead letters"; }
for n in 4 12; do
    line=$(grep -P "^k$n\t" "$WORK/dlq") ||
        { cat "$WORK/dlq" >&2; fail "record $n is not in articles.dlq"; }
    want=$(grep -P "^k$n\t" "$WORK/records" | cut -f2)
    [ "$(printf '%s\n' "$line" | cut -f2)" = "$want" ] ||
        fail "record $n: dead letter bytes differ from the original"
    hdrs=$(printf '%s\n' "$line" | cut -f3)
    for h in wh.dlq.reason=rejected wh.dlq.stage=sink:http origin=dlqtest \
        'wh.dlq.detail=HTTP 400 mapper_parsing_exception'; do
        case $hdrs in
        *"$h"*) ;;
        *) fail "record $n: header '$h' missing in: $hdrs" ;;
        esac
    done
done
echo "ok: the two refused records are in articles.dlq with the reason"

grep -q 'records in 12, written 10, .*rejected 2, dead-lettered 2' \
    "$WORK/consumer.log" ||
    { wh_show "$WORK/consumer.log"; fail "summary counts"; }
grep -q 'example.test/4: refused: HTTP 400' "$WORK/consumer.log" ||
    fail "the refusal is not logged with the uri"
[ "$(grep -c 'refused after it was accepted' "$WORK/consumer.log")" -eq 2 ] ||
    { wh_show "$WORK/consumer.log"; fail "refusals not reported by token"; }
echo "ok: counted as rejected and logged"

# ---- everything committed: a second run reads nothing
timeout 60 "$BIN/wirehose-consumer" -c "$WORK/consumer.conf" \
    -b "$BROKERS" -t articles -g g1 -X session.timeout.ms=6000 \
    --sink "http:$URL" --once >"$WORK/again.log" 2>&1 ||
    { wh_show "$WORK/again.log"; fail "second run failed"; }
grep -q 'records in 0,' "$WORK/again.log" ||
    { wh_show "$WORK/again.log"; fail "offsets were not committed"; }
echo "ok: offsets committed past the dead-lettered records"
echo "consumer_dlq: all passed"
