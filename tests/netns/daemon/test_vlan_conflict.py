#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Another VLAN's frame is no conflict (issue 21, item 3). On an untagged
interface without VLAN devices, the kernel hands 802.1Q-tagged frames to
the parent's packet sockets too (here: the tag taken off, the frame marked
PACKET_OTHERHOST). A reply claiming the probed address counts only when
it is untagged or priority-tagged (VID 0): tagged VID 1, 100 or 4095 it
belongs to another VLAN, and the address is announced.

A raw socket in the peer namespace sends the replies on the veth, every
40 ms while garpd probes, to our MAC or to broadcast."""

import socket
import struct
import sys

import netns
from netns import check
from garpd_harness import Garpd

CONFIG = """
[sequence]
probes = 3
probe_interval = 300ms
announce_delay = 300ms
"""
OURS, OTHER = "02:00:00:00:02:01", "02:00:00:00:02:99"

SENDER = r"""
import socket, struct, sys, time
dev, dst, src, addr, vid = sys.argv[1:6]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
mac = lambda m: bytes.fromhex(m.replace(":", ""))
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, mac(src), socket.inet_aton(addr),
                  mac(dst), socket.inet_aton(addr))
tag = b"" if vid == "none" else struct.pack("!HH", 0x8100, int(vid))
frame = (mac(dst) + mac(src) + tag + b"\x08\x06" + arp).ljust(60 + len(tag), b"\0")
end = time.monotonic() + 4
while time.monotonic() < end:
    s.send(frame)
    time.sleep(0.04)
"""

CASES = [  # (vid, destination, conflict expected)
    ("none", OURS, True),
    ("0", "ff:ff:ff:ff:ff:ff", True),
    ("1", OURS, False),
    ("100", "ff:ff:ff:ff:ff:ff", False),
    ("4095", OURS, False),
]


def test():
    with netns.Netns("gvl", ipv6=False) as me, netns.Netns("gvp", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer, mac_a=OURS, mac_b=OTHER)
        d = Garpd(me, CONFIG)
        for i, (vid, dst, conflict) in enumerate(CASES):
            addr = f"10.0.0.{70 + i}"
            sender = peer.popen([sys.executable, "-c", SENDER, theirs, dst, OTHER, addr, vid])
            try:
                me.addr_add(mine, addr + "/24")
                if conflict:
                    d.wait_for("event=conflict", timeout=10, addr=addr)
                else:
                    d.wait_for("event=announced", timeout=10, addr=addr)
            finally:
                sender.kill()
                sender.wait()
            what = f"VID {vid} to {dst}"
            if conflict:
                check(not d.find("event=announced", addr=addr), f"{what}: announced")
            else:
                check(not d.find("event=conflict", addr=addr), f"{what}: counted as a conflict")


if __name__ == "__main__":
    netns.main(test)
