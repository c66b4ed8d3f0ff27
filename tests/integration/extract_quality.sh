#!/bin/bash
# Extraction quality an operator can watch (docs/extraction.md):
#  - a producer daemon over a loopback site publishes, per source,
#    wirehose_extraction_share{source,field}, _body_words_median and
#    _window_pages on /metrics;
#  - when the site's pages lose their article markup (a new template that
#    renders the story with JavaScript), that source's body share and
#    median words drop and its low-confidence share rises, while another
#    source on the old template keeps its figures;
#  - every record wirehose-extract writes carries wirehose.extraction,
#    and the extension schema checks it (an out-of-range confidence or an
#    unknown reason fails validation).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-devbroker wirehose-producer wirehose-extract
TOPIC=wirehose.quality
wh_start_broker --topic "$TOPIC"
WWW=$WORK/www
mkdir -p "$WWW/a" "$WWW/b"
wh_start_fixture_server "$WWW"

# page SITE N TEMPLATE: writes $WWW/SITE/N.html; TEMPLATE "story" is a
# plain news page, "shell" the same story behind a script-rendered app.
page() {
    "$WH_PYTHON" - "$WWW/$1/$2.html" "$1" "$2" "$3" <<'PY'
import json, sys
path, site, n, tpl = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
paras = [
    "The harbour board met on Tuesday evening to decide the future of the "
    "old ferry pier, which has been closed to the public since a storm "
    "damaged its timbers two winters ago.",
    "Engineers told the board that the pier could be repaired for about "
    "half the cost of a new one, but that the work would take two summers "
    "and the pier would stay closed while it went on.",
    "Several fishermen who use the pier for landing their catch asked the "
    "board to keep one berth open during the repairs, and the board agreed "
    "to look at how that could be done safely.",
    "A final decision is expected at the next meeting in the spring, after "
    "the board has heard from the town council and from the county's "
    "heritage officer, who wants the old ironwork kept.",
]
title = "Ferry pier decision, part %d (%s)" % (n, site)
menu = "".join('<li><a href="/%s/section%d.html">Section %d</a></li>'
               % (site, k, k) for k in range(12))
if tpl == "story":
    body = ("<article><h1>%s</h1><p class=\"byline\">By Ann Example</p>"
            "<time datetime=\"2026-03-0%dT09:00:00Z\">March %d, 2026</time>"
            "%s</article>" % (title, n % 9 + 1, n % 9 + 1,
                              "".join("<p>%s</p>" % p for p in paras)))
else:
    state = json.dumps({"title": title, "body": paras})
    body = ("<div id=\"app\"><p>Loading %s</p></div>"
            "<script>window.__STATE__ = %s;</script>" % (title, state))
open(path, "w").write(
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title>"
    "</head><body><nav><ul>%s</ul></nav>%s<footer><ul>%s</ul></footer>"
    "</body></html>" % (title, menu, body, menu))
PY
}

# feed SITE N...: $WWW/SITE/feed.xml listing pages N...
feed() {
    local site=$1 n
    shift
    {
        echo '<?xml version="1.0"?><rss version="2.0"><channel>'
        echo "<title>$site</title><link>$HTTP/$site/</link>"
        echo "<description>test</description>"
        for n in "$@"; do
            echo "<item><title>Item $n</title>"
            echo "<link>$HTTP/$site/$n.html</link><guid>$site-$n</guid></item>"
        done
        echo '</channel></rss>'
    } >"$WWW/$site/feed.xml.tmp"
    mv "$WWW/$site/feed.xml.tmp" "$WWW/$site/feed.xml"
}

for n in 1 2 3 4; do
    page a "$n" story
    page b "$n" story
done
feed a 1 2 3 4
feed b 1 2 3 4

CONF=$WORK/producer.conf
cat >"$CONF" <<CONF
brokers = $BROKERS
topic = $TOPIC
fetch.allow_address = 127.0.0.1/32
fetch.host_delay_ms = 0
flush.timeout_ms = 20000
poll.interval_ms = 300
poll.max_interval_ms = 600
poll.jitter_pct = 0
source = siteA $HTTP/a/feed.xml
source = siteB $HTTP/b/feed.xml
CONF
LOG=$WORK/producer.log
STATE_DIRECTORY=$WORK/state wh_spawn "$LOG" "$BIN/wirehose-producer" \
    -c "$CONF" --metrics 127.0.0.1:0
PID=$WH_LAST_PID

port=
for _ in $(seq 100); do
    port=$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' "$LOG" |
        head -n 1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { wh_show "$LOG"; fail "no metrics port in the log"; }
