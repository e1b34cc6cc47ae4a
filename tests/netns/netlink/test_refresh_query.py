#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""gnl_query_refresh() against the kernel: an interface with neighbour
entries in every state, a default route, a `via` route, a multipath route,
an on-link prefix, a route in another table and a gateway of another
interface, in IPv4 and in IPv6 (link-local gateways, as routers announce
themselves). The answer lists the interface's neighbours, IPv4 then IPv6,
then exactly the main table's next hops through it, IPv4 then IPv6 (the
kernel's strict-checking filters and the library's own agree), then
QUERY_DONE without error."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
from gnlwatch import Watch  # noqa: E402
from netns import check  # noqa: E402

NUD_PERMANENT = 0x80
NUD_STALE = 0x04
NUD_NOARP = 0x40


def ifindex(ns, dev):
    return int(ns.ip_json("link", "show", "dev", dev)[0]["ifindex"])


def test():
    with netns.Netns(prefix="gnrq") as me, netns.Netns(prefix="gnrp") as peer:
        eth, _ = netns.veth(me, peer, addr_a="10.40.0.1/24")
        other, _ = netns.veth(me, peer, addr_a="10.41.0.1/24")
        me.addr_add(eth, "2001:db8:40::1/64", "nodad")
        me.addr_add(other, "2001:db8:41::1/64", "nodad")
        me.ip("route", "add", "default", "via", "10.40.0.254", "dev", eth)
        me.ip("route", "add", "198.51.100.0/24", "via", "10.40.0.253", "dev", eth)
        me.ip("route", "add", "203.0.113.0/24", "nexthop", "via", "10.40.0.250", "dev", eth,
              "nexthop", "via", "10.41.0.250", "dev", other)
        me.ip("route", "add", "192.0.2.0/24", "via", "10.40.0.99", "dev", eth, "table", "100")
        me.ip("route", "add", "192.0.2.128/25", "via", "10.41.0.254", "dev", other)
        me.ip("neigh", "add", "10.40.0.5", "lladdr", "02:00:00:00:40:05", "dev", eth,
              "nud", "permanent")
        me.ip("neigh", "add", "10.40.0.6", "lladdr", "02:00:00:00:40:06", "dev", eth,
              "nud", "stale")
        me.ip("neigh", "add", "10.41.0.7", "lladdr", "02:00:00:00:41:07", "dev", other,
              "nud", "stale")
        me.ip("-6", "route", "add", "default", "via", "fe80::254", "dev", eth)
        me.ip("-6", "route", "add", "2001:db8:99::/48", "via", "2001:db8:40::253", "dev", eth)
        me.ip("-6", "route", "add", "2001:db8:77::/48", "nexthop", "via", "fe80::250", "dev", eth,
              "nexthop", "via", "fe80::251", "dev", other)
        me.ip("-6", "route", "add", "2001:db8:88::/48", "via", "fe80::99", "dev", eth,
              "table", "100")
        me.ip("-6", "route", "add", "2001:db8:66::/48", "via", "fe80::254", "dev", other)
        me.ip("-6", "neigh", "add", "2001:db8:40::5", "lladdr", "02:00:00:00:60:05", "dev", eth,
              "nud", "permanent")
        me.ip("-6", "neigh", "add", "fe80::6", "lladdr", "02:00:00:00:60:06", "dev", eth,
              "nud", "stale")
        me.ip("-6", "neigh", "add", "2001:db8:41::7", "lladdr", "02:00:00:00:61:07", "dev", other,
              "nud", "stale")
        idx = ifindex(me, eth)

        with Watch(me) as w:
            w.wait_line("SYNCED")
            m = w.mark()
            w.send(f"refresh {idx}")
            _, q = w.wait_line("QUERY", m)
            check(q["r"] == "0", f"query accepted: {q}")
            _, done = w.wait_line("QUERY_DONE", m, where=lambda kv: kv["query"] == q["query"])
            check(done["error"] == "0", f"finished without error: {done}")
            evs = [(k, kv) for k, kv in w.events(start=m) if kv.get("query") == q["query"]
                   and k in ("NEIGH", "ROUTE_HOP", "QUERY_DONE")]
            for k, kv in evs:
                print(k, kv)
            kinds = [k for k, _ in evs]
            check(kinds == sorted(kinds, key=lambda k: ("NEIGH", "ROUTE_HOP", "QUERY_DONE").index(k)),
                  f"neighbours, then routes, then the end: {kinds}")
            fams = [(k, ":" in kv.get("ip", kv.get("dst", ""))) for k, kv in evs]
            check(fams == sorted(fams, key=lambda x: (("NEIGH", "ROUTE_HOP", "QUERY_DONE")
                                                      .index(x[0]), x[1])),
                  f"IPv4 before IPv6 in each part: {fams}")
            # The kernel's own multicast entries (ff02::, NOARP) come too: not usable, not ours.
            neigh = {kv["ip"]: kv for k, kv in evs
                     if k == "NEIGH" and not int(kv["state"], 16) & NUD_NOARP}
            check(set(neigh) == {"10.40.0.5", "10.40.0.6", "2001:db8:40::5", "fe80::6"},
                  f"the interface's neighbours: {neigh}")
            check(neigh["10.40.0.5"]["mac"] == "02:00:00:00:40:05"
                  and int(neigh["10.40.0.5"]["state"], 16) & NUD_PERMANENT, f"{neigh}")
            check(int(neigh["10.40.0.6"]["state"], 16) & NUD_STALE, f"{neigh}")
            check(neigh["2001:db8:40::5"]["mac"] == "02:00:00:00:60:05"
                  and int(neigh["2001:db8:40::5"]["state"], 16) & NUD_PERMANENT, f"{neigh}")
            check(neigh["fe80::6"]["mac"] == "02:00:00:00:60:06"
                  and int(neigh["fe80::6"]["state"], 16) & NUD_STALE, f"{neigh}")
            hops = sorted((kv["dst"], kv["gateway"]) for k, kv in evs if k == "ROUTE_HOP")
            want = sorted([
                ("0.0.0.0/0", "10.40.0.254"),
                ("198.51.100.0/24", "10.40.0.253"),
                ("203.0.113.0/24", "10.40.0.250"),
                ("10.40.0.0/24", "-"),
                ("::/0", "fe80::254"),
                ("2001:db8:99::/48", "2001:db8:40::253"),
                ("2001:db8:77::/48", "fe80::250"),
                ("2001:db8:40::/64", "-"),
                ("fe80::/64", "-"),
            ])
            check(hops == want, f"main-table next hops through {eth}: {hops}, want {want}")
            check(all(int(kv["ifindex"]) == idx for k, kv in evs if k != "QUERY_DONE"),
                  "only the interface's")

            # An interface that went: the query still ends.
            m = w.mark()
            w.send("refresh 999999")
            w.wait_line("QUERY_DONE", m)

            check_memo(me, w, eth, idx, want)


