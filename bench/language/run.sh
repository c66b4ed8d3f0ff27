#!/bin/bash
# bench/language: accuracy and CPU cost per record of the language
# detectors on an evaluation set built at run time from Debian's word
# lists and spelling dictionaries (make_evalset.py: 31 languages in 9
# scripts, and four kinds of text that is no language). Prints, for the
# language enricher as built and for the options it was chosen among
# (libcld2 alone, libexttextcat restricted by script on a 512-byte
# sample, libexttextcat with all its profiles), a table per class: share
# answered right ("und" for junk), the wrong answers, mean and worst CPU
# microseconds per record.
#
# Bench-only packages (not in CI): the word lists named in
# make_evalset.py's header, and libexttextcat-dev, libexttextcat-data.
#
# Knobs (environment): PER_CLASS (200 records a class), SEED (18),
# DETECTORS (enricher,cld2,textcat-script,textcat-all), WH_BENCH_BUILD
# (build directory, default $WH_BINDIR/bench-language or
# build/bench-language).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WH_SRCDIR=${WH_SRCDIR:-$(cd "$HERE/../.." && pwd)}
WH_BINDIR=${WH_BINDIR:-$WH_SRCDIR/build}
BUILD=${WH_BENCH_BUILD:-$WH_BINDIR/bench-language}
PYTHON=${WH_PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wh-bench-language.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "building (Release) in $BUILD ..." >&2
cmake -S "$HERE" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DWH_SANITIZE=OFF \
    >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j2 --target lang_eval >"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log" >&2; exit 1; }
"$PYTHON" "$HERE/make_evalset.py" --per-class "${PER_CLASS:-200}" \
    --seed "${SEED:-18}" >"$WORK/evalset.tsv"
"$BUILD/lang_eval" -d "$WH_SRCDIR/data" \
    -D "${DETECTORS:-enricher,cld2,textcat-script,textcat-all}" \
    <"$WORK/evalset.tsv"
