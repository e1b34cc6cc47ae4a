#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 3: another host owns the address. garpd probes, the owner's
kernel answers the probe, garpd sends no announcement and logs the conflict
with the owner's MAC."""

import time

import netns
from netns import check
from garpd_harness import FAST, Garpd

ADDR = "10.0.0.50"
OURS, OWNER = "02:00:00:00:01:01", "02:00:00:00:01:02"


def test():
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gow", ipv6=False) as owner:
        mine, theirs = netns.veth(me, owner, mac_a=OURS, mac_b=OWNER, addr_b=ADDR + "/24")
        d = Garpd(me, FAST)
        with netns.Capture(owner, theirs, timeout=10) as cap:
            me.addr_add(mine, ADDR + "/24")
            line = d.wait_for("event=conflict", addr=ADDR)
            time.sleep(0.6)  # past the time the announcement would have gone
            frames = cap.stop()
        check(f"mac={OWNER}" in line, f"conflict names the wrong MAC: {line}")
        ours = [f for f in frames if f.src == OURS]
        check(ours and all(f.spa == "0.0.0.0" for f in ours),
              f"expected probes only, got {[f.summary() for f in ours]}")
        check(not d.find("event=announced", addr=ADDR), "announced despite the conflict")


if __name__ == "__main__":
    netns.main(test)
