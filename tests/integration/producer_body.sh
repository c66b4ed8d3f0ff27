#!/bin/bash
# Full text from the feed (body = auto | page | feed), one
# `wirehose-producer --once` over an RSS feed with content:encoded served
# on loopback:
#  - "down" (body = auto): the item pages answer 403; each record carries
#    the feed's full text as its body, cleaned ("The post ... appeared
#    first on ..." dropped), and fieldSources.body says "feed";
#  - "up" (body = auto): the same items with their pages up; the page's
#    body is used (fieldSources.body "page"), except for the item whose
#    page is a teaser and whose feed content holds clearly more;
#  - "feedonly" (body = feed): no page is fetched at all;
#  - "pageonly" (body = page): pages answering 403 make no record (the
#    items are skipped, reason client_error).
# Every record validates against the ninjs schema with our extension.
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

TOPIC=wirehose.body
wh_start_broker --topic "$TOPIC"
mkdir -p "$WORK/www/down" "$WORK/www/up" "$WORK/www/feedonly" \
    "$WORK/www/pageonly"
wh_start_fixture_server "$WORK/www" --status "/down/1.html=403" \
    --status "/down/2.html=403" --status "/down/3.html=403" \
    --status "/pageonly/1.html=403" --status "/pageonly/2.html=403" \
    --status "/pageonly/3.html=403"

sentence() { # sentence WORD: a sentence of about 25 words marked WORD
    echo "The $1 report says the harbour authority will dredge the eastern" \
        "channel this spring so that larger ships can dock without waiting" \
        "for the tide, officials said."
}
# feed DIR: three items, each with its full text in content:encoded.
feed() {
    local dir=$1 i
    {
        echo '<?xml version="1.0" encoding="UTF-8"?>'
        echo '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        echo "<channel><title>Body $dir</title><link>$HTTP/</link><description>d</description>"
        for i in 1 2 3; do
            echo "<item><title>Story $i</title><link>$HTTP/$dir/$i.html</link>"
            echo "<description>Teaser $i.</description><content:encoded><![CDATA["
            for _ in 1 2 3 4 5 6 7 8 9 10; do
                echo "<p>$(sentence "FEEDTEXT$i")</p>"
            done
            echo "<p>The post <a href=\"$HTTP/$dir/$i.html\">Story $i</a> appeared first on <a href=\"$HTTP/\">Body</a>.</p>"
            echo "]]></content:encoded></item>"
        done
        echo "</channel></rss>"
    } >"$WORK/www/$dir.xml"
}
# page DIR I PARAGRAPHS: the item's page with that many paragraphs.
page() {
    {
        echo "<html><head><title>Story $2</title></head><body><article>"
        echo "<h1>Story $2</h1>"
        for _ in $(seq "$3"); do
            echo "<p>$(sentence "PAGETEXT$2")</p>"
        done
        echo "</article></body></html>"
    } >"$WORK/www/$1/$2.html"
}
for d in down up feedonly pageonly; do
    feed "$d"
    # pages 1 and 2 as long as the feed's text, 3 a teaser of 2 paragraphs
    page "$d" 1 10
    page "$d" 2 10
    page "$d" 3 2
done

cat >"$WORK/producer.conf" <<CONF
brokers = $BROKERS
topic = $TOPIC
fetch.allow_address = 127.0.0.1/32
fetch.host_delay_ms = 0
source = down $HTTP/down.xml
source = up $HTTP/up.xml body=auto
source = feedonly $HTTP/feedonly.xml body=feed
source = pageonly $HTTP/pageonly.xml body=page
CONF
run_producer "$WORK/producer.log" 0 -c "$WORK/producer.conf" --once
read_topic "$WORK/topic.jsonl"

"$WH_PYTHON" - "$WORK/topic.jsonl" <<'PY' || fail "records (above)"
import json, sys

recs = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)
    h = m.get("headers") or []
    src = dict(zip(h[0::2], h[1::2])).get("wh-source")
    r = json.loads(m["payload"])
    recs.setdefault(src, []).append(r)

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def body(r):
    return next((b["value"] for b in r.get("bodies", [])
                 if b.get("contentType") == "text/plain"), "")

def check(src, want):
    got = sorted(recs.get(src, []), key=lambda r: r["headlines"][0]["value"])
    if len(got) != len(want):
        fail("%s: %d records, expected %d" % (src, len(got), len(want)))
    for r, (marker, origin) in zip(got, want):
        b = body(r)
        fs = r["wirehose"].get("fieldSources", {})
        if marker not in b:
            fail("%s: %s: body lacks %s: %r" % (src, r["uri"], marker, b[:120]))
        if "appeared first" in b or "The post" in b:
            fail("%s: %s: the feed footer is in the body" % (src, r["uri"]))
        if fs.get("body") != origin:
            fail("%s: %s: fieldSources.body is %r, expected %r"
                 % (src, r["uri"], fs.get("body"), origin))
        if b.count(marker) < 10:
            fail("%s: %s: body holds %d of the 10 paragraphs"
                 % (src, r["uri"], b.count(marker)))
    print("ok: %s: %s" % (src, ", ".join(o for _, o in want)))

check("down", [("FEEDTEXT1", "feed"), ("FEEDTEXT2", "feed"),
               ("FEEDTEXT3", "feed")])
check("up", [("PAGETEXT1", "page"), ("PAGETEXT2", "page"),
             ("FEEDTEXT3", "feed")])
check("feedonly", [("FEEDTEXT1", "feed"), ("FEEDTEXT2", "feed"),
                   ("FEEDTEXT3", "feed")])
if recs.get("pageonly"):
    fail("pageonly: %d records, expected none" % len(recs["pageonly"]))
print("ok: pageonly: no record")
PY
[ "$(grep -c "^GET /feedonly/" "$WORK/http.access")" -eq 0 ] ||
    fail "body = feed fetched a page"
grep -q "summary: .*items 12 new, 3 skipped" "$WORK/producer.log" ||
    { wh_show "$WORK/producer.log"; fail "summary: expected 12 new items, 3 skipped"; }
"$WH_PYTHON" - "$WORK/topic.jsonl" >"$WORK/records.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(line)["payload"])
PY
rc=0
"$WH_PYTHON" "$HERE/validate_records.py" "$WORK/records.jsonl" || rc=$?
[ "$rc" -eq 77 ] && echo "skipped: schema check (../shared absent)"
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "records do not validate"
echo "producer_body: all checks passed"
