#!/bin/bash
# 429 with Retry-After in seconds and 503 with Retry-After as an HTTP date
# give a "retry_after" result with the delay; while the pause lasts, other
# requests to that host are answered at once without reaching it.
. "$(dirname "$0")/fetch_common.sh"
start_hostile

drive r429 --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off "$U1/429"
expect r429 '^RESULT url=[^ ]*/429 outcome=retry_after status=429 .*retry_after=7 ' \
    "429"

drive r503 --allow 127.0.0.0/8 --host-delay-ms -1 --robots-off "$U2/503date"
# the date is 9 s ahead when sent: 8 to 10 s after rounding and delays
expect r503 '^RESULT url=[^ ]*/503date outcome=retry_after status=503 .*retry_after=(8|9|10) ' \
    "503 with an HTTP date"

# one fetcher: the 429 pauses the host, the next request does not go out
drive pause --allow 127.0.0.1/32 --host-delay-ms 300 --robots-off \
    --max-per-host 1 "$U1/429" "$U1/ok"
expect pause '^RESULT url=[^ ]*/ok outcome=retry_after status=0 .*retry_after=[67] .*Retry-After' \
    "request held by the host's pause"
expect_eq "/ok requests" "$(stat 's["paths"].get("/ok", 0)')" 0
echo "ok"
