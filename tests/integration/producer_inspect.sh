#!/bin/bash
# wirehose-producer --inspect URL [--no-pages] on every source kind the
# producer knows, and on the feed edge cases of tests/data/feeds/edge,
# served on loopback (no Kafka: none is started). The output (a header
# line, then one ninjs record per item) must equal the expected files
# after inspect_normalize.py (port, fetchedAt, page tokens masked):
#   tests/data/feeds/inspect/NAME.jsonl           with the pages fetched
#   tests/data/feeds/inspect/NAME.no-pages.jsonl  from the feed alone
#   tests/data/feeds/edge/FILE.inspect.jsonl      edge cases, --no-pages
# WH_UPDATE_EXPECTED=1 rewrites them instead (then review the diff).
# Also: a file:// URL gives the same records; a document that is not a
# feed, a fetch refused by the SSRF guard (no --allow-address) and a
# missing file exit 3 with the reason on stderr; every record validates
# against the ninjs schema with our extension.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-producer
PRODUCER=$BIN/wirehose-producer
FEEDS=$WH_SRCDIR/tests/data/feeds
EXPECT=$FEEDS/inspect
mkdir -p "$WORK/www/edge"
cp "$FEEDS"/edge/*.xml "$FEEDS"/edge/*.rdf "$FEEDS"/edge/*.gz "$WORK/www/edge/"
wh_start_fixture_server "$WORK/www" \
    --header "/edge/served-as-html.xml=Content-Type:text/html; charset=utf-8"
"$WH_PYTHON" "$HERE/producer_site.py" --feeds "$FEEDS" --out "$WORK/www" \
    --base "$HTTP" --manifest "$WORK/manifest.json" ||
    fail "producer_site.py failed"
: >"$WORK/all.jsonl"

# inspect WANT_RC OUT ARGS...: runs --inspect, fails unless it exits WANT_RC.
inspect() {
    local want=$1 out=$2 rc=0
    shift 2
    timeout 120 "$PRODUCER" --allow-address 127.0.0.1/32 -q --inspect "$@" \
        >"$out" 2>"$out.err" || rc=$?
    if [ "$rc" -ne "$want" ]; then
        wh_show "$out.err"
        fail "--inspect $*: exit $rc, expected $want"
    fi
}
# same OUT EXPECTED [--pages]: normalized OUT equals EXPECTED.
same() {
    local out=$1 want=$2
    shift 2
    "$WH_PYTHON" "$HERE/inspect_normalize.py" "$HTTP" "$@" <"$out" \
        >"$out.norm" || fail "cannot normalize $out"
    tail -n +2 "$out" >>"$WORK/all.jsonl"
    if [ "${WH_UPDATE_EXPECTED:-}" = 1 ]; then
        cp "$out.norm" "$want"
    fi
    [ -f "$want" ] || fail "$want missing (WH_UPDATE_EXPECTED=1 creates it)"
    diff -u "$want" "$out.norm" || fail "$(basename "$out"): differs from $want"
}

names=$("$WH_PYTHON" -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1]))["sources"])))' \
    "$WORK/manifest.json")
n=0
for name in $names; do
    url=$("$WH_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sources"][sys.argv[2]])' \
        "$WORK/manifest.json" "$name")
    if [ "$name" = malformed ]; then
        inspect 3 "$WORK/$name.out" "$url"
        grep -q "rss: line " "$WORK/$name.out.err" ||
            { cat "$WORK/$name.out.err"; fail "malformed: no parse error on stderr"; }
        [ ! -s "$WORK/$name.out" ] || fail "malformed: something on stdout"
        continue
    fi
    inspect 0 "$WORK/$name.out" "$url"
    same "$WORK/$name.out" "$EXPECT/$name.jsonl" --pages
    inspect 0 "$WORK/$name.np.out" "$url" --no-pages
    same "$WORK/$name.np.out" "$EXPECT/$name.no-pages.jsonl"
    n=$((n + 1))
done
[ "$n" -ge 15 ] || fail "only $n source kinds inspected"
echo "ok: --inspect and --inspect --no-pages on $n sources"

# --no-pages fetches the source's documents only.
: >"$WORK/http.access"
inspect 0 "$WORK/np.out" "$HTTP/example.com/news/rss2.xml" --no-pages
[ "$(grep -c . "$WORK/http.access")" -le 2 ] ||
    { cat "$WORK/http.access"; fail "--no-pages fetched more than the feed"; }

for f in "$FEEDS"/edge/*.xml "$FEEDS"/edge/*.rdf "$FEEDS"/edge/*.gz; do
    b=$(basename "$f")
    inspect 0 "$WORK/edge-$b.out" "$HTTP/edge/$b" --no-pages
    same "$WORK/edge-$b.out" "$f.inspect.jsonl"
done
grep -q '^GET /edge/served-as-html.xml 200' "$WORK/http.access" ||
    fail "served-as-html.xml not fetched"
echo "ok: feed edge cases (--no-pages) as expected"

# file:// gives the same records as http://
inspect 0 "$WORK/file.out" "file://$WORK/www/edge/rss-titles-dates.xml" --no-pages
"$WH_PYTHON" "$HERE/inspect_normalize.py" "file://$WORK/www/edge" \
    <"$WORK/file.out" | sed 's|http://fixture|http://fixture/edge|g' \
    >"$WORK/file.norm"
diff -u "$FEEDS/edge/rss-titles-dates.xml.inspect.jsonl" "$WORK/file.norm" ||
    fail "file:// differs from http://"
echo "ok: file:// as http://"

# Not parsed, refused, missing: exit 3 and the reason on stderr.
cp "$FEEDS/not-a-feed.html" "$WORK/www/not-a-feed.html"
inspect 3 "$WORK/nf.out" "file://$WORK/www/not-a-feed.html"
grep -q "without feed links" "$WORK/nf.out.err" || { cat "$WORK/nf.out.err"; fail "not a feed: no reason"; }
rc=0
timeout 60 "$PRODUCER" -q --inspect "$HTTP/edge/bom.xml" >"$WORK/ssrf.out" \
    2>"$WORK/ssrf.err" || rc=$?
[ "$rc" -eq 3 ] || fail "SSRF: exit $rc, expected 3"
grep -q "SSRF" "$WORK/ssrf.err" || { cat "$WORK/ssrf.err"; fail "SSRF: no reason"; }
inspect 3 "$WORK/missing.out" "file://$WORK/www/nothing-here.xml"
[ -s "$WORK/missing.out.err" ] || fail "missing file: no reason on stderr"
echo "ok: not a feed, SSRF refusal, missing file: exit 3 with the reason"

rc=0
"$WH_PYTHON" "$HERE/validate_records.py" "$WORK/all.jsonl" || rc=$?
[ "$rc" -eq 77 ] && echo "skipped: schema check (../shared absent)"
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "records do not validate"
echo "producer_inspect: all checks passed"
