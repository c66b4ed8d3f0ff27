#!/bin/bash
# pg_helper.sh - a throw-away PostgreSQL server for the tests (Debian's
# postgresql package), listening only on a Unix socket in its own
# temporary directory.
#
#   pg_helper.sh run CONNINFO_FILE
#       initdb into a new temporary directory, start the server, write its
#       conninfo to CONNINFO_FILE (and print it), then wait; on SIGTERM or
#       SIGINT stop the server and remove the directory.
#   pg_helper.sh ctl DIR stop|start
#       stop (fast: connections are cut) or start again the server of DIR
#       (the host= of the conninfo), to simulate an outage.
#
# As root, the server runs as the postgres user (initdb refuses root).
# Exits 77 (skipped) when PostgreSQL is not installed.
set -euo pipefail

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

# as_owner CMD...: runs CMD as the server's owner (postgres when root).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

BINDIR=$(pg_bindir) || {
    echo "skipped: PostgreSQL is not installed (apt-get install postgresql)"
    exit 77
}

cmd_ctl() {
    local dir=$1 what=$2
    case $what in
    stop)
        as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop \
            >>"$dir/ctl.log" 2>&1
        ;;
    start)
        as_owner "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
            -w -t 60 start >>"$dir/ctl.log" 2>&1
        ;;
    *)
        echo "pg_helper.sh: ctl: stop or start, not '$what'" >&2
        exit 2
        ;;
    esac
}

cmd_run() {
    local out=$1 dir
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "skipped: running as root and there is no postgres user"
        exit 77
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/wh-pg.XXXXXX")
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
    fi
    stop_and_remove() {
        trap - EXIT INT TERM
        if [ -f "$dir/data/postmaster.pid" ]; then
            as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m immediate \
                -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$dir"
    }
    trap stop_and_remove EXIT
    trap 'exit 0' INT TERM

    if ! as_owner "$BINDIR/initdb" -D "$dir/data" -U postgres \
        --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        echo "pg_helper.sh: initdb failed" >&2
        exit 1
    fi
    # Unix socket in $dir only; small, fast, nothing durable needed.
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = 5432
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 20
EOF
    if ! cmd_ctl "$dir" start; then
        cat "$dir/ctl.log" "$dir/server.log" >&2 || true
        echo "pg_helper.sh: the server did not start" >&2
        exit 1
    fi
    echo "host=$dir port=5432 dbname=postgres user=postgres" >"$out.tmp"
    mv "$out.tmp" "$out"
    cat "$out"
    # Wait for the signal; sleep in the background so the trap runs at once.
    while true; do
        sleep 1 &
        wait $! || true
    done
}

case ${1:-} in
run)
    if [ $# -ne 2 ]; then
        echo "usage: pg_helper.sh run CONNINFO_FILE" >&2
        exit 2
    fi
    cmd_run "$2"
    ;;
ctl)
    if [ $# -ne 3 ]; then
        echo "usage: pg_helper.sh ctl DIR stop|start" >&2
        exit 2
    fi
    cmd_ctl "$2" "$3"
    ;;
*)
    echo "usage: pg_helper.sh run CONNINFO_FILE | ctl DIR stop|start" >&2
    exit 2
    ;;
esac
