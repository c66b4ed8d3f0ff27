#!/usr/bin/env python3
"""A loopback stand-in for Elasticsearch/OpenSearch's _bulk API, for the
HTTP sink tests.

It checks the protocol strictly: POST to /<index>/_bulk, Content-Type
application/x-ndjson, a body of action/document line pairs each ending
in a newline (trailing newline included), every action
{"index": {"_index": <index of the path>, "_id": <string>}} and every
document a JSON object. A violation is answered with HTTP 400 and
recorded in the request log, so a test can assert there was none.

Accepted documents are stored by _id in --store (a JSON object written
after every request that changed it, loaded at start when present, so
the server can be restarted with another script and keep its documents).

--script FILE scripts failures, one rule per line ('#' comments):
    request STATUS [COUNT]           the next COUNT requests (default 1)
                                     answered STATUS as a whole
    item URI STATUS [COUNT|always]   the next COUNT occurrences (default 1)
                                     of the document whose "uri" is URI get
                                     STATUS in the bulk answer
--log FILE gets one JSON line per request:
    {"n": 1, "status": 200, "ids": [...], "uris": [...],
     "item_status": [...], "violation": null}
"""

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

ERROR_TYPES = {
    400: "mapper_parsing_exception",
    409: "version_conflict_engine_exception",
    429: "es_rejected_execution_exception",
    500: "internal_server_error",
    503: "unavailable_shards_exception",
}


class State:
    def __init__(self, args):
        self.args = args
        self.store = {}
        self.versions = {}
        self.requests = 0
        self.request_rules = []   # [status, count]
        self.item_rules = {}      # uri -> [status, count or None]
        if args.store and os.path.exists(args.store):
            with open(args.store, encoding="utf-8") as f:
                self.store = json.load(f)
        if args.script:
            self.load_script(args.script)

    def load_script(self, path):
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                words = line.split()
                if not words or words[0].startswith("#"):
                    continue
                try:
                    if words[0] == "request" and len(words) in (2, 3):
                        count = int(words[2]) if len(words) == 3 else 1
                        self.request_rules.append([int(words[1]), count])
                    elif words[0] == "item" and len(words) in (3, 4):
                        count = words[3] if len(words) == 4 else "1"
                        self.item_rules[words[1]] = [
                            int(words[2]),
                            None if count == "always" else int(count)]
                    else:
                        raise ValueError("unknown rule")
                except ValueError as e:
                    sys.exit(f"{path}:{lineno}: {e}: {line.strip()}")

    def whole_status(self):
        while self.request_rules:
            rule = self.request_rules[0]
            if rule[1] <= 0:
                self.request_rules.pop(0)
                continue
            rule[1] -= 1
            return rule[0]
        return None

    def item_status(self, uri):
        rule = self.item_rules.get(uri)
        if rule is None:
            return None
        if rule[1] is None:
            return rule[0]
        if rule[1] <= 0:
            return None
        rule[1] -= 1
        return rule[0]

    def save(self):
        if not self.args.store:
            return
        tmp = self.args.store + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.store, f, sort_keys=True, ensure_ascii=False,
                      indent=0)
        os.replace(tmp, self.args.store)

    def log(self, entry):
        if not self.args.log:
            return
        with open(self.args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def parse_bulk(index, ctype, body):
    """Returns [(id, doc)], or raises ValueError naming the violation."""
    base = ctype.split(";")[0].strip().lower() if ctype else ""
    if base != "application/x-ndjson":
        raise ValueError(f"Content-Type is {ctype!r}, "
                         "not application/x-ndjson")
    if not body:
        raise ValueError("empty body")
    if not body.endswith(b"\n"):
        raise ValueError("the body does not end with a newline")
    lines = body[:-1].split(b"\n")
    if len(lines) % 2 != 0:
        raise ValueError(f"{len(lines)} lines: not action/document pairs")
    pairs = []
    for i in range(0, len(lines), 2):
        try:
            action = json.loads(lines[i])
            doc = json.loads(lines[i + 1])
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"line {i + 1}: not JSON: {e}") from e
        if (not isinstance(action, dict) or list(action) != ["index"]
                or not isinstance(action["index"], dict)):
            raise ValueError(f"line {i + 1}: not an index action: {action}")
        meta = action["index"]
        if meta.get("_index") != index:
            raise ValueError(f"line {i + 1}: _index {meta.get('_index')!r}"
                             f" is not the path's {index!r}")
        if not isinstance(meta.get("_id"), str) or not meta["_id"]:
            raise ValueError(f"line {i + 1}: no _id")
        if not isinstance(doc, dict):
            raise ValueError(f"line {i + 2}: the document is not an object")
        pairs.append((meta["_id"], doc))
    return pairs


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def reply(self, status, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.reply(200, {"name": "bulk_server", "version":
                             {"number": "8.0.0-test"}})

        def do_POST(self):
            state.requests += 1
            entry = {"n": state.requests, "path": self.path, "status": 200,
                     "ids": [], "uris": [], "item_status": [],
                     "violation": None}
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            path = self.path.split("?")[0].strip("/").split("/")
            if len(path) != 2 or path[1] != "_bulk":
                entry["status"] = 404
                entry["violation"] = f"not a _bulk path: {self.path}"
                state.log(entry)
                self.reply(404, {"error": "no such endpoint", "status": 404})
                return
            try:
                pairs = parse_bulk(path[0], self.headers.get("Content-Type"),
                                   body)
            except ValueError as e:
                entry["status"] = 400
                entry["violation"] = str(e)
                state.log(entry)
                self.reply(400, {"error": {"type": "parse_exception",
                                           "reason": str(e)}, "status": 400})
                return
            entry["ids"] = [i for i, _ in pairs]
            entry["uris"] = [d.get("uri") for _, d in pairs]
            whole = state.whole_status()
            if whole is not None:
                entry["status"] = whole
                state.log(entry)
                self.reply(whole, {"error": {
                    "type": ERROR_TYPES.get(whole, "error"),
                    "reason": f"scripted whole-request {whole}"},
                    "status": whole})
                return
            items = []
            errors = False
            for doc_id, doc in pairs:
                status = state.item_status(doc.get("uri"))
                if status is None:
                    created = doc_id not in state.store
                    state.store[doc_id] = doc
                    state.versions[doc_id] = state.versions.get(doc_id, 0) + 1
                    status = 201 if created else 200
                    items.append({"index": {
                        "_index": path[0], "_id": doc_id,
                        "_version": state.versions[doc_id],
                        "result": "created" if created else "updated",
                        "status": status}})
                else:
                    errors = True
                    items.append({"index": {
                        "_index": path[0], "_id": doc_id, "status": status,
                        "error": {"type": ERROR_TYPES.get(status, "error"),
                                  "reason": f"scripted item {status} for "
                                            f"{doc.get('uri')}"}}})
                entry["item_status"].append(status)
            state.save()
            state.log(entry)
            self.reply(200, {"took": 1, "errors": errors, "items": items})

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--store")
    ap.add_argument("--script")
    ap.add_argument("--log")
    args = ap.parse_args()
    state = State(args)
    server = HTTPServer(("127.0.0.1", 0), make_handler(state))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{server.server_address[1]}\n")
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
