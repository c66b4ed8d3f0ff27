#!/usr/bin/python3
"""A loopback HTTP server for wirehose's integration tests (stdlib only).

usage: fixture_server.py --root DIR --port-file FILE [options]

Serves the files under DIR on 127.0.0.1, on a port the kernel picks (port
0), and writes that port number to FILE (atomically, once listening), so a
test script waits for FILE to appear and then reads it. One thread per
request. Stops cleanly on SIGTERM or SIGINT.

Switches, each repeatable where it names a path (paths are URL paths
without the query string, e.g. /feeds/news.rss):

  --status PATH=CODE[*N]     answer CODE instead of the file (the first N
                             requests only when *N is given, then serve
                             normally: "503*2" fails twice then succeeds)
  --retry-after PATH=SECS    add "Retry-After: SECS" to PATH's non-2xx
                             answers (with --status PATH=429 or 503)
  --redirect FROM=TO         answer FROM with a redirect to TO (a path or
                             a full URL); --redirect-code sets the code
  --delay SECS               wait SECS before answering every request
  --delay-path PATH=SECS     wait SECS before answering PATH
  --gzip                     gzip the body when the client accepts it
  --etag                     send ETag and Last-Modified, answer 304 to a
                             matching If-None-Match / If-Modified-Since
  --header PATH=NAME:VALUE   add a response header for PATH
  --log FILE                 append one line per request:
                             "METHOD PATH STATUS BYTES" (for assertions)

Content types are guessed from the extension (.rss and .atom get their
feed types). Directory listings are not served: a directory without an
index.html is a 404.
"""

import argparse
import email.utils
import gzip
import hashlib
import http.server
import mimetypes
import os
import posixpath
import signal
import sys
import threading
import time
import urllib.parse

EXTRA_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".xml": "application/xml",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def split_pair(text, what):
    if "=" not in text:
        raise argparse.ArgumentTypeError("%s: expected KEY=VALUE, got %r"
                                         % (what, text))
    key, value = text.split("=", 1)
    if not key.startswith("/"):
        raise argparse.ArgumentTypeError("%s: %r: path must start with /"
                                         % (what, key))
    return key, value


