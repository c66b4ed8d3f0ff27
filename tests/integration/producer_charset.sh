#!/bin/bash
# Charset variants end to end: a windows-1252 page and a Shift_JIS page,
# each served once with a charset in the Content-Type header (and no
# <meta> in the page) and once without one (text/html only: the
# windows-1252 page carries no hint at all, the Shift_JIS page a <meta
# charset>). Every record's body must hold the text as proper UTF-8.
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

# shellcheck disable=SC2034 # read by producer_common.sh
TOPIC=wirehose.charset
D=/cs
start_site --header "$D/cp1252-header.shtml=Content-Type:text/html; charset=windows-1252" \
    --header "$D/sjis-header.shtml=Content-Type:text/html; charset=Shift_JIS"
"$WH_PYTHON" - "$WORK/www$D" "$HTTP$D" <<'PY'
import os, sys
out, base = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
LATIN = ("Caf\u00e9 cr\u00e8me: \u201cquoted\u201d words \u2014 and "
         "\u20ac5 na\u00efve pr\u00eat-\u00e0-porter. ")
JA = "\u6771\u4eac\u3067\u65b0\u3057\u3044\u8a18\u4e8b\u304c\u516c\u958b\u3055\u308c\u307e\u3057\u305f\u3002"

def page(title, text, meta):
    paras = "".join("<p>%s %s</p>" % (text * 4, i) for i in range(4))
    return ("<!DOCTYPE html><html><head>%s<title>%s</title></head><body>"
            "<article><h1>%s</h1>%s</article></body></html>\n"
            % (meta, title, title, paras))

pages = {
    "cp1252-header.shtml": page("Latin one", LATIN, "").encode("cp1252"),
    "cp1252-none.shtml": page("Latin two", LATIN, "").encode("cp1252"),
    "sjis-header.shtml": page("Japanese one", JA, "").encode("shift_jis"),
    "sjis-none.shtml": page("Japanese two", JA,
                            '<meta charset="Shift_JIS">').encode("shift_jis"),
}
items = ""
for name, data in pages.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    items += ("<item><title>%s</title><link>%s/%s</link></item>\n"
              % (name, base, name))
with open(os.path.join(out, "feed.rss"), "w") as f:
    f.write('<?xml version="1.0"?><rss version="2.0"><channel><title>cs'
            '</title>%s</channel></rss>\n' % items)
PY
run_producer "$WORK/producer.log" 0 -c "$WORK/base.conf" --once \
    --source "charset $HTTP$D/feed.rss"
read_topic "$WORK/topic.jsonl"
"$WH_PYTHON" - "$WORK/topic.jsonl" <<'PY' || fail "charset checks (above)"
import json, sys
LATIN = "Caf\u00e9 cr\u00e8me: \u201cquoted\u201d words \u2014 and \u20ac5 na\u00efve"
JA = "\u6771\u4eac\u3067\u65b0\u3057\u3044\u8a18\u4e8b"
want = {"cp1252-header": LATIN, "cp1252-none": LATIN,
        "sjis-header": JA, "sjis-none": JA}
got = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)
    rec = json.loads(m["payload"])
    body = " ".join(b.get("value", "") for b in rec.get("bodies", []))
    got[m["key"].rsplit("/", 1)[1].split(".")[0]] = body
bad = 0
for name, text in want.items():
    body = got.get(name)
    if body is None:
        print("FAIL: no record for %s (records: %s)" % (name, sorted(got)))
        bad = 1
    elif text not in body:
        print("FAIL: %s: body lacks %r: %r" % (name, text, body[:120]))
        bad = 1
    else:
        print("ok: %s decoded" % name)
sys.exit(bad)
PY
echo "producer_charset: all checks passed"
