#!/bin/sh
# The systemd notify protocol against a real NOTIFY_SOCKET listener: runs
# the wh_notify probe under notify.py, which plays systemd's part.
# Needs WH_BINDIR (set by ctest); exits 77 (skip) without python3 or probe.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${WH_BINDIR:?WH_BINDIR must name the build directory}"
probe="$WH_BINDIR/tests/test_notify_probe"
py=${WH_PYTHON:-python3}
if ! command -v "$py" >/dev/null 2>&1; then
    echo "SKIP: python3 not found" >&2
    exit 77
fi
if [ ! -x "$probe" ]; then
    echo "SKIP: $probe not built (target test_notify_probe)" >&2
    exit 77
fi
exec "$py" "$here/notify.py" "$probe"
