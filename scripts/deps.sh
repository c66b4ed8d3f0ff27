#!/bin/bash
# usage: scripts/deps.sh LIST...
# Makes sure the Debian packages named in the LIST files are installed
# (one per line, '#' comments). As root, installs the missing ones
# (apt-get update first, only when something is missing); otherwise
# prints the exact apt-get line to run and fails.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 LIST..." >&2
    exit 2
fi

wanted=()
for list in "$@"; do
    [ -f "$list" ] || { echo "deps: $list: no such file" >&2; exit 2; }
    while read -r pkg _; do
        wanted+=("$pkg")
    done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
done

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian system (no dpkg-query); install by hand:" \
        "${wanted[*]}" >&2
    exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case $status in
    *" ok installed") ;;
    *) missing+=("$pkg") ;;
    esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages; as root, run:" >&2
    echo "    $line" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends "${missing[@]}"
