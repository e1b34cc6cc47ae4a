# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl send with IPv6 addresses (issue 12, item 8): the engine's IPv6
behaviour from the command line.

1. an address the kernel's DAD checked: one unsolicited NA per announcement,
   no DAD probe; every field of the NA checked, the checksum recomputed;
2. a nodad address: garpd's own DAD probes (the kernel's format), then the NA;
   IPv4 and IPv6 in one call;
3. a nodad address another host holds: a conflict, no NA, one line naming
   that host's MAC, exit 3; --force sends the NA anyway;
4. a tentative address, and one whose DAD failed: refused, one line, exit 1,
   nothing sent.
"""

import ipaddress
import struct
import time

import netns
from netns import check

ETH_P_IPV6 = 0x86DD
MAC_A, MAC_B = "02:00:00:00:0a:06", "02:00:00:00:0b:06"
PREFIX = "2001:db8:56::"
FAST = ["--probe-interval", "100ms", "--announce-delay", "100ms"]


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def checksum(src, dst, icmp):
    """The ICMPv6 checksum over the pseudo-header (RFC 8200 §8.1), written here independently."""
    pseudo = src + dst + struct.pack("!I", len(icmp)) + b"\0\0\0\x3a"
    data = pseudo + icmp[:2] + b"\0\0" + icmp[4:]
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def nd(f):
    """An NS/NA frame's fields, else None."""
    raw = f.raw[14:]
    if f.ethertype != ETH_P_IPV6 or f.vlan is not None or len(raw) < 64 or raw[6] != 58 \
            or raw[40] not in (135, 136):
        return None
    plen = struct.unpack("!H", raw[4:6])[0]
    icmp = raw[40:40 + plen]
    opts, off = [], 24
    while off + 2 <= len(icmp) and icmp[off + 1]:
        opts.append((icmp[off], icmp[off + 2:off + 8 * icmp[off + 1]]))
        off += 8 * icmp[off + 1]
    return dict(type=icmp[0], code=icmp[1], src=str(ipaddress.IPv6Address(raw[8:24])),
                dst=str(ipaddress.IPv6Address(raw[24:40])), hop=raw[7], flags=icmp[4],
                target=str(ipaddress.IPv6Address(icmp[8:24])), opts=opts,
                sum_ok=struct.unpack("!H", icmp[2:4])[0] == checksum(raw[8:24], raw[24:40], icmp))


def ours(frames, target):
    """(kind, fields) of the sender's NS/NA frames for @target, in order."""
    out = []
    for f in frames:
        n = nd(f)
        if n and f.src == MAC_A and n["target"] == target:
            out.append(("ns" if n["type"] == 135 else "na", n, f))
    return out


def check_na(n, f, addr):
    check(f.dst == "33:33:00:00:00:01", f"NA to {f.dst}")
    check(n["src"] == addr and n["dst"] == "ff02::1" and n["hop"] == 255 and n["code"] == 0,
          f"NA header {n}")
    check(n["flags"] == 0x20, f"NA flags {n['flags']:#x}: want Override only (not a router)")
    check(n["opts"] == [(2, mac_bytes(MAC_A))], f"NA options {n['opts']}: want TLLA {MAC_A}")
    check(n["sum_ok"], "NA checksum wrong")


def check_ns(n, f, addr):
    group = ipaddress.IPv6Address("ff02::1:ff00:0").packed[:13] + ipaddress.IPv6Address(addr).packed[13:]
    check(n["src"] == "::" and n["dst"] == str(ipaddress.IPv6Address(group)) and n["hop"] == 255,
          f"DAD probe not in the kernel's format: {n}")
    check([t for t, _ in n["opts"]] == [14], f"DAD probe options {n['opts']}: want a nonce only")
    check(n["sum_ok"], "NS checksum wrong")


