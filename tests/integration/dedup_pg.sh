#!/bin/bash
# dedup_pg.sh - the dedup stage with its decision log in PostgreSQL
# (dedup.store = postgres:CONNINFO), as on several machines: two consumer
# processes of one group, each with its OWN dedup.state_dir, sharing only
# the server (pg_helper.sh) - against one consumer with the default file
# store, on the dev broker (4 partitions, records keyed by uri).
#
# The stream is dedup_scaleout.sh's (dedup_stream.py), in 5 phases, each
# consumed by both runs before the next is produced. Checks:
#   1. the one-consumer file run makes the decisions the stream is built
#      for (dedup_stream.py check);
#   2. the server is stopped before phase 3 is produced: the two
#      consumers write none of phase 3's records and say that the store
#      is unavailable; the server is started again: they reconnect (and
#      say so) and catch up;
#   3. the union of the two consumers' sinks holds the same records,
#      clusters, copies and versions as the one-consumer run (nothing
#      lost, nothing decided differently);
#   4. the table holds one decision per record that is not a repeat, as
#      many as the file log.
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
command -v psql >/dev/null 2>&1 || skip "psql is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer
"$BIN/wirehose-consumer" --help | grep '^  dedup:dedup' >/dev/null ||
    skip "this consumer has no dedup stage"

# a server of its own (skipped when PostgreSQL is not installed)
wh_start_postgres
CTL="bash $HERE/pg_helper.sh ctl $PGHOST_DIR"

# shellcheck source=dedup_common.sh
. "$HERE/dedup_common.sh"

# consumers 1 and 2 (and the last check's 3): a state directory each,
# the shared server
for i in 1 2 3; do
    printf 'dedup.state_dir = %s\ndedup.store = postgres:%s\nflush.ms = 200\n' \
        "$WORK/state-b$i" "$CONNINFO" >"$WORK/sb$i.conf"
done

# ---- phase 1 in both runs; the two consumers join their group
produce 1
one_consumer "$WORK/a.jsonl" ga sa a.log
for i in 1 2; do
    start_b "$i" "$WORK/sb$i.conf"
done
wait_b 60 '2-consumer postgres'
echo "ok: phase 1 consumed by 1 consumer (file) and 2 (postgres)"

for phase in 2 3 4 5; do
    if [ "$phase" -eq 3 ]; then
        $CTL stop || fail "could not stop the server"
        echo "server stopped before phase 3"
        before=$(pairs "$WORK"/b[0-9].jsonl)
    fi
    produce "$phase"
    one_consumer "$WORK/a.jsonl" ga sa a.log
    if [ "$phase" -eq 3 ]; then
        # both consumers have phase 3 records (4 partitions, 2 consumers)
        # and must hold them, saying why
        paused=0
        for _ in $(seq 300); do
            paused=$(grep -l 'decision store unavailable, pausing' \
                "$WORK"/b[12].log.tmp 2>/dev/null | wc -l)
            [ "$paused" -ge 2 ] && break
            sleep 0.1
        done
        [ "$paused" -ge 2 ] || { wh_show "$WORK"/b[12].log.tmp; \
            fail "the consumers did not say that the store is down"; }
        sleep 2
        after=$(pairs "$WORK"/b[0-9].jsonl)
        [ "$before" = "$after" ] || { diff <(echo "$before") \
            <(echo "$after") >&2 || true; \
            fail "records were written while the store was down"; }
        echo "ok: store down: both consumers pause and say so"
        $CTL start || fail "could not start the server again"
        echo "server started again"
    fi
    cp "$WORK/a.jsonl" "$WORK/a.jsonl.p$phase"
    wait_b 90 '2-consumer postgres'
    echo "ok: phase $phase consumed by 1 consumer (file) and 2 (postgres)"
done
for i in 1 2; do
    grep -q 'postgres: connected again' "$WORK/b$i.log.tmp" || {
        wh_show "$WORK/b$i.log.tmp"
        fail "consumer $i did not say that it reconnected"
    }
done
echo "ok: both consumers reconnected"

for i in 1 2; do
    kill -TERM "${BPID[$i]}" 2>/dev/null || true
done
for i in 1 2; do
    rc=0
    wait "${BPID[$i]}" || rc=$?
    [ $rc -eq 0 ] || { wh_show "$WORK/b$i.log.tmp"; \
                       fail "consumer $i: exit $rc on SIGTERM"; }
done
# whatever the group left uncommitted (nothing, normally)
one_consumer "$WORK/b3.jsonl" gb sb3 b3.log

"$WH_PYTHON" "$HERE/dedup_stream.py" check "$WORK/a.jsonl" ||
    fail "one-consumer decisions"
echo "ok: one consumer (file store): the decisions the stream is built for"
"$WH_PYTHON" "$HERE/dedup_stream.py" compare "$WORK/a.jsonl" \
    "$WORK"/b[0-9].jsonl || fail "2 consumers (postgres) differ from 1"
echo "ok: 2 consumers on postgres, server restarted: same records and clusters"

# ---- as many decisions in the table as in the file log
rows=$("${PSQL[@]}" -c 'SELECT count(*) FROM wirehose_dedup_log') ||
    fail "psql"
frames=$("$WH_PYTHON" -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
pos, n = 32, 0  # the header of a format-2 segment
while pos + 8 <= len(d):
    magic, ln = struct.unpack_from("<II", d, pos)
    pos += 8 + ln + 4
    n += magic == 0x52444857  # a record, not a seal
print(n)' "$WORK/state-a/dedup.log")
[ "$rows" -eq "$frames" ] ||
    fail "$rows decisions in postgres, $frames in the file log"
echo "ok: $rows decisions in postgres, as many as in the file log"
echo "dedup_pg: all passed"
