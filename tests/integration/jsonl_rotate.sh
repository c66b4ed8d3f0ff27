#!/bin/bash
# jsonl_rotate.sh - the JSONL sink's rotation, fsync policy and "never a
# line twice", through wirehose-consumer against wirehose-devbroker (real
# processes over loopback; records produced with kcat):
#   1. jsonl.max_bytes: several rotated files PATH.YYYYmmddTHHMMSSZ[.N],
#      none past the limit, every record in exactly one file;
#   2. a line longer than the limit goes alone into a file;
#   3. another group reading the same topic into the same files (a
#      replay): nothing written, the files unchanged byte for byte; also
#      with a file larger than the 1 MiB read block of the start-up scan;
#   4. an enrichment change (--enrich none): the changed lines are
#      written, once; the same again writes nothing;
#   5. a partial last line (a crash mid-write) is cut at start-up;
#   6. jsonl.max_age_s: a file rotated when a record arrives after it is
#      older than that, and at start-up;
#   8. jsonl.window_s: the lines of files rotated longer ago than the
#      window are not held (a replay writes them again), those of files
#      within it are (nothing written); 0 holds every file;
#   7. jsonl.fsync: batch / always / never accepted (always fsyncs per
#      record, checked with strace when installed), anything else and bad
#      numbers refused at start-up with the key named.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer
export STATE_DIRECTORY=$WORK/state

wh_start_broker --partitions 3 --topic news --topic aged --topic big
KOPT=(-X session.timeout.ms=6000)

# produce TOPIC FIRST LAST [BODY_WORDS]: records uri urn:wh:rot:N
produce() {
    local topic=$1 first=$2 last=$3 words=${4:-30}
    "$WH_PYTHON" - "$first" "$last" "$words" <<'EOF' >"$WORK/produce.txt"
import json, sys
first, last, words = (int(a) for a in sys.argv[1:4])
vocab = ("markets council river harbour minister election storm bridge "
         "station museum festival budget treaty vaccine orchestra").split()
for n in range(first, last + 1):
    body = " ".join(vocab[(n * 7 + i * 3) % len(vocab)]
                    for i in range(words)) + f". Item {n}."
    rec = {"uri": f"urn:wh:rot:{n}", "type": "text",
           "headlines": [{"role": "main", "value": f"Headline {n}"}],
           "bodies": [{"role": "main", "contentType": "text/plain",
                       "value": body}]}
    print(f"k{n}:" + json.dumps(rec, separators=(",", ":")))
EOF
    kcat -P -b "$BROKERS" -t "$topic" -K: <"$WORK/produce.txt" ||
        fail "kcat could not produce"
}

# consume LOG CONF OUT GROUP TOPIC [args]: wirehose-consumer --once; rc
consume() {
    local log=$1 conf=$2 out=$3 group=$4 topic=$5
    shift 5
    "$BIN/wirehose-consumer" --once -c "$conf" -b "$BROKERS" -t "$topic" \
        -g "$group" "${KOPT[@]}" --sink "jsonl:$out" "$@" >"$log" 2>&1 &&
        rc=0 || rc=$?
}

# check OUT MAX WANT_FIRST WANT_LAST: the files of the sink hold records
# FIRST..LAST exactly once each (the uri decides), every rotated name has
# the right shape, and no file passes MAX bytes unless it has one line.
check() {
    "$WH_PYTHON" - "$@" <<'EOF' || fail "content of the sink's files of $1"
import glob, json, os, re, sys
out, mx, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4])
files = sorted(glob.glob(glob.escape(out) + "*"))
rot = re.compile(re.escape(out) + r"\.\d{8}T\d{6}Z(\.\d+)?$")
uris = []
for f in files:
    if f == out:
        pass
    elif not rot.match(f):
        sys.exit(f"unexpected file {f}")
    data = open(f, "rb").read()
    assert data == b"" or data.endswith(b"\n"), f"{f}: no final newline"
    lines = data.split(b"\n")[:-1]
    if mx > 0 and len(data) > mx:
        assert len(lines) == 1, f"{f}: {len(data)} bytes > {mx}, " \
            f"{len(lines)} lines"
    uris += [json.loads(l)["uri"] for l in lines]
