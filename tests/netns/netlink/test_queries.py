#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""gnl_query_fdb() and gnl_query_neigh() against the kernel: a bridge with
two veth ports to two host namespaces learns their MACs from a ping; the
query returns them (port, VLAN, learned state), and only that bridge's."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
from gnlwatch import Watch  # noqa: E402
from netns import check  # noqa: E402

NUD_PERMANENT = 0x80
NUD_NOARP = 0x40
NUD_REACHABLE = 0x02
H1_MAC = "02:00:00:00:b1:01"
H2_MAC = "02:00:00:00:b1:02"


def ifindex(ns, dev):
    return int(ns.ip_json("link", "show", "dev", dev)[0]["ifindex"])


def run_query(w, what, idx):
    m = w.mark()
    w.send(f"{what} {idx}")
    _, q = w.wait_line("QUERY", m)
    check(q["r"] == "0", f"query accepted: {q}")
    qid = q["query"]
    _, done = w.wait_line("QUERY_DONE", m, where=lambda kv: kv["query"] == qid)
    check(done["error"] == "0", f"query {what} {idx} finished without error: {done}")
    kind = "FDB" if what == "fdb" else "NEIGH"
    return [kv for k, kv in w.events(kind, m) if kv["query"] == qid]


def test():
    with netns.Netns(prefix="gnlb", ipv6=False) as br, \
            netns.Netns(prefix="gnlh", ipv6=False) as h1, \
            netns.Netns(prefix="gnlh", ipv6=False) as h2:
        bridge = br.bridge()
        # With VLAN filtering, learned entries carry NDA_VLAN (the pvid, 1);
        # some kernels are built without it: then they are untagged.
        vf = br.ip("link", "set", "dev", bridge, "type", "bridge", "vlan_filtering", "1",
                   check=False).returncode == 0
        want_vlan = 1 if vf else 0
        print(f"bridge vlan_filtering: {'yes' if vf else 'not supported by this kernel'}")
        br.addr_add(bridge, "10.30.0.1/24")
        p1, e1 = netns.veth(br, h1, mac_b=H1_MAC, addr_b="10.30.0.11/24")
        p2, e2 = netns.veth(br, h2, mac_b=H2_MAC, addr_b="10.30.0.12/24")
        br.enslave(p1, bridge)
        br.enslave(p2, bridge)
        # A second bridge with a port of its own: never in the first one's answer.
        other = br.bridge()
        q1, q2 = netns.veth(br, br)
        br.enslave(q1, other)
        br.ip("link", "set", "dev", q1, "address", "02:00:00:00:cc:01")

        # Frames through the ports: the bridge learns h1 and h2 from their
        # source MACs, and the bridge's IP stack, asked for 10.30.0.1, keeps
        # a neighbour entry for each asker (RFC 826 merge).
        time.sleep(0.2)
        for ns, dev, mac, ip in ((h1, e1, H1_MAC, "10.30.0.11"), (h2, e2, H2_MAC, "10.30.0.12")):
            ns.send_frames(dev, [netns.arp_frame(1, mac, ip, "00:00:00:00:00:00", "10.30.0.1")])
        time.sleep(0.2)

        bidx, oidx = ifindex(br, bridge), ifindex(br, other)
        p1idx, p2idx, brmac = ifindex(br, p1), ifindex(br, p2), br.mac(bridge)

        with Watch(br) as w:
            w.wait_line("SYNCED")
            fdb = run_query(w, "fdb", bidx)
            by_mac = {}
            for kv in fdb:
                by_mac.setdefault(kv["mac"], []).append(kv)
            for mac, port in ((H1_MAC, p1idx), (H2_MAC, p2idx)):
                ents = by_mac.get(mac, [])
                check(ents, f"{mac} learned by the bridge: got {sorted(by_mac)}")
                e = ents[0]
                check(int(e["port"]) == port, f"{mac} on port {port}: {e}")
                check(int(e["master"]) == bidx, f"{mac} under bridge {bidx}: {e}")
                check(int(e["vlan"]) == want_vlan, f"{mac} learned in VLAN {want_vlan}: {e}")
                check(not int(e["state"], 16) & (NUD_PERMANENT | NUD_NOARP),
                      f"{mac} is a learned, not static, entry: {e}")
                check(int(e["state"], 16) & NUD_REACHABLE, f"{mac} is fresh: {e}")
            # The bridge's own MAC is there too, as a permanent entry.
            own = [e for e in by_mac.get(brmac, []) if int(e["state"], 16) & NUD_PERMANENT]
            check(own, f"the bridge's own {brmac} is a permanent entry: {by_mac.get(brmac)}")
            foreign = [kv for kv in fdb if int(kv["master"]) not in (0, bidx)
                       or (int(kv["master"]) == 0 and int(kv["port"]) != bidx)]
            check(not foreign, f"only bridge {bidx}'s entries: {foreign}")
            check("02:00:00:00:cc:01" not in by_mac, "the other bridge's port MAC is not listed")

            # The other bridge answers with its own entries, not ours.
            ofdb = run_query(w, "fdb", oidx)
            check(ofdb and all(H1_MAC != kv["mac"] and H2_MAC != kv["mac"] for kv in ofdb),
                  f"the other bridge's answer: {ofdb}")
            check(any(kv["mac"] == "02:00:00:00:cc:01" for kv in ofdb),
                  f"the other bridge lists its port's MAC: {ofdb}")

            # The neighbour table of the bridge interface: h1 answered our ARP.
            neigh = run_query(w, "neigh", bidx)
            for ip, mac in (("10.30.0.11", H1_MAC), ("10.30.0.12", H2_MAC)):
                n = [kv for kv in neigh if kv["ip"] == ip]
                check(n and n[0]["mac"] == mac and int(n[0]["ifindex"]) == bidx,
                      f"{ip} is {mac} on the bridge: {neigh}")
            # Another interface's neighbours are not listed.
            check(all(int(kv["ifindex"]) == bidx for kv in neigh), f"one interface: {neigh}")
            check(run_query(w, "neigh", p1idx) == [], "a port has no IPv4 neighbours")

            # Queries queue one behind the other: ask three at once.
            m = w.mark()
            for what, idx in (("fdb", bidx), ("neigh", bidx), ("fdb", oidx)):
                w.send(f"{what} {idx}")
            w.wait(lambda lines: sum(1 for l in lines[m:] if l.startswith("QUERY_DONE")) == 3,
                   what="three queries done")
            ids = [kv["query"] for k, kv in w.events("QUERY", m)]
            done = [kv["query"] for k, kv in w.events("QUERY_DONE", m)]
            check(done == ids, f"answered in order: {ids} vs {done}")
            # Every entry of a query is before its QUERY_DONE.
            evs = w.events(start=m)
            for qid in ids:
                d = next(i for i, (k, kv) in enumerate(evs) if k == "QUERY_DONE"
                         and kv["query"] == qid)
                check(all(i < d for i, (k, kv) in enumerate(evs)
                          if k in ("FDB", "NEIGH") and kv["query"] == qid),
                      f"query {qid}: entries before its end")

            # A query on a missing interface ends (error or empty), it does not hang.
            m = w.mark()
            w.send("fdb 999999")
            w.wait_line("QUERY_DONE", m)


if __name__ == "__main__":
    netns.main(test)
