# shellcheck shell=bash
# Shared by the fetch_*.sh tests (sourced): lib.sh, then hostile_server.py
# and fetch_driver helpers. Not a test itself.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DRIVER=$BIN/fetch_driver
[ -x "$DRIVER" ] || fail "$DRIVER not built (target fetch_driver)"

# start_hostile [hostile_server flags...]: starts the server on 127.0.0.1
# and 127.0.0.2 (one port); sets PORT, U1 and U2 (base URLs).
start_hostile() {
    wh_spawn "$WORK/hostile.log" "$WH_PYTHON" "$HERE/hostile_server.py" \
        --port-file "$WORK/hostile.port" --log "$WORK/access.log" \
        --bind 127.0.0.1 --bind 127.0.0.2 "$@"
    if ! wh_wait_file "$WORK/hostile.port" "$WH_LAST_PID" 20; then
        wh_show "$WORK/hostile.log"
        fail "hostile_server.py did not start"
    fi
    PORT=$(tr -d '[:space:]' <"$WORK/hostile.port")
    U1=http://127.0.0.1:$PORT
    # shellcheck disable=SC2034 # used by the scripts that source this
    U2=http://127.0.0.2:$PORT
}

# stat EXPR: evaluates a python expression over the server's /stats
# dict s, e.g. stat 's["requests"].get("127.0.0.2", 0)'.
stat() {
    "$WH_PYTHON" - "$U1/stats" "$1" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
print(eval(sys.argv[2]))
PY
}

# drive NAME driver-args...: runs fetch_driver, output in $WORK/NAME.out;
# fails unless it exits 0.
drive() {
    local name=$1 rc=0
    shift
    "$DRIVER" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        wh_show "$WORK/$name.out" "$WORK/$name.err" "$WORK/hostile.log"
        fail "fetch_driver ($name) exited $rc"
    fi
}

# expect NAME ERE [what]: a line of $WORK/NAME.out matches ERE.
expect() {
    if ! grep -Eq -- "$2" "$WORK/$1.out"; then
        wh_show "$WORK/$1.out" "$WORK/$1.err"
        fail "${3:-$1}: no line matching /$2/"
    fi
}

# expect_eq WHAT GOT WANT
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
