#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl against a real garpd: status (text and JSON) before and after an
address appears, announce (one address, an interface, an unknown address:
error and no frame), reload good and bad, monitor during a failover, metrics
as Prometheus text, a stranger refused, garbage, over-long requests and many
or stalled monitors leave a sequence in flight undisturbed."""

import json
import os
import re
import signal
import socket
import stat
import subprocess
import time

import netns
from netns import check
from garpd_harness import FAST, Garpd

ADDR, ADDR2, OTHER = "10.0.0.90", "10.0.0.91", "10.0.0.99"
MAC = "02:00:00:00:05:01"
SLOW = """
[sequence]
probe_interval = 300ms
announce_delay = 300ms
"""


def wait_connected_and_idle(procs, timeout):
    """Until every process has a socket open and is asleep (S): blocked in its read."""
    end = time.monotonic() + timeout
    while True:
        waiting = []
        for p in procs:
            try:
                with open(f"/proc/{p.pid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                fds = os.listdir(f"/proc/{p.pid}/fd")
                sock = any(os.readlink(f"/proc/{p.pid}/fd/{fd}").startswith("socket:")
                           for fd in fds)
            except OSError:
                state, sock = "?", False
            if state != "S" or not sock:
                waiting.append(p.pid)
        if not waiting:
            return
        if time.monotonic() > end:
            netns.fail(f"monitors not connected and idle after {timeout} s: {waiting}")
        time.sleep(0.05)


def ctl(d, *args, check_rc=None, user=None, timeout=10):
    cmd = [netns.garpctl(), "--socket", d.control, *args]
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check_rc is not None:
        check(r.returncode == check_rc,
              f"garpctl {' '.join(args)}: exit {r.returncode}, expected {check_rc}: {r.stderr}")
    return r


def status_json(d):
    return json.loads(ctl(d, "status", "--json", check_rc=0).stdout)


def addr_state(st, addr):
    for i in st["interfaces"]:
        for a in i["addresses"]:
            if a["address"] == addr:
                return a["state"]
    return None


def raw_request(d, data, read=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(d.control)
    s.sendall(data)
    out = b""
    if read:
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if out.startswith(b"ERR") and out.endswith(b"\n"):
                    break
        except socket.timeout:
            pass
    s.close()
    return out


def test():
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gpe", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer, mac_a=MAC)
        d = Garpd(me, FAST)

        # The socket and its directory are fenced.
        mode = stat.S_IMODE(os.stat(d.control).st_mode)
        check(mode == 0o660, f"socket mode {oct(mode)}, expected 0660")

        # status before and after an address appears.
        st = status_json(d)
        names = [i["name"] for i in st["interfaces"]]
        check(mine in names and "lo" in names, f"interfaces missing from status: {names}")
        lo = [i for i in st["interfaces"] if i["name"] == "lo"][0]
        check(lo["ignored"] is True, "lo is not shown as ignored")
        check(addr_state(st, ADDR) is None, "address known before it was added")
        before = st["counters"]
        for k in ("probes", "announcements", "relearn", "conflicts", "resyncs"):
            check(k in before, f"counter {k} missing")
        check(isinstance(st["conflicts"], list), "conflicts is not a list")

        me.addr_add(mine, ADDR + "/24")
        d.wait_for("event=announced", addr=ADDR)
        st = status_json(d)
        check(addr_state(st, ADDR) == "done", f"state after the sequence: {addr_state(st, ADDR)}")
        after = st["counters"]
        check(after["probes"] == before["probes"] + 3, f"probes {before['probes']} -> {after['probes']}")
        check(after["announcements"] == before["announcements"] + 1, "announcements counter")
        text = ctl(d, "status", check_rc=0).stdout
        check(ADDR in text and mine in text and "COUNTERS" in text, f"text status lacks things:\n{text}")

        # announce: one address, an interface, an unknown address.
        me.addr_add(mine, ADDR2 + "/24")
        d.wait_for("event=announced", addr=ADDR2)
        with netns.Capture(peer, theirs, timeout=10) as cap:
            r = ctl(d, "announce", ADDR, check_rc=0)
            check(f"addr={ADDR}" in r.stdout, f"announce did not report its target: {r.stdout}")
            d.wait_for("event=announcement-sent", addr=ADDR)
            time.sleep(0.3)
            one = cap.stop()
        check([f.spa for f in one] == [ADDR], f"announce ADDR sent {[f.summary() for f in one]}")
        with netns.Capture(peer, theirs, timeout=10) as cap:
            r = ctl(d, "announce", "-i", mine, check_rc=0)
            check("started 2 targets" in r.stdout, f"announce -i: {r.stdout}")
            time.sleep(0.5)
            both = cap.stop()
        check(sorted(f.spa for f in both) == sorted([ADDR, ADDR2]),
              f"announce -i sent {[f.summary() for f in both]}")
        with netns.Capture(peer, theirs, timeout=10) as cap:
            r = ctl(d, "announce", ADDR, OTHER)
            time.sleep(0.5)
            none = cap.stop()
        check(r.returncode == 1 and OTHER in r.stderr and "not configured" in r.stderr,
              f"unknown address: exit {r.returncode} {r.stderr!r}")
        check(not none, f"frames sent despite the unknown address: {[f.summary() for f in none]}")
        r = ctl(d, "announce", "not-an-address")
        check(r.returncode == 2, f"a bad address is a usage error: {r.returncode}")

        # reload, good and bad.
        r = ctl(d, "reload", check_rc=0)
        check(r.stdout.strip() == "ok", f"reload said {r.stdout!r}")
        good = open(d.config_path).read()
        d.write_config("[sequence]\nprobes = many\n")
        r = ctl(d, "reload")
        check(r.returncode == 1 and f"{d.config_path}:2: probes" in r.stderr,
              f"bad reload: exit {r.returncode} {r.stderr!r}")
        d.write_config(good)

        # metrics: Prometheus text exposition.
        m = ctl(d, "metrics", check_rc=0).stdout
        sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"'
                            r'(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? [0-9.eE+-]+$')
        for line in m.splitlines():
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                continue
            check(sample.match(line), f"not a Prometheus sample: {line!r}")
        check(re.search(rf'^garpd_announcements_total\{{interface="{mine}"\}} [1-9]', m, re.M),
              f"no per-interface announcement counter in metrics:\n{m}")
        check("# TYPE garpd_probes_total counter" in m, "TYPE line missing")

        # A stranger (not root, not in the socket's group) is refused by the daemon itself.
        os.chmod(d.dir, 0o755)
        os.chmod(d.control, 0o666)
        r = ctl(d, "status", user=65534)
        check(r.returncode == 1 and "permission denied" in r.stderr,
              f"nobody was not refused: exit {r.returncode} {r.stderr!r}")

        # monitor during a failover-style move, in order, plus garbage and stalled clients.
        d.write_config(SLOW)
        ctl(d, "reload", check_rc=0)
        mon = subprocess.Popen([netns.garpctl(), "--socket", d.control, "monitor", "--json"],
                               stdout=subprocess.PIPE, text=True)
        monitors = [subprocess.Popen([netns.garpctl(), "--socket", d.control, "monitor"],
                                     stdout=subprocess.DEVNULL) for _ in range(50)]
        stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(d.control)
        stalled.sendall(b"monitor\n")  # and never read
        # What is measured is garpd with 51 monitors, not 50 garpctl processes
        # starting up (under the sanitizers that is seconds of CPU on a busy
        # machine): wait until each sits connected, asleep in its read.
        wait_connected_and_idle([mon] + monitors, timeout=30)
        time.sleep(0.3)
        try:
            with netns.Capture(peer, theirs, count=4, timeout=10) as cap:
                me.addr_add(mine, OTHER + "/24")
                d.wait_for("event=sequence-started", addr=OTHER)
                g = raw_request(d, b"\x00\x01garbage\xff\n")
                check(g.startswith(b"ERR"), f"garbage got {g!r}")
                g = raw_request(d, b"status " + b"x" * 10000 + b"\n")
                check(g.startswith(b"ERR") and b"longer" in g, f"over-long request got {g[:80]!r}")
                raw_request(d, b"status\n", read=False)  # gone before the reply
                frames = cap.wait(timeout=10)
            times = [(f.ts_ns - frames[0].ts_ns) / 1e6 for f in frames]
            check([f.spa for f in frames] == ["0.0.0.0"] * 3 + [OTHER],
                  f"sequence disturbed: {[f.summary() for f in frames]}")
            for got, want in zip(times, (0, 300, 600, 900)):
                check(abs(got - want) <= 50, f"sequence timing disturbed: {times}")
            d.wait_for("event=announced", addr=OTHER)
            # Flood the stalled monitor past its limit: it is dropped, garpd goes on.
            for _ in range(3):
                ctl(d, "announce", "-i", mine, check_rc=0)
            check(d.proc.poll() is None, "garpd died")
        finally:
            mon.send_signal(signal.SIGINT)
            out, _ = mon.communicate(timeout=5)
            for p in monitors:
                p.kill()
                p.wait()
            stalled.close()
        events = [json.loads(l) for l in out.splitlines() if l.strip()]
        seq = [e["event"] for e in events if e.get("addr") == OTHER][:6]
        check(seq == ["sequence-started", "probe-sent", "probe-sent", "probe-sent",
                      "announcement-sent", "announced"],
              f"monitor saw {seq}")
        check(all("time_ns" in e for e in events), "monitor events lack time_ns")


if __name__ == "__main__":
    netns.main(test)
