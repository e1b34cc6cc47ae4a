# SPDX-License-Identifier: GPL-2.0-or-later
"""The harness itself: veth between two namespaces, frames injected on one
side arrive byte for byte (an 802.1Q tag included) on the other, with
kernel timestamps in order, and everything is gone afterwards."""

import netns
from netns import check


def test():
    names = []
    with netns.Netns() as a, netns.Netns(ipv6=False) as b:
        names = [a.name, b.name]
        ia, ib = netns.veth(a, b, mac_a="02:00:00:00:00:01", addr_a="10.9.0.1/24",
                            addr_b="10.9.0.2/24")
        check(len(ia) < 16 and len(ib) < 16, "interface names too long")
        check(a.mac(ia) == "02:00:00:00:00:01", "MAC option not applied")
        sent = [
            netns.arp_frame(1, "02:00:00:00:00:01", "10.9.0.1", "ff:ff:ff:ff:ff:ff", "10.9.0.1"),
            netns.arp_frame(3, "02:00:00:00:00:09", "0.0.0.0", "02:00:00:00:00:09", "0.0.0.0",
                            ethertype=netns.ETH_P_RARP, vlan=5),
        ]
        with netns.Capture(b, ib) as cap:
            a.send_frames(ia, sent)
        check([f.raw for f in cap.frames] == sent,
              f"captured {[f.summary() for f in cap.frames]}")
        check(cap.frames[1].vlan == 5 and cap.frames[1].is_rarp, "VLAN/RARP decode")
        check(cap.frames[0].ts_ns <= cap.frames[1].ts_ns, "timestamps out of order")
        check(cap.drops == 0, f"capture dropped {cap.drops}")
        # count: the capture ends by itself after one frame.
        cap = netns.Capture(b, ib, count=1, timeout=5)
        a.send_frames(ia, sent[:1])
        check(len(cap.wait(timeout=10)) == 1, "count=1 capture")
    left = netns.sh(["ip", "netns", "list"]).stdout
    check(not any(n in left.split() for n in names), f"namespaces left behind: {left}")


netns.main(test)
