#!/bin/bash
# sink_postgres.sh - the postgres sink against a real PostgreSQL server
# (pg_helper.sh), driven by sink_driver:
#   1. records -> rows, with the indexed columns filled;
#   2. the same records again (a replay) -> identical table content,
#      ingested_at included;
#   3. a record the server refuses (version overflows integer) -> REJECT
#      naming its uri and the reason, the others written;
#   4. the server stopped mid-way -> RETRY from process() and flush(),
#      then, after a restart, every record is there (nothing lost);
#   5. a bad conninfo / table name -> a clear init error.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DRIVER=$WH_BINDIR/tests/sink_driver
[ -x "$DRIVER" ] || fail "$DRIVER not built"

# a server of its own (skipped when PostgreSQL is not installed)
wh_start_postgres

# record URI VERSION HEADLINE [extra JSON members]
record() {
    printf '{"uri":"%s","type":"text","version":"%s",' "$1" "$2"
    printf '"firstCreated":"2024-03-0%sT10:00:00Z",' "$(( ${#1} % 9 + 1 ))"
    printf '"versionCreated":"2024-03-10T12:00:00+01:00","language":"en",'
    printf '"headlines":[{"role":"main","value":"%s"}],' "$3"
    printf '"bodies":[{"role":"main","contentType":"text/plain",'
    printf '"value":"Text of %s.\\n\\nSecond paragraph, caf\\u00e9."}],' "$1"
    printf '"wirehose":{"source":"wire-%s","fetchedAt":"2024-03-10T12:00:01Z",' \
        "$(( ${#1} % 2 ))"
    printf '"contentHash":"xxh3:00000000000000%02d","clusterId":"%s"%s}}\n' \
        "$2" "$1" "${4:-}"
}

dump() {
    "${PSQL[@]}" -c "SELECT uri, version, record::text, headline,
        first_created, version_created, language, source, cluster_id,
        ingested_at FROM articles ORDER BY uri, version"
}

run_driver() {
    local out=$1
    shift
    "$DRIVER" "$@" >"$out" 2>"$out.err" && rc=0 || rc=$?
    cat "$out" >>"$WORK/all-driver.out"
    return 0
}

expect_line() {
    local file=$1 pattern=$2
    grep -Eq -- "$pattern" "$file" || {
        wh_show "$file" "$file.err"
        fail "no line matching '$pattern' in $(basename "$file")"
    }
}

# ---- 1. records -> rows
{
    for i in 1 2 3 4 5; do
        record "urn:wh:test:$i" 1 "Headline $i"
    done
    record "urn:wh:test:1" 2 "Headline 1, updated"
    echo '!flush'
    record "urn:wh:test:6" 1 "Headline 6"
} >"$WORK/batch1.script"
run_driver "$WORK/run1.out" -o postgres.batch=3 "postgres:$CONNINFO" \
    "$WORK/batch1.script"
[ "$rc" -eq 0 ] || { wh_show "$WORK/run1.out" "$WORK/run1.out.err"; \
    fail "driver exit $rc"; }
[ "$(grep -c ' OK$' "$WORK/run1.out")" -eq 10 ] || {
    wh_show "$WORK/run1.out" "$WORK/run1.out.err"
    fail "run 1: expected init, 7 records and 2 flushes OK"
}
[ "$("${PSQL[@]}" -c 'SELECT count(*) FROM articles')" = 7 ] ||
    fail "run 1: expected 7 rows"
got=$("${PSQL[@]}" -c "SELECT headline, language, source, cluster_id,
    first_created IS NOT NULL, version_created = '2024-03-10T11:00:00Z',
    record->>'uri', record#>>'{headlines,0,value}'
    FROM articles WHERE uri = 'urn:wh:test:1' AND version = 2")
[ "$got" = "Headline 1, updated|en|wire-1|urn:wh:test:1|t|t|urn:wh:test:1|Headline 1, updated" ] ||
    fail "run 1: columns of urn:wh:test:1 v2: '$got'"
for idx in articles_first_created_idx articles_cluster_id_idx \
    articles_source_idx articles_pkey; do
    [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_indexes
        WHERE indexname = '$idx'")" = 1 ] || fail "index $idx missing"
done
dump >"$WORK/dump1"

# ---- 2. replay -> identical state (same rows, same ingested_at)
sleep 1
run_driver "$WORK/run2.out" "postgres:$CONNINFO" "$WORK/batch1.script"
[ "$rc" -eq 0 ] || { wh_show "$WORK/run2.out"; fail "replay: exit $rc"; }
dump >"$WORK/dump2"
diff -u "$WORK/dump1" "$WORK/dump2" >"$WORK/replay.diff" || {
    cat "$WORK/replay.diff" >&2
    fail "replay changed the table"
}

# ---- 3. a refused record -> REJECT with uri and reason; the rest written
{
    record "urn:wh:test:7" 1 "Seven"
    record "urn:wh:test:big" 4294967295 "Version too big for integer"
    record "urn:wh:test:8" 1 "Eight"
    # too long for a btree entry of the primary key (SQLSTATE 54000)
    record "urn:wh:test:long:$(head -c 6000 /dev/urandom | base64 -w0 |
        tr -d '/+=')" 1 "Uri too long for the index"
    echo '!flush'
} >"$WORK/reject.script"
run_driver "$WORK/run3.out" "postgres:$CONNINFO" "$WORK/reject.script"
[ "$rc" -eq 0 ] || { wh_show "$WORK/run3.out"; fail "reject run: exit $rc"; }
expect_line "$WORK/run3.out" \
    '^process [0-9]+ urn:wh:test:big REJECT: urn:wh:test:big \(SQLSTATE 22003\): .*out of range'
