#!/bin/bash
# monitoring_prometheus.sh - deploy/monitoring against a real Prometheus
# server on loopback scraping both daemons: the dev broker, a producer
# over the sample feeds (file:// sources), a consumer into JSONL (and one
# record that is no record, for the dead-letter series), and Prometheus
# with the alert rules loaded, all real processes.
#
# Checks: Prometheus loads the rules and scrapes both targets (up == 1);
# every query of the Grafana dashboard and the "query" of every alert
# rule (its expression without the threshold) answers with series (no
# empty result).
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for tool in prometheus kcat curl; do
    command -v "$tool" >/dev/null 2>&1 ||
        skip "$tool is not installed (Debian package prometheus, kcat, curl)"
done
wh_need_bin wirehose-devbroker wirehose-producer wirehose-consumer
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export STATE_DIRECTORY="$WORK/state"
MON="$WH_SRCDIR/deploy/monitoring"

# port_of LOG: the port a daemon's log says its metrics server took.
port_of() {
    local log=$1 port=
    for _ in $(seq 100); do
        port=$({ sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' \
            "$log" 2>/dev/null || true; } | head -n 1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    echo "$port"
}

wh_start_broker --partitions 2 --topic articles
printf 'bad\tnot json\n' | kcat -P -b "$BROKERS" -t articles -K $'\t' ||
    fail "kcat could not produce"

wh_spawn "$WORK/producer.log" "$BIN/wirehose-producer" -b "$BROKERS" \
    -t articles --metrics 127.0.0.1:0 \
    --source "file://$WH_SRCDIR/examples/feeds/news.rss" \
    --source "file://$WH_SRCDIR/examples/feeds/news.atom"
PPORT=$(port_of "$WORK/producer.log")
wh_spawn "$WORK/consumer.log" "$BIN/wirehose-consumer" -b "$BROKERS" \
    -t articles -g gp --enrich none --metrics 127.0.0.1:0 \
    --sink "jsonl:$WORK/out.jsonl"
CPORT=$(port_of "$WORK/consumer.log")
if [ -z "$PPORT" ] || [ -z "$CPORT" ]; then
    wh_show "$WORK/producer.log" "$WORK/consumer.log"
    fail "no metrics ports"
fi

# A free port for Prometheus itself.
PROM_PORT=$("$WH_PYTHON" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
cp "$MON/wirehose-alerts.yml" "$WORK/"
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - wirehose-alerts.yml
scrape_configs:
  - job_name: wirehose-producer
    static_configs:
      - targets: ["127.0.0.1:$PPORT"]
  - job_name: wirehose-consumer
    static_configs:
      - targets: ["127.0.0.1:$CPORT"]
EOF
wh_spawn "$WORK/prometheus.log" prometheus \
    --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT"
P=http://127.0.0.1:$PROM_PORT

# Wait for both targets up and for the records to land.
for _ in $(seq 120); do
    up=$({ curl -s "$P/api/v1/query" --data-urlencode 'query=sum(up)' ||
        true; } |
        "$WH_PYTHON" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(int(float(r[0]["value"][1])) if r else 0)
except Exception:
    print(0)')
    [ "$up" = 2 ] && [ -s "$WORK/out.jsonl" ] && break
    sleep 0.5
done
[ "$up" = 2 ] || { wh_show "$WORK/prometheus.log"; fail "targets not up"; }
[ -s "$WORK/out.jsonl" ] || { wh_show "$WORK/consumer.log"; fail "no records"; }
rules=$(curl -s "$P/api/v1/rules") || fail "GET /api/v1/rules failed"
case $rules in
*WirehoseSinkDown*) ;;
*) fail "Prometheus did not load the alert rules: $rules" ;;
esac
sleep 6 # a few more scrapes, so that rate() has two samples

"$WH_PYTHON" - "$P" "$MON/wirehose-dashboard.json" "$MON/wirehose-alerts.yml" \
    <<'EOF' || fail "a query answered no series"
import json, re, sys, urllib.parse, urllib.request
base, dash_path, rules_path = sys.argv[1:4]
queries = []
for panel in json.load(open(dash_path))["panels"]:
    for t in panel.get("targets", []):
        queries.append(("dashboard: " + panel["title"], t["expr"]))
# The rules file is YAML; the "query" annotations are one-line strings.
for m in re.finditer(r'^\s*- alert: (\S+)(?:.|\n)*?^\s*query: "(.*)"$',
                     open(rules_path).read(), re.M):
    q = m.group(2).replace('\\"', '"')
    queries.append(("alert: " + m.group(1), q))
if len(queries) < 15:
    sys.exit("found only %d queries" % len(queries))
bad = 0
for what, q in queries:
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    r = json.load(urllib.request.urlopen(url, timeout=10))
    n = len(r["data"]["result"]) if r.get("status") == "success" else -1
    print("%-4s %-55s %s" % ("ok" if n > 0 else "FAIL", what, n))
    bad += n <= 0
sys.exit(1 if bad else 0)
EOF
echo "monitoring_prometheus: OK"
