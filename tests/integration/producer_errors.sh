#!/bin/bash
# Bad sources fail alone: a malformed feed, a 404, a source on a loopback
# address outside the allow-list, a redirect to such an address and a
# redirect to file:// each give one clear error naming the source, while
# the good source beside them is published in full; `--once` then exits 3
# (some sources failed). The SSRF guard refuses before any request reaches
# 127.0.0.2 (hostile_server.py counts requests per address).
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

# shellcheck disable=SC2034 # read by producer_common.sh
TOPIC=wirehose.errors
start_site
wh_spawn "$WORK/hostile.log" "$WH_PYTHON" "$HERE/hostile_server.py" \
    --port-file "$WORK/hostile.port" --log "$WORK/hostile.access" \
    --bind 127.0.0.1 --bind 127.0.0.2
wh_wait_file "$WORK/hostile.port" "$WH_LAST_PID" 20 ||
    { wh_show "$WORK/hostile.log"; fail "hostile_server.py did not start"; }
HP=$(tr -d '[:space:]' <"$WORK/hostile.port")
H1=http://127.0.0.1:$HP
H2=http://127.0.0.2:$HP

run_producer "$WORK/producer.log" 3 -c "$WORK/base.conf" --once \
    --source "good $(source_url rss2)" \
    --source "malformed $(source_url malformed)" \
    --source "missing $HTTP/example.com/news/no-such-feed.xml" \
    --source "ssrf-direct $H2/feed.xml" \
    --source "ssrf-redirect $H1/to?$H2/feed.xml" \
    --source "to-file $H1/to?file:///etc/passwd"
log=$WORK/producer.log
# expect_err NAME ERE: an error line of source NAME matches ERE.
expect_err() {
    grep -E "^<3>\[source:$1\] .*$2" "$log" >/dev/null ||
        { wh_show "$log"; fail "no error line for source $1 matching /$2/"; }
    echo "ok: $1: $(grep -E "^<3>\[source:$1\]" "$log" | head -n 1)"
}
expect_err malformed "malformed\.xml: .*(rss|XML|xml|line)"
expect_err missing "HTTP 404"
expect_err ssrf-direct "127\.0\.0\.2.*SSRF|SSRF.*127\.0\.0\.2"
expect_err ssrf-redirect "127\.0\.0\.2.*SSRF|SSRF.*127\.0\.0\.2"
expect_err to-file "redirect|file"
grep -q "summary: sources 1 ok, 5 failed" "$log" ||
    { wh_show "$log"; fail "expected 1 source ok and 5 failed"; }
grep -q "5 of 6 sources failed" "$log" || fail "no final error line"
n2=$("$WH_PYTHON" - "$H1/stats" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
print(s["requests"].get("127.0.0.2", 0))
PY
)
[ "$n2" -eq 0 ] || fail "$n2 request(s) reached 127.0.0.2 despite the guard"
echo "ok: no request reached 127.0.0.2"
check --count good=2 --total 2
echo "producer_errors: all checks passed"
