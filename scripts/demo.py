# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo behind scripts/demo: node-a, node-b and a client on one switch
(a bridge in its own namespace). The client talks to the VIP on node-a, the
VIP moves to node-b, garpd on node-b announces it. Prints the timeline."""

import socket
import subprocess
import sys
import threading
import time

import netns
from garpd_harness import Garpd

VIP = "10.0.0.100"
MACS = {"node-a": "02:00:00:00:00:0a", "node-b": "02:00:00:00:00:0b", "client": "02:00:00:00:00:0c"}
WHO = {v: k for k, v in MACS.items()}


def describe(f):
    who = WHO.get(f.src, f.src)
    if f.op == 1 and f.spa == "0.0.0.0":
        return f"ARP probe         who-has {f.tpa} tell 0.0.0.0            (from {who})"
    if f.op == 1 and f.spa == f.tpa:
        return f"ARP announcement  {f.spa} is-at {f.sha}   (from {who})"
    if f.op == 2:
        return f"ARP reply         {f.spa} is-at {f.sha}   (from {who})"
    return f"ARP who-has {f.tpa} tell {f.spa} (from {who})"


def main():
    netns.require_root()
    print(f"garpd demo: node-a {MACS['node-a']}, node-b {MACS['node-b']}, "
          f"client {MACS['client']}, VIP {VIP}")
    with netns.Netns("dsw", ipv6=False) as sw, netns.Netns("dna", ipv6=False) as a, \
            netns.Netns("dnb", ipv6=False) as b, netns.Netns("dcl", ipv6=False) as c:
        br = sw.bridge()
        ia, pa = netns.veth(a, sw, mac_a=MACS["node-a"], addr_a="10.0.0.1/24")
        ib, pb = netns.veth(b, sw, mac_a=MACS["node-b"], addr_a="10.0.0.2/24")
        ic, pc = netns.veth(c, sw, mac_a=MACS["client"], addr_a="10.0.0.3/24")
        for p in (pa, pb, pc):
            sw.enslave(p, br)
        a.addr_add(ia, VIP + "/24")
        # The client talks to the VIP: its kernel resolves it to node-a.
        c.run([sys.executable, "-c",
               "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
               f".sendto(b'hello', ('{VIP}', 9))"])
        time.sleep(0.3)
        d = Garpd(b, "", args=["--log-level", "info"])
        events, stop = [], threading.Event()

        def neigh_entry():
            e = c.neigh(VIP)
            return (e[0].get("lladdr"), "/".join(e[0].get("state", []))) if e else (None, None)

        def watch():
            last = neigh_entry()
            while not stop.is_set():
                now = neigh_entry()
                if now != last:
                    events.append((time.time_ns(), f"client's entry for {VIP}: "
                                   f"{WHO.get(last[0], last[0])} ({last[1]}) -> "
                                   f"{WHO.get(now[0], now[0])} {now[0]} ({now[1]})"))
                    last = now
                time.sleep(0.02)

        lladdr, state = neigh_entry()
        print(f"before: the client's entry for {VIP} is {lladdr} ({WHO.get(lladdr)}, {state})\n")
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        with netns.Capture(c, ic, timeout=10) as cap:
            t0 = time.time_ns()
            a.ip("addr", "del", VIP + "/24", "dev", ia)
            b.addr_add(ib, VIP + "/24")
            events.append((t0, "VIP moved: `ip addr del` on node-a, `ip addr add` on node-b"))
            d.wait_for("event=announced", addr=VIP, timeout=10)
            time.sleep(0.3)
            frames = cap.stop()
        stop.set()
        watcher.join()
        events += [(f.ts_ns, describe(f)) for f in frames if f.src != MACS["client"]]
        for ts, what in sorted(events):
            print(f"  {(ts - t0) / 1e9:7.3f} s  {what}")
        lladdr, state = neigh_entry()
        print(f"\nafter: the client's entry for {VIP} is {lladdr} ({WHO.get(lladdr)}, {state})")
        print("\ngarpd's log on node-b:")
        for line in d.lines:
            if "event=" in line and "link-new" not in line:
                print("  " + line)
        d.stop()
    print("\nlab removed.")


if __name__ == "__main__":
    main()
