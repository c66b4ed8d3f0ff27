#!/bin/bash
# Redirects: a chain of 3 followed to its end, a loop stopped at the limit,
# a chain longer than the limit refused, none followed when disabled.
. "$(dirname "$0")/fetch_common.sh"
start_hostile

drive chain --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    "$U1/redir/3"
expect chain '^RESULT url=[^ ]*/redir/3 outcome=ok status=200 len=4 redirects=3 .*final=http://127.0.0.1:[0-9]+/redir/0 ' \
    "chain followed"

drive loop --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    --max-redirects 4 "$U1/loop/a"
expect loop '^RESULT url=[^ ]*/loop/a outcome=error status=302 .*redirects=4 .*error=redirect limit \(4\) reached' \
    "loop stopped"
# 1 first request + 4 hops, then no more
got=$(stat 's["paths"].get("/loop/a", 0) + s["paths"].get("/loop/b", 0)')
expect_eq "loop requests" "$got" 5

drive short --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    --max-redirects 2 "$U1/redir/5"
expect short 'outcome=error .*redirects=2 .*redirect limit \(2\)' \
    "chain past the limit"

drive none --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    --max-redirects -1 "$U1/redir/1"
expect none 'outcome=http_error status=302 .*redirects not followed' \
    "redirects off"

# only http(s) targets
drive scheme --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    "$U1/to?file:///etc/passwd"
expect scheme 'outcome=refused .*http and https only' "file:// target"
echo "ok"
