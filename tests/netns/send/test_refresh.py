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
"""

import contextlib
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


def ignore_garp(ns, own_ip):
    """Drop ARP from the VIP unless it asks for @own_ip: a stack that ignores gratuitous ARP."""
    ns.run(["nft", "add", "table", "arp", "garptest"])
    ns.run(["nft", "add", "chain", "arp", "garptest", "input",
            "{ type filter hook input priority 0; policy accept; }"])
    ns.run(["nft", "add", "rule", "arp", "garptest", "input", "arp", "saddr", "ip", VIP,
            "arp", "daddr", "ip", "!=", own_ip, "counter", "drop"])


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
            talk(ns, dev, VIP)
        talk(self.c, self.ic, IP_B)
        for ns, dev, own in self.peers:
            check(lladdr(ns, dev) == MAC_A, f"{own} starts on {lladdr(ns, dev)}")
        check(self.b.neigh(IP_C, dev=self.ib), "node-b should know the client")
        for ip in (IP_D, IP_R):
            check(not [e for e in self.b.neigh(ip, dev=self.ib) if e.get("lladdr")],
                  f"node-b should not know {ip}'s MAC")
        for ns, _, own in self.peers:
            ignore_garp(ns, own)
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
                          (["--neighbour", "nonsense"], "not an IPv4 address"),
                          (["--neighbour", "224.0.0.1"], "not a unicast address")):
            r = ns.run([netns.garpctl(), "send", "-i", "lo"] + args + [VIP], check=False)
            check(r.returncode == 2 and msg in r.stderr,
                  f"{args}: exit {r.returncode}, {r.stderr.strip()!r}")


def test():
    test_usage()
    test_refresh()
    test_no_refresh()


if __name__ == "__main__":
    netns.main(test)
