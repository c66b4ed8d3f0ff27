#!/usr/bin/env bash
# wirehose-sources over the dev broker: add, import, list, remove (the
# compacted topic TOPIC.sources as the fleet's producers read it), and
# the command line's errors (exit 2, one line, nothing written).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-devbroker wirehose-sources
S=$BIN/wirehose-sources

"$S" --version | grep -q '^wirehose-sources ' || fail "--version"
"$S" --help | grep -q 'import FILE' || fail "--help"

# usage errors: exit 2, one line on stderr
expect_usage() {
    local rc=0
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [ "$rc" -eq 2 ] || fail "$* -> exit $rc, want 2"
    [ "$(wc -l <"$WORK/err")" -eq 1 ] || {
        cat "$WORK/err" >&2
        fail "$*: want one line on stderr"
    }
}
expect_usage "$S" -t news list
expect_usage "$S" -b 127.0.0.1:1 list
expect_usage "$S" -b 127.0.0.1:1 -t news frobnicate
expect_usage "$S" -b 127.0.0.1:1 -t news remove
expect_usage "$S" -b 127.0.0.1:1 -t news --bogus list
expect_usage "$S" -b 127.0.0.1:1 -t news add ftp://example.org/feed
expect_usage "$S" -b 127.0.0.1:1 -t news add http://example.org/feed a body=xml

wh_start_broker --topic news.sources --partitions 4
K=("$S" -b "$BROKERS" -t news)

"${K[@]}" add http://127.0.0.1:1/a.xml alpha interval_ms=60000 ||
    fail "add alpha"
"${K[@]}" add http://127.0.0.1:1/b.xml body=feed || fail "add (no name)"

cat >"$WORK/list.txt" <<'LIST'
# the newsroom's feeds
gamma http://127.0.0.1:1/c.xml
delta  http://127.0.0.1:1/d.xml   tls_insecure

epsilon http://127.0.0.1:1/e.xml body=page interval_ms=5m
LIST
"${K[@]}" import "$WORK/list.txt" 2>"$WORK/import.err" || {
    cat "$WORK/import.err" >&2
    fail "import"
}
grep -q '3 sources written' "$WORK/import.err" || fail "import count"

# a bad line: all refused, each bad line named, nothing written
printf 'zeta http://127.0.0.1:1/z.xml\nbad notaurl\neta http://x/ colour=red\n' \
    >"$WORK/bad.txt"
rc=0
"${K[@]}" import "$WORK/bad.txt" 2>"$WORK/bad.err" || rc=$?
[ "$rc" -eq 2 ] || fail "bad import -> exit $rc"
grep -q 'bad.txt:2:' "$WORK/bad.err" || fail "bad line 2 not named"
grep -q 'bad.txt:3:.*colour=red' "$WORK/bad.err" || fail "bad line 3 not named"

"${K[@]}" list >"$WORK/list1" || fail "list"
cat >"$WORK/want1" <<'WANT'
alpha http://127.0.0.1:1/a.xml interval_ms=60000
delta http://127.0.0.1:1/d.xml tls_insecure
epsilon http://127.0.0.1:1/e.xml interval_ms=300000 body=page
gamma http://127.0.0.1:1/c.xml
http://127.0.0.1:1/b.xml http://127.0.0.1:1/b.xml body=feed
WANT
diff -u "$WORK/want1" "$WORK/list1" || fail "list after add/import"

# replace (same id), remove (tombstone), remove of an unknown id
"${K[@]}" add http://127.0.0.1:1/a2.xml alpha || fail "replace alpha"
"${K[@]}" remove gamma || fail "remove gamma"
rc=0
"${K[@]}" remove nosuch 2>"$WORK/rm.err" || rc=$?
[ "$rc" -eq 1 ] || fail "remove nosuch -> exit $rc, want 1"
grep -q 'nosuch: no such source' "$WORK/rm.err" || fail "remove nosuch msg"

"${K[@]}" list >"$WORK/list2" || fail "list 2"
cat >"$WORK/want2" <<'WANT'
alpha http://127.0.0.1:1/a2.xml
delta http://127.0.0.1:1/d.xml tls_insecure
epsilon http://127.0.0.1:1/e.xml interval_ms=300000 body=page
http://127.0.0.1:1/b.xml http://127.0.0.1:1/b.xml body=feed
WANT
diff -u "$WORK/want2" "$WORK/list2" || fail "list after replace/remove"

# the list is itself an import file: round trip into another topic
grep -v '^http' "$WORK/list2" >"$WORK/again.txt"
"$S" -b "$BROKERS" --sources-topic copy.sources import "$WORK/again.txt" \
    2>/dev/null || fail "import the list"
"$S" -b "$BROKERS" --sources-topic copy.sources list >"$WORK/list3" ||
    fail "list copy"
grep -v '^http' "$WORK/want2" | diff -u - "$WORK/list3" || fail "round trip"

echo "ok: sources_cli"
