# shellcheck shell=sh
# Shared by the consumer_*.sh tests that count their failures (sourced,
# POSIX sh; lib.sh is the bash helper of the tests that stop at the first
# failure). Not a test itself: named lib_consumer.sh, not consumer_*.sh,
# so the glob in CMakeLists.txt that registers those leaves it out.
#
# Sourcing it: checks WH_BINDIR, sets BIN, HERE, PYTHON, NAME (the
# script's name), a temporary directory TMP with the dedup stage's
# decision log in it (STATE_DIRECTORY: this run's own, not ./wirehose-state
# shared between runs), and an EXIT trap that stops CONSUMER_PID,
# SERVER_PID and BROKER_PID (when set) and removes TMP. Then:
#   need_tools CMD...    exits 77 (skip) when a command is missing
#   need_progs PROG...   exits 1 when a binary is not built
#   fail MSG / ok MSG    counts a failure in FAILS / says what passed
#   lines FILE           the line count of FILE (0 when absent)
#   wait_for SECS CMD... polls CMD every 0.1 s; 1 when it never succeeds
#   start_broker FLAGS... starts wirehose-devbroker (stdout in
#                        $TMP/broker.out, stderr in $TMP/broker.err);
#                        sets BROKER_PID and ADDR; exits 1 when it does
#                        not start within 10 s
#   expect_committed GROUP SINK  a second --once run of GROUP into SINK
#                        reads nothing: everything was committed
#   finish               exits 1 with the failure count, or 0

NAME=$(basename "$0" .sh)
if [ -z "${WH_BINDIR:-}" ]; then
    echo "$NAME: WH_BINDIR is not set (the build directory)" >&2
    exit 1
fi
BIN=$WH_BINDIR/bin
# shellcheck disable=SC2034 # used by the scripts that source this
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this
PYTHON=${WH_PYTHON:-python3}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wh-$(echo "$NAME" | tr _ -).XXXXXX") ||
    exit 1
export STATE_DIRECTORY="$TMP/state"
BROKER_PID=
SERVER_PID=
CONSUMER_PID=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    for pid in "$CONSUMER_PID" "$SERVER_PID" "$BROKER_PID"; do
        if [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

need_tools() {
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "$NAME: SKIP: $tool is not installed" >&2
            exit 77
        fi
    done
}

need_progs() {
    for prog in "$@"; do
        if [ ! -x "$BIN/$prog" ]; then
            echo "$NAME: $BIN/$prog is missing (build it first)" >&2
            exit 1
        fi
    done
}

FAILS=0
fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}
ok() {
    echo "ok: $*"
}
lines() {
    if [ -f "$1" ]; then
        wc -l <"$1"
    else
        echo 0
    fi
}
wait_for() {
    n=$(($1 * 10))
    shift
    while ! "$@"; do
        n=$((n - 1))
        [ $n -le 0 ] && return 1
        sleep 0.1
    done
    return 0
}

start_broker() {
    "$BIN/wirehose-devbroker" "$@" --bootstrap-file "$TMP/bootstrap" \
        >"$TMP/broker.out" 2>"$TMP/broker.err" &
    BROKER_PID=$!
    i=0
    while [ ! -s "$TMP/bootstrap" ]; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 "$BROKER_PID" 2>/dev/null; then
            echo "FAIL: the dev broker did not start" >&2
            cat "$TMP/broker.err" >&2
            exit 1
        fi
        sleep 0.1
    done
    # shellcheck disable=SC2034 # used by the scripts that source this
    ADDR=$(cat "$TMP/bootstrap")
}

expect_committed() {
    "$BIN/wirehose-consumer" --once -b "$ADDR" -t articles -g "$1" \
        -X session.timeout.ms=6000 --sink "$2" 2>"$TMP/again.err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q 'records in 0,' "$TMP/again.err"; then
        ok "all committed: a second run reads nothing"
    else
        fail "second run (exit $rc)"
        cat "$TMP/again.err" >&2
    fi
}

finish() {
    if [ "$FAILS" -ne 0 ]; then
        echo "$NAME: $FAILS failure(s)" >&2
        exit 1
    fi
    echo "$NAME: all passed"
    exit 0
}
