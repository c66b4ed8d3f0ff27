#!/usr/bin/python3
"""Validate wirehose records (JSONL) against IPTC ninjs 3.1 + our extension.

usage: validate_records.py [--ninjs SCHEMA] [--ext SCHEMA] [--allow-empty]
                           FILE.jsonl...

The ninjs schema is not in the repo (licence): it is read from
--ninjs, or from "$WH_SRCDIR/../shared/schemas/ninjs/ninjs-schema_3.1.json"
(WH_SRCDIR defaults to the tree this script lives in; WH_SHARED, when set,
replaces "$WH_SRCDIR/../shared"). When it is absent the
script prints "skipped: ../shared not found" and exits 77 (ctest's skip
code). Our extension schema (common/schema/wirehose-ext.schema.json) is
added in memory as the "wirehose" property of the ninjs root schema, which
has unevaluatedProperties:false, so a record with any other unknown
top-level member fails.

Every line must be one JSON object that validates, with format checking
(date-time, uri). Exit 0 when all do, 1 otherwise (each failure printed as
FILE:LINE: path: message), 2 on bad usage or an unreadable file.
"""

import argparse
import datetime
import json
import os
import re
import sys

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("WH_SRCDIR") or os.path.normpath(
    os.path.join(HERE, "..", ".."))
NINJS_REL = os.path.join("schemas", "ninjs", "ninjs-schema_3.1.json")
EXT_DEFAULT = os.path.join(SRCDIR, "common", "schema",
                           "wirehose-ext.schema.json")
EXT_MEMBER = "wirehose"

# RFC 3339 section 5.6 date-time; jsonschema only checks "date-time" when
# the optional rfc3339-validator module is installed, which Debian lacks, so
# we check it ourselves rather than silently not at all.
RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"([Zz]|[+-]\d{2}:\d{2})$")


def is_rfc3339(value):
    if not isinstance(value, str):
        return True            # type errors are the "type" keyword's job
    m = RFC3339.match(value)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    if s == 60:                # leap second: valid in RFC 3339
        s = 59
    try:
        datetime.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return False
    off = m.group(8)
    if off not in ("Z", "z"):
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            return False
    return True


def load_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("validate_records: %s %s: %s" % (what, path, e),
              file=sys.stderr)
        sys.exit(2)


def build_validator(ninjs_path, ext_path):
    try:
        import jsonschema
        from jsonschema import Draft202012Validator
    except ImportError:
        print("skipped: python3-jsonschema not installed "
              "(apt-get install python3-jsonschema)")
        sys.exit(SKIP)

    root = load_json(ninjs_path, "ninjs schema")
    ext = load_json(ext_path, "extension schema")
    Draft202012Validator.check_schema(ext)
    props = root.setdefault("properties", {})
    if EXT_MEMBER in props:
        print("validate_records: the ninjs schema already defines %r"
              % EXT_MEMBER, file=sys.stderr)
        sys.exit(2)
    props[EXT_MEMBER] = ext
    Draft202012Validator.check_schema(root)

    checker = jsonschema.FormatChecker()
    if "date-time" in checker.checkers:
        del checker.checkers["date-time"]
    checker.checks("date-time")(is_rfc3339)
    # "uri" is only checked when rfc3987 (python3-rfc3987) is importable.
    if "uri" not in checker.checkers:
        print("validate_records: warning: format \"uri\" not checked "
              "(apt-get install python3-rfc3987)", file=sys.stderr)
    return Draft202012Validator(root, format_checker=checker), \
        top_level_members(root)


def top_level_members(root):
    """Names the root schema declares, directly or through its $ref."""
    known = set(root.get("properties", {}))
    ref = root.get("$ref", "")
    if ref.startswith("#/$defs/"):
        target = root.get("$defs", {}).get(ref[len("#/$defs/"):], {})
        known |= set(target.get("properties", {}))
    return known


def findings(validator, known, doc):
    """(path, message) pairs for doc. When a known member fails, jsonschema
    also reports it as an unevaluated property of the root; that echo is
    dropped, and a real unknown member is named plainly."""
    out = []
    for err in validator.iter_errors(doc):
        where = "/" + "/".join(str(p) for p in err.absolute_path)
        msg = err.message
        if err.validator == "unevaluatedProperties" and \
                not err.absolute_path and isinstance(doc, dict) and known:
            unknown = sorted(k for k in doc if k not in known)
            if not unknown:
                continue
            msg = "unknown top-level member(s): %s" % ", ".join(unknown)
        out.append((where, msg))
    return sorted(out)


def validate_file(validator, known, path, allow_empty):
    failures = 0
    count = 0
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        print("validate_records: %s: %s" % (path, e.strerror),
              file=sys.stderr)
        return -1, 0
    with f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                print("%s:%d: empty line" % (path, lineno))
                failures += 1
                continue
            count += 1
            try:
                doc = json.loads(line)
            except ValueError as e:
                print("%s:%d: not JSON: %s" % (path, lineno, e))
                failures += 1
                continue
            errors = findings(validator, known, doc)
            uri = doc.get("uri", "?") if isinstance(doc, dict) else "?"
            for where, msg in errors:
                print("%s:%d: %s: %s (uri %s)"
                      % (path, lineno, where, msg, uri))
            if errors:
                failures += 1
    if count == 0 and not allow_empty:
        print("%s: no records" % path)
        failures += 1
    return failures, count


def main():
    ap = argparse.ArgumentParser(
        description="Validate wirehose JSONL records against ninjs 3.1 "
                    "plus the wirehose extension schema.")
    ap.add_argument("--ninjs", help="ninjs 3.1 schema (default: "
                    "$WH_SRCDIR/../shared/" + NINJS_REL + ")")
    ap.add_argument("--ext", default=EXT_DEFAULT,
                    help="extension schema (default: %(default)s)")
    ap.add_argument("--allow-empty", action="store_true",
                    help="a file with no records is not an error")
    ap.add_argument("files", nargs="+", metavar="FILE.jsonl")
    args = ap.parse_args()

    shared = os.environ.get("WH_SHARED") or os.path.join(SRCDIR, "..",
                                                         "shared")
    ninjs = args.ninjs or os.path.join(shared, NINJS_REL)
    if not os.path.isfile(ninjs):
        print("skipped: ../shared not found (no %s)" % ninjs)
        sys.exit(SKIP)

    validator, known = build_validator(ninjs, args.ext)
    bad = 0
    total = 0
    for path in args.files:
        failures, count = validate_file(validator, known, path,
                                        args.allow_empty)
        if failures < 0:
            sys.exit(2)
        bad += failures
        total += count
    if bad:
        print("validate_records: FAILED: %d problem(s) in %d record(s)"
              % (bad, total))
        sys.exit(1)
    print("validate_records: %d record(s) valid" % total)


if __name__ == "__main__":
    main()