def wait_dad(ns, dev, addr, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for i in ns.ip_json("addr", "show", "dev", dev):
            for a in i.get("addr_info", []):
                if a.get("local") == addr and (a.get("dadfailed") or not a.get("tentative")):
                    return a
        time.sleep(0.05)
    raise netns.TestFailure(f"DAD for {addr} did not finish in {timeout} s")


def test():
    with netns.Netns("g6sa") as a, netns.Netns("g6sb") as b:
        ia, ib = netns.veth(a, b, mac_a=MAC_A, mac_b=MAC_B, addr_a="10.0.0.1/24",
                            addr_b="10.0.0.2/24")

        def send(*args):
            return a.run([netns.garpctl(), "send", "-i", ia] + list(args), check=False, timeout=30)

        def capture():
            return netns.Capture(b, ib, ethertypes=(netns.ETH_P_ARP, ETH_P_IPV6))

        # 1. DAD done by the kernel: no probe of ours, NAs only
        dadded = PREFIX + "10"
        a.addr_add(ia, dadded + "/64")
        wait_dad(a, ia, dadded)
        with capture() as cap:
            r = send(*FAST, "--announcements", "2", "--announce-interval", "1s", dadded)
            frames = cap.stop()
        check(r.returncode == 0 and r.stderr == "", f"exit {r.returncode} {r.stderr!r}")
        got = ours(frames, dadded)
        check([k for k, _, _ in got] == ["na", "na"], f"frames for {dadded}: {[k for k, _, _ in got]}")
        for _, n, f in got:
            check_na(n, f, dadded)
        gap = (got[1][2].ts_ns - got[0][2].ts_ns) / 1e9
        check(0.95 <= gap <= 1.3, f"NAs {gap:.3f} s apart, asked for 1 s")
        print(f"ok kernel-DAD address: 2 NAs {gap:.3f} s apart, fields and checksum right")

        # 2. nodad, with an IPv4 address in the same call
        nodad = PREFIX + "20"
        a.addr_add(ia, nodad + "/64", "nodad")
        with capture() as cap:
            r = send(*FAST, "10.0.0.1", nodad)
            frames = cap.stop()
        check(r.returncode == 0 and r.stderr == "", f"exit {r.returncode} {r.stderr!r}")
        got = ours(frames, nodad)
        check([k for k, _, _ in got] == ["ns"] * 3 + ["na"],
              f"frames for {nodad}: {[k for k, _, _ in got]}")
        for k, n, f in got:
            (check_ns if k == "ns" else check_na)(n, f, nodad)
        arp = [f for f in frames if f.ethertype == netns.ETH_P_ARP and f.src == MAC_A]
        check(len(arp) == 4, f"{len(arp)} ARP frames for 10.0.0.1, want 3 probes + 1 announcement")
        print("ok nodad address: 3 DAD probes then the NA; IPv4 beside it")

        # 3. nodad, held by the peer: its kernel answers our DAD probe
        held = PREFIX + "30"
        b.addr_add(ib, held + "/64", "nodad")
        a.addr_add(ia, held + "/64", "nodad")
        with capture() as cap:
            r = send(*FAST, "--probes", "1", held, nodad)
            frames = cap.stop(linger=0.4)
        check(r.returncode == 3, f"exit {r.returncode}, expected 3; stderr {r.stderr!r}")
        check(r.stderr.count("\n") == 1 and held in r.stderr and MAC_B in r.stderr,
              f"not one line naming {held} and {MAC_B}: {r.stderr!r}")
        check([k for k, _, _ in ours(frames, held)] == ["ns"],
              f"frames for the held address: {[k for k, _, _ in ours(frames, held)]}")
        check([k for k, _, _ in ours(frames, nodad)] == ["ns", "na"], "the other address not sent")
        print(f"ok held: {r.stderr.strip()}")

        with capture() as cap:
            r = send(*FAST, "--probes", "1", "--force", held)
            frames = cap.stop()
        check(r.returncode == 0 and r.stderr == "", f"--force: exit {r.returncode} {r.stderr!r}")
        got = ours(frames, held)
        check([k for k, _, _ in got] == ["ns", "na"], f"--force frames {[k for k, _, _ in got]}")
        check_na(got[1][1], got[1][2], held)
        print("ok --force sends the NA")

        # 4. tentative (DAD made slow), and dadfailed: refused, nothing sent
        tentative = PREFIX + "40"
        a.sysctl(f"net.ipv6.conf.{ia}.dad_transmits", "60")
        a.addr_add(ia, tentative + "/64")
        with capture() as cap:
            r = send(*FAST, "10.0.0.1", tentative)
            r2 = send(*FAST, "--force", tentative)
            frames = cap.stop()
        for x in (r, r2):
            check(x.returncode == 1 and x.stderr.count("\n") == 1 and tentative in x.stderr
                  and "tentative" in x.stderr, f"tentative: exit {x.returncode} {x.stderr!r}")
        check(not [f for f in frames if f.src == MAC_A and (f.ethertype == netns.ETH_P_ARP
                                                             or nd(f) and nd(f)["type"] == 136)],
              "a frame sent for a refused call")
        print(f"ok tentative: {r.stderr.strip()}")

        failed = PREFIX + "50"
        a.sysctl(f"net.ipv6.conf.{ia}.dad_transmits", "1")
        b.addr_add(ib, failed + "/64", "nodad")
        a.addr_add(ia, failed + "/64")
        info = wait_dad(a, ia, failed)
        check(info.get("dadfailed"), f"DAD did not fail: {info}")
        r = send(*FAST, failed)
        check(r.returncode == 1 and r.stderr.count("\n") == 1 and failed in r.stderr
              and "dadfailed" in r.stderr, f"dadfailed: exit {r.returncode} {r.stderr!r}")
        print(f"ok dadfailed: {r.stderr.strip()}")

        # not configured: refused like IPv4
        r = send(*FAST, PREFIX + "99")
        check(r.returncode == 1 and "not configured" in r.stderr, f"unconfigured: {r.stderr!r}")
        print("ok unconfigured refused")


netns.main(test)
