#!/bin/bash
# Item pages are fetched concurrently, within the caps: a feed of 12 items
# whose pages each take 400 ms (hostile_server.py /slow) is done in well
# under the 4.8 s a one-by-one fetch would take, with at most
# poll.max_per_source (3) page fetches at once, and more than one.
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

# shellcheck disable=SC2034 # read by producer_common.sh
TOPIC=wirehose.concurrency
start_site
wh_spawn "$WORK/hostile.log" "$WH_PYTHON" "$HERE/hostile_server.py" \
    --port-file "$WORK/hostile.port" --log "$WORK/hostile.access"
wh_wait_file "$WORK/hostile.port" "$WH_LAST_PID" 20 ||
    { wh_show "$WORK/hostile.log"; fail "hostile_server.py did not start"; }
H=http://127.0.0.1:$(tr -d '[:space:]' <"$WORK/hostile.port")
{
    echo '<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>'
    for i in $(seq 12); do
        echo "<item><title>Slow $i</title><link>$H/slow?$i</link></item>"
    done
    echo '</channel></rss>'
} >"$WORK/www/slow.rss"
{
    grep -v "^fetch.max_per_host" "$WORK/base.conf"
    echo "poll.max_per_source = 3"
    echo "fetch.max_per_host = 8"
} >"$WORK/p.conf"
start=$(date +%s.%N)
run_producer "$WORK/producer.log" 0 -c "$WORK/p.conf" --once \
    --source "slow $HTTP/slow.rss"
secs=$("$WH_PYTHON" -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" \
    "$start" "$(date +%s.%N)")
max=$("$WH_PYTHON" - "$H/stats" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
print(s["max_concurrent_all"])
PY
)
echo "12 slow pages in $secs s, at most $max at once"
if [ "$max" -lt 2 ] || [ "$max" -gt 3 ]; then
    fail "at most $max page fetches at once, want 2..3 (poll.max_per_source)"
fi
"$WH_PYTHON" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 4.0 else 1)" \
    "$secs" || fail "took $secs s: pages not fetched concurrently"
check --count slow=12
echo "producer_concurrency: all checks passed"
