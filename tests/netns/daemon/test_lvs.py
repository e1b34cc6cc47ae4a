#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 2: an LVS-DR real server. The VIP on lo and on an interface with
`arp off` must produce no frame at all, while an ordinary address on the
same host is announced (so the silence is garpd's choice, not a dead daemon)."""

import time

import netns
from netns import check
from garpd_harness import FAST, Garpd

VIP = "10.0.0.100"


def test():
    with netns.Netns("grs", ipv6=False) as rs, netns.Netns("gpe", ipv6=False) as peer:
        noarp, p1 = netns.veth(rs, peer)
        eth, p2 = netns.veth(rs, peer)
        rs.ip("link", "set", "dev", noarp, "arp", "off")
        d = Garpd(rs, FAST)
        with netns.Capture(peer, p1, timeout=10) as cap1, netns.Capture(peer, p2, timeout=10) as cap2:
            rs.addr_add("lo", VIP + "/32")
            rs.addr_add(noarp, VIP + "/24")
            rs.addr_add(noarp, "10.0.1.5/24")
            rs.addr_add(eth, "10.0.2.5/24")
            d.wait_for("event=announced", addr="10.0.2.5")
            time.sleep(0.5)  # anything for the NOARP/lo addresses would be out by now
            silent, loud = cap1.stop(), cap2.stop()
        check(not silent, f"frames sent on the NOARP interface: {[f.summary() for f in silent]}")
        check(not d.find(addr=VIP), f"garpd acted on {VIP}: {d.find(addr=VIP)}")
        check(len([f for f in loud if f.tpa == "10.0.2.5"]) == 4,
              f"ordinary address not announced: {[f.summary() for f in loud]}")
        for f in loud:
            check(f.tpa != VIP and f.spa != VIP, f"VIP leaked on the wire: {f.summary()}")


if __name__ == "__main__":
    netns.main(test)
