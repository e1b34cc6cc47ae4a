#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 3: another host owns the address. garpd probes, the owner's
kernel answers the probe, garpd sends no announcement and logs the conflict
with the owner's MAC.

The owner answers within about 100 µs, so the answer to the FIRST probe must
be seen (issue 19): with `probes = 1` it is the only one there is, and with
the default profile the conflict is logged within 200 ms of the first probe,
long before the second one (1 s later)."""

import time

import netns
from netns import check
from garpd_harness import FAST, Garpd

ADDR = "10.0.0.50"
OURS, OWNER = "02:00:00:00:01:01", "02:00:00:00:01:02"


def scenario(config, name):
    """Add ADDR, held by the owner, to garpd's side; return (conflict line,
    ms from the first probe to the conflict being logged, our frames, garpd)."""
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gow", ipv6=False) as owner:
        mine, theirs = netns.veth(me, owner, mac_a=OURS, mac_b=OWNER, addr_b=ADDR + "/24")
        d = Garpd(me, config)
        with netns.Capture(owner, theirs, timeout=15) as cap:
            me.addr_add(mine, ADDR + "/24")
            line = d.wait_for("event=conflict", addr=ADDR)
            seen = time.time_ns()
            time.sleep(1.3)  # past the time the announcement would have gone
            frames = cap.stop()
        check(f"mac={OWNER}" in line, f"{name}: conflict names the wrong MAC: {line}")
        ours = [f for f in frames if f.src == OURS]
        check(ours and all(f.spa == "0.0.0.0" for f in ours),
              f"{name}: expected probes only, got {[f.summary() for f in ours]}")
        check(not d.find("event=announced", addr=ADDR), f"{name}: announced despite the conflict")
        # The capture's timestamps and time.time_ns() are both CLOCK_REALTIME.
        after_ms = (seen - ours[0].ts_ns) / 1e6
        print(f"ok {name}: {len(ours)} probe(s), conflict logged {after_ms:.1f} ms after "
              f"the first probe: {line}")
        return ours, after_ms


def test():
    # The fast sequence (probes 100 ms apart).
    scenario(FAST, "fast")

    # One probe: its answer is the only chance to see the owner.
    ours, _ = scenario(FAST + "probes = 1\n", "probes=1")
    check(len(ours) == 1, f"probes=1: {len(ours)} probes sent")

    # The default profile: the first probe's answer, not the second probe's.
    ours, after_ms = scenario("", "default")
    check(after_ms < 200, f"default: conflict logged {after_ms:.1f} ms after the first probe, "
          "expected < 200 (the first probe's answer was missed)")
    check(len(ours) == 1, f"default: {len(ours)} probes sent, expected 1 (conflict on the first)")


if __name__ == "__main__":
    netns.main(test)
