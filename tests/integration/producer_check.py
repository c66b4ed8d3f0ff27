#!/usr/bin/python3
"""Checks what wirehose-producer published, from `kcat -C -J` output.

usage: producer_check.py --messages FILE [--manifest FILE] [--source NAME]...
                         [--count NAME=N]... [--total N] [--no-dup-keys]

--manifest (from producer_site.py) with --source NAME: every page token of
NAME is in the body of one of its records, every wire uri is the key of
one, and it has exactly that many records (at least "min" when given).
--count NAME=N: source NAME has exactly N records. --total N: N messages
in all. --no-dup-keys: no key twice within one source. Prints one line per
check; exits 1 on the first failure.
"""

import argparse
import collections
import json
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", required=True)
    ap.add_argument("--manifest")
    ap.add_argument("--source", action="append", default=[])
    ap.add_argument("--count", action="append", default=[])
    ap.add_argument("--total", type=int)
    ap.add_argument("--no-dup-keys", action="store_true")
    args = ap.parse_args()

    by_source = collections.defaultdict(list)
    n = 0
    with open(args.messages, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            m = json.loads(line)
            hdrs = m.get("headers") or []
            hdr = dict(zip(hdrs[0::2], hdrs[1::2]))
            rec = json.loads(m["payload"])
            body = " ".join(b.get("value", "") for b in rec.get("bodies", []))
            by_source[hdr.get("wh-source", "?")].append(
                {"key": m.get("key"), "body": body, "rec": rec})
            n += 1
    print("%d messages; per source: %s" % (
        n, ", ".join("%s=%d" % (k, len(v))
                     for k, v in sorted(by_source.items()))))
    if args.total is not None and n != args.total:
        fail("expected %d messages in all, got %d" % (args.total, n))
    if args.no_dup_keys:
        for src, recs in by_source.items():
            keys = collections.Counter(r["key"] for r in recs)
            dups = [k for k, c in keys.items() if c > 1]
            if dups:
                fail("source %s: keys published twice: %s" % (src, dups))
    for item in args.count:
        name, want = item.rsplit("=", 1)
        got = len(by_source.get(name, []))
        if got != int(want):
            fail("source %s: expected %s records, got %d" % (name, want, got))
        print("ok: %s: %d records" % (name, got))
    if args.source:
        with open(args.manifest) as f:
            man = json.load(f)
        for name in args.source:
            exp = man["expect"][name]
            recs = by_source.get(name, [])
            for tok in exp["tokens"]:
                if not any(tok in r["body"] for r in recs):
                    fail("source %s: no record holds page %s" % (name, tok))
            keys = {r["key"] for r in recs}
            for uri in exp["uris"]:
                if uri not in keys:
                    fail("source %s: no record keyed %s (keys: %s)"
                         % (name, uri, sorted(keys)))
            want = len(exp["tokens"]) + len(exp["uris"])
            if "min" in exp:
                if len(recs) < exp["min"]:
                    fail("source %s: expected at least %d records, got %d"
                         % (name, exp["min"], len(recs)))
            elif len(recs) != want:
                fail("source %s: expected %d records, got %d"
                     % (name, want, len(recs)))
            print("ok: %s: %d records (%d pages, %d wire)"
                  % (name, len(recs), len(exp["tokens"]), len(exp["uris"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
