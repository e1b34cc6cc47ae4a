#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 4: the address is removed while garpd probes for it. No
announcement frame, ever: announcing an address we no longer own would
poison every cache on the segment."""

import time

import netns
from netns import check
from garpd_harness import Garpd

ADDR = "10.0.0.60"
SLOW = """
[sequence]
probe_interval = 300ms
announce_delay = 300ms
"""


def test():
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gpe", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer)
        d = Garpd(me, SLOW)
        with netns.Capture(peer, theirs, timeout=10) as cap:
            me.addr_add(mine, ADDR + "/24")
            d.wait_for("event=sequence-started", addr=ADDR)
            time.sleep(0.15)  # the first probe is out, the second is not
            me.ip("addr", "del", ADDR + "/24", "dev", mine)
            d.wait_for("event=cancelled", addr=ADDR, reason="address-removed")
            time.sleep(1.5)  # well past where the announcement was due (0.9 s)
            frames = cap.stop()
        probes = [f for f in frames if f.tpa == ADDR and f.spa == "0.0.0.0"]
        check(len(probes) == 1, f"expected exactly the first probe, got {[f.summary() for f in frames]}")
        check(not [f for f in frames if f.spa == ADDR], "an announcement left after the removal")
        check(not d.find("event=announced", addr=ADDR), "garpd logged an announcement")


if __name__ == "__main__":
    netns.main(test)
