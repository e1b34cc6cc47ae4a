#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Directed refresh: neighbours that ignore gratuitous ARP follow a moved VIP.

node-a (the old owner), node-b (garpd), a client and a router hang off one
bridge. The client and the router emulate stacks that ignore gratuitous ARP
(Windows Vista/7/2008 without the hotfix, routers with hours-long ARP
timeouts): an nftables arp-family rule drops every ARP frame whose sender is
the VIP unless its target is their own address, so the announcement (sender
= target = VIP) never reaches their stack, and neither do requests for
someone else. Microsoft's words for those stacks: no cache update from a
broadcast "unless it is part of a broadcast ARP request for the receiver".

The client has talked to node-b before (node-b's neighbour table has it);
the router is node-b's default gateway but has never talked to it (node-b
knows no MAC for it). Both reach the VIP on node-a's MAC first.

1. directed_refresh = yes (the default): after the move, both entries point
   at node-b's MAC; the refresh frames carry the fields of the issue: a
   request from node-b's MAC with SPA = the VIP, THA zero, TPA = the
   neighbour, to the client's MAC and, for the router, broadcast.
2. directed_refresh = no: both stay on node-a's MAC (so case 1 proves the
   refresh, not the announcement).
3. The VIP removed between its announcement and its refresh (held back by a
   1 frame/s rate limit): no refresh frame leaves.
