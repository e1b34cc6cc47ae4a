#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl send's directed refresh: neighbours that ignore gratuitous ARP follow.

node-a (the old owner of the VIP), node-b (runs garpctl send), a client, a
second client and a router hang off one bridge. The clients and the router
emulate stacks that ignore gratuitous ARP: an nftables arp-family rule drops
every ARP frame from the VIP unless its target is their own address (as in
tests/netns/daemon/test_refresh.py). All three reach the VIP on node-a's MAC
first.

- the client has talked to node-b: node-b's neighbour table has it;
- the router is node-b's default gateway, never talked to it;
- the second client is unknown to node-b: named with --neighbour.

1. garpctl send (refresh by default) + --neighbour: all three move to
   node-b's MAC; the refresh frames are who-has NEIGHBOUR tell VIP from
   node-b's MAC, unicast to the client, broadcast for the others, after the
   announcement.
2. --no-refresh: all three stay on node-a (the emulation holds; case 1 is
   the refresh's doing).
3. --neighbour with --no-refresh, or a bad --neighbour: exit 2.

IPv6, the same on a second segment: the clients and the router drop every
neighbour advertisement whose target is the VIP (netns.ignore_na()); the
router is node-b's default gateway by its link-local address. garpctl send
(refresh by default) + --neighbour for the second client: all three move to
node-b's MAC by an NS from the VIP with node-b's MAC as its Source
Link-Layer Address, unicast to the client, to the solicited-node group of
the others; --no-refresh: all three stay on node-a.
"""

import contextlib
import ipaddress
import sys
import time

import netns
from netns import check

VIP = "10.0.0.100"
IP_A, IP_B, IP_C, IP_D, IP_R = "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.254"
MAC_A, MAC_B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
MAC_C, MAC_D, MAC_R = "02:00:00:00:00:0c", "02:00:00:00:00:0d", "02:00:00:00:00:fe"
BCAST = "ff:ff:ff:ff:ff:ff"
ZERO = "00:00:00:00:00:00"


def lladdr(ns, dev):
    e = ns.neigh(VIP, dev=dev)
    return e[0].get("lladdr") if e else None


class Lab:
    def __init__(self, stack):
        self.sw = stack.enter_context(netns.Netns("gssw", ipv6=False))
        self.a = stack.enter_context(netns.Netns("gsna", ipv6=False))
        self.b = stack.enter_context(netns.Netns("gsnb", ipv6=False))
        self.c = stack.enter_context(netns.Netns("gscl", ipv6=False))
        self.d = stack.enter_context(netns.Netns("gscd", ipv6=False))
        self.r = stack.enter_context(netns.Netns("gsrt", ipv6=False))
        br = self.sw.bridge()
        self.ia, pa = netns.veth(self.a, self.sw, mac_a=MAC_A, addr_a=IP_A + "/24")
        self.ib, pb = netns.veth(self.b, self.sw, mac_a=MAC_B, addr_a=IP_B + "/24")
        self.ic, pc = netns.veth(self.c, self.sw, mac_a=MAC_C, addr_a=IP_C + "/24")
        self.id, pd = netns.veth(self.d, self.sw, mac_a=MAC_D, addr_a=IP_D + "/24")
        self.ir, pr = netns.veth(self.r, self.sw, mac_a=MAC_R, addr_a=IP_R + "/24")
        for p in (pa, pb, pc, pd, pr):
            self.sw.enslave(p, br)
        self.b.ip("route", "add", "default", "via", IP_R, "dev", self.ib)
        self.a.addr_add(self.ia, VIP + "/24")
        self.peers = ((self.c, self.ic, IP_C), (self.d, self.id, IP_D), (self.r, self.ir, IP_R))
        for ns, dev, _ in self.peers:
            netns.talk(ns, dev, VIP)
        netns.talk(self.c, self.ic, IP_B)
        for ns, dev, own in self.peers:
            check(lladdr(ns, dev) == MAC_A, f"{own} starts on {lladdr(ns, dev)}")
        check(self.b.neigh(IP_C, dev=self.ib), "node-b should know the client")
        for ip in (IP_D, IP_R):
            check(not [e for e in self.b.neigh(ip, dev=self.ib) if e.get("lladdr")],
                  f"node-b should not know {ip}'s MAC")
        for ns, _, own in self.peers:
            netns.ignore_garp(ns, VIP, own)
        # the move: node-a lets go, node-b takes the VIP
        self.a.ip("addr", "del", VIP + "/24", "dev", self.ia)
        self.b.addr_add(self.ib, VIP + "/24")

    def send(self, *args):
        cmd = [netns.garpctl(), "send", "-i", self.ib, "--probes", "0"] + list(args) + [VIP]
        return self.b.run(cmd, check=False, timeout=30)


def refresh_frames(frames):
    return [f for f in frames if f.src == MAC_B and f.is_arp and f.spa == VIP and f.tpa != VIP]


def test_refresh():
    with contextlib.ExitStack() as stack:
        lab = Lab(stack)
        caps = [stack.enter_context(netns.Capture(ns, dev, timeout=15))
                for ns, dev, _ in lab.peers]
        r = lab.send("--neighbour", IP_D)
        check(r.returncode == 0 and r.stderr == "",
              f"garpctl send exited {r.returncode}: {r.stderr.strip()}")
        time.sleep(0.3)
        for cap, (ns, dev, own) in zip(caps, lab.peers):
            frames = cap.stop()
            for f in frames:
                print(f"{own}: {f.summary()}")
            mine = [f for f in refresh_frames(frames) if f.tpa == own]
            check(len(mine) == 1, f"expected one refresh for {own}, got {len(mine)}")
            f = mine[0]
            dst = MAC_C if own == IP_C else BCAST
            check(f.dst == dst and f.op == 1 and f.sha == MAC_B and f.tha == ZERO
                  and f.length == 60 and f.vlan is None,
                  f"not a who-has {own} tell {VIP} to {dst}: {f.summary()}")
            ann = [x for x in frames if x.src == MAC_B and x.spa == VIP and x.tpa == VIP]
            check(ann and ann[-1].ts_ns <= f.ts_ns, f"{own}: no announcement before the refresh")
            check(lladdr(ns, dev) == MAC_B,
                  f"{own}'s entry for {VIP} is {lladdr(ns, dev)}, expected {MAC_B}")


def test_no_refresh():
    with contextlib.ExitStack() as stack:
        lab = Lab(stack)
        cap = stack.enter_context(netns.Capture(lab.c, lab.ic, timeout=15))
        r = lab.send("--no-refresh")
        check(r.returncode == 0 and r.stderr == "",
              f"garpctl send exited {r.returncode}: {r.stderr.strip()}")
        time.sleep(1)
        frames = cap.stop()
        check([f for f in frames if f.src == MAC_B and f.spa == VIP and f.tpa == VIP],
              "no announcement reached the client")
        check(not refresh_frames(frames), "a refresh frame left with --no-refresh")
        for ns, dev, own in lab.peers:
            check(lladdr(ns, dev) == MAC_A,
                  f"{own}'s entry moved to {lladdr(ns, dev)} without the refresh: "
                  "the GARP-ignoring emulation does not hold")


def test_usage():
    with contextlib.ExitStack() as stack:
        ns = stack.enter_context(netns.Netns("gsus", ipv6=False))
        for args, msg in ((["--no-refresh", "--neighbour", IP_C], "--no-refresh"),
                          (["--neighbour", "nonsense"], "not an IPv4 or IPv6 address"),
                          (["--neighbour", "fe80::1%lo"], "not an IPv4 or IPv6 address"),
                          (["--neighbour", "224.0.0.1"], "not a unicast address"),
                          (["--neighbour", "ff02::1"], "not a unicast address")):
            r = ns.run([netns.garpctl(), "send", "-i", "lo"] + args + [VIP], check=False)
            check(r.returncode == 2 and msg in r.stderr,
                  f"{args}: exit {r.returncode}, {r.stderr.strip()!r}")


# --- IPv6 -------------------------------------------------------------------

PREFIX6 = "2001:db8:14::"
VIP6 = PREFIX6 + "100"
IP6_B, IP6_C, IP6_D, IP6_R = PREFIX6 + "b", PREFIX6 + "c", PREFIX6 + "d", PREFIX6 + "fe"
LL_R = "fe80::1"  # the router's link-local: node-b's default gateway


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


def solicited(ip):
    """The solicited-node group of @ip, and its MAC."""
    low = ipaddress.IPv6Address(ip).packed[13:]
    group = ipaddress.IPv6Address(bytes.fromhex("ff02" + "00" * 9 + "01ff") + low)
    return str(group), "33:33:ff:" + ":".join(f"{x:02x}" for x in low)


class Lab6:
    def __init__(self, stack):
        self.sw = stack.enter_context(netns.Netns("g6ssw"))
        self.a = stack.enter_context(netns.Netns("g6sna"))
        self.b = stack.enter_context(netns.Netns("g6snb"))
        self.c = stack.enter_context(netns.Netns("g6scl"))
        self.d = stack.enter_context(netns.Netns("g6scd"))
        self.r = stack.enter_context(netns.Netns("g6srt"))
        br = self.sw.bridge(snooping=False)
        self.ia, pa = netns.veth(self.a, self.sw, mac_a=MAC_A)
        self.ib, pb = netns.veth(self.b, self.sw, mac_a=MAC_B)
        self.ic, pc = netns.veth(self.c, self.sw, mac_a=MAC_C)
        self.id, pd = netns.veth(self.d, self.sw, mac_a=MAC_D)
        self.ir, pr = netns.veth(self.r, self.sw, mac_a=MAC_R)
        for p in (pa, pb, pc, pd, pr):
            self.sw.enslave(p, br)
        for ns, dev, ip in ((self.a, self.ia, PREFIX6 + "a"), (self.b, self.ib, IP6_B),
                            (self.c, self.ic, IP6_C), (self.d, self.id, IP6_D),
                            (self.r, self.ir, IP6_R), (self.r, self.ir, LL_R)):
            ns.addr_add(dev, ip + "/64", "nodad")
        self.r.sysctl("net.ipv6.conf.all.forwarding", "1")
        self.b.ip("-6", "route", "add", "default", "via", LL_R, "dev", self.ib)
        self.a.addr_add(self.ia, VIP6 + "/64", "nodad")
        # the second client is named by --neighbour with its address, the router by its link-local
        self.peers = ((self.c, self.ic, IP6_C), (self.d, self.id, IP6_D), (self.r, self.ir, LL_R))
        for ns, dev, _ in self.peers:
            talk6(ns, dev, VIP6)
        talk6(self.c, self.ic, IP6_B)
        for ns, dev, own in self.peers:
            check(lladdr6(ns, dev) == MAC_A, f"{own} starts on {lladdr6(ns, dev)}")
        check([e for e in self.b.neigh(IP6_C, dev=self.ib) if e.get("lladdr")],
              "node-b should know the client")
        for ip in (IP6_D, LL_R):
            check(not [e for e in self.b.neigh(ip, dev=self.ib) if e.get("lladdr")],
                  f"node-b should not know {ip}'s MAC")
        for ns, _, _ in self.peers:
            netns.ignore_na(ns, VIP6)
        # the move: node-a lets go, node-b takes the VIP (nodad: garpctl send sends at once)
        self.a.ip("addr", "del", VIP6 + "/64", "dev", self.ia)
        self.b.addr_add(self.ib, VIP6 + "/64", "nodad")

    def send(self, *args):
        cmd = [netns.garpctl(), "send", "-i", self.ib, "--probes", "0"] + list(args) + [VIP6]
        return self.b.run(cmd, check=False, timeout=30)


def nd_from_b(frames, type_):
    """(frame, fields) of node-b's NSes from the VIP (135) or NAs for it (136)."""
    out = []
    for f in frames:
        n = netns.parse_nd(f)
        if n and n["type"] == type_ and f.src == MAC_B and \
                (n["src"] == VIP6 if type_ == 135 else n["target"] == VIP6):
            out.append((f, n))
    return out


def test_refresh6():
    with contextlib.ExitStack() as stack:
        lab = Lab6(stack)
        caps = [stack.enter_context(netns.Capture(ns, dev, ethertypes=(netns.ETH_P_IPV6,),
                                                  timeout=15))
                for ns, dev, _ in lab.peers]
        r = lab.send("--neighbour", IP6_D)
        check(r.returncode == 0 and r.stderr == "",
              f"garpctl send exited {r.returncode}: {r.stderr.strip()}")
        time.sleep(0.3)
        for cap, (ns, dev, own) in zip(caps, lab.peers):
            frames = cap.stop()
            mine = [(f, n) for f, n in nd_from_b(frames, 135) if n["target"] == own]
            check(len(mine) == 1, f"expected one NS for {own}, got {len(mine)}")
            f, n = mine[0]
            print(f"{own}: {f.summary()} {n}")
            dst, dst_mac = (IP6_C, MAC_C) if own == IP6_C else solicited(own)
            check(f.dst == dst_mac and n["dst"] == dst and n["src"] == VIP6 and n["hop"] == 255
                  and n["code"] == 0 and n["sum_ok"] and f.length == 86 and f.vlan is None
                  and n["opts"] == [(1, bytes.fromhex(MAC_B.replace(":", "")))],
                  f"not an NS for {own} from {VIP6} to {dst_mac}/{dst} with SLLA {MAC_B}: "
                  f"{f.summary()} {n}")
            nas = nd_from_b(frames, 136)
            check(nas and nas[-1][0].ts_ns <= f.ts_ns, f"{own}: no NA before the NS")
            check(netns.ignored(ns, "ip6") >= 1, f"{own}: the NA was not dropped")
            check(lladdr6(ns, dev) == MAC_B,
                  f"{own}'s entry for {VIP6} is {lladdr6(ns, dev)}, expected {MAC_B}")


def test_no_refresh6():
    with contextlib.ExitStack() as stack:
        lab = Lab6(stack)
        cap = stack.enter_context(netns.Capture(lab.c, lab.ic, ethertypes=(netns.ETH_P_IPV6,),
                                                timeout=15))
        r = lab.send("--no-refresh")
        check(r.returncode == 0 and r.stderr == "",
              f"garpctl send exited {r.returncode}: {r.stderr.strip()}")
        time.sleep(1)
        frames = cap.stop()
        check(nd_from_b(frames, 136), "no NA reached the client")
        check(not nd_from_b(frames, 135), "an NS from the VIP left with --no-refresh")
        for ns, dev, own in lab.peers:
            check(lladdr6(ns, dev) == MAC_A,
                  f"{own}'s entry moved to {lladdr6(ns, dev)} without the refresh: "
                  "the NA-ignoring emulation does not hold")


def test():
    test_usage()
    test_refresh()
    test_no_refresh()
    test_refresh6()
    test_no_refresh6()


if __name__ == "__main__":
    netns.main(test)
