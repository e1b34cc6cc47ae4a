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

IPv6, the same three on a second segment (IPv6 on): the client and the
router drop every neighbour advertisement whose target is the VIP (an
nftables ip6 rule, netns.ignore_na()), so garpd's unsolicited NA never
reaches their stack. The router is node-b's default gateway by its
link-local address (fe80::1, as routers are), never talked to: its refresh
goes to its solicited-node group. With directed_refresh = yes both entries
move to node-b's MAC by the NS from the VIP with node-b's MAC in its Source
Link-Layer Address option (RFC 4861 §7.2.3); with no, both stay on node-a;
removed between the NA and the NS: no NS.
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
        netns.talk(self.c, self.ic, VIP)
        netns.talk(self.r, self.ir, VIP)
        # The client talks to node-b: node-b's neighbour table has it.
        netns.talk(self.c, self.ic, IP_B)
        check(lladdr(self.c, self.ic) == MAC_A, f"client starts on {lladdr(self.c, self.ic)}")
        check(lladdr(self.r, self.ir) == MAC_A, f"router starts on {lladdr(self.r, self.ir)}")
        check(self.b.neigh(IP_C, dev=self.ib), "node-b should know the client")
        check(not [e for e in self.b.neigh(IP_R, dev=self.ib) if e.get("lladdr")],
              f"node-b should not know the router's MAC: {self.b.neigh(IP_R, dev=self.ib)}")
        netns.ignore_garp(self.c, VIP, IP_C)
        netns.ignore_garp(self.r, VIP, IP_R)

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
        check(netns.ignored(lab.c) >= 1 and netns.ignored(lab.r) >= 1,
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


# --- IPv6 -------------------------------------------------------------------

PREFIX6 = "2001:db8:13::"
VIP6 = PREFIX6 + "100"
IP6_B, IP6_C, IP6_R = PREFIX6 + "b", PREFIX6 + "c", PREFIX6 + "fe"
LL_R = "fe80::1"                  # the router's link-local: node-b's default gateway
SOL_R = "ff02::1:ff00:1"          # its solicited-node group
SOL_R_MAC = "33:33:ff:00:00:01"


def talk6(ns, dev, ip):
    """UDP from @ns to @ip until @ns has resolved it."""
    code = ("import socket,sys\n"
            "socket.socket(socket.AF_INET6,socket.SOCK_DGRAM).sendto(b'x',(sys.argv[1],9))\n")
    end = time.monotonic() + 5
    while time.monotonic() < end:
        ns.run([sys.executable, "-c", code, ip])
        if [e for e in ns.neigh(ip, dev=dev)
                if e.get("lladdr") and "INCOMPLETE" not in e.get("state", [])]:
            return
        time.sleep(0.1)
    raise netns.TestFailure(f"{ns} could not resolve {ip}: {ns.neigh(ip, dev=dev)}")


def lladdr6(ns, dev):
    e = ns.neigh(VIP6, dev=dev)
    return e[0].get("lladdr") if e else None


class Lab6:
    """IPv6: the VIP on node-a; the client and the router on node-a's MAC, ignoring NAs."""

    def __init__(self, stack):
        self.sw = stack.enter_context(netns.Netns("g6sw"))
        self.a = stack.enter_context(netns.Netns("g6na"))
        self.b = stack.enter_context(netns.Netns("g6nb"))
        self.c = stack.enter_context(netns.Netns("g6cl"))
        self.r = stack.enter_context(netns.Netns("g6rt"))
        br = self.sw.bridge(snooping=False)
        self.ia, pa = netns.veth(self.a, self.sw, mac_a=MAC_A)
        self.ib, pb = netns.veth(self.b, self.sw, mac_a=MAC_B)
        self.ic, pc = netns.veth(self.c, self.sw, mac_a=MAC_C)
        self.ir, pr = netns.veth(self.r, self.sw, mac_a=MAC_R)
        for p in (pa, pb, pc, pr):
            self.sw.enslave(p, br)
        self.a.addr_add(self.ia, PREFIX6 + "a/64", "nodad")
        self.b.addr_add(self.ib, IP6_B + "/64", "nodad")
        self.c.addr_add(self.ic, IP6_C + "/64", "nodad")
        self.r.addr_add(self.ir, IP6_R + "/64", "nodad")
        self.r.addr_add(self.ir, LL_R + "/64", "nodad")
        self.r.sysctl("net.ipv6.conf.all.forwarding", "1")
        self.b.ip("-6", "route", "add", "default", "via", LL_R, "dev", self.ib)
        self.a.addr_add(self.ia, VIP6 + "/64", "nodad")
        # The client and the router reach the VIP on node-a.
        talk6(self.c, self.ic, VIP6)
        talk6(self.r, self.ir, VIP6)
        # The client talks to node-b: node-b's neighbour table has it.
        talk6(self.c, self.ic, IP6_B)
        check(lladdr6(self.c, self.ic) == MAC_A, f"client starts on {lladdr6(self.c, self.ic)}")
        check(lladdr6(self.r, self.ir) == MAC_A, f"router starts on {lladdr6(self.r, self.ir)}")
        check([e for e in self.b.neigh(IP6_C, dev=self.ib) if e.get("lladdr")],
              f"node-b should know the client: {self.b.neigh(IP6_C, dev=self.ib)}")
        check(not [e for e in self.b.neigh(LL_R, dev=self.ib) if e.get("lladdr")],
              f"node-b should not know the router's MAC: {self.b.neigh(LL_R, dev=self.ib)}")
        netns.ignore_na(self.c, VIP6)
        netns.ignore_na(self.r, VIP6)

    def move(self):
        self.a.ip("addr", "del", VIP6 + "/64", "dev", self.ia)
        self.b.addr_add(self.ib, VIP6 + "/64")  # the kernel's DAD: garpd waits for it


def capture6(ns, dev):
    return netns.Capture(ns, dev, ethertypes=(netns.ETH_P_IPV6,), timeout=20)


def nd_from_b(frames, type_):
    """(frame, fields) of the NS (135) or NA (136) frames from node-b's MAC for/from the VIP."""
    out = []
    for f in frames:
        n = netns.parse_nd(f)
        if n and n["type"] == type_ and f.src == MAC_B and \
                (n["src"] == VIP6 if type_ == 135 else n["target"] == VIP6):
            out.append((f, n))
    return out


def check_ns(f, n, dst_mac, dst, target):
    """The directed refresh NS: from the VIP, node-b's MAC in its SLLA, for @target."""
    want_opts = [(1, bytes.fromhex(MAC_B.replace(":", "")))]
    check(f.dst == dst_mac and n["dst"] == dst and n["target"] == target
          and n["src"] == VIP6 and n["hop"] == 255 and n["code"] == 0 and n["sum_ok"]
          and n["opts"] == want_opts and f.length == 86 and f.vlan is None,
          f"not an NS for {target} from {VIP6} to {dst_mac}/{dst} with SLLA {MAC_B}: "
          f"{f.summary()} {n}")


def test_refresh6():
    with contextlib.ExitStack() as stack:
        lab = Lab6(stack)
        d = Garpd(lab.b, FAST)
        with capture6(lab.c, lab.ic) as cap_c, capture6(lab.r, lab.ir) as cap_r:
            lab.move()
            line = d.wait_for("event=refreshed", addr=VIP6, timeout=15)
            print(line)
            time.sleep(0.5)
            frames_c, frames_r = cap_c.stop(), cap_r.stop()
        check(" neighbours=2 " in line + " ", f"expected 2 neighbours refreshed: {line}")
        check(netns.ignored(lab.c, "ip6") >= 1 and netns.ignored(lab.r, "ip6") >= 1,
              "the ignore rules dropped nothing: the NA did not reach them?")

        to_c = [(f, n) for f, n in nd_from_b(frames_c, 135) if n["target"] == IP6_C]
        check(len(to_c) == 1, f"expected one NS for the client, got {len(to_c)}")
        print(f"client: {to_c[0][0].summary()} {to_c[0][1]}")
        check_ns(*to_c[0], MAC_C, IP6_C, IP6_C)
        to_r = [(f, n) for f, n in nd_from_b(frames_r, 135) if n["target"] == LL_R]
        check(len(to_r) == 1, f"expected one NS for the router, got {len(to_r)}")
        print(f"router: {to_r[0][0].summary()} {to_r[0][1]}")
        check_ns(*to_r[0], SOL_R_MAC, SOL_R, LL_R)
        # The refresh comes after the NA.
        nas = nd_from_b(frames_c, 136)
        check(nas and nas[-1][0].ts_ns <= to_c[0][0].ts_ns, "the NS came before the NA")

        check(lladdr6(lab.c, lab.ic) == MAC_B,
              f"client's entry for {VIP6} is {lladdr6(lab.c, lab.ic)}, expected {MAC_B}")
        check(lladdr6(lab.r, lab.ir) == MAC_B,
              f"router's entry for {VIP6} is {lladdr6(lab.r, lab.ir)}, expected {MAC_B}")
        d.stop()


def test_refresh6_off():
    with contextlib.ExitStack() as stack:
        lab = Lab6(stack)
        d = Garpd(lab.b, FAST + "directed_refresh = no\n")
        with capture6(lab.c, lab.ic) as cap_c:
            lab.move()
            d.wait_for("event=announced", addr=VIP6, timeout=15)
            time.sleep(1)
            frames_c = cap_c.stop()
        check(nd_from_b(frames_c, 136), "no NA reached the client")
        check(not nd_from_b(frames_c, 135), "an NS from the VIP left with directed_refresh = no")
        check(not d.find("event=refreshed"), "garpd logged a refresh with directed_refresh = no")
        check(lladdr6(lab.c, lab.ic) == MAC_A,
              f"client's entry moved to {lladdr6(lab.c, lab.ic)} without the refresh: "
              "the NA-ignoring emulation does not hold")
        check(lladdr6(lab.r, lab.ir) == MAC_A,
              f"router's entry moved to {lladdr6(lab.r, lab.ir)} without the refresh")
        d.stop()


def test_removed_before_refresh6():
    with contextlib.ExitStack() as stack:
        lab = Lab6(stack)
        d = Garpd(lab.b, "[sequence]\nprofile = immediate\nmax_frames_per_second = 1\n")
        with capture6(lab.c, lab.ic) as cap_c:
            lab.move()
            d.wait_for("event=refreshed", addr=VIP6, timeout=15)
            lab.b.ip("addr", "del", VIP6 + "/64", "dev", lab.ib)
            time.sleep(3)  # well past when both NSes were due (1 s, 2 s)
            frames_c = cap_c.stop()
        check(nd_from_b(frames_c, 136), "no NA reached the client")
        check(not nd_from_b(frames_c, 135),
              f"an NS left after the address was removed: "
              f"{[f.summary() for f, _ in nd_from_b(frames_c, 135)]}")
        check(not d.find("event=refresh-sent"), "garpd logged a refresh frame as sent")
        d.stop()


def test():
    test_refresh()
    test_refresh_off()
    test_removed_before_refresh()
    test_refresh6()
    test_refresh6_off()
    test_removed_before_refresh6()


if __name__ == "__main__":
    netns.main(test)
