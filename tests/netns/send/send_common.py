# SPDX-License-Identifier: GPL-2.0-or-later
"""What the garpctl send tests share: a sender namespace and a peer joined by
a veth pair, the expected frames, and timing checks on kernel timestamps."""

import subprocess
import time

import netns
from netns import check

MAC_A = "02:00:00:00:0a:01"    # the sender's interface
MAC_B = "02:00:00:00:0b:01"    # the peer's
BCAST = "ff:ff:ff:ff:ff:ff"
ZERO = "00:00:00:00:00:00"
TOLERANCE_MS = 50


class Pair:
    """Namespaces a (sender) and b (peer), veth ia <-> ib, 10.0.0.0/24."""

    def __init__(self):
        self.a = netns.Netns("gsa", ipv6=False)
        self.b = netns.Netns("gsb", ipv6=False)
        self.ia, self.ib = netns.veth(self.a, self.b, mac_a=MAC_A, mac_b=MAC_B,
                                      addr_a="10.0.0.1/24", addr_b="10.0.0.2/24")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.a.delete()
        self.b.delete()

    def capture(self, **kw):
        return netns.Capture(self.b, self.ib, **kw)

    def send(self, *args, iface=None, timeout=30):
        """Run garpctl send in a; returns CompletedProcess (not checked)."""
        cmd = [netns.garpctl(), "send", "-i", iface or self.ia] + list(args)
        return self.a.run(cmd, check=False, timeout=timeout)


def probe(addr, mac=MAC_A):
    return netns.arp_frame(1, mac, "0.0.0.0", ZERO, addr)


def request(addr, mac=MAC_A, tha=BCAST):
    return netns.arp_frame(1, mac, addr, tha, addr)


def reply(addr, mac=MAC_A):
    return netns.arp_frame(2, mac, addr, mac, addr)


def check_ok(r):
    check(r.returncode == 0, f"garpctl send exited {r.returncode}: {r.stderr.strip()}")
    check(r.stderr == "", f"garpctl send printed on success: {r.stderr!r}")


def check_frames(frames, expected):
    """Byte for byte, in order (frames are padded to 60 bytes)."""
    got = [f.raw for f in frames]
    if got != expected:
        lines = ["frames differ:", " got:"] + [f"  {f.summary()}" for f in frames]
        lines += [" expected:"] + [f"  {netns.parse_frame(0, e).summary()}" for e in expected]
        raise netns.TestFailure("\n".join(lines))
    for f in frames:
        check(f.length == 60 and f.dst == BCAST and f.src == MAC_A and f.ethertype == 0x0806,
              f"bad Ethernet header or length: {f.summary()}")


def offsets_ms(frames, t0_ns=None):
    t0 = frames[0].ts_ns if t0_ns is None else t0_ns
    return [(f.ts_ns - t0) / 1e6 for f in frames]


def check_timing(frames, expected_ms, tol_ms=TOLERANCE_MS):
    """Each frame at its expected offset from the first one, within tol."""
    got = offsets_ms(frames)
    for i, (g, e) in enumerate(zip(got, expected_ms)):
        check(abs(g - e) <= tol_ms,
              f"frame {i} at {g:.1f} ms, expected {e} ms +-{tol_ms}; all: "
              + ", ".join(f"{x:.1f}" for x in got))
    return got


def arp_only(frames):
    return [f for f in frames if f.ethertype == netns.ETH_P_ARP]