want = [f"urn:wh:rot:{n}" for n in range(first, last + 1)]
dups = sorted({u for u in uris if uris.count(u) > 1})
assert not dups, f"written twice: {dups[:5]}"
assert sorted(uris) == sorted(want), \
    f"missing {sorted(set(want) - set(uris))[:5]}, " \
    f"extra {sorted(set(uris) - set(want))[:5]}"
print(f"{len(files)} file(s), {len(uris)} record(s)")
EOF
}

nfiles() {
    local n=0 f
    for f in "$1".*; do
        [ -e "$f" ] && n=$((n + 1))
    done
    echo "$n"
}

sums() {
    (cd "$(dirname "$1")" && sha256sum "$(basename "$1")"*)
}

# ---- 1. rotation by size
OUT=$WORK/out/news.jsonl
mkdir -p "$WORK/out"
printf 'jsonl.max_bytes = 4096\n' >"$WORK/size.conf"
produce news 1 60
consume "$WORK/c1.log" "$WORK/size.conf" "$OUT" g1 news
[ "$rc" -eq 0 ] || { wh_show "$WORK/c1.log"; fail "size run: exit $rc"; }
check "$OUT" 4096 1 60
n=$(nfiles "$OUT")
[ "$n" -ge 3 ] || fail "expected several rotated files, got $n"
grep -q 'rotated (jsonl.max_bytes)' "$WORK/c1.log" ||
    { wh_show "$WORK/c1.log"; fail "no rotation logged"; }
ls "$OUT".*.1 >/dev/null 2>&1 ||
    fail "no .N suffix although several rotations fell in one second"
echo "ok: rotation by size: $n rotated file(s), none past 4096 bytes"

# ---- 2. a line longer than the limit: alone in its file
produce news 61 61 900
consume "$WORK/c2.log" "$WORK/size.conf" "$OUT" g1 news
[ "$rc" -eq 0 ] || { wh_show "$WORK/c2.log"; fail "big-line run: exit $rc"; }
check "$OUT" 4096 1 61
{ [ "$(wc -c <"$OUT")" -gt 4096 ] && [ "$(wc -l <"$OUT")" -eq 1 ]; } ||
    fail "the long line is not alone in the current file"
echo "ok: a line longer than jsonl.max_bytes goes alone into a file"

# ---- 3. a replay into the same files: nothing written
sums "$OUT" >"$WORK/sums.before"
consume "$WORK/c3.log" "$WORK/size.conf" "$OUT" g2 news
[ "$rc" -eq 0 ] || { wh_show "$WORK/c3.log"; fail "replay run: exit $rc"; }
sums "$OUT" >"$WORK/sums.after"
diff "$WORK/sums.before" "$WORK/sums.after" >&2 ||
    fail "the replay changed the files"
grep -q '0 line(s) written, 61 skipped' "$WORK/c3.log" ||
    { wh_show "$WORK/c3.log"; fail "replay: expected 61 lines skipped"; }
grep -q 'line(s) held in [0-9]* rotated file(s)' "$WORK/c3.log" ||
    fail "the rotated files were not read at start-up"
echo "ok: replay into the same files: 61 skipped, files unchanged"

# ---- 3b. a file over the 1 MiB read block of the start-up scan: lines
# across the block boundary are recognized too
printf 'jsonl.max_bytes = 0\n' >"$WORK/none.conf"
produce big 201 360 900
consume "$WORK/b1.log" "$WORK/none.conf" "$WORK/out/big.jsonl" gb1 big
[ "$rc" -eq 0 ] || { wh_show "$WORK/b1.log"; fail "big run: exit $rc"; }
[ "$(wc -c <"$WORK/out/big.jsonl")" -gt $((1024 * 1024 + 100000)) ] ||
    fail "big.jsonl is not over 1 MiB"