def refresh(w, idx):
    """One refresh query of @idx: its next hops as sorted (dst, gateway)."""
    m = w.mark()
    w.send(f"refresh {idx}")
    _, q = w.wait_line("QUERY", m)
    _, done = w.wait_line("QUERY_DONE", m, where=lambda kv: kv["query"] == q["query"])
    check(done["error"] == "0", f"finished without error: {done}")
    return sorted((kv["dst"], kv["gateway"]) for k, kv in w.events(start=m)
                  if k == "ROUTE_HOP" and kv.get("query") == q["query"])


def stats(w):
    m = w.mark()
    w.send("stats")
    _, kv = w.wait_line("COUNTERS", m)
    return kv


def counters(w):
    kv = stats(w)
    return int(kv["route_dumps"]), int(kv["route_reused"])


def check_memo(me, w, eth, idx, want):
    """The route part is given again while nothing can have changed the main
    table, and dumped again after anything that may have: a main-table
    route added or removed, a link going down (IPv4 drops its routes
    without a notification), an address removed. Routes of other tables
    (every address add brings a local one) change nothing."""
    d0, _ = counters(w)
    check(refresh(w, idx) == want, "the same answer")
    check(refresh(w, idx) == want, "the same answer again")
    d1, reused = counters(w)
    check(d1 <= d0 + 1 and reused >= 1, f"given again, not dumped: dumps {d0} -> {d1}, "
          f"reused {reused}")

    me.ip("route", "add", "192.0.2.0/24", "via", "10.40.0.98", "dev", eth, "table", "101")
    me.ip("addr", "add", "10.40.0.77/32", "dev", eth)
    check(refresh(w, idx) == want, "another table's routes are not the main table's")
    d2, _ = counters(w)
    check(d2 == d1, f"no dump for a route of another table: {d1} -> {d2}")

    # A host route without a gateway names nobody: in no answer, and it costs no dump;
    # each IPv6 address brings one (its /128 prefix route).
    me.ip("route", "add", "10.40.0.99/32", "dev", eth)
    check(refresh(w, idx) == want, f"a host route without a gateway: {refresh(w, idx)}")
    read0 = int(stats(w)["route_watch_read"])
    for i in range(5):
        me.addr_add(eth, f"2001:db8:40::{100 + i}/128", "nodad")
    check(refresh(w, idx) == want, f"host routes without a gateway: {refresh(w, idx)}")
    d3, _ = counters(w)
    check(d3 == d1, f"no dump for host routes without a gateway: {d1} -> {d3}")
    # and an IPv6 address's own /128 route is not even read: the kernel's filter drops it
    read1 = int(stats(w)["route_watch_read"])
    check(read1 == read0, f"no route notification read for IPv6 addresses: {read0} -> {read1}")
    # with a gateway it names one
    me.ip("-6", "route", "add", "2001:db8:55::1/128", "via", "fe80::250", "dev", eth)
    check(refresh(w, idx) == sorted(want + [("2001:db8:55::1/128", "fe80::250")]),
          f"a host route with a gateway is seen: {refresh(w, idx)}")
    me.ip("-6", "route", "del", "2001:db8:55::1/128", "via", "fe80::250", "dev", eth)
    check(refresh(w, idx) == want, "and its removal")

    me.ip("route", "add", "198.18.0.0/24", "via", "10.40.0.252", "dev", eth)
    added = sorted(want + [("198.18.0.0/24", "10.40.0.252")])
    check(refresh(w, idx) == added, f"a route added is seen: {refresh(w, idx)}")
    me.ip("route", "del", "198.18.0.0/24", "via", "10.40.0.252", "dev", eth)
    check(refresh(w, idx) == want, "a route removed is gone")

    # A third interface whose routes IPv4 flushes silently when it goes down.
    third, _ = netns.veth(me, me, addr_a="10.42.0.1/24", prefix="gnrt")
    me.ip("route", "add", "198.19.0.0/24", "via", "10.42.0.254", "dev", third)
    i3 = ifindex(me, third)
    w.settle()
    up = refresh(w, i3)
    check(("198.19.0.0/24", "10.42.0.254") in up, f"{third}'s via route: {up}")
    check(refresh(w, i3) == up, "given again")
    me.link_down(third)
    w.settle()
    down = refresh(w, i3)
    check(down == [], f"{third} down: its routes are gone: {down}")

    # An address removed: the routes it was the source of go too (a /32:
    # no prefix route goes with it, only its local route, another table's).
    me.link_up(third)
    me.ip("addr", "add", "10.42.0.1/24", "dev", third, check=False)
    me.ip("addr", "add", "10.42.0.9/32", "dev", third)
    me.ip("route", "add", "198.20.0.0/24", "via", "10.42.0.254", "dev", third,
          "src", "10.42.0.9")
    w.settle()
    up = refresh(w, i3)
    check(("198.20.0.0/24", "10.42.0.254") in up, f"{third}'s route from 10.42.0.9: {up}")
    check(refresh(w, i3) == up, "given again")
    me.ip("addr", "del", "10.42.0.9/32", "dev", third)
    w.settle()
    gone = refresh(w, i3)
    check(("198.20.0.0/24", "10.42.0.254") not in gone,
          f"10.42.0.9 removed: the route from it is gone: {gone}")


if __name__ == "__main__":
    netns.main(test)
