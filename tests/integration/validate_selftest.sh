#!/bin/bash
# validate_records.py can fail: the known-good records of data/ validate,
# and each line of data/records-bad.jsonl is refused for its own reason
# (unknown top-level member, bad date-time, wrong type and bad pattern in
# the extension object, missing required members, not JSON).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

V=$HERE/validate_records.py
rc=0
"$WH_PYTHON" "$V" "$HERE/data/records-good.jsonl" >"$WORK/good.out" || rc=$?
cat "$WORK/good.out"
[ "$rc" -ne 77 ] || skip "../shared not found (ninjs schema)"
[ "$rc" -eq 0 ] || fail "known-good records refused"

rc=0
"$WH_PYTHON" "$V" "$HERE/data/records-bad.jsonl" >"$WORK/bad.out" || rc=$?
cat "$WORK/bad.out"
[ "$rc" -eq 1 ] || fail "bad records: want exit 1, got $rc"
for want in \
    ':1: /: unknown top-level member\(s\): bogus' \
    ":2: /firstCreated: '2014-12-22 10:03' is not a 'date-time'" \
    ":3: /wirehose/httpStatus: '200' is not of type 'integer'" \
    ':4: /wirehose/contentHash: .* does not match' \
    ":5: /wirehose: 'fetchedAt' is a required property" \
    ":6: /headlines/0: 'value' is a required property" \
    ":7: /: 'uri' is a required property" \
    ':8: not JSON' \
    'FAILED: 8 problem'; do
    grep -Eq -- "$want" "$WORK/bad.out" || fail "no finding matching: $want"
done
echo "validate_selftest: all checks passed"
