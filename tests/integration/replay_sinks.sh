#!/bin/bash
# replay_sinks.sh - effectively-once end to end: a replay of the whole
# topic, and a consumer killed with SIGKILL mid-run and restarted, leave
# the JSONL, PostgreSQL and HTTP bulk sinks exactly as they were.
#
# Real processes over loopback: wirehose-devbroker, a PostgreSQL server
# started by pg_helper.sh, bulk_server.py as the _bulk endpoint, records
# produced with kcat, wirehose-consumer with every dedup and enrich stage
# and three sinks at once, wirehose-replay to rewind the group.
#   1. first pass: one JSONL line, one row, one document per record
#      version (exact repeats dropped by dedup, new versions kept);
#      snapshot S1 = sorted JSONL lines (current and rotated files),
#      (uri, version, record::text) rows, stored documents by _id;
#   2. wirehose-replay --from-beginning + the consumer: every record went
#      through the sinks again (the bulk server saw them), and the
#      snapshot is S1 (the JSONL sink skipped every line);
#   3. the same replay with the consumer killed -9 mid-run, then
#      restarted: S1 again;
#   4. new records, the consumer killed -9 mid-run while it first writes
#      them, restarted: every record exactly once in each sink; a replay
#      after that changes nothing.
# Skips (77) without kcat or PostgreSQL.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
command -v psql >/dev/null 2>&1 || skip "psql (PostgreSQL) is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer wirehose-replay
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export STATE_DIRECTORY=$WORK/state

# ---- PostgreSQL (skipped when it is not installed)
wh_start_postgres

# ---- the _bulk endpoint
STORE=$WORK/store.json
REQLOG=$WORK/requests.jsonl
wh_spawn "$WORK/bulk_server.log" "$WH_PYTHON" "$HERE/bulk_server.py" \
    --port-file "$WORK/bulk.port" --store "$STORE" --log "$REQLOG"
wh_wait_file "$WORK/bulk.port" "$WH_LAST_PID" 20 ||
    { wh_show "$WORK/bulk_server.log"; fail "bulk_server did not start"; }
URL=http://127.0.0.1:$(tr -d '[:space:]' <"$WORK/bulk.port")/news
: >"$REQLOG"

wh_start_broker --partitions 3 --topic news
KOPT=(-X session.timeout.ms=6000)
OUT=$WORK/out/news.jsonl
mkdir -p "$WORK/out"
cat >"$WORK/consumer.conf" <<EOF
jsonl.max_bytes = 200000
flush.records = 40
postgres.batch = 40
http.batch_docs = 20
EOF
SINKS=(--sink "jsonl:$OUT" --sink "postgres:$CONNINFO" --sink "http:$URL")

# produce FIRST LAST: records urn:wh:replay:N; every 10th uri gets a
# second version (changed body) and the other 15th ones an exact repeat
# (same body, fetched again), both after the first versions.
produce() {
    "$WH_PYTHON" - "$1" "$2" <<'EOF' >"$WORK/produce.txt"
import json, sys
first, last = int(sys.argv[1]), int(sys.argv[2])
vocab = ("the council approved a new budget for the river harbour while "
         "ministers debated the election and a storm closed the bridge near "
         "the station museum festival treaty vaccine orchestra weather "
         "farmers schools hospital railway").split()
def rec(n, ver):
    words = [vocab[(n * 13 + i * (n % 7 + 1)) % len(vocab)] for i in range(60)]
    body = " ".join(words).capitalize() + f". Report number {n}."
    if ver > 1:
        body += " Updated with new figures from the ministry."
    return {"uri": f"urn:wh:replay:{n}", "type": "text",
            "headlines": [{"role": "main", "value": f"Report {n}"}],
            "bodies": [{"role": "main", "contentType": "text/plain",
                        "value": body}],
            "wirehose": {"source": "test", "fetchedAt":
                         f"2026-11-27T10:{n // 60 % 60:02d}:{n % 60:02d}Z"}}
out = [(n, rec(n, 1)) for n in range(first, last + 1)]
for n in range(first, last + 1):
    if n % 10 == 0:
        r = rec(n, 2)
        r["wirehose"]["fetchedAt"] = "2026-11-27T12:00:00Z"
        out.append((n, r))
    elif n % 15 == 0:
        r = rec(n, 1)
        r["wirehose"]["fetchedAt"] = "2026-11-27T13:00:00Z"
        out.append((n, r))
for n, r in out:
    print(f"k{n}:" + json.dumps(r, separators=(",", ":")))
EOF
    kcat -P -b "$BROKERS" -t news -K: <"$WORK/produce.txt" ||
        fail "kcat could not produce"
}
# expected FIRST LAST: how many record versions records FIRST..LAST make
expected() {
    local n=0 i
    for i in $(seq "$1" "$2"); do
        n=$((n + 1))
        [ $((i % 10)) -eq 0 ] && n=$((n + 1))
    done
    echo "$n"
}

# consume LOG GROUP: wirehose-consumer --once with the three sinks; rc
consume() {
    "$BIN/wirehose-consumer" --once -c "$WORK/consumer.conf" \
        -b "$BROKERS" -t news -g "$2" "${KOPT[@]}" "${SINKS[@]}" \
        >"$1" 2>&1 && rc=0 || rc=$?
}

replay() { # GROUP
    "$BIN/wirehose-replay" -b "$BROKERS" -t news -g "$1" --from-beginning \
        >"$WORK/replay.log" 2>&1 ||
        { wh_show "$WORK/replay.log"; fail "wirehose-replay failed"; }
}

