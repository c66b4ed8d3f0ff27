#!/bin/bash
# replay_config.sh - wirehose-replay reads the consumer's own file: the
# example deploy/config/consumer.conf, as it is, over the dev broker.
#
# Checks: -c consumer.conf -b -t -g --from-beginning --dry-run prints a
# plan (a line per partition) and exits 0; without -g the file's group is
# the one planned; --check-config on the example passes and on a consumer
# file with a misspelt conninfo keyword fails (exit 2) like the
# consumer's; a key of the consumer unknown to both is still refused.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-devbroker wirehose-replay
CONF=$WH_SRCDIR/deploy/config/consumer.conf
[ -f "$CONF" ] || fail "no $CONF"

wh_start_broker --topic replay.test --partitions 3

# plan FILE: the number of partition lines of a plan in FILE.
plan_lines() {
    awk '$1 ~ /^[0-9]+$/ && NF >= 8 { n++ } END { print n + 0 }' "$1"
}

# run_replay WHAT ARGS...: must exit 0 and print a 3-partition plan.
run_replay() {
    local what=$1 rc=0
    shift
    timeout 90 "$BIN/wirehose-replay" -c "$CONF" -b "$BROKERS" \
        -t replay.test -X session.timeout.ms=6000 "$@" \
        >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
    if [ "$rc" -ne 0 ] || [ "$(plan_lines "$WORK/out")" -ne 3 ] ||
        ! grep -q "^dry run: nothing committed" "$WORK/out"; then
        wh_show "$WORK/out" "$WORK/err"
        fail "$what: exit $rc, want 0 and a plan of 3 partitions"
    fi
    echo "ok: $what"
}

run_replay "replay -c consumer.conf -g G --from-beginning --dry-run" \
    -g replay-g --from-beginning --dry-run
grep -q "^replay plan: topic replay.test, group replay-g" "$WORK/out" ||
    fail "the plan does not name group replay-g: $(head -1 "$WORK/out")"

group=$(sed -n 's/^group *= *//p' "$CONF")
[ -n "$group" ] || fail "$CONF sets no group"
run_replay "replay -c consumer.conf --from-time ... --dry-run (the file's group)" \
    --from-time 2026-01-01T00:00:00Z --dry-run
grep -q "^replay plan: topic replay.test, group $group\$" "$WORK/out" ||
    fail "the plan does not name the file's group $group: $(head -1 "$WORK/out")"

# --check-config: the example passes (its JSONL is relative: run where
# it may be written), a consumer problem is replay's problem too.
(cd "$WORK" && "$BIN/wirehose-replay" -c "$CONF" --check-config) \
    >"$WORK/out" 2>&1 || fail "replay --check-config on $CONF: $(cat "$WORK/out")"
echo "ok: replay --check-config passes $CONF"
sed 's/^sink = .*/sink = postgres:hots=localhost dbname=news/' "$CONF" \
    >"$WORK/bad.conf"
rc=0
"$BIN/wirehose-replay" -c "$WORK/bad.conf" --check-config >"$WORK/out" \
    2>"$WORK/err" || rc=$?
if [ "$rc" -ne 2 ] || [ "$(grep -c . "$WORK/err")" -ne 1 ] ||
    ! grep -q 'invalid connection option "hots"' "$WORK/err"; then
    fail "replay --check-config, bad conninfo: exit $rc: $(cat "$WORK/err")"
fi
echo "ok: replay --check-config: $(cat "$WORK/err")"
printf 'no.such.key = 1\n' >>"$WORK/bad.conf"
rc=0
"$BIN/wirehose-replay" -c "$WORK/bad.conf" -b "$BROKERS" --from-beginning \
    --dry-run >"$WORK/out" 2>"$WORK/err" || rc=$?
if [ "$rc" -ne 2 ] ||
    ! grep -q "bad.conf:[0-9]*: no.such.key: unknown key" "$WORK/err"; then
    fail "replay, unknown key: exit $rc: $(cat "$WORK/err")"
fi
echo "ok: replay refuses a key no part declares"
echo "replay_config: all checks passed"
