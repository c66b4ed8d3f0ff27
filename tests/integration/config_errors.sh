#!/bin/bash
# Config errors, for both daemons: an unknown key, a line without '=' and a
# missing config file each end the daemon with exit status 2 and exactly
# one line on stderr naming file:line (or the file); with --check-config
# and on a normal start alike. The example configs of deploy/config/ pass
# --check-config.
#
# --check-config finds, one line each, on every daemon that takes the key
# (wirehose-replay reads the consumer's file): a misspelt conninfo keyword,
# a JSONL directory missing or not writable, a missing enrichment data
# directory, a bad CIDR, an out-of-range integer of a sink (file:line).
# Secrets: ${env:NAME} and ${file:PATH} are read, their errors named.
# CLI manners: --version on all five binaries; an unknown option, a
# missing argument, a stray operand: one line and "see --help", exit 2.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

wh_need_bin wirehose-producer wirehose-consumer wirehose-replay \
    wirehose-extract wirehose-devbroker

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
# ---- --check-config: what the key types and the stages' checks catch ----
# consumer_conf NAME LINE...: a consumer config that is fine but for LINEs
# (its JSONL in a directory anyone may write: see "not writable" below).
mkdir -p "$WORK/w"
chmod 777 "$WORK/w"
consumer_conf() {
    local name=$1
    shift
    {
        echo "brokers = 127.0.0.1:9092"
        echo "topic = wirehose.articles"
        echo "group = g"
        echo "sink = jsonl:$WORK/w/out.jsonl"
        printf '%s\n' "$@"
    } >"$WORK/$name.conf"
}
# on_consumer_side WHAT PATTERN CONF: consumer and replay, --check-config.
on_consumer_side() {
    local what=$1 pattern=$2 conf=$3
    expect_error "consumer --check-config, $what" "$pattern" \
        "$BIN/wirehose-consumer" -c "$conf" --check-config
    expect_error "replay --check-config, $what" "$pattern" \
        "$BIN/wirehose-replay" -c "$conf" --check-config
}

consumer_conf pgtypo "sink = postgres:hots=/run/postgresql dbname=news"
on_consumer_side "misspelt conninfo keyword (sink)" \
    'pgtypo\.conf:5: sink: postgres: .*invalid connection option "hots"' \
    "$WORK/pgtypo.conf"
consumer_conf storetypo "dedup.store = postgres:host=/tmp dbnme=news"
on_consumer_side "misspelt conninfo keyword (dedup.store)" \
    'storetypo\.conf:5: dedup\.store: .*invalid connection option "dbnme"' \
    "$WORK/storetypo.conf"
consumer_conf nodir "sink = jsonl:$WORK/no/such/dir/out.jsonl"
on_consumer_side "JSONL directory missing" \
    "nodir\.conf:5: sink: jsonl: directory .*/no/such/dir: No such file" \
    "$WORK/nodir.conf"
consumer_conf nodata "enrich.data_dir = $WORK/no-data"
on_consumer_side "enrichment data directory missing" \
    "nodata\.conf:5: enrich\.data_dir: directory .*/no-data: No such file" \
    "$WORK/nodata.conf"
mkdir -p "$WORK/data-empty"
consumer_conf emptydata "enrich.data_dir = $WORK/data-empty" \
    "enrich = keywords"
on_consumer_side "enrichment data file missing" \
    "data-empty/enrich/stopwords/en\.txt: No such file.*enrich\.data_dir" \
    "$WORK/emptydata.conf"
consumer_conf range "" "http.timeout_ms = 5"
on_consumer_side "out-of-range sink key" \
    "range\.conf:6: http\.timeout_ms: 5: must be 100 to 3600000 ms" \
    "$WORK/range.conf"
consumer_conf jsonlrange "jsonl.max_bytes = -1"
on_consumer_side "negative jsonl.max_bytes" \
    "jsonlrange\.conf:5: jsonl\.max_bytes: -1: must be at least 0" \
    "$WORK/jsonlrange.conf"
# the consumer refuses at start, not only with --check-config
expect_error "consumer start, out-of-range sink key" \
    "range\.conf:6: http\.timeout_ms: 5: must be 100 to 3600000 ms" \
    "$BIN/wirehose-consumer" -c "$WORK/range.conf"

