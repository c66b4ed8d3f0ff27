#!/bin/bash
# wirehose-extract with an http:// input: fetched (libcurl loaded on
# demand), extracted like a saved file, redirects followed, errors clear.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-extract
page=site/2014/12/22/obama-china-nork-hack.html
wh_start_fixture_server "$WH_SRCDIR/examples" \
    --redirect /moved.html=/$page \
    --header /$page=Content-Type:"text/html; charset=utf-8"

# the same text as from the saved file
"$BIN/wirehose-extract" --text "$WH_SRCDIR/examples/$page" >"$WORK/file.txt"
"$BIN/wirehose-extract" --text "$HTTP/moved.html" >"$WORK/url.txt" ||
    fail "extracting $HTTP/moved.html failed"
cmp -s "$WORK/file.txt" "$WORK/url.txt" ||
    fail "the page's text differs when fetched over HTTP"
grep -q "Sony Pictures" "$WORK/url.txt" || fail "no body text"

# the record names where the page really came from
"$BIN/wirehose-extract" "$HTTP/moved.html" >"$WORK/rec.json"
"$WH_PYTHON" - "$WORK/rec.json" "$HTTP/$page" <<'PY' || fail "record check"
import json, sys
rec = json.load(open(sys.argv[1]))
assert rec["wirehose"]["finalUrl"] == sys.argv[2], rec["wirehose"]
assert rec["headlines"][0]["value"].startswith("Now Obama seeks")
PY

# a 404 and a refused connection: exit 1 with one line naming the URL
if "$BIN/wirehose-extract" "$HTTP/nope.html" 2>"$WORK/err"; then
    fail "a 404 page did not fail"
fi
grep -q "nope.html: HTTP status 404" "$WORK/err" || fail "$(cat "$WORK/err")"
if "$BIN/wirehose-extract" http://127.0.0.1:1/x.html 2>"$WORK/err"; then
    fail "a refused connection did not fail"
fi
grep -q "127.0.0.1:1/x.html: " "$WORK/err" || fail "$(cat "$WORK/err")"
echo "ok: wirehose-extract fetches http inputs"
