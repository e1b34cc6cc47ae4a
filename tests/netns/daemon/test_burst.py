#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bursts of events (batch_window): during a burst garpd reads the kernel's
events once per window instead of waking up for each, and a removal is
still read before any frame leaves.

1. A burst of 200 addresses in one `ip -batch`, then one more address 100 ms
   later: with batch_window = 1s the late address is read at the window's
   end (its announcement comes about 0.9 s after its add); with
   batch_window = 0 at once. Every address gets exactly one announcement
   either way.
2. batch_window = 1s, a 300 ms sequence for each of a burst of 200
   addresses; one of them is removed 150 ms in, long before the window
   ends: garpd reads the removal at its next send and that address is never
   announced (every other one is)."""

import collections
import time

import netns
from netns import check
from garpd_harness import per_address, Garpd

N = 200


def late_address(window):
    """Seconds from the late address's add to its announcement on the wire."""
    config = f"[daemon]\nbatch_window = {window}\n[sequence]\nprofile = immediate\nmax_frames_per_second = 0\n"
    late = "10.9.0.1"
    addrs = [f"10.1.{i // 250}.{1 + i % 250}" for i in range(N)]
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gpe", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer)
        peer.ip("link", "set", "dev", theirs, "arp", "off")
        d = Garpd(me, config)
        with netns.Capture(peer, theirs, count=N + 1, timeout=20) as cap:
            me.ip_batch(f"address add {a}/32 dev {mine}" for a in addrs)
            time.sleep(0.1)
            t_add = time.time_ns()
            me.addr_add(mine, late + "/32")
            frames = cap.wait(timeout=25)
        check(cap.drops == 0, f"capture dropped {cap.drops} frames: run invalid")
        per = collections.Counter(f.tpa for f in frames if f.spa == f.tpa)
        want = collections.Counter(addrs + [late])
        check(per == want, f"window {window}: not exactly one announcement per address: "
              f"missing {set(want) - set(per)}, extra {per - want}")
        check(len(per_address(d.find("event=announced"))) == N + 1, "not every address logged as announced")
        t_frame = min(f.ts_ns for f in frames if f.tpa == late)
        return (t_frame - t_add) / 1e9


def removal_in_window():
    config = ("[daemon]\nbatch_window = 1s\n[sequence]\nprobes = 2\nprobe_interval = 100ms\n"
              "announce_delay = 200ms\nmax_frames_per_second = 0\n")
    addrs = [f"10.1.{i // 250}.{1 + i % 250}" for i in range(N)]
    gone = addrs[N // 2]
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gpe", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer)
        peer.ip("link", "set", "dev", theirs, "arp", "off")
        d = Garpd(me, config)
        with netns.Capture(peer, theirs, timeout=20) as cap:
            me.ip_batch(f"address add {a}/32 dev {mine}" for a in addrs)
            d.wait_for("event=sequence-started", addr=gone)
            time.sleep(0.15)  # both probes are out; the announcement is due at 0.3 s
            me.ip("addr", "del", gone + "/32", "dev", mine)
            d.wait_for("event=announced", addr=addrs[-1], timeout=10)
            time.sleep(0.5)
            frames = cap.stop()
        check(cap.drops == 0, f"capture dropped {cap.drops} frames: run invalid")
        announced = {f.tpa for f in frames if f.spa == f.tpa}
        check(gone not in announced, f"{gone} was announced after it was removed")
        check(announced == set(addrs) - {gone},
              f"{len(set(addrs) - {gone} - announced)} addresses not announced")
        check(not d.find("event=announced", addr=gone), "garpd logged the removed address as announced")
        check(d.find("event=cancelled", addr=gone, reason="address-removed"),
              "no cancelled line for the removed address")


def test():
    slow = late_address("1s")
    check(slow >= 0.5, f"batch_window = 1s: the late address was announced {slow:.3f} s after "
          "its add; it should wait for the window's end (about 0.9 s)")
    fast = late_address("0")
    check(fast < 0.4, f"batch_window = 0: the late address was announced {fast:.3f} s after its "
          "add; it should go at once")
    removal_in_window()
    print(f"late address: {slow:.3f} s with batch_window = 1s, {fast:.3f} s with 0")


if __name__ == "__main__":
    netns.main(test)
