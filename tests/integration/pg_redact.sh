#!/bin/bash
# pg_redact.sh - no password reaches the log: a real PostgreSQL (its own,
# from pg_helper.sh) with a role that must give a password (scram), and
# the consumer given a wrong one - in the postgres sink's conninfo and in
# dedup.store - must log the authentication failure without the password.
# The right password read with ${file:PATH} connects, and is not logged
# either. Skipped (77) without PostgreSQL.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-consumer wirehose-devbroker
wh_start_postgres

RIGHT=Right-Pass-7q1
WRONG=Wrong-Pass-42x
"${PSQL[@]}" -c "CREATE ROLE wh_secret LOGIN PASSWORD '$RIGHT'" ||
    fail "cannot create the role"
"${PSQL[@]}" -c "GRANT CREATE ON SCHEMA public TO wh_secret" ||
    fail "cannot grant"
# The role must authenticate (everyone else stays trusted).
hba=$PGHOST_DIR/data/pg_hba.conf
{
    echo "local all wh_secret scram-sha-256"
    cat "$hba"
} >"$WORK/hba" || fail "cannot read $hba"
cat "$WORK/hba" >"$hba" || fail "cannot edit $hba"
"${PSQL[@]}" -c "SELECT pg_reload_conf()" >/dev/null ||
    fail "cannot reload the server's configuration"
PG="host=$PGHOST_DIR port=5432 dbname=postgres user=wh_secret"

# expect_refused WHAT ARGS...: the consumer stops at start-up, its log
# says the password was refused, and holds no password.
expect_refused() {
    local what=$1 rc=0
    shift
    timeout 60 "$BIN/wirehose-consumer" -v -b 127.0.0.1:1 -t t \
        --enrich none "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
    if [ "$rc" -eq 0 ] ||
        ! grep -q "password authentication failed" "$WORK/err"; then
        wh_show "$WORK/err"
        fail "$what: exit $rc, want a start-up failure for the password"
    fi
    if grep -qF -e "$WRONG" -e "$RIGHT" "$WORK/out" "$WORK/err"; then
        wh_show "$WORK/err"
        fail "$what: a password reached the log"
    fi
    echo "ok: $what: exit $rc; $(grep -m1 "password authentication" \
        "$WORK/err")"
}

expect_refused "postgres sink, wrong password" --dedup none \
    --sink "postgres:$PG password=$WRONG"
expect_refused "postgres sink, wrong password (quoted)" --dedup none \
    --sink "postgres:$PG password='$WRONG'"
expect_refused "postgres sink, wrong password (URI)" --dedup none \
    --sink "postgres:postgresql://wh_secret:$WRONG@/postgres?host=$PGHOST_DIR"
mkdir -p "$WORK/state"
printf 'dedup.store = postgres:%s password=%s\ndedup.state_dir = %s\n' \
    "$PG" "$WRONG" "$WORK/state" >"$WORK/store.conf"
expect_refused "dedup.store, wrong password" -c "$WORK/store.conf" \
    --sink "jsonl:$WORK/out.jsonl"

# The right password from a file (as systemd's LoadCredential= gives it):
# the sink connects and creates its table; the password is not logged.
wh_start_broker --topic redact.test --partitions 1
printf '%s\n' "$RIGHT" >"$WORK/pgpass"
chmod 600 "$WORK/pgpass"
# the reference is for the consumer to expand, not the shell
printf 'sink = postgres:%s password=$%s\n' "$PG" "{file:$WORK/pgpass}" \
    >"$WORK/ok.conf"
rc=0
timeout 120 "$BIN/wirehose-consumer" -v -c "$WORK/ok.conf" -b "$BROKERS" \
    -t redact.test -g redact --dedup none --enrich none --once \
    -X session.timeout.ms=6000 >"$WORK/out" 2>"$WORK/err" </dev/null ||
    rc=$?
if [ "$rc" -ne 0 ]; then
    wh_show "$WORK/err"
    fail "the right password from \${file:} did not work (exit $rc)"
fi
[ "$("${PSQL[@]}" -c "SELECT to_regclass('public.articles') IS NOT NULL")" \
    = t ] || fail "the sink did not create its table"
if grep -qF "$RIGHT" "$WORK/out" "$WORK/err"; then
    fail "the password from \${file:} reached the log"
fi
echo "ok: \${file:} password connects, not logged"
echo "pg_redact: all checks passed"
