#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 6: 1,000 addresses added in one `ip -batch`: each gets exactly
its sequence (three probes, then one announcement, in that order), and
nothing else is sent."""

import collections

import netns
from netns import check
from garpd_harness import per_address, Garpd

N = 1000
# The default sequence timing; the rate stays under what one veth's backlog
# takes at once so the capture sees every frame.
CONFIG = """
[sequence]
max_frames_per_second = 500
"""


def test():
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gpe", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer)
        peer.ip("link", "set", "dev", theirs, "arp", "off")
        addrs = [f"10.{1 + i // 250}.{i % 250}.1" for i in range(N)]
        d = Garpd(me, CONFIG)
        with netns.Capture(peer, theirs, count=4 * N, timeout=60) as cap:
            me.ip_batch(f"address add {a}/32 dev {mine}" for a in addrs)
            frames = cap.wait(timeout=70)
        check(cap.drops == 0, f"capture dropped {cap.drops} frames: run invalid")
        per = collections.defaultdict(list)
        for f in frames:
            per[f.tpa].append("probe" if f.spa == "0.0.0.0" else "announce" if f.spa == f.tpa else "?")
        bad = {a: per.get(a) for a in addrs if per.get(a) != ["probe"] * 3 + ["announce"]}
        check(not bad, f"{len(bad)} addresses without exactly their sequence, e.g. {list(bad.items())[:3]}")
        check(set(per) == set(addrs), f"frames for unexpected addresses: {set(per) - set(addrs)}")
        check(len(per_address(d.find("event=announced"))) == N, "not every address logged as announced")


if __name__ == "__main__":
    netns.main(test)
