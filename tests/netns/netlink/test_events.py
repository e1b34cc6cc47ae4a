#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""netlink/ against the kernel: addresses, link up/down, MAC change, the
first dump, lifetime updates that are not new addresses, IPv6 DAD."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
from gnlwatch import Watch  # noqa: E402
from netns import check  # noqa: E402


def ifindex(ns, dev):
    return int(ns.ip_json("link", "show", "dev", dev)[0]["ifindex"])


def test():
    with netns.Netns(prefix="gnle") as ns, netns.Netns(prefix="gnlp") as peer:
        a, b = netns.veth(ns, peer, mac_a="02:00:00:00:0a:01", up=False)
        ns.addr_add(a, "10.20.0.1/24")  # before the watcher: comes from the dump
        idx = ifindex(ns, a)

        with Watch(ns) as w:
            i, _ = w.wait_line("SYNCED")
            new = [kv for k, kv in w.events("LINK_NEW") if int(kv["ifindex"]) == idx]
            check(len(new) == 1 and new[0]["name"] == a and new[0]["mac"] == "02:00:00:00:0a:01",
                  f"first dump: LINK_NEW for {a} once with its MAC, got {new}")
            check(new[0]["up"] == "0", "link is down before it is brought up")
            dumped = [kv for k, kv in w.events("ADDR_NEW") if kv["addr"] == "10.20.0.1/24"]
            check(len(dumped) == 1 and int(dumped[0]["ifindex"]) == idx,
                  f"first dump: the address once, got {dumped}")
            check(any(kv["name"] == "lo" for k, kv in w.events("LINK_NEW")), "lo is dumped too")

            # Link up (carrier comes with the peer up).
            m = w.mark()
            ns.link_up(a)
            peer.link_up(b)
            _, kv = w.wait_line("LINK_CHANGED", m,
                                where=lambda kv: int(kv["ifindex"]) == idx and kv["up"] == "1")
            check("carrier_up" in kv["changes"], f"carrier_up reported: {kv}")

            # A new address, reported once.
            m = w.mark()
            ns.addr_add(a, "10.20.0.2/24")
            _, kv = w.wait_line("ADDR_NEW", m, where=lambda kv: kv["addr"] == "10.20.0.2/24")
            check(int(kv["ifindex"]) == idx and kv["family"] == "4", f"address fields: {kv}")
            # Secondary flag from IFA_FLAGS (0x01 = IFA_F_SECONDARY).
            check(int(kv["flags"], 16) & 0x01, f"10.20.0.2 is secondary: {kv}")

            # Lifetime updates: RTM_NEWADDR again, but not a new address.
            m = w.mark()
            ns.ip("addr", "change", "10.20.0.2/24", "dev", a, "valid_lft", "300",
                  "preferred_lft", "200")
            ns.ip("addr", "change", "10.20.0.2/24", "dev", a, "valid_lft", "400",
                  "preferred_lft", "300")
            # A marker event to know the two updates were read.
            ns.addr_add(a, "10.20.0.3/24")
            w.wait_line("ADDR_NEW", m, where=lambda kv: kv["addr"] == "10.20.0.3/24")
            again = [kv for k, kv in w.events("ADDR_NEW", m) if kv["addr"] == "10.20.0.2/24"]
            check(not again, f"a lifetime update is not a new address: {again}")

            # Remove and add again: reported again.
            m = w.mark()
            ns.ip("addr", "del", "10.20.0.3/24", "dev", a)
            w.wait_line("ADDR_DEL", m, where=lambda kv: kv["addr"] == "10.20.0.3/24")
            ns.addr_add(a, "10.20.0.3/24")
            w.wait_line("ADDR_NEW", m, where=lambda kv: kv["addr"] == "10.20.0.3/24")

            # MAC change.
            m = w.mark()
            ns.ip("link", "set", "dev", a, "address", "02:00:00:00:0a:99")
            _, kv = w.wait_line("LINK_CHANGED", m,
                                where=lambda kv: int(kv["ifindex"]) == idx and "mac" in
                                kv["changes"].split(","))
            check(kv["mac"] == "02:00:00:00:0a:99" and kv["old_mac"] == "02:00:00:00:0a:01",
                  f"MAC change with old and new: {kv}")

            # Carrier down from the peer's side: link stays admin up.
            m = w.mark()
            peer.link_down(b)
            _, kv = w.wait_line("LINK_CHANGED", m,
                                where=lambda kv: int(kv["ifindex"]) == idx and "carrier_down"
                                in kv["changes"])
            check(int(kv["flags"], 16) & 0x1, "still IFF_UP")
            peer.link_up(b)
            w.wait_line("LINK_CHANGED", m, where=lambda kv: int(kv["ifindex"]) == idx and
                        "carrier_up" in kv["changes"])

            # IPv6 with DAD: new (tentative), then changed (DAD done).
            m = w.mark()
            ns.addr_add(a, "2001:db8:20::1/64")
            _, kv = w.wait_line("ADDR_NEW", m, where=lambda kv: kv["addr"] == "2001:db8:20::1/64")
            check(int(kv["flags"], 16) & 0x40, f"tentative at first (IFA_F_TENTATIVE): {kv}")
            _, kv = w.wait_line("ADDR_CHANGED", m, timeout=15,
                                where=lambda kv: kv["addr"] == "2001:db8:20::1/64")
            check(not int(kv["flags"], 16) & 0x40, f"DAD done: not tentative: {kv}")

            # Into a bridge: the bridge is new (kind bridge), the port's master
            # changes; the bridge's own AF_BRIDGE port notifications are not
            # mistaken for link states (no flapping kind/name).
            m = w.mark()
            br = ns.bridge()
            _, kv = w.wait_line("LINK_NEW", m, where=lambda kv: kv["name"] == br)
            check(kv["kind"] == "bridge", f"bridge kind: {kv}")
            bidx = int(kv["ifindex"])
            ns.enslave(a, br)
            _, kv = w.wait_line("LINK_CHANGED", m, where=lambda kv: int(kv["ifindex"]) == idx
                                and "master" in kv["changes"])
            check(int(kv["master"]) == bidx and kv["slave_kind"] == "bridge",
                  f"master is the bridge: {kv}")
            w.settle(0.3)
            for k, kv in w.events("LINK_CHANGED", m):
                check(kv["kind"] != "-" or int(kv["ifindex"]) not in (idx, bidx),
                      f"no link state lost its kind: {kv}")
            m = w.mark()
            ns.ip("link", "set", "dev", a, "nomaster")
            _, kv = w.wait_line("LINK_CHANGED", m, where=lambda kv: int(kv["ifindex"]) == idx
                                and "master" in kv["changes"])
            check(kv["master"] == "0", f"no master any more: {kv}")

            # Link down (admin): carrier_down and flags.
            m = w.mark()
            ns.link_down(a)
            _, kv = w.wait_line("LINK_CHANGED", m, where=lambda kv: int(kv["ifindex"]) == idx
                                and "flags" in kv["changes"] and kv["up"] == "0")

            # The link goes away: its addresses, then the link.
            m = w.mark()
            ns.ip("link", "del", a)
            w.wait_line("LINK_DEL", m, where=lambda kv: int(kv["ifindex"]) == idx)
            w.settle(0.3)
            dels = [kv["addr"] for k, kv in w.events("ADDR_DEL", m)]
            check({"10.20.0.1/24", "10.20.0.2/24", "10.20.0.3/24"} <= set(dels),
                  f"the link's addresses are deleted: {dels}")
            evs = w.events(start=m)
            last = max(i for i, (k, kv) in enumerate(evs) if k == "ADDR_DEL"
                       and int(kv["ifindex"]) == idx)
            first_del = min(i for i, (k, kv) in enumerate(evs) if k == "LINK_DEL")
            check(last < first_del, "no ADDR_DEL after its LINK_DEL")
            check(len(dels) == len(set(dels)), f"each address deleted once: {dels}")

            w.send("stats")
            _, kv = w.wait_line("COUNTERS", m)
            check(kv["malformed"] == "0", f"nothing malformed: {kv}")


if __name__ == "__main__":
    netns.main(test)
