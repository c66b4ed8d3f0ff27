#!/bin/bash
# run_selftest.sh - run.sh's bookkeeping without clang: a stand-in for
# the libFuzzer binaries (it takes the same arguments and, as libFuzzer
# does, exits with "No such file or directory: DIR; exiting" when a
# corpus directory it is given does not exist) run through run.sh with
# FUZZ_NO_BUILD=1.
#
# Checks: a target without tests/data/fuzz-regressions/TARGET (date) and
# one with it (url) report no finding (exit 0, "fuzz: no finding", 0 in
# the findings column); a target whose run leaves a crashing input is
# reported (exit 1, "FINDINGS").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d "$here/../data/fuzz-regressions/url" ] ||
    { echo "FAIL: tests/data/fuzz-regressions/url is gone" >&2; exit 1; }
[ ! -d "$here/../data/fuzz-regressions/date" ] ||
    { echo "FAIL: pick a target without regressions instead of date" >&2; exit 1; }

mkdir -p "$work/build/fuzz"
cat >"$work/build/fuzz/stand-in" <<'SH'
#!/bin/bash
# like libFuzzer: flags start with '-', the rest are corpus directories
prefix=
for a in "$@"; do
    case $a in
    -artifact_prefix=*) prefix=${a#-artifact_prefix=} ;;
    -*) ;;
    *)
        if [ ! -d "$a" ]; then
            echo "No such file or directory: $a; exiting"
            exit 1
        fi
        ;;
    esac
done
if [ -n "${STAND_IN_FINDS:-}" ]; then
    echo "==1==ERROR: AddressSanitizer: heap-buffer-overflow"
    echo crash >"${prefix}crash-0"
    exit 1
fi
echo "#5 DONE cov: 7 ft: 9 corp: 1/1b"
echo "stat::number_of_executed_units: 5"
SH
chmod +x "$work/build/fuzz/stand-in"
for t in date url; do
    ln -s stand-in "$work/build/fuzz/fuzz_$t"
done

run() {
    FUZZ_NO_BUILD=1 FUZZ_BUILD=$work/build FUZZ_OUT=$work/out \
        FUZZ_SECONDS=1 FUZZ_JOBS=1 "$here/run.sh" "$@"
}

rc=0
run date url >"$work/ok.out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || ! grep -q '^fuzz: no finding' "$work/ok.out" ||
    ! grep -qE '^date +5 +7 +[0-9]+ +0$' "$work/ok.out"; then
    cat "$work/ok.out" "$work/out/logs/date.log" >&2
    echo "FAIL: a false finding (exit $rc)" >&2
    exit 1
fi
echo "ok: date (no regression directory) and url: no finding"

rc=0
STAND_IN_FINDS=1 run date >"$work/find.out" 2>&1 || rc=$?
if [ "$rc" -ne 1 ] || ! grep -q '^fuzz: FINDINGS' "$work/find.out" ||
    ! grep -qE '^date +[0-9]+ +[0-9]+ +[0-9]+ +1$' "$work/find.out"; then
    cat "$work/find.out" >&2
    echo "FAIL: a finding not reported (exit $rc)" >&2
    exit 1
fi
echo "ok: a crashing input is reported"