# A JSONL directory this user cannot write: as root, checked as nobody
# (root may write anywhere).
mkdir -p "$WORK/ro"
chmod 555 "$WORK/ro"
consumer_conf rodir "sink = jsonl:$WORK/ro/out.jsonl"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$WORK"
    chmod 644 "$WORK/rodir.conf"
    as_user=(runuser -u nobody --)
fi
for d in consumer replay; do
    expect_error "$d --check-config, JSONL directory not writable" \
        "rodir\.conf:5: sink: jsonl: directory .*/ro: not writable by this user" \
        "${as_user[@]}" "$BIN/wirehose-$d" -c "$WORK/rodir.conf" --check-config
done

printf 'brokers = 127.0.0.1:9092\ntopic = t\nsource = %s\n%s\n' \
    "https://example.com/feed.xml" "fetch.allow_address = 10.0.0.0/33" \
    >"$WORK/cidr.conf"
expect_error "producer --check-config, bad CIDR" \
    "cidr\.conf:4: fetch\.allow_address: bad CIDR '10\.0\.0\.0/33'" \
    "$BIN/wirehose-producer" -c "$WORK/cidr.conf" --check-config
expect_error "producer --check-config, bad CIDR flag" \
    "command line: fetch\.allow_address: bad CIDR 'nonsense'" \
    "$BIN/wirehose-producer" -c "$WORK/cidr.conf" --check-config \
    --allow-address nonsense

# ---- secrets: ${env:NAME}, ${file:PATH} ----
echo "wirehose.articles" >"$WORK/topic.secret"
consumer_conf secret_ok "kafka.client.id = \${env:WH_TEST_CLIENT}" \
    "dlq.topic = \${file:$WORK/topic.secret}.dlq"
WH_TEST_CLIENT=abc "$BIN/wirehose-consumer" -c "$WORK/secret_ok.conf" \
    --check-config >"$WORK/out" 2>&1 ||
    fail "\${env:} and \${file:} refused: $(cat "$WORK/out")"
echo "ok: \${env:NAME} and \${file:PATH} read"
consumer_conf secret_env "kafka.sasl.password = \${env:WH_TEST_UNSET_VAR}"
expect_error "consumer, \${env:} not set" \
    'secret_env\.conf:5: kafka\.sasl\.password: \$\{env:WH_TEST_UNSET_VAR\}: not set' \
    env -u WH_TEST_UNSET_VAR "$BIN/wirehose-consumer" \
    -c "$WORK/secret_env.conf" --check-config
consumer_conf secret_file "kafka.sasl.password = \${file:$WORK/nope}"
expect_error "consumer, \${file:} missing" \
    'secret_file\.conf:5: kafka\.sasl\.password: \$\{file:.*/nope\}: No such file' \
    "$BIN/wirehose-consumer" -c "$WORK/secret_file.conf" --check-config

# ---- CLI manners, all five binaries ----
for b in producer consumer replay extract devbroker; do
    out=$("$BIN/wirehose-$b" --version) || fail "wirehose-$b --version failed"
    echo "$out" | grep -Eqx "wirehose-$b [0-9][0-9.]* \(wirehose [0-9][0-9.]*\)" ||
        fail "wirehose-$b --version: '$out'"
    echo "ok: $out"
    expect_error "wirehose-$b, unknown option" \
        "^wirehose-$b: unknown option '--no-such-option'; see --help\$" \
        "$BIN/wirehose-$b" --no-such-option
done
for b in producer consumer replay; do
    expect_error "wirehose-$b, missing argument" \
        "^wirehose-$b: option '-c' needs an argument; see --help\$" \
        "$BIN/wirehose-$b" -c
    expect_error "wirehose-$b, stray operand" \
        "^wirehose-$b: unexpected argument 'stray'; see --help\$" \
        "$BIN/wirehose-$b" -b x:1 stray
done
expect_error "wirehose-extract, missing argument" \
    "^wirehose-extract: option '--url' needs an argument; see --help\$" \
    "$BIN/wirehose-extract" --url
expect_error "wirehose-devbroker, missing argument" \
    "^wirehose-devbroker: option '--topic' needs an argument; see --help\$" \
    "$BIN/wirehose-devbroker" --topic

echo "config_errors: all checks passed"
