#!/bin/bash
# robots.txt: the group naming our token is used (not "*"), Disallow is
# respected (no request for a disallowed path reaches the server), the
# longest match wins (Allow inside a disallowed directory), Crawl-delay
# spaces the requests; an unreachable robots.txt (5xx) disallows all, a
# missing one (404) allows all.
. "$(dirname "$0")/fetch_common.sh"
cat >"$WORK/robots.txt" <<'ROBOTS'
# comment
User-agent: *
Disallow: /

User-agent: otherbot
User-agent: WireHose
Disallow: /private/
Allow: /private/open
Disallow: /*.pdf$
Crawl-delay: 1
ROBOTS
start_hostile --robots "$WORK/robots.txt"

drive robots --allow 127.0.0.1/32 --host-delay-ms -1 \
    --user-agent "wirehose/0.1.0 (+http://example.invalid/bot)" \
    "$U1/public/a" "$U1/private/x" "$U1/private/open-data" \
    "$U1/doc.pdf" "$U1/doc.pdf?x=1" "$U1/public/b"
expect robots 'url=[^ ]*/private/x outcome=robots .*error=disallowed by http://127.0.0.1:[0-9]+/robots.txt' \
    "Disallow"
expect robots 'url=[^ ]*/doc.pdf outcome=robots ' "Disallow with \$"
expect robots 'url=[^ ]*/doc.pdf\?x=1 outcome=ok ' "\$ anchors the end"
expect robots 'url=[^ ]*/private/open-data outcome=ok ' "longest Allow"
expect robots 'url=[^ ]*/public/a outcome=ok ' "allowed path"
expect_eq "/private/x requests" "$(stat 's["paths"].get("/private/x", 0)')" 0
expect_eq "/robots.txt requests" "$(stat 's["paths"].get("/robots.txt", 0)')" 1

# Crawl-delay 1: the 4 allowed requests (and robots.txt) at least ~1 s
# apart
"$WH_PYTHON" - "$WORK/access.log" <<'PY' || fail "Crawl-delay not honoured"
import sys
times = [float(l.split()[0]) for l in open(sys.argv[1])]
gaps = [b - a for a, b in zip(times, times[1:])]
print("request gaps:", ["%.2f" % g for g in gaps])
sys.exit(len(times) != 5 or min(gaps) < 0.9)
PY

# another token falls back to "*": everything disallowed
drive star --allow 127.0.0.1/32 --host-delay-ms -1 \
    --user-agent "otherwire/1.0" "$U1/public/a"
expect star 'outcome=robots ' "\"*\" group"
echo "ok"
