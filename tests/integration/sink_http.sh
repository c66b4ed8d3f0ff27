#!/bin/bash
# sink_http.sh - the http sink against bulk_server.py (a loopback _bulk
# endpoint that checks the protocol), driven by sink_driver:
#   1. a normal run in several batches, documents stored by _id;
#   2. a per-item 429, then success: only that item is sent again;
#   3. a whole-request 500, then success;
#   4. a per-item 400 (mapping error): flush() REJECT naming the uri,
#      the rest stored;
#   5. failures outlasting http.max_retries: flush() RETRY, then OK;
#   6. a whole-request 400 on a batch: sent again one by one;
#   7. a replay of everything: identical stored documents;
#   8. misconfiguration (no index, 404, nothing listening).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DRIVER=$WH_BINDIR/tests/sink_driver
[ -x "$DRIVER" ] || fail "$DRIVER not built"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

STORE=$WORK/store.json
REQLOG=$WORK/requests.jsonl
SERVER_PID=

start_server() {
    local script=${1:-/dev/null}
    rm -f "$WORK/bulk.port"
    wh_spawn "$WORK/bulk_server.log" "$WH_PYTHON" "$HERE/bulk_server.py" \
        --port-file "$WORK/bulk.port" --store "$STORE" --log "$REQLOG" \
        --script "$script"
    SERVER_PID=$WH_LAST_PID
    if ! wh_wait_file "$WORK/bulk.port" "$SERVER_PID" 20; then
        wh_show "$WORK/bulk_server.log"
        fail "bulk_server did not start"
    fi
    URL=http://127.0.0.1:$(tr -d '[:space:]' <"$WORK/bulk.port")/news
    : >"$REQLOG"
}

stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}

# record URI [VERSION]
record() {
    printf '{"uri":"%s","type":"text","version":"%s",' "$1" "${2:-1}"
    printf '"firstCreated":"2024-03-01T10:00:00Z","language":"en",'
    printf '"headlines":[{"role":"main","value":"Headline of %s"}],' "$1"
    printf '"bodies":[{"role":"main","contentType":"text/plain",'
    printf '"value":"Text of %s, na\\u00efve caf\\u00e9."}],' "$1"
    printf '"wirehose":{"source":"wire","fetchedAt":"2024-03-01T10:00:01Z",'
    printf '"contentHash":"xxh3:0000000000000001"}}\n'
}

# drive SCRIPT OUT [driver options]: runs the driver; sets rc.
drive() {
    local script=$1 out=$2
    shift 2
    "$DRIVER" "$@" "http:$URL" "$script" >"$out" 2>"$out.err" && rc=0 ||
        rc=$?
    return 0
}

expect_line() {
    local file=$1 pattern=$2
    grep -Eq -- "$pattern" "$file" || {
        wh_show "$file" "$file.err" "$REQLOG"
        fail "no line matching '$pattern' in $(basename "$file")"
    }
}

# py EXPR...: a Python check over the request log and the store; prints
# what it is given to print, fails the test on an AssertionError.
py() {
    "$WH_PYTHON" - "$REQLOG" "$STORE" "$@" <<'EOF' || fail "check failed"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
try:
    store = json.load(open(sys.argv[2]))
except FileNotFoundError:
    store = {}
bad = [r for r in reqs if r["violation"]]
assert not bad, f"protocol violations: {bad}"
exec(sys.argv[3])
EOF
}

# ---- 1. normal batches
start_server
for i in 1 2 3 4 5; do record "urn:wh:http:$i"; done >"$WORK/s1"
record "urn:wh:http:1" 2 >>"$WORK/s1"
drive "$WORK/s1" "$WORK/o1" -o http.batch_docs=2
[ "$rc" -eq 0 ] || { wh_show "$WORK/o1" "$WORK/o1.err"; fail "run 1: exit $rc"; }
[ "$(grep -c ' OK$' "$WORK/o1")" -eq 8 ] || { wh_show "$WORK/o1"; \
    fail "run 1: expected init, 6 records and a flush OK"; }
