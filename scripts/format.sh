#!/bin/bash
# usage: scripts/format.sh [--check]
# Formats every C source and header of the tree with the repository's
# .clang-format (clang-format -i). With --check it changes nothing and
# fails, naming each file, when any file differs from its formatted form:
# the CI gate "format" runs it that way.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
[ "${1:-}" = "--check" ] && check=1
command -v clang-format >/dev/null ||
    { echo "format: clang-format is not installed" >&2; exit 2; }
mapfile -t files < <(git ls-files -- '*.c' '*.h' '*.cc' | LC_ALL=C sort)
if [ "$check" -eq 0 ]; then
    clang-format -i "${files[@]}"
    echo "format: ${#files[@]} files formatted"
    exit 0
fi
bad=0
for f in "${files[@]}"; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "$f: differs from .clang-format (run scripts/format.sh)"
        bad=$((bad + 1))
    fi
done
echo "format: ${#files[@]} files checked, $bad to format"
[ "$bad" -eq 0 ]
