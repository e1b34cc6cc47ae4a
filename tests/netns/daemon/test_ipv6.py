#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6: unsolicited neighbour advertisements, end to end.

One segment: a client namespace holds a bridge (multicast snooping off) with
ports to node A and node B; garpd runs on B.

1. failover: the client talks to a VIP on A (its neighbour entry is A's
   MAC); the VIP moves to B (kernel DAD); right after B's advertisement the
   client's entry is B's MAC.
2. DAD fails on B (A still holds the address): a conflict, and no NA.
3. a nodad address A holds: garpd's own DAD probe draws A's NA, a conflict,
   and no NA.
4. LVS-DR: the VIP on lo and on an `arp off` interface: nothing.
5. IPv4 and IPv6 on one interface in one run: both announced, the nodad
   IPv6 address after garpd's own probes in the kernel's DAD format.
6. the Router flag follows the interface's forwarding sysctl from one
   address to the next (garpd keeps the sysctl file open and reads it again).
"""

import ipaddress
import struct
import sys
import time

import netns
from netns import check
from garpd_harness import FAST, Garpd

ETH_P_IPV6 = 0x86DD
MAC_A, MAC_B, MAC_C = "02:00:00:00:06:0a", "02:00:00:00:06:0b", "02:00:00:00:06:0c"
PREFIX = "2001:db8:6::"


def nd(f):
    """(type, src, dst, flags, target, option types) of an NS/NA frame, else None."""
    raw = f.raw[14:] if f.vlan is None else f.raw[18:]
    if f.ethertype != ETH_P_IPV6 or len(raw) < 64 or raw[6] != 58 or raw[40] not in (135, 136):
        return None
    src = str(ipaddress.IPv6Address(raw[8:24]))
    dst = str(ipaddress.IPv6Address(raw[24:40]))
    plen = struct.unpack("!H", raw[4:6])[0]
    icmp = raw[40:40 + plen]
    opts, off = [], 24
    while off + 2 <= len(icmp) and icmp[off + 1]:
        opts.append((icmp[off], icmp[off + 2:off + 8 * icmp[off + 1]]))
        off += 8 * icmp[off + 1]
    return dict(type=icmp[0], src=src, dst=dst, flags=icmp[4] & 0xE0, hop=raw[7],
                target=str(ipaddress.IPv6Address(icmp[8:24])), opts=opts)


def unsolicited_nas(frames, mac, target):
    out = []
    for f in frames:
        n = nd(f)
        if n and n["type"] == 136 and f.src == mac and n["target"] == target \
                and f.dst == "33:33:00:00:00:01":
            out.append((f, n))
    return out


class Lan:
    """Client C with a bridge; A and B on its ports."""

    def __init__(self, c, a, b):
        self.c, self.a, self.b = c, a, b
        c.ip("link", "add", "br6", "type", "bridge", "stp_state", "0", "forward_delay", "0",
             "mcast_snooping", "0")
        c.ip("link", "set", "dev", "br6", "address", MAC_C)
        c.link_up("br6")
        self.ia, pa = netns.veth(a, c, mac_a=MAC_A)
        self.ib, pb = netns.veth(b, c, mac_a=MAC_B)
        for p in (pa, pb):
            c.enslave(p, "br6")
        self.pa, self.pb = pa, pb
        c.addr_add("br6", PREFIX + "c/64", "nodad")
        a.addr_add(self.ia, PREFIX + "a/64", "nodad")
        b.addr_add(self.ib, PREFIX + "b/64", "nodad")


def client_entry(c, addr):
    e = c.neigh(addr, "br6")
    return (e[0].get("lladdr"), e[0].get("state")) if e else (None, None)


def talk(c, addr, timeout=5):
    """The client sends to @addr (UDP, discard port) until its neighbour entry resolves."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
            "s.sendto(b'x',(sys.argv[1],9))\n")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        c.run([sys.executable, "-c", code, addr])
        mac, state = client_entry(c, addr)
        if mac and state and state[0] in ("REACHABLE", "STALE", "DELAY"):
            return
        time.sleep(0.1)
    raise netns.TestFailure(f"the client could not resolve {addr}: {client_entry(c, addr)}")