consume "$WORK/b2.log" "$WORK/none.conf" "$WORK/out/big.jsonl" gb2 big
{ [ "$rc" -eq 0 ] &&
    grep -q '0 line(s) written, 160 skipped' "$WORK/b2.log" &&
    [ "$(wc -l <"$WORK/out/big.jsonl")" -eq 160 ]; } ||
    { wh_show "$WORK/b2.log"; fail "a replay into a 1 MiB+ file wrote lines"; }
echo "ok: a replay into a file over the scan block writes nothing"

# ---- 4. an enrichment change writes the changed lines, once
consume "$WORK/c4.log" "$WORK/size.conf" "$OUT" g3 news --enrich none
[ "$rc" -eq 0 ] || { wh_show "$WORK/c4.log"; fail "enrich-none run: exit $rc"; }
grep -q '61 line(s) written, 0 skipped' "$WORK/c4.log" ||
    { wh_show "$WORK/c4.log"; fail "--enrich none: expected 61 new lines"; }
sums "$OUT" >"$WORK/sums.before"
consume "$WORK/c5.log" "$WORK/size.conf" "$OUT" g4 news --enrich none
[ "$rc" -eq 0 ] || { wh_show "$WORK/c5.log"; fail "second enrich-none run"; }
sums "$OUT" >"$WORK/sums.after"
{ diff -q "$WORK/sums.before" "$WORK/sums.after" >/dev/null &&
    grep -q '0 line(s) written, 61 skipped' "$WORK/c5.log"; } ||
    { wh_show "$WORK/c5.log"; fail "--enrich none again wrote lines"; }
echo "ok: an enrichment change writes the changed records once"

# ---- 5. a partial last line is cut at start-up
printf '{"uri":"urn:wh:rot:half","bod' >>"$OUT"
consume "$WORK/c6.log" "$WORK/size.conf" "$OUT" g5 news --enrich none
[ "$rc" -eq 0 ] ||
    { wh_show "$WORK/c6.log"; fail "partial-line run: exit $rc"; }
grep -q 'cut a partial last line' "$WORK/c6.log" ||
    { wh_show "$WORK/c6.log"; fail "the partial line was not cut"; }
sums "$OUT" >"$WORK/sums.after"
diff "$WORK/sums.before" "$WORK/sums.after" >&2 ||
    fail "files changed beyond the cut"
echo "ok: a partial last line is cut, nothing else changes"

# ---- 6. rotation by age
# (A loaded machine may also rotate the second batch at the last flush:
# the checks allow it.)
AGED=$WORK/out/aged.jsonl
printf 'jsonl.max_age_s = 3\n' >"$WORK/age.conf"
wh_spawn "$WORK/age.log" "$BIN/wirehose-consumer" -c "$WORK/age.conf" \
    -b "$BROKERS" -t aged -g a1 "${KOPT[@]}" --sink "jsonl:$AGED"
AGE_PID=$WH_LAST_PID
wait_lines() { # FILE N
    for _ in $(seq 300); do
        [ "$(cat "$1" "$1".* 2>/dev/null | wc -l)" -ge "$2" ] && return 0
        kill -0 "$AGE_PID" 2>/dev/null || break
        sleep 0.1
    done
    wh_show "$WORK/age.log"
    fail "$1: fewer than $2 lines"
}
produce aged 101 105
wait_lines "$AGED" 5
sleep 4
produce aged 106 110
wait_lines "$AGED" 10
kill -TERM "$AGE_PID"
wait "$AGE_PID" || { wh_show "$WORK/age.log"; fail "age consumer exit"; }
"$WH_PYTHON" - "$AGED" <<'EOF' || { wh_show "$WORK/age.log"; \
    fail "rotation by age: wrong split"; }
import glob, json, sys
out = sys.argv[1]
old = sorted(glob.glob(glob.escape(out) + ".*"))
uris = lambda fs: sorted(json.loads(l)["uri"] for f in fs for l in open(f))
assert old, "nothing rotated"
assert uris(old[:1]) == [f"urn:wh:rot:{n}" for n in range(101, 106)], \
    uris(old[:1])