# snapshot NAME: the state of the three sinks, in NAME.{jsonl,pg,http}
snapshot() {
    cat "$OUT" "$OUT".* 2>/dev/null | LC_ALL=C sort >"$WORK/$1.jsonl"
    "${PSQL[@]}" -c "SELECT uri, version, record::text FROM articles
        ORDER BY uri, version" >"$WORK/$1.pg"
    "$WH_PYTHON" -c '
import json, sys
store = json.load(open(sys.argv[1]))
for k in sorted(store):
    print(k, json.dumps(store[k], sort_keys=True, ensure_ascii=False))
' "$STORE" >"$WORK/$1.http"
}

same() { # A B
    local s
    for s in jsonl pg http; do
        diff -u "$WORK/$1.$s" "$WORK/$2.$s" >"$WORK/$1-$2.$s.diff" || {
            head -n 40 "$WORK/$1-$2.$s.diff" >&2
            fail "$2 differs from $1 in the $s sink"
        }
    done
}

counts() { # NAME WANT
    local j p h
    j=$(wc -l <"$WORK/$1.jsonl")
    p=$(wc -l <"$WORK/$1.pg")
    h=$(wc -l <"$WORK/$1.http")
    { [ "$j" -eq "$2" ] && [ "$p" -eq "$2" ] && [ "$h" -eq "$2" ]; } ||
        fail "$1: expected $2 records in each sink, got jsonl $j, pg $p, \
http $h"
    [ "$(uniq -d "$WORK/$1.jsonl" | wc -l)" -eq 0 ] ||
        fail "$1: a JSONL line written twice"
}

docs_sent() {
    "$WH_PYTHON" -c '
import json, sys
print(sum(len(json.loads(l)["ids"]) for l in open(sys.argv[1])))' "$REQLOG"
}

# kill9_midrun GROUP WHAT DONE: starts the consumer, SIGKILLs it once
# WHAT (a shell condition) holds while it still runs; fails if DONE (the
# run had finished) holds after the kill.
kill9_midrun() {
    local group=$1 cond=$2 done=$3 log=$WORK/killed-$1.log
    "$BIN/wirehose-consumer" -c "$WORK/consumer.conf" -b "$BROKERS" \
        -t news -g "$group" "${KOPT[@]}" "${SINKS[@]}" >"$log" 2>&1 &
    local pid=$!
    WH_PIDS+=("$pid")
    for _ in $(seq 1200); do
        if eval "$cond"; then
            break
        fi
        kill -0 "$pid" 2>/dev/null || { wh_show "$log"; \
            fail "the consumer died before the kill"; }
        sleep 0.05
    done
    eval "$cond" || { wh_show "$log"; fail "condition never met: $cond"; }
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    if eval "$done"; then
        fail "the consumer was not mid-run when killed ($done)"
    fi
    echo "ok: consumer killed -9 mid-run"
}

# ---- 1. first pass
N1=300
produce 1 $N1
WANT1=$(expected 1 $N1)
consume "$WORK/c1.log" grp
[ "$rc" -eq 0 ] || { wh_show "$WORK/c1.log"; fail "first pass: exit $rc"; }
snapshot s1
counts s1 "$WANT1"
ls "$OUT".* >/dev/null 2>&1 || fail "no rotated JSONL file (max_bytes)"
grep -q "written $WANT1, duplicates 10," "$WORK/c1.log" ||
    { wh_show "$WORK/c1.log"; fail "first pass summary"; }
echo "ok: first pass: $WANT1 records in each sink"

# ---- 2. replay from the beginning: the same state
sent=$(docs_sent)
replay grp
consume "$WORK/c2.log" grp
[ "$rc" -eq 0 ] || { wh_show "$WORK/c2.log"; fail "replay: exit $rc"; }
snapshot s2
same s1 s2
[ "$(docs_sent)" -ge $((sent + WANT1)) ] ||
    fail "the replay did not go through the http sink again"
grep -q "0 line(s) written, $WANT1 skipped" "$WORK/c2.log" ||
    { wh_show "$WORK/c2.log"; fail "replay: the JSONL sink did not skip"; }
echo "ok: replay from the beginning: identical JSONL, rows and documents"

# ---- 3. replay with a kill -9 mid-run, then a restart
sent=$(docs_sent)
replay grp
kill9_midrun grp "[ \$(docs_sent) -ge $((sent + 60)) ]" \
    "[ \$(docs_sent) -ge $((sent + WANT1)) ]"
consume "$WORK/c3.log" grp
[ "$rc" -eq 0 ] || { wh_show "$WORK/c3.log"; fail "restart: exit $rc"; }
snapshot s3
same s1 s3
echo "ok: replay killed -9 and restarted: identical state"

# ---- 4. new records, kill -9 while writing them first, restart
N2=900
produce $((N1 + 1)) $N2
WANT2=$(expected 1 $N2)
kill9_midrun grp "[ \$(cat '$OUT' '$OUT'.* | wc -l) -ge $((WANT1 + 80)) ]" \
    "[ \$(cat '$OUT' '$OUT'.* | wc -l) -ge $WANT2 ]"
consume "$WORK/c4.log" grp
[ "$rc" -eq 0 ] || { wh_show "$WORK/c4.log"; fail "restart: exit $rc"; }
snapshot s4
counts s4 "$WANT2"
replay grp
consume "$WORK/c5.log" grp
[ "$rc" -eq 0 ] || { wh_show "$WORK/c5.log"; fail "last replay: exit $rc"; }
snapshot s5
same s4 s5
echo "ok: killed -9 while first writing, restarted: each record once; a \
replay then changes nothing"

echo "replay_sinks: OK"