expect_line "$WORK/run3.out" \
    '^process [0-9]+ urn:wh:test:long:[^ ]+ REJECT: urn:wh:test:long:[^ ]+ \(SQLSTATE 54000\): index row size'
expect_line "$WORK/run3.out" '^process [0-9]+ urn:wh:test:7 OK$'
expect_line "$WORK/run3.out" '^process [0-9]+ urn:wh:test:8 OK$'
[ "$("${PSQL[@]}" -c "SELECT string_agg(uri, ',' ORDER BY uri) FROM articles
    WHERE uri IN ('urn:wh:test:7', 'urn:wh:test:8', 'urn:wh:test:big')")" = \
    "urn:wh:test:7,urn:wh:test:8" ] ||
    fail "the records around the refused one were not all written"

# ---- 4. the server stops mid-way: RETRY, then nothing lost
CTL="bash $HERE/pg_helper.sh ctl $PGHOST_DIR"
{
    record "urn:wh:outage:1" 1 "Before the outage, committed"
    echo '!flush'
    record "urn:wh:outage:2" 1 "Written, not committed when it stops"
    record "urn:wh:outage:3" 1 "Written, not committed when it stops"
    echo "!sh $CTL stop"
    echo '!flush-once'
    # Started again while the driver retries the next record.
    echo "!sh ( sleep 2; $CTL start ) &"
    record "urn:wh:outage:4" 1 "During the outage"
    echo '!flush'
} >"$WORK/outage.script"
run_driver "$WORK/run4.out" --retries 300 --retry-ms 100 \
    "postgres:$CONNINFO" "$WORK/outage.script"
[ "$rc" -eq 0 ] || { wh_show "$WORK/run4.out" "$WORK/run4.out.err"; \
    fail "outage run: exit $rc"; }
expect_line "$WORK/run4.out" '^flush RETRY: '
expect_line "$WORK/run4.out" '^process [0-9]+ urn:wh:outage:4 RETRY: '
expect_line "$WORK/run4.out" '^process [0-9]+ urn:wh:outage:4 OK$'
[ "$(tail -n 1 "$WORK/run4.out")" = "flush OK" ] ||
    fail "outage run: the last flush is not OK"
[ "$("${PSQL[@]}" -c "SELECT count(*) FROM articles
    WHERE uri LIKE 'urn:wh:outage:%'")" = 4 ] || {
    wh_show "$WORK/run4.out"
    fail "records lost in the outage"
}

# ---- 5. configuration errors are told at init
run_driver "$WORK/run5.out" "postgres:host=$PGHOST_DIR port=5432 bogus=1" \
    /dev/null
{ [ "$rc" -eq 2 ] && expect_line "$WORK/run5.out" \
    '^init FAILED: postgres: bad connection string: .*bogus'; } ||
    fail "a bad conninfo was not refused at init"
run_driver "$WORK/run6.out" -o 'postgres.table=bad;name' \
    "postgres:$CONNINFO" /dev/null
{ [ "$rc" -eq 2 ] && expect_line "$WORK/run6.out" \
    '^init FAILED: command line: postgres.table: '; } ||
    fail "a bad table name was accepted"
# An unreachable server is an outage, not a configuration error: init
# succeeds (saying it waits) and a record waits for it (RETRY).
record "urn:wh:unreachable:1" 1 "Nobody there" >"$WORK/unreachable.script"
run_driver "$WORK/run7.out" --retries 2 --retry-ms 50 \
    "postgres:host=$WORK/nothing-here port=5432" "$WORK/unreachable.script"
{ expect_line "$WORK/run7.out" '^init OK' &&
    expect_line "$WORK/run7.out" \
        '^process [0-9]+ urn:wh:unreachable:1 RETRY: ' &&
    grep -q 'waiting for the server' "$WORK/run7.out.err"; } ||
    fail "an unreachable server at init was not handled as an outage"

# ---- another table, created on demand
record "urn:wh:other:1" 1 "Other table" >"$WORK/other.script"
run_driver "$WORK/run8.out" -o postgres.table=news_other \
    "postgres:$CONNINFO" "$WORK/other.script"
{ [ "$rc" -eq 0 ] && [ "$("${PSQL[@]}" -c 'SELECT count(*) FROM news_other')" = 1 ]; } ||
    fail "postgres.table=news_other not created or not written"

echo "sink_postgres: OK"