def wait_dad(ns, dev, addr, timeout=10):
    """Until the kernel's DAD for @addr finished (or failed); returns its flags."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for i in ns.ip_json("addr", "show", "dev", dev):
            for a in i.get("addr_info", []):
                if a.get("local") == addr and not a.get("tentative"):
                    return a
                if a.get("local") == addr and a.get("dadfailed"):
                    return a
        time.sleep(0.05)
    raise netns.TestFailure(f"DAD for {addr} did not finish in {timeout} s")


def failover(advertise=True):
    """The VIP moves from A to B; returns how long the client took to follow B's NA.

    With advertise=False (ipv6 = no for garpd), the control: the client's
    entry stays on A's MAC although B's kernel finished DAD, so what moves it
    in the real run is garpd's NA and nothing else.
    """
    vip = PREFIX + "100"
    with netns.Netns("g6c") as c, netns.Netns("g6a") as a, netns.Netns("g6b") as b:
        lan = Lan(c, a, b)
        d = Garpd(b, FAST + ("" if advertise else "ipv6 = no\n"))
        a.addr_add(lan.ia, vip + "/64", "nodad")
        # the client talks to the VIP: a live entry on A's MAC
        talk(c, vip)
        mac, state = client_entry(c, vip)
        check(mac == MAC_A, f"client entry before the move: {mac} {state}")
        with netns.Capture(c, lan.pb, ethertypes=(ETH_P_IPV6,), timeout=20) as cap:
            a.ip("addr", "del", vip + "/64", "dev", lan.ia)
            b.addr_add(lan.ib, vip + "/64")  # with DAD: garpd waits for it
            if not advertise:
                wait_dad(b, lan.ib, vip)
                time.sleep(1.0)
                mac, state = client_entry(c, vip)
                check(mac == MAC_A, f"without garpd's NA the client moved anyway: {mac} {state}")
                check(not unsolicited_nas(cap.stop(), MAC_B, vip), "an NA with ipv6 = no")
                return None
            d.wait_for("event=announced", addr=vip, timeout=10)
            t_sent = time.monotonic()
            while client_entry(c, vip)[0] != MAC_B and time.monotonic() < t_sent + 2:
                time.sleep(0.02)
            moved = time.monotonic() - t_sent
            mac, state = client_entry(c, vip)
            frames = cap.stop()
        check(mac == MAC_B, f"client entry after B's NA: {mac} {state} (want {MAC_B})")
        check(moved < 1.0, f"the client followed {moved:.2f} s after the NA")
        nas = unsolicited_nas(frames, MAC_B, vip)
        check(len(nas) == 1, f"want one unsolicited NA from B, got {len(nas)}")
        f, n = nas[0]
        check(n["src"] == vip and n["dst"] == "ff02::1" and n["hop"] == 255,
              f"NA addresses: {n}")
        check(n["flags"] == 0x20, f"NA flags {n['flags']:#x}, want Override only")
        check(n["opts"] == [(2, bytes.fromhex(MAC_B.replace(":", "")))],
              f"NA options: {n['opts']}")
        # no NA while the address was tentative: B's kernel DAD probe came first
        dad = [i for i, g in enumerate(frames) if nd(g) and nd(g)["type"] == 135
               and nd(g)["src"] == "::" and nd(g)["target"] == vip]
        check(dad and dad[0] < frames.index(f), "the NA did not wait for the kernel's DAD")
        check(f.ts_ns - frames[dad[0]].ts_ns >= 900e6,
              "the NA came less than RetransTimer (1 s) after the kernel's DAD probe")
        d.wait_for("event=na-sent", addr=vip)
        return moved


def dad_failure():
    addr = PREFIX + "200"
    with netns.Netns("g6c") as c, netns.Netns("g6a") as a, netns.Netns("g6b") as b:
        lan = Lan(c, a, b)
        d = Garpd(b, FAST)
        a.addr_add(lan.ia, addr + "/64", "nodad")
        with netns.Capture(c, lan.pb, ethertypes=(ETH_P_IPV6,), timeout=20) as cap:
            b.addr_add(lan.ib, addr + "/64")
            info = wait_dad(b, lan.ib, addr)
            check(info.get("dadfailed"), f"B's DAD did not fail: {info}")
            line = d.wait_for("event=conflict", addr=addr, timeout=5)
            time.sleep(0.5)
            frames = cap.stop()
        check("detected=kernel-dad" in line, f"conflict line: {line}")
        check(not unsolicited_nas(frames, MAC_B, addr), "B advertised an address whose DAD failed")
        check(not d.find("event=announced", addr=addr), "garpd logged it as announced")
        status = b.run([netns.garpctl(), "--socket", d.control, "status"]).stdout
        check(addr in status and "dadfailed" in status and "dad failures 1" in status,
              f"status does not show the failed DAD:\n{status}")
        out = b.run([netns.garpctl(), "--socket", d.control, "announce", addr], check=False)
        check(out.returncode != 0 and "dadfailed" in out.stderr + out.stdout,
              f"announce of a dadfailed address: {out.returncode} {out.stdout} {out.stderr}")


def nodad_conflict():
    addr = PREFIX + "300"
    with netns.Netns("g6c") as c, netns.Netns("g6a") as a, netns.Netns("g6b") as b:
        lan = Lan(c, a, b)
        # one probe: A answers it within microseconds, so the NS/NA filter must
        # already be on when that probe leaves (else the conflict is missed)
        d = Garpd(b, FAST + "probes = 1\n")
        a.addr_add(lan.ia, addr + "/64", "nodad")
        with netns.Capture(c, lan.pb, ethertypes=(ETH_P_IPV6,), timeout=20) as cap:
            b.addr_add(lan.ib, addr + "/64", "nodad")
            line = d.wait_for("event=conflict", addr=addr, timeout=5)
            time.sleep(0.6)  # past the time the NA would have gone
            frames = cap.stop()
        check(f"mac={MAC_A}" in line, f"conflict names the wrong MAC: {line}")
        probes = [n for n in (nd(f) for f in frames if f.src == MAC_B) if n
                  and n["type"] == 135 and n["target"] == addr]
        check(probes, "garpd sent no DAD probe for the nodad address")
        for n in probes:
            check(n["src"] == "::" and n["dst"] == "ff02::1:ff00:300" and n["hop"] == 255,
                  f"probe not in the kernel's DAD format: {n}")
            check([t for t, _ in n["opts"]] == [14], f"probe options {n['opts']}: want a nonce only")
        check(not unsolicited_nas(frames, MAC_B, addr), "B advertised an address A holds")


def lvs():
    vip = PREFIX + "400"
    with netns.Netns("g6c") as c, netns.Netns("g6b") as b:
        noarp, p1 = netns.veth(b, c)
        eth, p2 = netns.veth(b, c)
        b.ip("link", "set", "dev", noarp, "arp", "off")
        d = Garpd(b, FAST)
        with netns.Capture(c, p1, ethertypes=(ETH_P_IPV6,), timeout=20) as cap1, \
                netns.Capture(c, p2, ethertypes=(ETH_P_IPV6,), timeout=20) as cap2:
            b.addr_add("lo", vip + "/128")
            b.addr_add(noarp, vip + "/64", "nodad")
            b.addr_add(eth, PREFIX + "401/64", "nodad")
            d.wait_for("event=announced", addr=PREFIX + "401")
            time.sleep(0.5)
            silent, loud = cap1.stop(), cap2.stop()
        check(not [f for f in silent if nd(f) and nd(f)["type"] == 136],
              "an NA left the arp-off interface")
        check(not d.find(addr=vip), f"garpd acted on {vip}: {d.find(addr=vip)}")
        check(len(unsolicited_nas(loud, b.mac(eth), PREFIX + "401")) == 1,
              "the ordinary address was not advertised")
        for f in loud:
            n = nd(f)
            check(not n or n["target"] != vip, f"VIP leaked on the wire: {n}")


def dual_stack():
    v4, v6 = "10.6.0.100", PREFIX + "500"
    with netns.Netns("g6c") as c, netns.Netns("g6a") as a, netns.Netns("g6b") as b:
        lan = Lan(c, a, b)
        d = Garpd(b, FAST)
        with netns.Capture(c, lan.pb, ethertypes=(netns.ETH_P_ARP, ETH_P_IPV6),
                           timeout=20) as cap:
            b.addr_add(lan.ib, v4 + "/24")
            b.addr_add(lan.ib, v6 + "/64", "nodad")
            d.wait_for("event=announced", addr=v4)
            d.wait_for("event=announced", addr=v6)
            frames = cap.stop()
        arp = [f for f in frames if f.is_arp and f.tpa == v4]
        check(len(arp) == 4 and [f.spa for f in arp] == ["0.0.0.0"] * 3 + [v4],
              f"IPv4: {[f.summary() for f in arp]}")
        ours = [(f, nd(f)) for f in frames if f.src == MAC_B and nd(f)
                and nd(f)["target"] == v6]
        kinds = [n["type"] for _, n in ours]
        check(kinds == [135, 135, 135, 136], f"IPv6: want 3 DAD probes then the NA, got {kinds}")
        ts = [f.ts_ns for f, _ in ours]
        gaps = [(ts[i + 1] - ts[i]) / 1e6 for i in range(3)]
        # FAST: probes 100 ms apart, 100 ms pause before the NA
        check(all(80 <= g <= 400 for g in gaps), f"IPv6 timing (ms): {gaps}")
        nonces = {bytes(o[1]) for _, n in ours[:3] for o in n["opts"] if o[0] == 14}
        check(len(nonces) == 1, f"probes of one sequence carry one nonce, got {nonces}")
        status = b.run([netns.garpctl(), "--socket", d.control, "status", "--json"],
                       check=False).stdout
        metrics = b.run([netns.garpctl(), "--socket", d.control, "metrics"]).stdout
        check("garpd_neighbour_advertisements_total" in metrics and
              f'garpd_ns_probes_total{{interface="{lan.ib}"}} 3' in metrics,
              f"metrics:\n{metrics}")
        check(v6 in status and '"family":"ipv6"' in status, f"status json:\n{status}")


def router_flag():
    """Each NA carries R exactly while B forwards IPv6 on its interface; the
    sysctl changes between two addresses without any netlink event."""
    with netns.Netns("g6c") as c, netns.Netns("g6a") as a, netns.Netns("g6b") as b:
        lan = Lan(c, a, b)
        d = Garpd(b, "[sequence]\nprofile = immediate\ndirected_refresh = no\n")
        want = []
        with netns.Capture(c, lan.pb, ethertypes=(ETH_P_IPV6,), timeout=20) as cap:
            for i, fwd in enumerate(("0", "1", "1", "0")):
                addr = PREFIX + f"60{i}"
                b.sysctl(f"net.ipv6.conf.{lan.ib}.forwarding", fwd)
                b.addr_add(lan.ib, addr + "/64", "nodad")
                d.wait_for("event=announced", addr=addr, timeout=10)
                want.append((addr, 0xA0 if fwd == "1" else 0x20))
            frames = cap.stop()
        for addr, flags in want:
            nas = unsolicited_nas(frames, MAC_B, addr)
            check(len(nas) == 1 and nas[0][1]["flags"] == flags,
                  f"{addr}: want one NA with flags {flags:#x}, got "
                  f"{[hex(n['flags']) for _, n in nas]}")


def test():
    failover(advertise=False)
    moved = failover()
    dad_failure()
    nodad_conflict()
    lvs()
    dual_stack()
    router_flag()
    print(f"client entry moved {moved * 1000:.0f} ms after B's NA")


if __name__ == "__main__":
    netns.main(test)