assert uris(old[1:] + [out]) == [f"urn:wh:rot:{n}" for n in range(106, 111)]
EOF
grep -q 'rotated (jsonl.max_age_s)' "$WORK/age.log" ||
    fail "age rotation not logged"
AGED2=$WORK/out/aged2.jsonl
printf 'jsonl.max_age_s = 5\n' >"$WORK/age5.conf"
consume "$WORK/c7.log" "$WORK/age5.conf" "$AGED2" a2 aged
[ "$rc" -eq 0 ] || { wh_show "$WORK/c7.log"; fail "age run: exit $rc"; }
[ -s "$AGED2" ] || { wh_show "$WORK/c7.log"; fail "$AGED2 is empty"; }
sleep 6
consume "$WORK/c8.log" "$WORK/age5.conf" "$AGED2" a2 aged
[ "$rc" -eq 0 ] || { wh_show "$WORK/c8.log"; fail "age restart: exit $rc"; }
{ [ "$(nfiles "$AGED2")" -ge 1 ] && [ ! -s "$AGED2" ] &&
    grep -q 'rotated (jsonl.max_age_s, at start-up)' "$WORK/c8.log"; } ||
    { wh_show "$WORK/c8.log"; fail "an old file was not rotated at start-up"; }
check "$AGED2" 0 101 110
echo "ok: rotation by age, while running and at start-up"

# ---- 7. fsync policy keys
for policy in batch always never; do
    printf 'jsonl.fsync = %s\n' "$policy" >"$WORK/fs.conf"
    rm -f "$WORK/out/fs.jsonl"
    if [ "$policy" = always ] && command -v strace >/dev/null 2>&1; then
        # LeakSanitizer cannot run under ptrace: leaks are checked by the
        # other runs.
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
            strace -f -qq -e trace=fsync -o "$WORK/strace.out" \
            "$BIN/wirehose-consumer" --once -c "$WORK/fs.conf" \
            -b "$BROKERS" -t news -g "f-$policy" "${KOPT[@]}" \
            --dedup none --sink "jsonl:$WORK/out/fs.jsonl" \
            >"$WORK/fs-$policy.log" 2>&1 && rc=0 || rc=$?
        n=$(grep -c 'fsync(' "$WORK/strace.out" || true)
        [ "$n" -ge 61 ] ||
            fail "jsonl.fsync = always: $n fsync calls for 61 records"
    else
        consume "$WORK/fs-$policy.log" "$WORK/fs.conf" "$WORK/out/fs.jsonl" \
            "f-$policy" news --dedup none
    fi
    { [ "$rc" -eq 0 ] && [ "$(wc -l <"$WORK/out/fs.jsonl")" -eq 61 ]; } ||
        { wh_show "$WORK/fs-$policy.log"; fail "jsonl.fsync = $policy"; }
done
grep -q 'jsonl.fsync = never: after a power loss' "$WORK/fs-never.log" ||
    fail "jsonl.fsync = never: no warning"
refused() { # KEY VALUE MESSAGE
    printf '%s = %s\n' "$1" "$2" >"$WORK/bad.conf"
    consume "$WORK/bad.log" "$WORK/bad.conf" "$WORK/out/bad.jsonl" b1 news
    { [ "$rc" -ne 0 ] && grep -qF -- "$3" "$WORK/bad.log"; } ||
        { wh_show "$WORK/bad.log"; fail "$1 = $2 was not refused ($rc)"; }
}
refused jsonl.fsync sometimes \
    'bad.conf:1: jsonl.fsync: "sometimes": expected one of batch,always,never'
refused jsonl.max_bytes -5 'bad.conf:1: jsonl.max_bytes: -5: must be at least 0'
refused jsonl.max_age_s soon 'jsonl.max_age_s'
refused jsonl.rotate yes 'jsonl.rotate'
printf 'jsonl.max_bytes = 1000\njsonl.max_age_s = 60\njsonl.fsync = always\n' \
    >"$WORK/ok.conf"
