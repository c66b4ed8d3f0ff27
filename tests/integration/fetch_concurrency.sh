#!/bin/bash
# Politeness: at most max_per_host requests at once to one host and at
# most max_total in all, as seen by the server; host_delay_ms between
# request starts.
. "$(dirname "$0")/fetch_common.sh"
start_hostile

urls=()
for i in $(seq 8); do
    urls+=("$U1/slow?$i" "$U2/slow?$i")
done
drive conc --allow 127.0.0.0/8 --robots-off --host-delay-ms -1 \
    --max-per-host 2 --max-total 16 "${urls[@]}"
[ "$(grep -c 'outcome=ok' "$WORK/conc.out")" -eq 16 ] ||
    fail "want 16 ok results"
expect_eq "max concurrent on 127.0.0.1" \
    "$(stat 's["max_concurrent"]["127.0.0.1"]')" 2
expect_eq "max concurrent on 127.0.0.2" \
    "$(stat 's["max_concurrent"]["127.0.0.2"]')" 2

# a global cap below the sum of the per-host limits
"$WH_PYTHON" -c "import urllib.request; urllib.request.urlopen('$U1/stats/reset')"
drive cap --allow 127.0.0.0/8 --robots-off --host-delay-ms -1 \
    --max-per-host 4 --max-total 3 "${urls[@]}"
got=$(stat 's["max_concurrent_all"]')
[ "$got" -le 3 ] || fail "max concurrent overall $got, want <= 3"

# host delay: 3 requests 500 ms apart at least
: >"$WORK/access.log"
drive delay --allow 127.0.0.1/32 --robots-off --host-delay-ms 500 \
    "$U1/a" "$U1/b" "$U1/c"
"$WH_PYTHON" - "$WORK/access.log" <<'PY' || fail "host delay not honoured"
import sys
times = [float(l.split()[0]) for l in open(sys.argv[1])]
gaps = [b - a for a, b in zip(times, times[1:])]
print("request gaps:", ["%.2f" % g for g in gaps])
sys.exit(len(times) != 3 or min(gaps) < 0.45)
PY
echo "ok"
