#!/bin/bash
# dedup_window.sh - the dedup window with two consumers sharing one state
# directory (dedup.window = 20 s: a segment of the log every 2 s), on the
# dev broker, all real processes.
#
# Phase 1 (three wire stories, a different story) is consumed; phase 2
# (their dateline copies, a re-sent item) right after, inside the window:
# the copies join the originals' clusters, the re-sent item is dropped.
# Then distinct filler records for longer than the window, so that both
# consumers decide while segments are started and deleted by whichever
# holds the lock. Then phase 3 (sign-off copies, a tracker-URL copy):
# every earlier member of the stories has left the window, so each story
# starts a new cluster among the phase-3 records. Checks: those
# decisions, every record once in the union of the two sinks, the first
# segment (dedup.log) deleted and at most the window's segments left,
# neither consumer paused on its store, both still running.
# With WINDOW_STORE=postgres (dedup_window_pg.sh): the same with the log
# in PostgreSQL (a state directory each, as on two machines), and rows
# pruned instead of segments deleted.
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer
"$BIN/wirehose-consumer" --help | grep -q '^  dedup:dedup' ||
    skip "this consumer has no dedup stage"

STORE=${WINDOW_STORE:-file}
if [ "$STORE" = postgres ]; then
    command -v psql >/dev/null 2>&1 || skip "psql is not installed"
    wh_start_postgres
fi

# shellcheck source=dedup_common.sh
. "$HERE/dedup_common.sh"

WINDOW=20
for i in 1 2; do
    if [ "$STORE" = postgres ]; then
        printf 'dedup.state_dir = %s\ndedup.store = postgres:%s\n' \
            "$WORK/state-w$i" "$CONNINFO"
    else
        printf 'dedup.state_dir = %s\n' "$WORK/state-w"
    fi >"$WORK/w$i.conf"
    printf 'dedup.window = %ss\nflush.ms = 200\n' "$WINDOW" >>"$WORK/w$i.conf"
done

# count URI...: how many of the uris the two sinks hold
count() {
    "$WH_PYTHON" - "$WORK" "$@" <<'EOF'
import glob, json, sys
want = set(sys.argv[2:])
seen = set()
for path in glob.glob(sys.argv[1] + "/b[0-9].jsonl"):
    for line in open(path, encoding="utf-8"):
        try:
            seen.add(json.loads(line)["uri"])
        except ValueError:
            pass  # a line being written
print(len(want & seen))
EOF
}

