#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl monitor: every line carries the wall-clock time (text: a leading
[RFC 3339] like `ip -ts monitor`; JSON: "time" and "time_ns" since the
epoch), within a second of the test's own clock; -i IFACE and ADDRESS pass
only events of what they name; JSON numbers are numbers; when garpd stops,
every monitor prints a last garpd-gone line and exits 1."""

import datetime
import json
import re
import subprocess
import time

import netns
from netns import check
from garpd_harness import FAST, Garpd

A1, A2, A3 = "10.0.0.71", "10.0.0.72", "10.0.0.73"
TEXT = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})Z\] (.*)$")


def monitor(d, *args):
    return subprocess.Popen([netns.garpctl(), "--socket", d.control, "monitor", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def epoch(stamp):
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def fields(text):
    return dict(kv.split("=", 1) for kv in text.split())


def test():
    with netns.Netns("gmo", ipv6=False) as me, netns.Netns("gmp", ipv6=False) as peer:
        if1, _ = netns.veth(me, peer)
        if2, _ = netns.veth(me, peer)
        d = Garpd(me, FAST)
        everything, on_if1, on_a2 = monitor(d), monitor(d, "-i", if1), monitor(d, "--json", A2)
        time.sleep(2)  # connected (garpctl starts slowly under the sanitizers)

        added = {}
        for dev, addr in ((if1, A1), (if2, A2), (if1, A3)):
            added[addr] = time.time()
            me.addr_add(dev, addr + "/24")
        for addr in (A1, A2, A3):
            d.wait_for("event=announced", addr=addr)
        time.sleep(0.3)
        rc, _ = d.stop()
        check(rc == 0, f"garpd exit {rc}")

        outs = {}
        for name, p in (("all", everything), ("if1", on_if1), ("a2", on_a2)):
            try:
                out, err = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                raise netns.TestFailure(f"monitor {name} did not exit when garpd stopped")
            check(p.returncode == 1, f"monitor {name}: exit {p.returncode} after garpd stopped")
            check("garpd closed the connection" in err, f"monitor {name}: stderr {err!r}")
            outs[name] = out.splitlines()

        # Text: every line stamped; the stamps are the wall clock.
        lines = outs["all"]
        check(lines and lines[-1].endswith("event=garpd-gone"), f"no last line: {lines[-3:]}")
        for line in lines:
            check(TEXT.match(line), f"monitor line without a timestamp: {line!r}")
        for addr in (A1, A2, A3):
            started = [l for l in lines if f"addr={addr} event=sequence-started" in l]
            check(started, f"no sequence-started for {addr} in {lines}")
            off = epoch(TEXT.match(started[0]).group(1)) - added[addr]
            check(-1 < off < 1, f"{addr}: the monitor's time is {off:+.3f} s off the clock")

        # -i IFACE: only that interface's events, all of them.
        mine = [fields(TEXT.match(l).group(2)) for l in outs["if1"][:-1]]
        check(mine and all(f.get("iface") == if1 for f in mine),
              f"-i {if1} passed other lines: {outs['if1']}")
        check({f.get("addr") for f in mine} >= {A1, A3} and A2 not in {f.get("addr") for f in mine},
              f"-i {if1}: wrong addresses {sorted({f.get('addr') or '' for f in mine})}")

        # ADDRESS, JSON: only that address; times and numbers as numbers.
        objs = [json.loads(l) for l in outs["a2"]]
        check(objs[-1]["event"] == "garpd-gone", f"JSON: no last garpd-gone line: {objs[-1]}")
        objs = objs[:-1]
        check(objs and all(o.get("addr") == A2 for o in objs), f"ADDRESS passed others: {objs}")
        for o in objs:
            check(isinstance(o["time_ns"], int) and abs(o["time_ns"] / 1e9 - added[A2]) < 2,
                  f"time_ns is not the wall clock: {o}")
            check(abs(epoch(o["time"].rstrip("Z")) - o["time_ns"] / 1e9) < 1e-5,
                  f"time and time_ns disagree: {o}")
        st = [o for o in objs if o["event"] == "sequence-started"]
        check(st and st[0]["probes"] == 3, f"probes is not the number 3: {st}")


if __name__ == "__main__":
    netns.main(test)
