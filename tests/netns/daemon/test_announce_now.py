#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl announce means now: right after an address is added (its probes
a second apart, the announcement due 3 s later) `garpctl announce ADDR`
puts the announcement on the wire within 100 ms of the command, the probes
still to come are never sent, and the reply says the sequence was cut
short. For an address another host defended, announce is refused with the
other MAC, exits 1 and sends nothing; --force announces it."""

import re
import socket
import subprocess
import time

import netns
from netns import check
from garpd_harness import Garpd

ADDR, OWNED, LATER = "10.0.0.60", "10.0.0.61", "10.0.0.62"
OURS, OWNER = "02:00:00:00:06:01", "02:00:00:00:06:02"
SLOW = """
[sequence]
probe_interval = 1s
announce_delay = 1s
"""


def ctl(d, *args):
    return subprocess.run([netns.garpctl(), "--socket", d.control, *args],
                          capture_output=True, text=True, timeout=10)


def metric(text, family, iface):
    m = re.search(rf'^garpd_{family}\{{interface="{iface}"\}} (\d+)$', text, re.M)
    return int(m.group(1)) if m else None


def request(d, line):
    """One request straight on the control socket: garpctl's own start-up (seconds
    under ASan on a loaded machine) is not part of what is timed."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(d.control)
    t0 = time.time_ns()
    s.sendall(line.encode() + b"\n")
    out = b""
    while b"\n" not in out or (out.startswith(b"OK ") and
                               len(out.split(b"\n", 1)[1]) < int(out.split()[1])):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return t0, out.decode()


def test():
    with netns.Netns("gan", ipv6=False) as me, netns.Netns("gao", ipv6=False) as owner:
        mine, theirs = netns.veth(me, owner, mac_a=OURS, mac_b=OWNER, addr_b=OWNED + "/24")
        d = Garpd(me, SLOW)

        # In flight: the first probe has left, two more and the announcement are to come.
        with netns.Capture(owner, theirs, timeout=15) as cap:
            me.addr_add(mine, ADDR + "/24")
            d.wait_for("event=probe-sent", addr=ADDR)
            t0, reply = request(d, f"announce {ADDR}")
            me.addr_add(mine, LATER + "/24")
            d.wait_for("event=sequence-started", addr=LATER)
            m = ctl(d, "metrics").stdout  # LATER probes for 3 s, ADDR is done
            time.sleep(2.5)  # past the time the remaining probes would have gone
            frames = [f for f in cap.stop() if f.src == OURS and f.tpa == ADDR]
        check(reply.startswith("OK ") and
              f"cut-short iface={mine} addr={ADDR} probes_skipped=2" in reply,
              f"announce did not report the cut-short sequence: {reply!r}")
        kinds = ["probe" if f.spa == "0.0.0.0" else "announce" for f in frames]
        check(kinds == ["probe", "announce"],
              f"expected one probe then the announcement, got {[f.summary() for f in frames]}")
        late = (frames[-1].ts_ns - t0) / 1e6
        check(late <= 100, f"the announcement left {late:.1f} ms after the command (> 100 ms)")
        check(metric(m, "addresses_in_flight", mine) == 1 and metric(m, "addresses", mine) == 2,
              f"gauges while {LATER} probes:\n{m}")
        check(re.search(r'^garpd_build_info\{version="[^"]+"\} 1$', m, re.M)
              and "# TYPE garpd_addresses gauge" in m, f"no build_info or gauge TYPE:\n{m}")

        # An address another host defended: refused, exit 1, nothing sent.
        me.addr_add(mine, OWNED + "/24")
        d.wait_for("event=conflict", addr=OWNED)
        time.sleep(0.3)
        with netns.Capture(owner, theirs, timeout=10) as cap:
            r = ctl(d, "announce", OWNED)
            time.sleep(0.5)
            sent = [f for f in cap.stop() if f.src == OURS]
        check(r.returncode == 1, f"conflicted address: exit {r.returncode}, expected 1")
        check("refused" in r.stderr and OWNER in r.stderr and "--force" in r.stderr,
              f"the refusal does not name the other MAC: {r.stderr!r}")
        check(not sent, f"frames sent for a refused address: {[f.summary() for f in sent]}")
        m = ctl(d, "metrics").stdout
        check(metric(m, "addresses_in_conflict", mine) == 1 and metric(m, "addresses", mine) == 3
              and metric(m, "addresses_in_flight", mine) == 0, f"gauges after the conflict:\n{m}")

        # --force: the operator overrides; the announcement leaves at once.
        with netns.Capture(owner, theirs, timeout=10) as cap:
            r = ctl(d, "announce", "--force", OWNED)
            time.sleep(0.5)
            sent = [f for f in cap.stop() if f.src == OURS]
        check(r.returncode == 0 and f"started iface={mine} addr={OWNED}" in r.stdout,
              f"--force: exit {r.returncode} {r.stdout!r} {r.stderr!r}")
        check([f.spa for f in sent] == [OWNED], f"--force sent {[f.summary() for f in sent]}")
        d.stop()


if __name__ == "__main__":
    netns.main(test)
