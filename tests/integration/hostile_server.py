#!/usr/bin/python3
"""A misbehaving loopback HTTP server for the fetcher's tests (stdlib only).

usage: hostile_server.py --port-file FILE [--bind ADDR]... [options]

Listens on every --bind address (default 127.0.0.1; e.g. --bind 127.0.0.1
--bind 127.0.0.2), all on one port the kernel picks, and writes that port
to FILE (atomically, once listening). Asyncio, HTTP/1.1 with keep-alive.
Stops on SIGTERM or SIGINT.

Paths (the query string is ignored unless said otherwise):

  /robots.txt        the --robots FILE (200), or 404 without --robots;
                     --robots-status CODE answers that code instead
  /ok, /public/*, /private/*, any other path
                     200 "ok <path>\\n" (text/plain)
  /etag              200 with ETag "v1" and Last-Modified; 304 when
                     If-None-Match is "v1" or If-Modified-Since is given
  /429               429 with "Retry-After: 7"
  /503date           503 with Retry-After as an HTTP date 9 s ahead
  /redir/N           302 to /redir/N-1; /redir/0 answers 200 "end"
  /loop/a, /loop/b   302 to each other, forever
  /to?URL            302 to URL (the whole query string)
  /drip              200, then one byte per second for 120 s
  /big               200 (chunked, no length), 100 MB of 'x', streamed
                     without holding it in memory
  /big-cl            the same with Content-Length: 104857600
  /bomb              200, Content-Encoding: gzip, a gzip stream of 1 GiB
                     of zeros compressed as it is sent (about 1 MB on the
                     wire); stops when the client goes away
  /slow              200 after 400 ms (concurrency tests)
  /stats             JSON, not counted: {"requests": {addr: n},
                     "paths": {path: n}, "max_concurrent": {addr: n},
                     "max_concurrent_all": n, "sent": {path: body
                     bytes written by the streaming paths}}
  /stats/reset       zeroes those counters (requests in progress leave
                     the current counts negative until they end)

--log FILE appends "TIME ADDR METHOD PATH STATUS" when an answer is
complete (TIME: when the request arrived, seconds since the epoch, with
fractions). An answer the client cut short is not logged (see /stats).
"""

import argparse
import asyncio
import email.utils
import json
import os
import signal
import sys
import time
import zlib

BIG = 100 * 1024 * 1024
CHUNK = 64 * 1024


class State:
    def __init__(self, args):
        self.args = args
        self.reset()
        self.robots = None
        if args.robots:
            with open(args.robots, "rb") as f:
                self.robots = f.read()

    def reset(self):
        self.requests = {}
        self.paths = {}
        self.current = {}
        self.max_current = {}
        self.current_all = 0
        self.max_all = 0
        self.sent = {}

    def enter(self, addr, path):
        self.requests[addr] = self.requests.get(addr, 0) + 1
        self.paths[path] = self.paths.get(path, 0) + 1
        self.current[addr] = self.current.get(addr, 0) + 1
        self.max_current[addr] = max(self.max_current.get(addr, 0),
                                     self.current[addr])
        self.current_all += 1
        self.max_all = max(self.max_all, self.current_all)

    def leave(self, addr):
        self.current[addr] -= 1
        self.current_all -= 1

    def log(self, when, addr, method, path, status):
        if not self.args.log:
            return
        with open(self.args.log, "a", encoding="utf-8") as f:
            f.write("%.3f %s %s %s %d\n" % (when, addr, method, path,
                                           status))


async def send_head(writer, code, headers):
    reason = {200: "OK", 302: "Found", 304: "Not Modified",
              404: "Not Found", 429: "Too Many Requests",
              503: "Service Unavailable"}.get(code, "Status")
    lines = ["HTTP/1.1 %d %s" % (code, reason),
             "Server: wirehose-hostile/1"]
    lines += ["%s: %s" % kv for kv in headers]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()


async def simple(writer, code, body=b"", headers=(), head=False):
    hdrs = list(headers) + [("Content-Length", str(len(body)))]
    if not any(k.lower() == "content-type" for k, _ in hdrs):
        hdrs.append(("Content-Type", "text/plain"))
    await send_head(writer, code, hdrs)
    if body and not head:
        writer.write(body)
        await writer.drain()


async def chunked(writer, gen, count):
    """Sends an async generator's byte strings as chunks; count(n) is
    called with each chunk's size once it was written."""
    async for piece in gen:
        if piece:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            count(len(piece))
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def gen_big():
    block = b"x" * CHUNK
    sent = 0
    while sent < BIG:
        yield block
        sent += len(block)


async def gen_bomb():
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper
    zeros = bytes(1024 * 1024)
    for _ in range(1024):
        out = comp.compress(zeros)
        if out:
            yield out
        await asyncio.sleep(0)
    yield comp.flush()


async def gen_drip():
    for _ in range(120):
        yield b"x"
        await asyncio.sleep(1.0)


