#!/bin/bash
# The SSRF guard: with 127.0.0.1/32 allowed, a redirect to 127.0.0.2 is
# refused on the address connected to, before any request reaches
# 127.0.0.2 (robots.txt included); without an allow-list loopback itself is
# refused; a bad CIDR is a clear error.
. "$(dirname "$0")/fetch_common.sh"
start_hostile

drive redir --allow 127.0.0.1/32 --host-delay-ms -1 \
    "$U1/to?$U2/secret" "$U2/direct"
expect redir '^RESULT url=[^ ]*/to\?[^ ]* outcome=refused .*redirects=1 .*error=address 127.0.0.2 refused by the SSRF guard' \
    "redirect to 127.0.0.2"
expect redir '^RESULT url=http://127.0.0.2:[0-9]+/direct outcome=refused .*error=address 127.0.0.2 refused by the SSRF guard' \
    "direct 127.0.0.2"
expect_eq "requests on 127.0.0.2" \
    "$(stat 's["requests"].get("127.0.0.2", 0)')" 0
# the redirect itself did come from 127.0.0.1
expect_eq "/to requests" "$(stat 's["paths"].get("/to", 0)')" 1

# same with robots.txt off: the page fetch itself is refused
drive redir2 --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    "$U1/to?$U2/secret"
expect redir2 'outcome=refused .*error=address 127.0.0.2 refused by the SSRF guard' \
    "redirect to 127.0.0.2, robots off"
expect_eq "requests on 127.0.0.2" \
    "$(stat 's["requests"].get("127.0.0.2", 0)')" 0

# a name is judged on the address it resolves to: localhost gives ::1
# (refused, not allowed) and 127.0.0.1 (allowed, and the server's)
drive name --allow 127.0.0.1/32 --host-delay-ms -1 --robots-off \
    "http://localhost:$PORT/ok"
expect name 'url=http://localhost:[0-9]+/ok outcome=ok ' "localhost"

# no allow-list: loopback refused
before=$(stat 's["requests"].get("127.0.0.1", 0)')
drive deny --host-delay-ms -1 "$U1/ok" "http://[::1]:$PORT/ok" \
    "http://[::ffff:127.0.0.1]:$PORT/ok"
expect deny 'url=http://127.0.0.1:[0-9]+/ok outcome=refused .*address 127.0.0.1 refused' \
    "loopback without allow-list"
expect deny 'url=http://\[::1\]:[0-9]+/ok outcome=refused .*address ::1 refused' \
    "::1"
expect deny 'url=http://\[::ffff:127.0.0.1\]:[0-9]+/ok outcome=refused ' \
    "IPv4-mapped loopback"
expect_eq "requests on 127.0.0.1 without allow-list" \
    "$(stat 's["requests"].get("127.0.0.1", 0)')" "$before"

# bad CIDR
rc=0
"$DRIVER" --allow 127.0.0.1/33 "$U1/ok" >"$WORK/cidr.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "bad CIDR: exit $rc, want 2"
grep -q "bad CIDR '127.0.0.1/33': prefix length must be 0-32" \
    "$WORK/cidr.out" || fail "bad CIDR message: $(cat "$WORK/cidr.out")"

# not http(s): refused at submit
drive scheme --allow 127.0.0.1/32 "file:///etc/passwd" "gopher://127.0.0.1/"
expect scheme '^SUBMIT-ERROR url=file:///etc/passwd error=.*http and https only' \
    "file:// submit"
echo "ok"
