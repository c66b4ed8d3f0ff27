#!/bin/bash
# The producer under a systemd-like NOTIFY_SOCKET listener (AF_UNIX
# datagrams, WATCHDOG_USEC=2 s): READY=1 once started, STATUS= lines,
# WATCHDOG=1 kept coming while the main loop turns, RELOADING=1 then
# READY=1 on SIGHUP, STOPPING=1 on SIGTERM, then exit 0.
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

# shellcheck disable=SC2034 # read by producer_common.sh
TOPIC=wirehose.notify
start_site
"$WH_PYTHON" - "$PRODUCER" "$WORK" "$(source_url ninjs3)" <<'PY' ||
import os, re, signal, socket, subprocess, sys, time
producer, work, url = sys.argv[1:4]
addr = os.path.join(work, "notify.sock")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(addr)
env = dict(os.environ, NOTIFY_SOCKET=addr, WATCHDOG_USEC="2000000")
env.pop("WATCHDOG_PID", None)
log = open(os.path.join(work, "producer.log"), "wb")
proc = subprocess.Popen([producer, "-c", os.path.join(work, "base.conf"),
                         "--source", "wire " + url], env=env, stdout=log,
                        stderr=subprocess.STDOUT)
msgs = []

def wait_for(pred, secs, what):
    end = time.time() + secs
    while time.time() < end:
        sock.settimeout(max(0.05, end - time.time()))
        try:
            m = sock.recv(4096).decode()
        except socket.timeout:
            break
        msgs.append(m)
        if pred(m):
            return
    proc.kill()
    print("FAIL: no %s within %d s; got %r" % (what, secs, msgs))
    sys.exit(1)

def fail(msg):
    print("FAIL: " + msg + "; got %r" % msgs)
    proc.kill()
    sys.exit(1)

wait_for(lambda m: m == "READY=1", 30, "READY=1")
t0 = time.time()
wait_for(lambda m: m.startswith("STATUS="), 15, "STATUS=")
time.sleep(2.5)
sock.settimeout(0.1)
while True:
    try:
        msgs.append(sock.recv(4096).decode())
    except socket.timeout:
        break
wd = [m for m in msgs if m == "WATCHDOG=1"]
# at least every WATCHDOG_USEC / 4 while running
if len(wd) < 3:
    fail("only %d WATCHDOG=1 in %.1f s" % (len(wd), time.time() - t0))
print("ok: READY, STATUS and %d WATCHDOG=1 while running" % len(wd))
n = len(msgs)
proc.send_signal(signal.SIGHUP)
wait_for(lambda m: m.startswith("RELOADING=1"), 10, "RELOADING=1")
wait_for(lambda m: m == "READY=1", 10, "READY=1 after the reload")
print("ok: SIGHUP: RELOADING=1 then READY=1")
proc.send_signal(signal.SIGTERM)
wait_for(lambda m: m == "STOPPING=1", 10, "STOPPING=1")
rc = proc.wait(timeout=60)
if rc != 0:
    fail("exit status %d after SIGTERM" % rc)
print("ok: SIGTERM: STOPPING=1, exit 0")
PY
    { wh_show "$WORK/producer.log"; fail "notify protocol (above)"; }
read_topic "$WORK/topic.jsonl"
[ "$(grep -c . "$WORK/topic.jsonl")" -eq 1 ] || fail "expected 1 record"
echo "producer_notify: all checks passed"