"$BIN/wirehose-consumer" --check-config -c "$WORK/ok.conf" -b "$BROKERS" \
    -t news --sink "jsonl:$WORK/out/x.jsonl" >"$WORK/check.log" 2>&1 ||
    { wh_show "$WORK/check.log"; fail "--check-config refused the keys"; }
echo "ok: jsonl.fsync batch/always/never accepted, bad values refused"

# ---- 8. jsonl.window_s: files rotated out of the window are forgotten
# The files of steps 1-3 again, the rotated ones renamed as rotated in
# 2020: with a window of a day only the current file's lines are held.
mkdir -p "$WORK/win"
cp "$OUT" "$WORK/win/news.jsonl"
i=0
for f in "$OUT".*; do
    [ -e "$f" ] || continue
    cp "$f" "$WORK/win/news.jsonl.20200101T000000Z.$i"
    i=$((i + 1))
done
printf 'jsonl.window_s = 86400
' >"$WORK/win.conf"
consume "$WORK/c9.log" "$WORK/win.conf" "$WORK/win/news.jsonl" w1 news
[ "$rc" -eq 0 ] || { wh_show "$WORK/c9.log"; fail "window run: exit $rc"; }
grep -q "$i rotated file(s) older than jsonl.window_s not read"     "$WORK/c9.log" || { wh_show "$WORK/c9.log"; fail "old files were read"; }
written=$(sed -n 's/.* \([0-9]*\) line(s) written, [0-9]* skipped.*/\1/p' \
    "$WORK/c9.log")
[ "${written:-0}" -gt 0 ] ||
    { wh_show "$WORK/c9.log"; fail "window: nothing written again"; }
consume "$WORK/c9b.log" "$WORK/win.conf" "$WORK/win/news.jsonl" w1b news
grep -q '0 line(s) written, 61 skipped' "$WORK/c9b.log" ||
    { wh_show "$WORK/c9b.log"; fail "window: the lines written again were \
written twice"; }
# within the window (0: every file), the same replay writes nothing
rm -f "$WORK/win/news.jsonl"
cp "$OUT" "$WORK/win/news.jsonl"
printf 'jsonl.window_s = 0
' >"$WORK/win0.conf"
consume "$WORK/c10.log" "$WORK/win0.conf" "$WORK/win/news.jsonl" w2 news
grep -q '0 line(s) written, 61 skipped' "$WORK/c10.log" ||
    { wh_show "$WORK/c10.log"; fail "window 0: expected 61 lines skipped"; }
echo "ok: jsonl.window_s: files rotated out of the window are not held"

# ---- 9. jsonl.window_s while running: a daemon rotating every second
# forgets the lines of its rotated file two seconds later
printf 'jsonl.max_age_s = 1\njsonl.window_s = 2\nflush.ms = 200\n' \
    >"$WORK/live.conf"
wh_spawn "$WORK/c11.log" "$BIN/wirehose-consumer" -c "$WORK/live.conf" \
    -b "$BROKERS" -t news -g w3 "${KOPT[@]}" \
    --sink "jsonl:$WORK/win/live.jsonl"
live=$WH_LAST_PID
forgot=
for _ in $(seq 100); do
    forgot=$(sed -n 's/.*left jsonl.window_s: \([0-9]*\) line(s) forgotten.*/\1/p' \
        "$WORK/c11.log" | head -n 1)
    [ -n "$forgot" ] && break
    # a record now and then: the sink checks ages when records come
    [ $((RANDOM % 5)) -eq 0 ] && produce news 200 200
    sleep 0.2
done
kill -TERM "$live"
wait "$live" || true
[ -n "$forgot" ] && [ "$forgot" -ge 1 ] ||
    { wh_show "$WORK/c11.log"; fail "a running sink did not forget the \
lines of a file rotated out of jsonl.window_s ($forgot)"; }
echo "ok: jsonl.window_s while running: $forgot line(s) forgotten"

echo "jsonl_rotate: OK"