"""

import contextlib
import sys
import time

import netns
from netns import check
from garpd_harness import FAST, Garpd

VIP = "10.0.0.100"
IP_A, IP_B, IP_C, IP_R = "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.254"
MAC_A, MAC_B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
MAC_C, MAC_R = "02:00:00:00:00:0c", "02:00:00:00:00:fe"
BCAST = "ff:ff:ff:ff:ff:ff"
ZERO = "00:00:00:00:00:00"


def ignore_garp(ns, own_ip):
    """Drop ARP from the VIP unless it asks for @own_ip: a stack that ignores gratuitous ARP."""
    ns.run(["nft", "add", "table", "arp", "garptest"])
    ns.run(["nft", "add", "chain", "arp", "garptest", "input",
            "{ type filter hook input priority 0; policy accept; }"])
    ns.run(["nft", "add", "rule", "arp", "garptest", "input", "arp", "saddr", "ip", VIP,
            "arp", "daddr", "ip", "!=", own_ip, "counter", "drop"])


def dropped(ns):
    """Packets the ignore rule dropped."""
    out = ns.run(["nft", "list", "chain", "arp", "garptest", "input"]).stdout
    for word, nxt in zip(out.split(), out.split()[1:]):
        if word == "packets":
            return int(nxt)
    return 0


def talk(ns, dev, ip):
    """One UDP datagram from @ns to @ip, and wait until @ns has resolved it."""
    code = ("import socket,sys\n"
            "socket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(b'x',(sys.argv[1],9))\n")
    ns.run([sys.executable, "-c", code, ip])
    end = time.monotonic() + 5
    while time.monotonic() < end:
        if [e for e in ns.neigh(ip, dev=dev) if e.get("lladdr")]:
            return
        time.sleep(0.05)
    raise netns.TestFailure(f"{ns} could not resolve {ip}")


def lladdr(ns, dev):
    e = ns.neigh(VIP, dev=dev)
    return e[0].get("lladdr") if e else None


class Lab:
    """The four namespaces, the VIP on node-a, the neighbours' entries on node-a's MAC."""

    def __init__(self, stack):
        self.sw = stack.enter_context(netns.Netns("gsw", ipv6=False))
        self.a = stack.enter_context(netns.Netns("gna", ipv6=False))
        self.b = stack.enter_context(netns.Netns("gnb", ipv6=False))
        self.c = stack.enter_context(netns.Netns("gcl", ipv6=False))
        self.r = stack.enter_context(netns.Netns("grt", ipv6=False))
        br = self.sw.bridge()
        self.ia, pa = netns.veth(self.a, self.sw, mac_a=MAC_A, addr_a=IP_A + "/24")
        self.ib, pb = netns.veth(self.b, self.sw, mac_a=MAC_B, addr_a=IP_B + "/24")
        self.ic, pc = netns.veth(self.c, self.sw, mac_a=MAC_C, addr_a=IP_C + "/24")
        self.ir, pr = netns.veth(self.r, self.sw, mac_a=MAC_R, addr_a=IP_R + "/24")
        for p in (pa, pb, pc, pr):
            self.sw.enslave(p, br)
        self.b.ip("route", "add", "default", "via", IP_R, "dev", self.ib)
        self.a.addr_add(self.ia, VIP + "/24")
        # The client and the router reach the VIP on node-a.
        talk(self.c, self.ic, VIP)
        talk(self.r, self.ir, VIP)
        # The client talks to node-b: node-b's neighbour table has it.
        talk(self.c, self.ic, IP_B)
        check(lladdr(self.c, self.ic) == MAC_A, f"client starts on {lladdr(self.c, self.ic)}")
        check(lladdr(self.r, self.ir) == MAC_A, f"router starts on {lladdr(self.r, self.ir)}")
        check(self.b.neigh(IP_C, dev=self.ib), "node-b should know the client")
        check(not [e for e in self.b.neigh(IP_R, dev=self.ib) if e.get("lladdr")],
              f"node-b should not know the router's MAC: {self.b.neigh(IP_R, dev=self.ib)}")
        ignore_garp(self.c, IP_C)
        ignore_garp(self.r, IP_R)

    def move(self):
        self.a.ip("addr", "del", VIP + "/24", "dev", self.ia)
        self.b.addr_add(self.ib, VIP + "/24")


def refresh_frames(frames):
    return [f for f in frames if f.src == MAC_B and f.is_arp and f.spa == VIP and f.tpa != VIP]


def test_refresh():
    with contextlib.ExitStack() as stack:
        lab = Lab(stack)
        d = Garpd(lab.b, FAST)
        with netns.Capture(lab.c, lab.ic, timeout=15) as cap_c, \
                netns.Capture(lab.r, lab.ir, timeout=15) as cap_r:
            lab.move()
            line = d.wait_for("event=refreshed", addr=VIP)
            print(line)
            time.sleep(0.5)
            frames_c, frames_r = cap_c.stop(), cap_r.stop()
        for f in frames_c:
            print(f"client: {f.summary()}")
        for f in frames_r:
            print(f"router: {f.summary()}")
        check(" neighbours=2 " in line + " ", f"expected 2 neighbours refreshed: {line}")
        check(dropped(lab.c) >= 1 and dropped(lab.r) >= 1,
              "the ignore rules dropped nothing: the announcement did not reach them?")

        to_c = [f for f in refresh_frames(frames_c) if f.tpa == IP_C]
        check(len(to_c) == 1, f"expected one refresh for the client, got {len(to_c)}")
        f = to_c[0]
        check(f.dst == MAC_C and f.op == 1 and f.sha == MAC_B and f.tha == ZERO
              and f.length == 60 and f.vlan is None,
              f"not a unicast who-has {IP_C} tell {VIP}: {f.summary()}")
        to_r = [f for f in refresh_frames(frames_r) if f.tpa == IP_R]
        check(len(to_r) == 1, f"expected one refresh for the router, got {len(to_r)}")
        f = to_r[0]
        check(f.dst == BCAST and f.op == 1 and f.sha == MAC_B and f.tha == ZERO
              and f.length == 60,
              f"not a broadcast who-has {IP_R} tell {VIP}: {f.summary()}")
        # The refresh comes after the announcement.
        ann = [f for f in frames_c if f.src == MAC_B and f.spa == VIP and f.tpa == VIP]
        check(ann and ann[-1].ts_ns <= to_c[0].ts_ns, "the refresh came before the announcement")

        check(lladdr(lab.c, lab.ic) == MAC_B,
              f"client's entry for {VIP} is {lladdr(lab.c, lab.ic)}, expected {MAC_B}")
        check(lladdr(lab.r, lab.ir) == MAC_B,
              f"router's entry for {VIP} is {lladdr(lab.r, lab.ir)}, expected {MAC_B}")
        d.stop()


def test_refresh_off():
    with contextlib.ExitStack() as stack:
        lab = Lab(stack)
        d = Garpd(lab.b, FAST + "directed_refresh = no\n")
        with netns.Capture(lab.c, lab.ic, timeout=15) as cap_c:
            lab.move()
            d.wait_for("event=announced", addr=VIP)
            time.sleep(1)
            frames_c = cap_c.stop()
        check([f for f in frames_c if f.src == MAC_B and f.spa == VIP and f.tpa == VIP],
              "no announcement reached the client")
        check(not refresh_frames(frames_c), "a refresh frame left with directed_refresh = no")
        check(not d.find("event=refreshed"), "garpd logged a refresh with directed_refresh = no")
        check(lladdr(lab.c, lab.ic) == MAC_A,
              f"client's entry moved to {lladdr(lab.c, lab.ic)} without the refresh: "
              "the GARP-ignoring emulation does not hold")
        check(lladdr(lab.r, lab.ir) == MAC_A,
              f"router's entry moved to {lladdr(lab.r, lab.ir)} without the refresh")
        d.stop()


def test_removed_before_refresh():
    with contextlib.ExitStack() as stack:
        lab = Lab(stack)
        # One frame a second: the announcement goes at once, the refreshes wait their turn.
        d = Garpd(lab.b, "[sequence]\nprofile = immediate\nmax_frames_per_second = 1\n")
        with netns.Capture(lab.c, lab.ic, timeout=15) as cap_c:
            lab.move()
            d.wait_for("event=refreshed", addr=VIP)
            lab.b.ip("addr", "del", VIP + "/24", "dev", lab.ib)
            time.sleep(3)  # well past when both refreshes were due (1 s, 2 s)
            frames_c = cap_c.stop()
        for f in frames_c:
            print(f"client: {f.summary()}")
        check([f for f in frames_c if f.src == MAC_B and f.spa == VIP and f.tpa == VIP],
              "no announcement reached the client")
        check(not refresh_frames(frames_c),
              f"a refresh left after the address was removed: "
              f"{[f.summary() for f in refresh_frames(frames_c)]}")
        check(not d.find("event=refresh-sent"), "garpd logged a refresh frame as sent")
        d.stop()


def test():
    test_refresh()
    test_refresh_off()
    test_removed_before_refresh()


if __name__ == "__main__":
    netns.main(test)
