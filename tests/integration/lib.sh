# shellcheck shell=bash
# Shared helpers for the integration scripts (sourced, bash).
#
# Expects WH_SRCDIR (source tree) and WH_BINDIR (build tree) from ctest;
# defaults let a script run by hand (WH_BINDIR defaults to build/). Sets
# WORK, a temporary directory removed on success (kept and named on
# failure), and an EXIT trap that stops every process started with
# wh_spawn.

set -euo pipefail

WH_SRCDIR=$(cd "${WH_SRCDIR:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)
WH_BINDIR=${WH_BINDIR:-$WH_SRCDIR/build}
WH_PYTHON=${WH_PYTHON:-/usr/bin/python3}
WH_SHARED=${WH_SHARED:-$WH_SRCDIR/../shared}
HERE=$WH_SRCDIR/tests/integration
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wh-$(basename "$0" .sh).XXXXXX")
WH_PIDS=()

case $WH_BINDIR in
/*) ;;
*) WH_BINDIR=$(cd "$WH_BINDIR" 2>/dev/null && pwd || echo "$PWD/$WH_BINDIR") ;;
esac
BIN=$WH_BINDIR/bin

wh_cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${WH_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${WH_PIDS[@]}"; do
        # give each process 5 s to exit cleanly, then kill it
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
        rm -rf "$WORK"
    else
        echo "$(basename "$0"): exit $rc; logs kept in $WORK" >&2
    fi
    exit "$rc"
}
trap wh_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

skip() {
    echo "skipped: $*"
    exit 77
}

# wh_need_bin NAME...: fails clearly when a binary is not built.
wh_need_bin() {
    local b
    for b in "$@"; do
        [ -x "$BIN/$b" ] || fail "$BIN/$b not built"
    done
}

# wh_spawn LOG CMD...: starts CMD in the background with stdout and stderr
# in LOG; its pid is stopped by the EXIT trap. Sets WH_LAST_PID.
wh_spawn() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    WH_LAST_PID=$!
    WH_PIDS+=("$WH_LAST_PID")
}

# wh_wait_file FILE PID SECONDS: waits until FILE is non-empty, failing
# early if PID died.
wh_wait_file() {
    local file=$1 pid=$2 secs=$3
    for _ in $(seq $((secs * 10))); do
        if [ -s "$file" ]; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# wh_show LOG...: prints logs (on failure, for the ctest output).
wh_show() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        echo "----- $(basename "$f") -----" >&2
        tail -n 60 "$f" >&2
    done
}

# wh_start_broker [devbroker flags...]: starts wirehose-devbroker with a
# bootstrap file; sets BROKERS.
wh_start_broker() {
    wh_spawn "$WORK/devbroker.log" "$BIN/wirehose-devbroker" \
        --bootstrap-file "$WORK/bootstrap" "$@"
    if ! wh_wait_file "$WORK/bootstrap" "$WH_LAST_PID" 20; then
        wh_show "$WORK/devbroker.log"
        fail "wirehose-devbroker did not write its bootstrap file"
    fi
    BROKERS=$(head -n 1 "$WORK/bootstrap" | tr -d '[:space:]')
    case $BROKERS in
    *:[0-9]*) ;;
    *) fail "bad bootstrap file content: '$BROKERS'" ;;
    esac
}

# wh_start_postgres: a PostgreSQL server of this test's own (pg_helper.sh,
# which exits 77 at once when PostgreSQL is not installed: the test is
# then skipped with its message); sets CONNINFO, PGHOST_DIR (its socket
# directory, for pg_helper.sh ctl) and PSQL (psql for one-line answers).
wh_start_postgres() {
    local pid rc
    wh_spawn "$WORK/pg.log" bash "$HERE/pg_helper.sh" run "$WORK/conninfo"
    pid=$WH_LAST_PID
    if ! wh_wait_file "$WORK/conninfo" "$pid" 120; then
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" && rc=0 || rc=$?
            [ "$rc" -eq 77 ] && skip "$(cat "$WORK/pg.log")"
        fi
        wh_show "$WORK/pg.log"
        fail "PostgreSQL did not start"
    fi
    CONNINFO=$(cat "$WORK/conninfo")
    # shellcheck disable=SC2034 # used by the scripts that source this
    PGHOST_DIR=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' "$WORK/conninfo")
    # shellcheck disable=SC2034 # used by the scripts that source this
    PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At "$CONNINFO")
}

# wh_start_fixture_server DIR [fixture_server flags...]: serves DIR on
# loopback; sets HTTP (http://127.0.0.1:PORT).
wh_start_fixture_server() {
    local root=$1
    shift
    wh_spawn "$WORK/fixture_server.log" "$WH_PYTHON" \
        "$HERE/fixture_server.py" --root "$root" \
        --port-file "$WORK/http.port" --log "$WORK/http.access" "$@"
    if ! wh_wait_file "$WORK/http.port" "$WH_LAST_PID" 20; then
        wh_show "$WORK/fixture_server.log"
        fail "fixture server did not start"
    fi
    # shellcheck disable=SC2034 # used by the scripts that source this
    HTTP=http://127.0.0.1:$(tr -d '[:space:]' <"$WORK/http.port")
}

# wh_start_notify_listener: a NOTIFY_SOCKET listener playing systemd's
# part on $WORK/notify.sock: one line a datagram in $WORK/notify.log,
# "MONOTONIC-SECONDS MESSAGE" (newlines of a message as '|'). Sets
# NOTIFY_SOCK.
wh_start_notify_listener() {
    wh_spawn "$WORK/listener.log" "$WH_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    msg = s.recv(4096).decode().replace("\n", "|")
    out.write("%.3f %s\n" % (time.monotonic(), msg))
' "$WORK/notify.sock" "$WORK/notify.log"
    for _ in $(seq 50); do
        [ -S "$WORK/notify.sock" ] && break
        sleep 0.1
    done
    [ -S "$WORK/notify.sock" ] || fail "notify listener did not start"
    # shellcheck disable=SC2034 # used by the scripts that source this
    NOTIFY_SOCK=$WORK/notify.sock
}

# wh_watchdog_gap SINCE MAX: the longest gap, in seconds, between the
# WATCHDOG=1 of $WORK/notify.log from monotonic time SINCE (0: from
# READY=1) to now; prints it ("ok: ..."), fails when it is above MAX.
wh_watchdog_gap() {
    "$WH_PYTHON" - "$WORK/notify.log" "$1" "$2" <<'PY' || fail "watchdog"
import sys, time
lines = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
since, most = float(sys.argv[2]), float(sys.argv[3])
ready = [float(t) for t, m in lines if m == "READY=1"]
if since == 0:
    if not ready:
        sys.exit("no READY=1")
    since = ready[0]
pings = [float(t) for t, m in lines if m == "WATCHDOG=1" and float(t) >= since]
times = [since] + pings + [time.monotonic()]
gap = max(b - a for a, b in zip(times, times[1:]))
print("ok: %d WATCHDOG=1 in %.0f s, longest gap %.1f s"
      % (len(pings), times[-1] - since, gap))
if gap > most:
    sys.exit("a gap of %.1f s between WATCHDOG=1 (%s s allowed)" % (gap, most))
PY
}

# wh_healthz_unreachable LOG...: /healthz at $M must answer 503 naming
# the unreachable broker within 500 ms (a check that waits on the broker
# would take its request timeout); shows LOG... and fails otherwise. Sets
# HEALTHZ_MS (the answer's time).
wh_healthz_unreachable() {
    local code t0 t1
    t0=$(date +%s%N)
    code=$(curl -s -m 2 -o "$WORK/healthz" -w '%{http_code}' \
        "$M/healthz") || true
    t1=$(date +%s%N)
    HEALTHZ_MS=$(((t1 - t0) / 1000000))
    { [ "$code" = 503 ] && grep -q 'Kafka broker unreachable' \
        "$WORK/healthz" && [ "$HEALTHZ_MS" -lt 500 ]; } || {
        wh_show "$WORK/healthz" "$@"
        fail "/healthz with the broker frozen: $code in $HEALTHZ_MS ms"
    }
}

# wh_metrics_url LOG PID: waits for the "metrics on ... (port N)" line a
# daemon logs in LOG and sets M=http://127.0.0.1:N; fails when PID exits
# or 10 s pass first.
wh_metrics_url() {
    local port=
    for _ in $(seq 100); do
        port=$({ sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' \
            "$1" 2>/dev/null || true; } | head -n 1)
        [ -n "$port" ] && break
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] || { wh_show "$1"; fail "no metrics port in $1"; }
    # shellcheck disable=SC2034 # used by the scripts that source this
    M=http://127.0.0.1:$port
}

# wh_expect_to_go GROUP TOGO TOTAL: `wirehose-replay --watch` on topic
# articles of $BROKERS says group GROUP has TOGO of TOTAL record(s) to go
# (the number the lag gauge must match); fails otherwise.
wh_expect_to_go() {
    timeout 30 "$BIN/wirehose-replay" -b "$BROKERS" -t articles -g "$1" \
        --watch >"$WORK/watch.out" 2>"$WORK/watch.err" || true
    grep -q "^group $1: $2 of $3 record(s) to go" "$WORK/watch.out" || {
        wh_show "$WORK/watch.out" "$WORK/watch.err"
        fail "wirehose-replay --watch does not say $2 of $3 to go"
    }
}
