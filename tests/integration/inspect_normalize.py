#!/usr/bin/python3
"""Makes `wirehose-producer --inspect` output comparable across runs.

usage: inspect_normalize.py BASE [--pages] < OUTPUT > NORMALIZED

Each line is a JSON object. BASE (the fixture server's http://127.0.0.1:PORT
or a file:// directory) becomes "http://fixture"; wirehose.fetchedAt
becomes "FETCHED". With --pages, the page tokens producer_site.py puts in
its generated pages (they hash the URL, port included) become "tokTOKEN"
and the content hashes of those bodies "xxh3:HASH". Written back with
sorted keys, one object a line.
"""

import json
import re
import sys

TOKEN_RE = re.compile(r"tok[0-9a-f]{12}")


def walk(v, base, pages):
    if isinstance(v, dict):
        return {k: walk(x, base, pages) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x, base, pages) for x in v]
    if isinstance(v, str):
        v = v.replace(base, "http://fixture")
        if pages:
            v = TOKEN_RE.sub("tokTOKEN", v)
    return v


def main():
    base = sys.argv[1]
    pages = "--pages" in sys.argv[2:]
    for line in sys.stdin:
        doc = walk(json.loads(line), base, pages)
        ext = doc.get("wirehose")
        if isinstance(ext, dict):
            if "fetchedAt" in ext:
                ext["fetchedAt"] = "FETCHED"
            if pages and "contentHash" in ext:
                ext["contentHash"] = "xxh3:HASH"
        print(json.dumps(doc, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