class Rules:
    """Per-path behaviour, shared by the handler threads."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.status = {}        # path -> [code, remaining or None]
        for item in args.status:
            path, value = split_pair(item, "--status")
            count = None
            if "*" in value:
                value, n = value.split("*", 1)
                count = int(n)
            self.status[path] = [int(value), count]
        self.retry_after = dict(split_pair(i, "--retry-after")
                                for i in args.retry_after)
        self.redirects = dict(split_pair(i, "--redirect")
                              for i in args.redirect)
        self.delays = {p: float(v) for p, v in
                       (split_pair(i, "--delay-path") for i in
                        args.delay_path)}
        self.headers = {}
        for item in args.header:
            path, value = split_pair(item, "--header")
            name, _, hval = value.partition(":")
            self.headers.setdefault(path, []).append((name.strip(),
                                                      hval.strip()))
        self.delay = args.delay
        self.gzip = args.gzip
        self.etag = args.etag
        self.redirect_code = args.redirect_code
        self.log_path = args.log

    def take_status(self, path):
        """The overriding status for path, or None to serve normally."""
        with self.lock:
            rule = self.status.get(path)
            if rule is None:
                return None
            code, remaining = rule
            if remaining is None:
                return code
            if remaining <= 0:
                return None
            rule[1] = remaining - 1
            return code

    def log(self, line):
        if not self.log_path:
            return
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "wirehose-fixture/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass                    # quiet: tests read --log instead

    def do_HEAD(self):
        self.handle_request(head=True)

    def do_GET(self):
        self.handle_request(head=False)

    def finish_response(self, code, body=b"", headers=(), head=False):
        # Logged before answering, so a client that got its answer finds
        # the line already in the log.
        self.server.rules.log("%s %s %d %d" % (self.command, self.url_path,
                                               code, len(body)))
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        for name, value in self.server.rules.headers.get(self.url_path, []):
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def handle_request(self, head):
        rules = self.server.rules
        parsed = urllib.parse.urlsplit(self.path)
        self.url_path = urllib.parse.unquote(parsed.path) or "/"
        path = self.url_path

        wait = rules.delays.get(path, rules.delay)
        if wait > 0:
            time.sleep(wait)

        if path in rules.redirects:
            target = rules.redirects[path]
            self.finish_response(rules.redirect_code, b"",
                                 [("Location", target)], head)
            return

        code = rules.take_status(path)
        if code is not None and not 200 <= code < 300:
            headers = [("Content-Type", "text/plain; charset=utf-8")]
            if path in rules.retry_after:
                headers.append(("Retry-After", rules.retry_after[path]))
            body = ("%d fixture status\n" % code).encode()
            self.finish_response(code, body, headers, head)
            return

        fs_path = self.translate(path)
        if fs_path is None or not os.path.isfile(fs_path):
            self.finish_response(404, b"not found\n",
                                 [("Content-Type", "text/plain")], head)
            return
        with open(fs_path, "rb") as f:
            body = f.read()
        headers = [("Content-Type", self.guess_type(fs_path))]

        if rules.etag:
            st = os.stat(fs_path)
            etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
            lastmod = email.utils.formatdate(st.st_mtime, usegmt=True)
            headers += [("ETag", etag), ("Last-Modified", lastmod)]
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            fresh = False
            if inm is not None:
                fresh = etag in [t.strip() for t in inm.split(",")]
            elif ims is not None:
                try:
                    since = email.utils.parsedate_to_datetime(ims)
                    fresh = int(st.st_mtime) <= since.timestamp()
                except (TypeError, ValueError):
                    fresh = False
            if fresh:
                self.finish_response(304, b"", headers, head)
                return

        accept = self.headers.get("Accept-Encoding", "")
        if rules.gzip and "gzip" in accept:
            body = gzip.compress(body)
            headers += [("Content-Encoding", "gzip"),
                        ("Vary", "Accept-Encoding")]
        self.finish_response(code or 200, body, headers, head)

    def translate(self, path):
        """Maps a URL path to a file under the root, or None if it would
        leave the root."""
        root = self.server.root
        norm = posixpath.normpath(path)
        parts = [p for p in norm.split("/") if p not in ("", ".", "..")]
        fs_path = os.path.join(root, *parts)
        if os.path.isdir(fs_path):
            fs_path = os.path.join(fs_path, "index.html")
        real = os.path.realpath(fs_path)
        if real != root and not real.startswith(root + os.sep):
            return None
        return real

    @staticmethod
    def guess_type(fs_path):
        ext = os.path.splitext(fs_path)[1].lower()
        if ext in EXTRA_TYPES:
            return EXTRA_TYPES[ext]
        ctype, _ = mimetypes.guess_type(fs_path)
        return ctype or "application/octet-stream"


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="directory to serve")
    ap.add_argument("--port-file", required=True,
                    help="file to write the port number to")
    ap.add_argument("--bind", default="127.0.0.1",
                    help="address (default %(default)s; loopback only)")
    ap.add_argument("--status", action="append", default=[],
                    metavar="PATH=CODE[*N]")
    ap.add_argument("--retry-after", action="append", default=[],
                    metavar="PATH=SECS")
    ap.add_argument("--redirect", action="append", default=[],
                    metavar="FROM=TO")
    ap.add_argument("--redirect-code", type=int, default=302)
    ap.add_argument("--delay", type=float, default=0.0, metavar="SECS")
    ap.add_argument("--delay-path", action="append", default=[],
                    metavar="PATH=SECS")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--etag", action="store_true")
    ap.add_argument("--header", action="append", default=[],
                    metavar="PATH=NAME:VALUE")
    ap.add_argument("--log", metavar="FILE")
    args = ap.parse_args()

    root = os.path.realpath(args.root)
    if not os.path.isdir(root):
        print("fixture_server: %s: not a directory" % args.root,
              file=sys.stderr)
        return 2
    try:
        rules = Rules(args)
    except (argparse.ArgumentTypeError, ValueError) as e:
        print("fixture_server: %s" % e, file=sys.stderr)
        return 2

    httpd = Server((args.bind, 0), Handler)
    httpd.root = root
    httpd.rules = rules

    def stop(signum, frame):
        # shutdown() blocks until serve_forever() returns: call it from
        # another thread, never from the serving thread's signal handler.
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    port = httpd.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)

    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