py '
assert [len(r["ids"]) for r in reqs] == [2, 2, 2], reqs
assert all(s == 201 for r in reqs for s in r["item_status"]), reqs
assert len(store) == 6, sorted(store)
uris = sorted((d["uri"], d["version"]) for d in store.values())
assert uris == [("urn:wh:http:1", "1"), ("urn:wh:http:1", "2")] + [
    (f"urn:wh:http:{i}", "1") for i in range(2, 6)], uris
import re
assert all(re.fullmatch("[0-9a-f]{32}", k) for k in store), sorted(store)
d = [d for d in store.values() if d["uri"] == "urn:wh:http:3"][0]
assert d["headlines"][0]["value"] == "Headline of urn:wh:http:3", d
assert d["bodies"][0]["value"].endswith("na\u00efve caf\u00e9."), d
'
stop_server

# ---- 2. a per-item 429, then success: only that item again
echo "item urn:wh:http:8 429 1" >"$WORK/rules2"
start_server "$WORK/rules2"
for i in 7 8 9; do record "urn:wh:http:$i"; done >"$WORK/s2"
drive "$WORK/s2" "$WORK/o2"
{ [ "$rc" -eq 0 ] && [ "$(tail -n 1 "$WORK/o2")" = "flush OK" ]; } ||
    { wh_show "$WORK/o2" "$WORK/o2.err"; fail "run 2: exit $rc"; }
py '
assert len(reqs) == 2, reqs
assert reqs[0]["uris"] == ["urn:wh:http:7", "urn:wh:http:8", "urn:wh:http:9"]
assert reqs[0]["item_status"] == [201, 429, 201], reqs[0]
assert reqs[1]["uris"] == ["urn:wh:http:8"], reqs[1]
assert reqs[1]["item_status"] == [201], reqs[1]
assert len(store) == 9
'
stop_server

# ---- 3. a whole-request 500, then success
echo "request 500 1" >"$WORK/rules3"
start_server "$WORK/rules3"
for i in 10 11; do record "urn:wh:http:$i"; done >"$WORK/s3"
drive "$WORK/s3" "$WORK/o3"
{ [ "$rc" -eq 0 ] && [ "$(tail -n 1 "$WORK/o3")" = "flush OK" ]; } ||
    { wh_show "$WORK/o3" "$WORK/o3.err"; fail "run 3: exit $rc"; }
py '
assert [r["status"] for r in reqs] == [500, 200], reqs
assert reqs[0]["uris"] == reqs[1]["uris"] == ["urn:wh:http:10", "urn:wh:http:11"]
assert len(store) == 11
'
stop_server

# ---- 4. a mapping error (400 on one item): REJECT naming the uri
echo "item urn:wh:http:bad 400 always" >"$WORK/rules4"
start_server "$WORK/rules4"
{ record urn:wh:http:12; record urn:wh:http:bad; record urn:wh:http:13; } \
    >"$WORK/s4"
drive "$WORK/s4" "$WORK/o4"
[ "$rc" -eq 0 ] || { wh_show "$WORK/o4" "$WORK/o4.err"; fail "run 4: exit $rc"; }
expect_line "$WORK/o4" \
    '^flush REJECT: .*urn:wh:http:bad: HTTP 400 mapper_parsing_exception: scripted item 400'
expect_line "$WORK/o4.err" 'urn:wh:http:bad: refused: HTTP 400'
py '
assert len(reqs) == 1, reqs
assert len(store) == 13
assert "urn:wh:http:bad" not in [d["uri"] for d in store.values()]
'
stop_server

# ---- 5. failing longer than http.max_retries: RETRY, then OK
echo "item urn:wh:http:slow 503 3" >"$WORK/rules5"
start_server "$WORK/rules5"
{ record urn:wh:http:14; record urn:wh:http:slow; } >"$WORK/s5"
drive "$WORK/s5" "$WORK/o5" -o http.max_retries=1 --retries 3 --retry-ms 50
[ "$rc" -eq 0 ] || { wh_show "$WORK/o5" "$WORK/o5.err"; fail "run 5: exit $rc"; }
expect_line "$WORK/o5" \
    '^flush RETRY: 1 document\(s\) not written after 2 tries, first: urn:wh:http:slow: HTTP 503'
