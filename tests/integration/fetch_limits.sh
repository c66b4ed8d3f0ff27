#!/bin/bash
# Hostile bodies: a slow drip cut by the low-speed limit, a 100 MB body cut
# at max_bytes (streamed: the server never sends it all), with and without
# Content-Length, and a gzip bomb cut at the decompressed limit with its
# own message.
. "$(dirname "$0")/fetch_common.sh"
start_hostile

drive limits --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    --max-per-host 4 --max-bytes 1048576 --max-decoded 4194304 \
    --low-speed-limit 100 --low-speed-time 2 --timeout-ms 30000 \
    "$U1/drip" "$U1/big" "$U1/big-cl" "$U1/bomb"
expect limits '^RESULT url=[^ ]*/drip outcome=timeout .*error=Operation too slow' \
    "slow drip"
secs=$(sed -n 's/^RESULT url=[^ ]*\/drip .*seconds=\([0-9.]*\) .*/\1/p' \
    "$WORK/limits.out")
"$WH_PYTHON" -c "import sys; sys.exit(not 1.5 <= float('$secs') <= 6)" ||
    fail "drip cut after $secs s, want about 2 s"
expect limits '^RESULT url=[^ ]*/big outcome=too_big .*len=0 .*error=body larger than 1048576 bytes$' \
    "100 MB chunked body"
expect limits '^RESULT url=[^ ]*/big-cl outcome=too_big .*error=body larger than 1048576 bytes$' \
    "100 MB with Content-Length"
expect limits '^RESULT url=[^ ]*/bomb outcome=too_big .*error=decompressed body larger than 4194304 bytes: decompression bomb refused' \
    "gzip bomb"
sent=$(stat 's["sent"].get("/big", 0)')
[ "$sent" -lt $((32 * 1024 * 1024)) ] ||
    fail "server wrote $sent bytes of /big: the transfer was not cut"
sent=$(stat 's["sent"].get("/bomb", 0)')
[ "$sent" -lt $((1024 * 1024)) ] ||
    fail "server wrote $sent bytes of /bomb: the transfer was not cut"

# the total timeout
drive total --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    --timeout-ms 1500 "$U1/drip"
expect total 'outcome=timeout .*error=Operation timed out after 1[0-9]{3} milliseconds' \
    "total timeout"

# a decoded limit below the wire limit, plain body: the ordinary message
drive dec --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    --max-bytes 8388608 --max-decoded 1048576 "$U1/big"
expect dec 'outcome=too_big .*error=body larger than 1048576 bytes$' \
    "decoded limit on a plain body"
echo "ok"
