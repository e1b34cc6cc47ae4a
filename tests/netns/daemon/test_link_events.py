#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 5: link down/up and a MAC change re-announce (announcement only,
the default on_link_up/on_mac_change), and a bridge whose MAC changes when a
"vif" port joins announces its address again through that port."""

import time

import netns
from netns import check
from garpd_harness import FAST, Garpd

ADDR, BR_ADDR = "10.0.0.70", "10.0.9.1"
MAC, NEW_MAC = "02:00:00:00:02:01", "02:00:00:00:02:99"


def announcements(frames, addr):
    return [f for f in frames if f.spa == addr and f.tpa == addr]


def test():
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gpe", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer, mac_a=MAC)
        d = Garpd(me, FAST)
        me.addr_add(mine, ADDR + "/24")
        d.wait_for("event=announced", addr=ADDR)

        # Carrier down and up: one announcement, no probes.
        with netns.Capture(peer, theirs, timeout=10) as cap:
            n = len(d.find("event=announced", addr=ADDR))
            me.link_down(mine)
            d.wait_for("event=link-down", iface=mine)
            me.link_up(mine)
            d.wait_for("event=link-up", iface=mine)
            end = time.monotonic() + 5
            while len(d.find("event=announced", addr=ADDR)) == n and time.monotonic() < end:
                time.sleep(0.05)
            frames = cap.stop()
        check(len(announcements(frames, ADDR)) == 1 and not [f for f in frames if f.spa == "0.0.0.0"],
              f"link up: expected one announcement and no probe, got {[f.summary() for f in frames]}")
        check(announcements(frames, ADDR)[0].sha == MAC, "announced with the wrong MAC")

        # MAC change: announced again, from the new MAC.
        with netns.Capture(peer, theirs, count=1, timeout=10) as cap:
            me.ip("link", "set", "dev", mine, "address", NEW_MAC)
            frames = cap.wait(timeout=10)
        ann = announcements(frames, ADDR)
        check(ann and ann[0].sha == NEW_MAC and ann[0].src == NEW_MAC,
              f"MAC change: expected an announcement from {NEW_MAC}, got {[f.summary() for f in frames]}")

        # A bridge on a hypervisor: a port-less bridge has a random MAC and takes its
        # first port's MAC when a "vif" joins, so the address moves to a new MAC and
        # must be announced again, out through the new port.
        br = me.bridge()
        me.addr_add(br, BR_ADDR + "/24")
        d.wait_for("event=announced", addr=BR_ADDR)
        old_mac = me.mac(br)
        vif, guest = netns.veth(me, peer, mac_a="02:00:00:00:03:01", up=False)
        peer.link_up(guest)
        with netns.Capture(peer, guest, timeout=10) as cap:
            me.enslave(vif, br)
            me.link_up(vif)
            d.wait_for("event=mac-changed", iface=br)
            end = time.monotonic() + 5
            while len(d.find("event=announced", addr=BR_ADDR)) < 2 and time.monotonic() < end:
                time.sleep(0.05)
            frames = cap.stop()
        new_mac = me.mac(br)
        check(new_mac != old_mac, "the bridge kept its MAC: the scenario did not happen")
        ann = announcements(frames, BR_ADDR)
        check(len(ann) == 1 and ann[0].sha == new_mac,
              f"bridge address not announced from {new_mac} through the vif: "
              f"{[f.summary() for f in frames]}")

if __name__ == "__main__":
    netns.main(test)