[ "$(tail -n 1 "$WORK/o5")" = "flush OK" ] || fail "run 5: last flush not OK"
py '
assert [r["uris"] for r in reqs] == [["urn:wh:http:14", "urn:wh:http:slow"]] + [["urn:wh:http:slow"]] * 3, reqs
assert len(store) == 15
'
stop_server

# ---- 6. a whole-request 400 on a batch: one by one
echo "request 400 1" >"$WORK/rules6"
start_server "$WORK/rules6"
{ record urn:wh:http:15; record urn:wh:http:16; } >"$WORK/s6"
drive "$WORK/s6" "$WORK/o6"
{ [ "$rc" -eq 0 ] && [ "$(tail -n 1 "$WORK/o6")" = "flush OK" ]; } ||
    { wh_show "$WORK/o6" "$WORK/o6.err"; fail "run 6: exit $rc"; }
py '
assert [r["status"] for r in reqs] == [400, 200, 200], reqs
assert [r["uris"] for r in reqs] == [["urn:wh:http:15", "urn:wh:http:16"], ["urn:wh:http:15"], ["urn:wh:http:16"]], reqs
assert len(store) == 17
'
stop_server

# ---- 7. replay everything: the same documents
cp "$STORE" "$WORK/store.before"
start_server
cat "$WORK/s1" "$WORK/s2" "$WORK/s3" "$WORK/s4" "$WORK/s5" "$WORK/s6" \
    >"$WORK/s7"
drive "$WORK/s7" "$WORK/o7" -o http.batch_docs=4
{ [ "$rc" -eq 0 ] && [ "$(tail -n 1 "$WORK/o7")" = "flush OK" ]; } ||
    { wh_show "$WORK/o7" "$WORK/o7.err"; fail "replay: exit $rc"; }
"$WH_PYTHON" -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = [u for u in b if "bad" in b[u]["uri"]]
for k in bad:
    del b[k]   # the refused one is accepted this time
assert a == b, (set(a) ^ set(b))
' "$WORK/store.before" "$STORE" || fail "replay changed the stored documents"
stop_server

# ---- 8. misconfiguration
start_server
"$DRIVER" "http:http://127.0.0.1:9/" /dev/null >"$WORK/o8" 2>&1 && rc=0 ||
    rc=$?
{ [ "$rc" -eq 2 ] && expect_line "$WORK/o8" '^init FAILED: http: .*must name the index'; } ||
    fail "a URL without an index was accepted"
"$DRIVER" "http:ftp://127.0.0.1/x" /dev/null >"$WORK/o9" 2>&1 && rc=0 ||
    rc=$?
{ [ "$rc" -eq 2 ] && expect_line "$WORK/o9" '^init FAILED: http: .*not an http'; } ||
    fail "a non-HTTP URL was accepted"
record urn:wh:http:17 >"$WORK/s10"
"$DRIVER" "http:${URL}/extra" "$WORK/s10" >"$WORK/o10" 2>&1 && rc=0 ||
    rc=$?
{ [ "$rc" -eq 1 ] && expect_line "$WORK/o10" '^flush FATAL: .*HTTP 404'; } ||
    { cat "$WORK/o10" >&2; fail "a 404 was not fatal"; }
stop_server
# nothing listening: transient
"$DRIVER" -o http.max_retries=1 "http:$URL" "$WORK/s10" >"$WORK/o11" 2>&1 &&
    rc=0 || rc=$?
{ [ "$rc" -eq 1 ] && expect_line "$WORK/o11" '^flush RETRY: 1 document\(s\) not written after 2 tries'; } ||
    { cat "$WORK/o11" >&2; fail "a refused connection was not RETRY"; }

echo "sink_http: OK"