async def answer(state, writer, method, target, headers):
    """Answers one request; returns its status."""
    path, _, query = target.partition("?")
    head = method == "HEAD"

    def count(n):
        state.sent[path] = state.sent.get(path, 0) + n
    if path == "/robots.txt":
        if state.args.robots_status:
            code = state.args.robots_status
            await simple(writer, code, b"robots %d\n" % code, head=head)
            return code
        if state.robots is None:
            await simple(writer, 404, b"no robots\n", head=head)
            return 404
        await simple(writer, 200, state.robots, head=head)
        return 200
    if path == "/etag":
        lastmod = "Wed, 21 Oct 2015 07:28:00 GMT"
        hdrs = [("ETag", '"v1"'), ("Last-Modified", lastmod)]
        if (headers.get("if-none-match") == '"v1"' or
                "if-modified-since" in headers):
            await send_head(writer, 304, hdrs)
            return 304
        await simple(writer, 200, b"<rss/>\n", hdrs, head)
        return 200
    if path == "/429":
        await simple(writer, 429, b"slow down\n", [("Retry-After", "7")],
                     head)
        return 429
    if path == "/503date":
        when = email.utils.formatdate(time.time() + 9, usegmt=True)
        await simple(writer, 503, b"later\n", [("Retry-After", when)], head)
        return 503
    if path.startswith("/redir/"):
        n = int(path[len("/redir/"):] or "0")
        if n <= 0:
            await simple(writer, 200, b"end\n", head=head)
            return 200
        await simple(writer, 302, b"", [("Location", "/redir/%d" % (n - 1))],
                     head)
        return 302
    if path in ("/loop/a", "/loop/b"):
        other = "/loop/b" if path == "/loop/a" else "/loop/a"
        await simple(writer, 302, b"", [("Location", other)], head)
        return 302
    if path == "/to":
        await simple(writer, 302, b"", [("Location", query)], head)
        return 302
    if path == "/drip":
        await send_head(writer, 200, [("Transfer-Encoding", "chunked"),
                                      ("Content-Type", "text/plain")])
        await chunked(writer, gen_drip(), count)
        return 200
    if path == "/big":
        await send_head(writer, 200, [("Transfer-Encoding", "chunked"),
                                      ("Content-Type", "text/plain")])
        await chunked(writer, gen_big(), count)
        return 200
    if path == "/big-cl":
        await send_head(writer, 200, [("Content-Length", str(BIG)),
                                      ("Content-Type", "text/plain")])
        async for piece in gen_big():
            writer.write(piece)
            await writer.drain()
            count(len(piece))
        return 200
    if path == "/bomb":
        await send_head(writer, 200, [("Transfer-Encoding", "chunked"),
                                      ("Content-Encoding", "gzip"),
                                      ("Content-Type", "text/plain")])
        await chunked(writer, gen_bomb(), count)
        return 200
    if path == "/slow":
        await asyncio.sleep(0.4)
    await simple(writer, 200, b"ok " + path.encode() + b"\n", head=head)
    return 200


async def handle(state, reader, writer):
    sock = writer.get_extra_info("sockname")
    addr = sock[0] if sock else "?"
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            parts = line.decode("latin-1").split()
            if len(parts) != 3:
                return
            method, target = parts[0], parts[1]
            headers = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            path = target.partition("?")[0]
            if path == "/stats/reset":
                state.reset()
                await simple(writer, 200, b"reset\n")
                continue
            if path == "/stats":
                body = json.dumps({
                    "requests": state.requests,
                    "paths": state.paths,
                    "max_concurrent": state.max_current,
                    "max_concurrent_all": state.max_all,
                    "sent": state.sent,
                }).encode()
                await simple(writer, 200, body,
                             [("Content-Type", "application/json")])
                continue
            arrived = time.time()
            state.enter(addr, path)
            try:
                status = await answer(state, writer, method, target,
                                      headers)
            finally:
                state.leave(addr)
            state.log(arrived, addr, method, path, status)
            if headers.get("connection", "").lower() == "close":
                return
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        return
    finally:
        try:
            writer.close()
        except (ConnectionError, RuntimeError):
            pass


async def serve(args):
    state = State(args)
    servers = []
    port = 0
    for addr in args.bind:
        srv = await asyncio.start_server(
            lambda r, w: handle(state, r, w), addr, port,
            reuse_address=True)
        port = srv.sockets[0].getsockname()[1]
        servers.append(srv)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for srv in servers:
        srv.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--bind", action="append", default=[],
                    help="address to listen on (repeatable; loopback only)")
    ap.add_argument("--robots", metavar="FILE",
                    help="serve FILE as /robots.txt")
    ap.add_argument("--robots-status", type=int, default=0, metavar="CODE")
    ap.add_argument("--log", metavar="FILE")
    args = ap.parse_args()
    if not args.bind:
        args.bind = ["127.0.0.1"]
    for addr in args.bind:
        if not addr.startswith("127."):
            print("hostile_server: %s: loopback addresses only" % addr,
                  file=sys.stderr)
            return 2
    try:
        asyncio.run(serve(args))
    except OSError as e:
        print("hostile_server: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
