#!/bin/bash
# dedup_scaleout.sh - the dedup stage's decisions with one consumer and
# with three consumer processes of one group, on the dev broker (a topic
# of 4 partitions, records keyed by uri so the copies of a story land on
# different partitions and at different consumers), all real processes.
#
# The stream (dedup_stream.py): syndicated copies of three wire stories
# (a dateline, a sign-off and a chrome line, a sentence reworded, a
# paragraph cut), a different story on the same topic, an item re-sent
# by its feed, an updated article, a copy under a tracker-parameter URL;
# produced in 5 phases, each consumed before the next is produced, so
# "first seen" means the same thing in every run.
#
# Checks: with one consumer, every decision is the one the stream is
# built for (copies join the original's cluster with duplicateOf, the
# different story stays alone, the re-sent item is written once, the
# update is version 2, the tracker URL joins); with three consumers
# sharing a state directory, one of them killed with SIGKILL in the
# middle of phase 3 and started again, the union of their sinks holds the
# same records (same clusterId, duplicateOf, versions; byte-identical
# JSON) as the one-consumer run, modulo line order and the lines written
# twice after the kill; a replay of the whole topic by the first group
# gives the same records again.
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer wirehose-replay
"$BIN/wirehose-consumer" --help | grep '^  dedup:dedup' >/dev/null ||
    skip "this consumer has no dedup stage"

# shellcheck source=dedup_common.sh
. "$HERE/dedup_common.sh"

# the three consumers share one state directory
printf 'dedup.state_dir = %s\nflush.ms = 200\n' "$WORK/state-b" \
    >"$WORK/sb.conf"

# ---- phase 1 in both runs; the three consumers join their group
produce 1
one_consumer "$WORK/a.jsonl" ga sa a.log
for i in 1 2 3; do
    start_b "$i" "$WORK/sb.conf"
done
wait_b 60 3-consumer
echo "ok: phase 1 (originals) consumed by 1 and by 3 consumers"

for phase in 2 3 4 5; do
    produce "$phase"
    one_consumer "$WORK/a.jsonl" ga sa a.log
    if [ "$phase" -eq 3 ]; then
        # in the middle of phase 3: SIGKILL consumer 2, restart it once
        # the other two have taken over its partitions
        for _ in $(seq 100); do
            [ -n "$(comm -13 <(pairs "$WORK/a.jsonl.p2") \
                <(pairs "$WORK"/b[0-9].jsonl))" ] && break
            sleep 0.05
        done
        kill -KILL "${BPID[2]}"
        wait "${BPID[2]}" 2>/dev/null || true
        echo "consumer 2 killed (SIGKILL) in phase 3"
        wait_b 90 3-consumer
        start_b 2 "$WORK/sb.conf"
    fi
    cp "$WORK/a.jsonl" "$WORK/a.jsonl.p$phase"
    wait_b 90 3-consumer
    echo "ok: phase $phase consumed by 1 and by 3 consumers"
done

for i in 1 2 3; do
    kill -TERM "${BPID[$i]}" 2>/dev/null || true
done
for i in 1 2 3; do
    rc=0
    wait "${BPID[$i]}" || rc=$?
    [ $rc -eq 0 ] || { wh_show "$WORK/b$i.log.tmp"; \
                       fail "consumer $i: exit $rc on SIGTERM"; }
done
# whatever the group left uncommitted (nothing, normally)
one_consumer "$WORK/b4.jsonl" gb sb b4.log

"$WH_PYTHON" "$HERE/dedup_stream.py" check "$WORK/a.jsonl" ||
    fail "one-consumer decisions"
echo "ok: one consumer: copies, different story, re-send, update, tracker URL"
"$WH_PYTHON" "$HERE/dedup_stream.py" compare "$WORK/a.jsonl" \
    "$WORK"/b[0-9].jsonl || fail "3 consumers (one killed) differ from 1"
echo "ok: 3 consumers, one killed with SIGKILL: same records and clusters"

# ---- a replay of the whole topic reproduces the decisions
"$BIN/wirehose-replay" -b "$BROKERS" -t "$TOPIC" -g ga --from-beginning \
    >"$WORK/replay.log" 2>&1 || { wh_show "$WORK/replay.log"; fail "replay"; }
one_consumer "$WORK/a2.jsonl" ga sa a2.log
"$WH_PYTHON" "$HERE/dedup_stream.py" compare "$WORK/a.jsonl" \
    "$WORK/a2.jsonl" || fail "the replay changed decisions"
"$WH_PYTHON" "$HERE/dedup_stream.py" compare "$WORK/a2.jsonl" \
    "$WORK/a.jsonl" || fail "the replay lost records"
echo "ok: a replay of the topic gives the same records"
echo "dedup_scaleout: all passed"
