#!/bin/bash
# Incremental state across restarts (--state-dir): a second run publishes
# nothing (the topic's message count is unchanged, read with kcat), gets
# 304 for every unchanged feed (conditional GET with the stored ETag) and
# downloads no page again; once a feed gains an item, a third run
# publishes that item only. A run with another state directory (another
# producer) is not affected by the first one's state.
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

# shellcheck disable=SC2034 # read by producer_common.sh
TOPIC=wirehose.restart
start_site --etag
STATE=$WORK/state
srcs=(--source "rss2 $(source_url rss2)" --source "atom $(source_url atom)"
    --source "ninjs3 $(source_url ninjs3)")
feed_rss=/example.com/news/rss2.xml

run_producer "$WORK/run1.log" 0 -c "$WORK/base.conf" --once \
    --state-dir "$STATE" "${srcs[@]}"
check --count rss2=2 --count atom=3 --count ninjs3=1 --total 6
# pages: what is neither a feed (under /example.com/news/) nor robots.txt
pages() {
    grep "^GET /" "$WORK/http.access" | grep -v -e "^GET /robots.txt " \
        -e "^GET /example.com/news/" | grep -c "$1" || true
}
pages1=$(pages " 200 ")
[ "$pages1" -eq 5 ] || { cat "$WORK/http.access"; fail "run 1: $pages1 page fetches, expected 5"; }
ls "$STATE"/*.ids >/dev/null 2>&1 || fail "no .ids file in $STATE"
# --check-config -v names each source's state files, and they exist.
"$PRODUCER" -c "$WORK/base.conf" --state-dir "$STATE" "${srcs[@]}" \
    --check-config -v >"$WORK/check.out" 2>&1 || fail "--check-config -v failed"
for f in $(sed -n 's/.*, state \(.*\)\.{ids,val,skip}$/\1.ids/p' "$WORK/check.out"); do
    [ -s "$f" ] || { cat "$WORK/check.out"; fail "state file $f not found"; }
done
[ "$(grep -c ', state ' "$WORK/check.out")" -eq 3 ] ||
    { cat "$WORK/check.out"; fail "--check-config -v: 3 sources expected"; }

: >"$WORK/http.access"
run_producer "$WORK/run2.log" 0 -c "$WORK/base.conf" --once \
    --state-dir "$STATE" "${srcs[@]}"
check --total 6
for f in rss2.xml atom.xml ninjs3.json; do
    grep -q "^GET /example.com/news/$f 304 " "$WORK/http.access" ||
        { cat "$WORK/http.access"; fail "run 2: $f was not answered 304"; }
done
pages2=$(pages .)
[ "$pages2" -eq 0 ] || { cat "$WORK/http.access"; fail "run 2: $pages2 page(s) fetched again"; }
grep -q "unchanged (304)" "$WORK/run2.log" || fail "run 2: no 304 in the log"
echo "ok: run 2: every feed 304, no page fetched, nothing published"
# Unchanged sources poll less often, and remember it: 1.5 x 300000 ms.
n=$(cat "$STATE"/*.val | grep -c "^@interval	450000	" || true)
[ "$n" -eq 3 ] || { cat "$STATE"/*.val; fail "adaptive interval not stored for the 3 sources"; }
echo "ok: the grown interval of each unchanged source is in the state"

# The feed gains an item: fetched in full (200), one new record.
"$WH_PYTHON" - "$WORK/www$feed_rss" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
item = ("<item><title>Late story</title><link>../2014/12/23/late.html</link>"
        "<guid>urn:example:late</guid></item>\n")
s = s.replace("</channel>", item + "</channel>", 1)
open(p, "w", encoding="utf-8").write(s)
PY
mkdir -p "$WORK/www/example.com/2014/12/23"
sed 's/first paragraph/first late paragraph/' \
    "$WORK/www/example.com/2014/12/21/first-story.html" \
    >"$WORK/www/example.com/2014/12/23/late.html"
: >"$WORK/http.access"
run_producer "$WORK/run3.log" 0 -c "$WORK/base.conf" --once \
    --state-dir "$STATE" "${srcs[@]}"
grep -q "^GET $feed_rss 200 " "$WORK/http.access" ||
    { cat "$WORK/http.access"; fail "run 3: changed feed not fetched in full"; }
check --count rss2=3 --total 7
grep -q "rss, 4 items, 1 new" "$WORK/run3.log" ||
    { wh_show "$WORK/run3.log"; fail "run 3: expected '4 items, 1 new'"; }

# Another producer (its own state directory) publishes everything.
run_producer "$WORK/run4.log" 0 -c "$WORK/base.conf" --once \
    --state-dir "$WORK/state2" --source "rss2 $(source_url rss2)"
check --total 10
echo "producer_restart: all checks passed"
