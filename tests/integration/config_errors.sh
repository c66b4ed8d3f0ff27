#!/bin/bash
# Config errors, for both daemons: an unknown key, a line without '=' and a
# missing config file each end the daemon with exit status 2 and exactly
# one line on stderr naming file:line (or the file); with --check-config
# and on a normal start alike. The example configs of deploy/config/ pass
# --check-config.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-producer wirehose-consumer

printf '# wirehose test config\n\nno_such_key = 1\n' >"$WORK/unknown.conf"
printf '# wirehose test config\nthis line has no equals sign\n' \
    >"$WORK/noeq.conf"

# expect_error WHAT PATTERN CMD...: CMD must exit 2 with one stderr line
# matching the (grep -E) PATTERN.
expect_error() {
    local what=$1 pattern=$2 rc=0 n
    shift 2
    timeout 30 "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
    n=$(grep -c . "$WORK/err" || true)
    if [ "$rc" -ne 2 ] || [ "$n" -ne 1 ] ||
        ! grep -Eq -- "$pattern" "$WORK/err"; then
        echo "----- stderr -----" >&2
        cat "$WORK/err" >&2
        fail "$what: want exit 2 and one line matching '$pattern';" \
            "got exit $rc and $n line(s)"
    fi
    echo "ok: $what: $(cat "$WORK/err")"
}

for d in producer consumer; do
    b=$BIN/wirehose-$d
    for mode in --check-config start; do
        flags=()
        if [ "$mode" = --check-config ]; then
            flags=(--check-config)
        fi
        expect_error "$d $mode, unknown key" \
            "unknown\.conf:3:.*no_such_key" \
            "$b" -c "$WORK/unknown.conf" "${flags[@]}"
        expect_error "$d $mode, line without =" "noeq\.conf:2:" \
            "$b" -c "$WORK/noeq.conf" "${flags[@]}"
        expect_error "$d $mode, missing file" "missing\.conf" \
            "$b" -c "$WORK/missing.conf" "${flags[@]}"
    done

    example=$WH_SRCDIR/deploy/config/$d.conf
    if [ -f "$example" ]; then
        rc=0
        timeout 30 "$b" -c "$example" --check-config \
            >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
        if [ "$rc" -ne 0 ]; then
            cat "$WORK/err" >&2
            fail "$d: example config $example fails --check-config ($rc)"
        fi
        echo "ok: $d: deploy/config/$d.conf passes --check-config"
    else
        fail "$d: no example config $example"
    fi

    # Every key of the daemon's table (as --help lists it) is explained in
    # the example config (set or commented out) and named in the README.
    "$b" --help >"$WORK/help" 2>&1 || fail "$d --help failed"
    keys=$(sed -n '/Configuration keys:/,/^$/p' "$WORK/help" |
        awk '/^  [^ ]/ && $1 !~ /</ { print $1 }')
    [ -n "$keys" ] || fail "$d --help lists no configuration keys"
    for k in $keys; do
        grep -Eq "^#? ?${k//./\\.} = " "$example" ||
            fail "$d: key $k is not in $example"
        grep -qF "\`$k\`" "$WH_SRCDIR/README.md" ||
            fail "$d: key $k is not in README.md"
    done
    echo "ok: $d: every key ($(echo "$keys" | wc -w)) is in the example" \
        "config and the README"
done
echo "config_errors: all checks passed"