M=http://127.0.0.1:$port/metrics

# metric NAME LABELS: the value of one series ("" when absent).
metric() {
    curl -fsS "$M" 2>/dev/null | awk -v want="$1{$2}" '$1 == want { print $2 }'
}
# wait_pages SOURCE N: until the source's window holds N pages.
wait_pages() {
    for _ in $(seq 300); do
        [ "$(metric wirehose_extraction_window_pages "source=\"$1\"")" = "$2" ] &&
            return 0
        kill -0 "$PID" 2>/dev/null || { wh_show "$LOG"; fail "producer died"; }
        sleep 0.1
    done
    curl -fsS "$M" | grep extraction >&2 || true
    wh_show "$LOG"
    fail "$1: the window never held $2 pages"
}
share() {
    metric wirehose_extraction_share "source=\"$1\",field=\"$2\""
}
median() {
    metric wirehose_extraction_body_words_median "source=\"$1\""
}

wait_pages siteA 4
wait_pages siteB 4
for f in headline date byline body; do
    [ "$(share siteA "$f")" = 1 ] || fail "siteA: share of $f $(share siteA "$f"), want 1"
done
[ "$(share siteA low_confidence)" = 0 ] ||
    fail "siteA: low-confidence share $(share siteA low_confidence), want 0"
words_before=$(median siteA)
[ "${words_before%.*}" -ge 100 ] || fail "siteA: median body words $words_before"
echo "ok: siteA on its usual template: every share 1, none low, median $words_before words"

# siteA changes its template: four new stories, rendered by script.
for n in 5 6 7 8; do
    page a "$n" shell
done
feed a 5 6 7 8
wait_pages siteA 8
[ "$(share siteA body)" = 0.5 ] || fail "siteA: body share $(share siteA body), want 0.5"
[ "$(share siteA low_confidence)" = 0.5 ] ||
    fail "siteA: low-confidence share $(share siteA low_confidence), want 0.5"
words_after=$(median siteA)
awk -v a="$words_after" -v b="$words_before" 'BEGIN { exit !(a < b) }' ||
    fail "siteA: median words did not drop ($words_before -> $words_after)"
if [ "$(share siteB body)" != 1 ] || [ "$(share siteB low_confidence)" != 0 ]; then
    fail "siteB moved although its pages did not change"
fi
echo "ok: siteA's new template: body share 1 -> 0.5, low confidence 0 -> 0.5, median $words_before -> $words_after words; siteB unchanged"

# The records of wirehose-extract carry wirehose.extraction; the schema
# checks it.
cat >"$WORK/teaser.html" <<'HTML'
<html><body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<div>The harbour board met on Tuesday to decide on the old pier.</div>
</body></html>
HTML
for f in "$WWW/a/1.html" "$WORK/teaser.html"; do
    "$BIN/wirehose-extract" "$f" || fail "wirehose-extract $f failed"
done >"$WORK/recs.jsonl"
"$WH_PYTHON" - "$WORK/recs.jsonl" <<'PY' || fail "extraction member check"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
good, shell = (r["wirehose"]["extraction"] for r in recs)
assert good["confidence"] >= 0.5 and "reasons" not in good, good
assert shell["confidence"] < 0.5 and "short-body" in shell["reasons"], shell
PY
rc=0
"$WH_PYTHON" "$HERE/validate_records.py" "$WORK/recs.jsonl" \
    >"$WORK/validate.log" 2>&1 || rc=$?
[ "$rc" -eq 77 ] && skip "$(cat "$WORK/validate.log")"
[ "$rc" -eq 0 ] || { cat "$WORK/validate.log"; fail "records do not validate"; }
sed -e 's/"confidence":[0-9.]*/"confidence":1.5/' "$WORK/recs.jsonl" >"$WORK/bad1.jsonl"
sed -e 's/"short-body"/"too-short"/' "$WORK/recs.jsonl" >"$WORK/bad2.jsonl"
for bad in bad1 bad2; do
    if "$WH_PYTHON" "$HERE/validate_records.py" "$WORK/$bad.jsonl" \
        >"$WORK/$bad.log" 2>&1; then
        fail "$bad: a wrong wirehose.extraction passed the schema"
    fi
    grep -q "/wirehose/extraction/" "$WORK/$bad.log" ||
        { cat "$WORK/$bad.log"; fail "$bad: not failed for wirehose.extraction"; }
done
echo "ok: wirehose.extraction is in the records and checked by the schema"
