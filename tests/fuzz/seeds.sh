#!/bin/bash
# seeds.sh NAME OUTDIR - writes the seed corpus of fuzz target NAME into
# OUTDIR, from the fixtures (tests/data, examples/, deploy/config) and the
# few hand-made seeds in tests/fuzz/seeds/NAME/, in the input layout the
# target reads (fuzz_NAME.c's header). Run from anywhere.
set -euo pipefail

name=$1
out=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
n=0

# next: names the next seed file in $slot (called in this shell, not in
# a pipeline or a redirection, where the count would be lost).
next() {
    n=$((n + 1))
    slot=$out/$n
}

# The pages of the extraction fixtures and the example site.
pages() {
    find "$src/tests/data/extract" "$src/examples/site" -name '*.html' |
        LC_ALL=C sort
}

# URLs and dates as they stand in the fixtures, one per line.
grep_fixtures() {
    grep -rhoaE "$1" "$src/tests/data" "$src/examples" | LC_ALL=C sort -u |
        head -n 300
}

if [ -d "$src/tests/fuzz/seeds/$name" ]; then
    for f in "$src/tests/fuzz/seeds/$name"/*; do
        [ -f "$f" ] || continue
        next
        cat "$f" >"$slot"
    done
fi

case $name in
url)
    while IFS= read -r u; do
        next
        printf '%s' "$u" >"$slot"
    done < <(grep_fixtures 'https?://[^"<> ]+')
    ;;
date)
    while IFS= read -r d; do
        next
        printf '%s' "$d" >"$slot"
    done < <(grep_fixtures '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)?|[A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]+ [A-Z+0-9-]+|[0-9]{8}T[0-9]{6}[Z+0-9-]*')
    ;;
charset | extract)
    while IFS= read -r f; do
        next
        { printf '\n'; cat "$f"; } >"$slot"
    done < <(pages)
    next
    { printf 'shift_jis\n'; cat "$src/tests/data/extract/shift-jis.html"; } \
        >"$slot"
    next
    { printf 'iso-8859-1\n'; cat "$src/tests/data/extract/windows-1252.html"; } \
        >"$slot"
    ;;
sources)
    # the first byte picks the way in (fuzz_sources.c): 0 is detection
    for f in "$src"/tests/data/feeds/* "$src"/tests/data/feeds/edge/* \
        "$src"/examples/feeds/*; do
        [ -f "$f" ] || continue
        case $f in *.expected.json | *.jsonl) continue ;; esac
        next
        { printf '\000'; cat "$f"; } >"$slot"
    done
    ;;
record)
    for f in "$src"/tests/data/extract/*.json; do
        next
        cat "$f" >"$slot"
    done
    ;;
config)
    for f in "$src"/deploy/config/*.conf; do
        next
        cat "$f" >"$slot"
    done
    ;;
enrich)
    for f in "$src"/tests/data/extract/*.txt; do
        next
        cat "$f" >"$slot"
    done
    ;;
dedup)
    # two copies of one story under two uris, a new version, a repeat
    set -- "$src"/tests/data/extract/*.txt
    while [ $# -ge 2 ]; do
        next
        {
            printf '\036https://a.example/1\n'
            cat "$1"
            printf '\036https://b.example/2\n'
            cat "$1"
            printf '\036https://a.example/1\n'
            cat "$2"
            printf '\036https://a.example/1\n'
            cat "$2"
        } >"$slot"
        shift 2
    done
    ;;
robots)
    ;;
*)
    echo "seeds.sh: no target $name" >&2
    exit 2
    ;;
esac
echo "seeds.sh: $name: $n seeds in $out"
