# shellcheck shell=bash
# Shared by the producer_*.sh tests (sourced): lib.sh, a dev broker, the
# fixture site of tests/data/feeds (producer_site.py) on loopback, and
# helpers to run the producer and read the topic. Not a test itself.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wh_need_bin wirehose-devbroker wirehose-producer
command -v kcat >/dev/null 2>&1 || skip "kcat not installed"
PRODUCER=$BIN/wirehose-producer

# start_site [fixture_server flags...]: the dev broker (topic $TOPIC), the
# fixture server over $WORK/www with the site generated in it; sets
# BROKERS, BROKER_PID, HTTP, MANIFEST and writes $WORK/base.conf (brokers, topic,
# loopback allowed, no politeness delay).
start_site() {
    wh_start_broker --topic "$TOPIC"
    # shellcheck disable=SC2034 # used by the scripts that source this
    BROKER_PID=$WH_LAST_PID
    mkdir -p "$WORK/www"
    wh_start_fixture_server "$WORK/www" "$@"
    MANIFEST=$WORK/manifest.json
    "$WH_PYTHON" "$HERE/producer_site.py" --feeds "$WH_SRCDIR/tests/data/feeds" \
        --out "$WORK/www" --base "$HTTP" --manifest "$MANIFEST" ||
        fail "producer_site.py failed"
    cat >"$WORK/base.conf" <<CONF
brokers = $BROKERS
topic = $TOPIC
fetch.allow_address = 127.0.0.1/32
fetch.host_delay_ms = 0
fetch.max_per_host = 4
flush.timeout_ms = 20000
CONF
}

# source_url NAME: the URL of fixture NAME (producer_site.py's manifest).
source_url() {
    "$WH_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sources"][sys.argv[2]])' \
        "$MANIFEST" "$1"
}

# run_producer LOG WANT_RC producer-args...: runs the producer (timeout
# 120 s) and fails unless it exits WANT_RC.
run_producer() {
    local log=$1 want=$2 rc=0
    shift 2
    timeout 120 "$PRODUCER" "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" -ne "$want" ]; then
        wh_show "$log" "$WORK/http.access"
        fail "wirehose-producer exited $rc, expected $want"
    fi
}

# read_topic FILE: every message of $TOPIC, one kcat -J line each.
read_topic() {
    timeout 60 kcat -C -b "$BROKERS" -t "$TOPIC" -e -q -J >"$1" \
        2>"$WORK/kcat.log" || { wh_show "$WORK/kcat.log"; fail "kcat failed"; }
}

# check ARGS...: producer_check.py over $WORK/topic.jsonl (read first).
check() {
    read_topic "$WORK/topic.jsonl"
    "$WH_PYTHON" "$HERE/producer_check.py" --messages "$WORK/topic.jsonl" \
        --manifest "$MANIFEST" "$@" || fail "checks on the topic (above)"
}

# hits PATH: requests for PATH in the fixture server's log (any status).
hits() {
    grep -c "^GET $1 " "$WORK/http.access" || true
}
