#!/bin/bash
# monitoring_files.sh - the files of deploy/monitoring on their own: the
# alert rules pass `promtool check rules`, each alert names the "query"
# it watches and a severity, and the Grafana dashboard has an importable
# shape (a title and uid, the Prometheus data-source input, panels with
# unique ids, a type, a title, a grid position and at least one target
# with a PromQL expression, on the data source of the input).
#
# Exit status: 0 pass, 1 fail, 77 skipped (promtool missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null 2>&1 ||
    skip "promtool is not installed (Debian package prometheus)"
MON="$WH_SRCDIR/deploy/monitoring"

promtool check rules "$MON/wirehose-alerts.yml" >"$WORK/promtool.out" 2>&1 ||
    { wh_show "$WORK/promtool.out"; fail "promtool check rules"; }
grep -q 'SUCCESS: 9 rules found' "$WORK/promtool.out" ||
    { wh_show "$WORK/promtool.out"; fail "expected 9 rules"; }
echo "ok: promtool check rules"

"$WH_PYTHON" - "$MON/wirehose-dashboard.json" "$MON/wirehose-alerts.yml" \
    <<'EOF_PY' || fail "monitoring files"
import json, re, sys
d = json.load(open(sys.argv[1]))
for key in ("title", "uid", "panels", "schemaVersion", "__inputs"):
    if key not in d:
        sys.exit("dashboard: no %r" % key)
inputs = [i["name"] for i in d["__inputs"] if i.get("pluginId") == "prometheus"]
if not inputs:
    sys.exit("dashboard: no Prometheus data-source input")
ds = "${%s}" % inputs[0]
ids = set()
for p in d["panels"]:
    for key in ("id", "type", "title", "gridPos", "targets"):
        if key not in p:
            sys.exit("panel %r: no %r" % (p.get("title"), key))
    if p["id"] in ids:
        sys.exit("panel id %r twice" % p["id"])
    ids.add(p["id"])
    if set(p["gridPos"]) != {"h", "w", "x", "y"}:
        sys.exit("panel %r: gridPos %r" % (p["title"], p["gridPos"]))
    if p["datasource"]["uid"] != ds:
        sys.exit("panel %r: data source %r" % (p["title"], p["datasource"]))
    if not p["targets"] or not all(t.get("expr") for t in p["targets"]):
        sys.exit("panel %r: a target without expr" % p["title"])
    if len({t["refId"] for t in p["targets"]}) != len(p["targets"]):
        sys.exit("panel %r: refIds not unique" % p["title"])
print("ok: dashboard: %d panels" % len(d["panels"]))
text = open(sys.argv[2]).read()
alerts = re.split(r"^\s*- alert: ", text, flags=re.M)[1:]
for a in alerts:
    name = a.split()[0]
    if not re.search(r'^\s*query: "', a, re.M):
        sys.exit("alert %s: no query annotation" % name)
    if not re.search(r"^\s*severity: (warning|critical)$", a, re.M):
        sys.exit("alert %s: no severity" % name)
print("ok: %d alerts, each with its query and severity" % len(alerts))
EOF_PY
echo "monitoring_files: OK"
