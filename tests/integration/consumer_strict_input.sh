#!/bin/bash
# consumer_strict_input.sh - the consumer's strict check of each record
# (wh_record_check(): ninjs 3.1 rules for every member present, a uri, a
# headline or text body): records missing a required field or with a
# wrong type or format, over the dev broker, into a JSONL sink.
#
# Checks: each bad record is a dead letter with reason invalid_record
# and its first failing field in wh.dlq.detail; none reaches the sink;
# the good records do, and one that lacked type and version says so in
# wirehose.filled.
#
# Environment: WH_BINDIR = the build directory (binaries in $WH_BINDIR/bin).
# Exit status: 0 pass, 1 fail, 77 skipped (a tool is missing).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null 2>&1 || skip "kcat is not installed"
wh_need_bin wirehose-devbroker wirehose-consumer
export STATE_DIRECTORY="$WORK/state"

wh_start_broker --partitions 1 --topic articles

H='"headlines":[{"value":"A headline"}]'
B='"bodies":[{"role":"main","contentType":"text/plain","value":"Body."}]'
U='"uri":"http://example.test/'
# key <TAB> record <TAB> the field wh.dlq.detail must start with ("" = good)
cat >"$WORK/cases" <<EOF
good1	{${U}good1",$H,"type":"text","version":"2"}	
good2	{${U}good2",$B}	
nouri	{$H,$B}	uri: missing
nouri2	{"headlines":[{"value":"x"}]}	uri: missing
notext	{${U}notext"}	headlines: neither
emptytext	{${U}empty","headlines":[{"value":"  "}]}	headlines: neither
htmlonly	{${U}html","bodies":[{"contentType":"text/html","value":"<p>x</p>"}]}	headlines: neither
relative	{"uri":"x",$H}	uri: not an absolute URI
uritype	{"uri":42,$H}	uri: expected a string
date	{${U}date",$H,"firstCreated":"yesterday"}	firstCreated: not an RFC 3339
date2	{${U}date2",$H,"versionCreated":"2026-02-30T10:00:00Z"}	versionCreated: not an RFC 3339
heads	{${U}heads","headlines":"A headline"}	headlines: expected an array
headitem	{${U}headitem","headlines":["A headline"]}	headlines[0]: expected an object
novalue	{${U}novalue",$H,"bodies":[{"role":"main"}]}	bodies[0].value: missing
valuetype	{${U}valuetype","headlines":[{"value":7}]}	headlines[0].value: expected a string
count	{${U}count",$H,"bodies":[{"value":"x","wordCount":"3"}]}	bodies[0].wordCount: expected a count
urgency	{${U}urgency",$H,"urgency":12}	urgency: expected an integer from 1 to 9
type	{${U}type",$H,"type":"article"}	type: "article" is not one of
version	{${U}version",$H,"version":2}	version: expected a string
people	{${U}people",$H,"people":[{"name":"A","uri":"not a uri"}]}	people[0].uri: not an absolute URI
subjects	{${U}subjects",$H,"subjects":{"name":"x"}}	subjects: expected an array
unknown	{${U}unknown",$H,"colour":"blue"}	colour: not a ninjs 3.1 property
ext	{${U}ext",$H,"wirehose":{"fetchedAt":"noon"}}	wirehose.fetchedAt: not an RFC 3339
EOF
cut -f1,2 "$WORK/cases" | kcat -P -b "$BROKERS" -t articles -K $'\t' ||
    fail "kcat could not produce"
total=$(grep -c . "$WORK/cases")

timeout 120 "$BIN/wirehose-consumer" -b "$BROKERS" -t articles -g gs \
    --enrich none --dedup none --sink "jsonl:$WORK/out.jsonl" --once \
    >"$WORK/consumer.log" 2>&1 ||
    { wh_show "$WORK/consumer.log"; fail "consumer --once failed"; }

kcat -C -b "$BROKERS" -t articles.dlq -e -q -f '%k\t%h\n' \
    >"$WORK/dlq" 2>"$WORK/dlq.err" ||
    { cat "$WORK/dlq.err" >&2; fail "cannot read articles.dlq"; }

"$WH_PYTHON" - "$WORK/cases" "$WORK/dlq" "$WORK/out.jsonl" <<'EOF' ||
import json, sys
cases = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
dlq = {}
for line in open(sys.argv[2]).read().splitlines():
    key, hdrs = line.split("\t", 1)
    dlq[key] = dict(h.split("=", 1) for h in hdrs.split(",") if "=" in h)
out = [json.loads(l) for l in open(sys.argv[3]).read().splitlines()]
sunk = {r["uri"] for r in out}
bad = 0
for key, rec, want in cases:
    if want == "":
        if "http://example.test/" + key not in sunk:
            sys.exit("%s: a good record did not reach the sink" % key)
        if key in dlq:
            sys.exit("%s: a good record was dead-lettered" % key)
        continue
    bad += 1
    h = dlq.get(key)
    if h is None:
        sys.exit("%s: not dead-lettered" % key)
    if h.get("wh.dlq.reason") != "invalid_record":
        sys.exit("%s: reason %r" % (key, h.get("wh.dlq.reason")))
    if not h.get("wh.dlq.detail", "").startswith(want):
        sys.exit("%s: detail %r, want %r..." % (key, h.get("wh.dlq.detail"),
                                                want))
    print("ok: %-10s %s" % (key, h["wh.dlq.detail"][:70]))
if len(out) != len(cases) - bad:
    sys.exit("the sink holds %d records, want %d" % (len(out),
                                                     len(cases) - bad))
good2 = [r for r in out if r["uri"].endswith("/good2")][0]
if good2.get("wirehose", {}).get("filled") != ["type", "version"]:
    sys.exit("good2: wirehose.filled = %r" % good2.get("wirehose"))
good1 = [r for r in out if r["uri"].endswith("/good1")][0]
if "filled" in good1.get("wirehose", {}):
    sys.exit("good1: marked as filled: %r" % good1["wirehose"])
EOF
    { wh_show "$WORK/consumer.log" "$WORK/dlq"; fail "strict input"; }
echo "ok: $((total - 2)) bad records dead-lettered as invalid_record with" \
    "their field; only the 2 good ones in the sink"
