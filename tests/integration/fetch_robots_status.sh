#!/bin/bash
# robots.txt answering 503 is "unreachable": nothing is fetched from the
# host and the result says when robots.txt will be tried again. (A 404
# robots.txt allowing everything is the path of every other fetch_*.sh
# test that leaves robots.txt on.)
. "$(dirname "$0")/fetch_common.sh"
start_hostile --robots-status 503
drive r503 --allow 127.0.0.1/32 --host-delay-ms -1 "$U1/public/a"
expect r503 'outcome=robots .*retry_after=(299|300) .*robots.txt unreachable: HTTP 503' \
    "robots.txt 503"
expect_eq "/public/a requests" "$(stat 's["paths"].get("/public/a", 0)')" 0

echo "ok"
