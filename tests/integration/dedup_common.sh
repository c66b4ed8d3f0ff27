# shellcheck shell=bash
# Shared by dedup_scaleout.sh and dedup_pg.sh (sourced after lib.sh, once
# any server they need is up). Not a test itself. Starts the dev broker
# with a topic of 4 partitions and generates the stream (dedup_stream.py
# gen: phase1.txt ... phase5.txt in $WORK), then:
#   produce N                    produces phase N, keyed by uri
#   one_consumer OUT GROUP CONF LOG
#                                one consumer --once into jsonl:OUT
#   pairs FILE...                uri+version pairs of JSONL files
#   start_b I CONF               starts consumer I of group gb (pid in
#                                BPID[I]) into jsonl:$WORK/bI.jsonl
#   wait_b SECONDS WHAT          waits until the sinks $WORK/b[0-9].jsonl
#                                hold every record of $WORK/a.jsonl
# KX holds the Kafka properties every consumer of these tests gets;
# $WORK/sa.conf is the one-consumer run's configuration (file store).

TOPIC=wire
wh_start_broker --partitions 4 --topic "$TOPIC"
"$WH_PYTHON" "$HERE/dedup_stream.py" gen "$WORK" || fail "generator"
KX=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500
    -X topic.metadata.refresh.interval.ms=1000)

produce() {
    kcat -P -b "$BROKERS" -t "$TOPIC" -K $'\t' <"$WORK/phase$1.txt" ||
        fail "kcat could not produce phase $1"
}

# one_consumer OUT GROUP CONF LOG: --once into jsonl:OUT, configuration
# $WORK/CONF.conf, output appended to $WORK/LOG.
one_consumer() {
    timeout 120 "$BIN/wirehose-consumer" --once -b "$BROKERS" -t "$TOPIC" \
        -g "$2" "${KX[@]}" --sink "jsonl:$1" -c "$WORK/$3.conf" \
        >>"$WORK/$4" 2>&1 ||
        { wh_show "$WORK/$4"; fail "consumer --once ($2) failed"; }
}

printf 'dedup.state_dir = %s\nflush.ms = 200\n' "$WORK/state-a" \
    >"$WORK/sa.conf"

# start_b I CONF: consumer I of the group gb with configuration CONF.
declare -a BPID
start_b() {
    wh_spawn "$WORK/b$1.log.tmp" "$BIN/wirehose-consumer" -b "$BROKERS" \
        -t "$TOPIC" -g gb "${KX[@]}" -c "$2" --sink "jsonl:$WORK/b$1.jsonl"
    # shellcheck disable=SC2034 # used by the scripts that source this
    BPID[$1]=$WH_LAST_PID
}

# uri+version pairs of JSONL files (missing files are empty).
pairs() {
    "$WH_PYTHON" -c '
import json, sys
seen = set()
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8").readlines()
    except FileNotFoundError:
        continue   # not created yet
    for line in lines:
        if line.strip():
            try:
                d = json.loads(line)
            except ValueError:
                continue   # a line being written
            seen.add(d["uri"] + " " + d.get("version", "1"))
print("\n".join(sorted(seen)))' "$@"
}

# wait_b SECONDS WHAT: until the consumers' sinks ($WORK/b[0-9].jsonl)
# hold every record the one-consumer run ($WORK/a.jsonl) has written so
# far; WHAT names the run in the failure.
wait_b() {
    local want have
    want=$(pairs "$WORK/a.jsonl")
    for _ in $(seq $(($1 * 5))); do
        have=$(pairs "$WORK"/b[0-9].jsonl)
        if [ -z "$(comm -23 <(echo "$want") <(echo "$have"))" ]; then
            return 0
        fi
        sleep 0.2
    done
    echo "missing in the $2 run:" >&2
    comm -23 <(echo "$want") <(echo "$have") >&2
    wh_show "$WORK"/b[0-9].log.tmp
    fail "the consumers of the $2 run did not catch up"
}
