#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 1: a VIP moves from node-a to node-b; garpd on node-b announces it.

node-a, node-b and client hang off one bridge in a "switch" namespace. The
client's neighbour entry for the VIP points at node-a; after the move and
garpd's sequence it points at node-b. The captured frames show three probes
and the announcement at their configured times. Also: garpd runs without
capabilities, and SIGTERM stops it at once.
"""

import netns
from netns import check
from garpd_harness import FAST, Garpd

VIP = "10.0.0.100"
MAC_A, MAC_B, MAC_C = "02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"


def test():
    with netns.Netns("gsw", ipv6=False) as sw, netns.Netns("gna", ipv6=False) as a, \
            netns.Netns("gnb", ipv6=False) as b, netns.Netns("gcl", ipv6=False) as c:
        br = sw.bridge()
        ia, pa = netns.veth(a, sw, mac_a=MAC_A, addr_a="10.0.0.1/24")
        ib, pb = netns.veth(b, sw, mac_a=MAC_B, addr_a="10.0.0.2/24")
        ic, pc = netns.veth(c, sw, mac_a=MAC_C, addr_a="10.0.0.3/24")
        for p in (pa, pb, pc):
            sw.enslave(p, br)
        a.addr_add(ia, VIP + "/24")
        c.ip("neigh", "replace", VIP, "lladdr", MAC_A, "dev", ic, "nud", "stale")
        check(c.neigh(VIP)[0]["lladdr"] == MAC_A, "client should start with node-a's MAC")

        d = Garpd(b, FAST)
        check(d.status_field("CapEff") == "0000000000000000",
              f"garpd keeps capabilities: CapEff {d.status_field('CapEff')}")
        check(d.status_field("NoNewPrivs") == "1", "no_new_privs is not set")

        with netns.Capture(c, ic, count=4, timeout=10) as cap:
            a.ip("addr", "del", VIP + "/24", "dev", ia)
            b.addr_add(ib, VIP + "/24")
            frames = cap.wait(timeout=15)
        frames = [f for f in frames if f.src == MAC_B]
        for f in frames:
            print(f"{f.ts_ns} {f.summary()}")
        check(len(frames) == 4, f"expected 3 probes + 1 announcement from node-b, got {len(frames)}")
        for f in frames[:3]:
            check(f.op == 1 and f.spa == "0.0.0.0" and f.tpa == VIP and f.sha == MAC_B
                  and f.tha == "00:00:00:00:00:00" and f.dst == "ff:ff:ff:ff:ff:ff",
                  f"not a probe for {VIP}: {f.summary()}")
        ann = frames[3]
        check(ann.op == 1 and ann.spa == VIP and ann.tpa == VIP and ann.sha == MAC_B
              and ann.tha == "ff:ff:ff:ff:ff:ff" and ann.length == 60,
              f"not the announcement: {ann.summary()}")
        t0 = frames[0].ts_ns
        for i, want_ms in enumerate((0, 100, 200, 300)):
            got_ms = (frames[i].ts_ns - t0) / 1e6
            check(abs(got_ms - want_ms) <= 50, f"frame {i} at {got_ms:.1f} ms, expected {want_ms} ms")

        d.wait_for("event=announced", addr=VIP)
        entry = c.neigh(VIP)
        check(entry and entry[0].get("lladdr") == MAC_B,
              f"client's neighbour entry for {VIP} is {entry}, expected {MAC_B}")

        rc, took = d.stop()
        stopped = d.stopped_after()
        print(f"garpd logged event=stopped {stopped * 1000 if stopped else -1:.1f} ms after "
              f"SIGTERM, exited after {took * 1000:.1f} ms (the test build's leak scan included)")
        check(rc == 0, f"garpd exited {rc} on SIGTERM")
        check(stopped is not None, "no event=stopped log line")
        check(stopped < 0.1, f"garpd took {stopped * 1000:.0f} ms to stop (limit 100 ms)")


if __name__ == "__main__":
    netns.main(test)
