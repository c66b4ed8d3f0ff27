#!/bin/bash
# Conditional GET: the first fetch returns ETag and Last-Modified, the
# second sends them back and gets 304 -> "unchanged" with no body. Also
# the blocking drop-in wh_fetch() on the same server.
. "$(dirname "$0")/fetch_common.sh"
start_hostile

drive cond --allow 127.0.0.1/32 --host-delay-ms -1 --again "$U1/etag"
expect cond '^RESULT url=[^ ]*/etag outcome=ok status=200 len=7 .*etag="v1" lastmod=set' \
    "first fetch"
expect cond '^RESULT url=[^ ]*/etag outcome=unchanged status=304 len=0 ' \
    "conditional refetch"
[ "$(grep -c '^RESULT' "$WORK/cond.out")" -eq 2 ] || fail "want 2 results"
expect_eq "/etag requests" "$(stat 's["paths"].get("/etag", 0)')" 2

# validators given up front: If-Modified-Since alone also gives 304
drive ims --allow 127.0.0.1/32 --host-delay-ms -1 \
    --last-modified "Wed, 21 Oct 2015 07:28:00 GMT" "$U1/etag"
expect ims 'outcome=unchanged status=304' "If-Modified-Since"

# the blocking call
drive sync --allow 127.0.0.1/32 --host-delay-ms -1 --sync "$U1/etag" \
    "$U1/nothing-here/x"
expect sync '^SYNC url=[^ ]*/etag rc=0 status=200 len=7' "wh_fetch 200"
expect sync '^SYNC url=[^ ]*/x rc=0 status=200' "wh_fetch other path"
echo "ok"