# wait_for N URI...: until the sinks hold every one of the uris
wait_for() {
    local _
    for _ in $(seq 300); do
        [ "$(count "$@")" -eq $# ] && return 0
        sleep 0.2
    done
    wh_show "$WORK"/b[0-9].log.tmp
    fail "the consumers did not write: $*"
}

uris() { cut -f 1 "$WORK/phase$1.txt" | sort -u; }

start_b 1 "$WORK/w1.conf"
start_b 2 "$WORK/w2.conf"

produce 1
# shellcheck disable=SC2046 # one uri a word
wait_for $(uris 1)
produce 2
# shellcheck disable=SC2046
wait_for $(uris 2)
echo "ok: phases 1 and 2 consumed by two consumers (window $WINDOW s)"

# filler: a distinct record every 0.5 s for the window and 6 s more
"$WH_PYTHON" - "$((2 * WINDOW + 12))" >"$WORK/filler.txt" <<'EOF'
import json, random, sys
rnd = random.Random(5)
words = ["w%d" % i for i in range(5000)]
for i in range(int(sys.argv[1])):
    uri = "https://filler.example/%d" % i
    body = " ".join(rnd.choice(words) for _ in range(60))
    rec = {"uri": uri, "type": "text",
           "bodies": [{"role": "main", "contentType": "text/plain",
                       "value": body}],
           "wirehose": {"source": "filler",
                        "fetchedAt": "2026-11-27T11:00:00Z"}}
    print(uri + "\t" + json.dumps(rec))
EOF
while read -r line; do
    printf '%s\n' "$line" | kcat -P -b "$BROKERS" -t "$TOPIC" -K $'\t' ||
        fail "kcat could not produce filler"
    sleep 0.5
done <"$WORK/filler.txt"
# shellcheck disable=SC2046
wait_for $(cut -f 1 "$WORK/filler.txt")
echo "ok: filler consumed for $WINDOW s and more"

produce 3
# shellcheck disable=SC2046
wait_for $(uris 3)
for i in 1 2; do
    kill -0 "${BPID[$i]}" 2>/dev/null || {
        wh_show "$WORK/b$i.log.tmp"
        fail "consumer $i died"
    }
    kill -TERM "${BPID[$i]}"
done
for i in 1 2; do
    rc=0
    wait "${BPID[$i]}" || rc=$?
    [ $rc -eq 0 ] || { wh_show "$WORK/b$i.log.tmp"; fail "consumer $i: $rc"; }
done
if grep -q 'decision store unavailable' "$WORK"/b[0-9].log.tmp; then
    wh_show "$WORK"/b[0-9].log.tmp
    fail "a consumer paused on its decision store"
fi

"$WH_PYTHON" - "$WORK" <<'EOF' || fail "decisions across the window"
import glob, json, sys
work = sys.argv[1]
recs = {}
for path in glob.glob(work + "/b[0-9].jsonl"):
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        assert d["uri"] not in recs, "written twice: " + d["uri"]
        recs[d["uri"]] = d["wirehose"]
def phase(n):
    return [l.split("\t")[0] for l in open("%s/phase%d.txt" % (work, n))]
p1, p2, p3 = phase(1), phase(2), phase(3)
originals = {u.split("/")[2].split(".")[0]: u for u in p1}
first_cluster = {}
for u in p1:
    assert recs[u]["dedup"] == "new", (u, recs[u])
for u in p2:
    if u in p1:  # the item re-sent by its feed: a repeat, dropped
        continue
    w = recs[u]
    assert w["dedup"] == "copy", (u, w)
    assert w["clusterId"] in p1, (u, w)
    first_cluster[u.rsplit("-", 1)[0].rsplit("/", 1)[1]] = w["clusterId"]
# phase 3, after the window: one new cluster per story among phase 3
clusters = {}
for u in p3:
    w = recs[u]
    assert w["clusterId"] not in p1 + p2, ("joined an old cluster", u, w)
    assert w["clusterId"] in p3, (u, w)
    if w["dedup"] == "new":
        assert w["clusterId"] == u, (u, w)
    clusters.setdefault(w["clusterId"], []).append(u)
assert len(clusters) == 3, clusters
print("phase 2: %d copies joined their originals; phase 3: %d new "
      "clusters of %s" % (len(first_cluster), len(clusters),
                          sorted(len(v) for v in clusters.values())))
EOF

total=$(($(cat "$WORK"/phase[123].txt "$WORK/filler.txt" | wc -l) - 1))
if [ "$STORE" = postgres ]; then
    read -r rows first < <("${PSQL[@]}" -F ' ' \
        -c 'SELECT count(*), min(seq) FROM wirehose_dedup_log') ||
        fail "psql"
    { [ "$rows" -lt $((total - 10)) ] && [ "$first" -gt 1 ]; } ||
        fail "$rows rows from seq $first for $total decisions: not pruned"
    echo "ok: rows pruned while both ran: $rows of $total left"
else
    [ ! -e "$WORK/state-w/dedup.log" ] ||
        fail "the first segment (dedup.log) was not deleted"
    nseg=$(find "$WORK/state-w" -name 'dedup.log.*' | wc -l)
    [ "$nseg" -ge 1 ] && [ "$nseg" -le 14 ] ||
        fail "$nseg segments left for a $WINDOW s window of 2 s segments"
    echo "ok: segments started and deleted while both ran: $nseg left"
fi
echo "dedup_window: OK"
