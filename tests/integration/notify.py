#!/usr/bin/env python3
"""Checks the systemd notify protocol of wh_notify against a real listener.

Binds an AF_UNIX SOCK_DGRAM socket as systemd does, runs the probe with
NOTIFY_SOCKET (and WATCHDOG_USEC) pointing at it, and checks the datagrams
that arrive, in order. Usage: notify.py PROBE
"""
import os
import re
import socket
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(probe, sock_addr, env_extra):
    env = dict(os.environ)
    env.pop("WATCHDOG_PID", None)
    env["NOTIFY_SOCKET"] = sock_addr
    env.update(env_extra)
    proc = subprocess.run([probe], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60)
    out = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        fail("probe exited %d:\n%s" % (proc.returncode, out))
    return out


def drain(sock):
    msgs = []
    sock.settimeout(2.0)
    while True:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            break
        msgs.append(data.decode())
        sock.settimeout(0.2)
    return msgs


def check(msgs, out):
    print("received: %r" % msgs)
    m = re.search(r"watchdog_usec=(\d+)", out)
    if not m or m.group(1) != "3000000":
        fail("probe saw watchdog_usec %s, want 3000000:\n%s"
             % (m.group(1) if m else "nothing", out))
    if len(msgs) != 7:
        fail("want 7 datagrams, got %d: %r" % (len(msgs), msgs))
    want = ["READY=1", "STATUS=5 records, 2 errors ok", "WATCHDOG=1", None,
            "READY=1", None, "STOPPING=1"]
    for i, w in enumerate(want):
        if w is not None and msgs[i] != w:
            fail("datagram %d: want %r, got %r" % (i, w, msgs[i]))
    rel = msgs[3].split("\n")
    if rel[0] != "RELOADING=1" or len(rel) != 2 or \
            not re.fullmatch(r"MONOTONIC_USEC=[1-9]\d*", rel[1]):
        fail("reloading datagram: %r" % msgs[3])
    if msgs[5] != "STATUS=" + "x" * 255:
        fail("long status not cut to 255 bytes: %d bytes" % len(msgs[5]))


def main():
    if len(sys.argv) != 2:
        fail("usage: notify.py PROBE")
    probe = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="wh-notify-") as tmp:
        # a socket path, as systemd uses
        path = os.path.join(tmp, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        out = run(probe, path, {"WATCHDOG_USEC": "3000000"})
        check(drain(sock), out)
        sock.close()
    # an abstract socket ("@name"), as systemd also may use
    name = "wh-notify-%d" % os.getpid()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    out = run(probe, "@" + name, {"WATCHDOG_USEC": "3000000"})
    check(drain(sock), out)
    sock.close()
    print("PASS: notify protocol")


if __name__ == "__main__":
    main()
