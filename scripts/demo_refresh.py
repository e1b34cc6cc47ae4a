# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo behind scripts/demo-refresh: a client and a router that ignore
gratuitous ARP (an nftables arp rule drops every ARP from the VIP that is
not a request for their own address, as Windows Vista/7/2008 without the
hotfix behaves) follow a VIP from node-a to node-b only thanks to garpd's
directed refresh. The move is made twice: with directed_refresh = no, then
with the default (yes). Then the same for IPv6: the client and the router
drop every neighbour advertisement for the VIP (an nftables ip6 rule), the
router is node-b's gateway by its link-local address; they follow only
thanks to the neighbour solicitation from the VIP. Prints what the client
and the router see."""

import contextlib
import time

import netns
from garpd_harness import Garpd
from test_refresh import (IP6_C, IP_C, IP_R, LL_R, MAC_A, MAC_B, MAC_C, MAC_R, VIP, VIP6, Lab,
                          Lab6, capture6, lladdr, lladdr6)

WHO = {MAC_A: "node-a", MAC_B: "node-b", MAC_C: "client", MAC_R: "router"}
IPS = {IP_C: "client", IP_R: "router", IP6_C: "client", LL_R: "router"}


def describe(f):
    to = "broadcast" if f.dst == "ff:ff:ff:ff:ff:ff" else WHO.get(f.dst, f.dst)
    if f.op == 1 and f.spa == "0.0.0.0":
        return f"ARP probe         who-has {f.tpa} tell 0.0.0.0"
    if f.op == 1 and f.spa == f.tpa:
        return f"ARP announcement  {f.spa} is-at {f.sha}  (gratuitous: ignored)"
    if f.op == 1 and f.spa == VIP:
        return (f"directed refresh  who-has {f.tpa} ({IPS.get(f.tpa, '?')}) tell {f.spa}, "
                f"to {to}")
    if f.op == 1:
        return f"ARP request       who-has {f.tpa} tell {f.spa}  (node-b's kernel, its own)"
    return f"ARP op {f.op} {f.spa} -> {f.tpa}"


def run(refresh):
    with contextlib.ExitStack() as stack:
        lab = Lab(stack)
        config = "" if refresh else "[sequence]\ndirected_refresh = no\n"
        d = Garpd(lab.b, config, args=["--log-level", "info"])

        def entries():
            return WHO.get(lladdr(lab.c, lab.ic)), WHO.get(lladdr(lab.r, lab.ir))

        print(f"before: client -> {entries()[0]}, router -> {entries()[1]}")
        with netns.Capture(lab.c, lab.ic, timeout=10) as cap_c, \
                netns.Capture(lab.r, lab.ir, timeout=10) as cap_r:
            t0 = time.time_ns()
            lab.move()
            d.wait_for("event=announced", addr=VIP, timeout=10)
            time.sleep(0.3)
            frames = cap_c.stop() + cap_r.stop()
        last, lines = {}, []
        for f in sorted(frames, key=lambda f: f.ts_ns):
            # broadcasts reach both: one line each
            if f.src != MAC_B or f.ts_ns - last.get(f.raw, -10**18) < 20_000_000:
                continue
            last[f.raw] = f.ts_ns
            lines.append(f"  {(f.ts_ns - t0) / 1e9:7.3f} s  {describe(f)}")
        print("\n".join(lines))
        client, router = entries()
        print(f"after:  client -> {client}, router -> {router}")
        for line in d.lines:
            if "event=refreshed" in line:
                print(f"garpd: {line}")
        d.stop()


def describe6(f, n):
    to = WHO.get(f.dst, "its solicited-node group" if f.dst.startswith("33:33:ff") else f.dst)
    if n["type"] == 136:
        return f"NA (unsolicited)  {n['target']} is-at {f.src}  (ignored)"
    if n["src"] == "::":
        return f"NS (DAD)          for {n['target']} from ::  (node-b's kernel)"
    if n["src"] == VIP6:
        return (f"directed refresh  NS for {n['target']} ({IPS.get(n['target'], '?')}) "
                f"from {n['src']}, to {to}")
    return f"NS                for {n['target']} from {n['src']}  (node-b's kernel, its own)"


def run6(refresh):
    with contextlib.ExitStack() as stack:
        lab = Lab6(stack)
        config = "" if refresh else "[sequence]\ndirected_refresh = no\n"
        d = Garpd(lab.b, config, args=["--log-level", "info"])

        def entries():
            return WHO.get(lladdr6(lab.c, lab.ic)), WHO.get(lladdr6(lab.r, lab.ir))

        print(f"before: client -> {entries()[0]}, router -> {entries()[1]}")
        with capture6(lab.c, lab.ic) as cap_c, capture6(lab.r, lab.ir) as cap_r:
            t0 = time.time_ns()
            lab.move()
            d.wait_for("event=announced", addr=VIP6, timeout=10)
            time.sleep(0.3)
            frames = cap_c.stop() + cap_r.stop()
        last, lines = {}, []
        for f in sorted(frames, key=lambda f: f.ts_ns):
            n = netns.parse_nd(f)
            # multicast reaches both: one line each
            if not n or f.src != MAC_B or f.ts_ns - last.get(f.raw, -10**18) < 20_000_000:
                continue
            last[f.raw] = f.ts_ns
            lines.append(f"  {(f.ts_ns - t0) / 1e9:7.3f} s  {describe6(f, n)}")
        print("\n".join(lines))
        client, router = entries()
        print(f"after:  client -> {client}, router -> {router}")
        for line in d.lines:
            if "event=refreshed" in line:
                print(f"garpd: {line}")
        d.stop()


def main():
    netns.require_root()
    print(f"garpd directed-refresh demo: VIP {VIP} moves from node-a {MAC_A} to node-b {MAC_B};\n"
          f"the client {IP_C} has talked to node-b, the router {IP_R} is node-b's gateway\n"
          f"and has never talked to it. Both ignore gratuitous ARP.\n")
    print("1) directed_refresh = no: only the announcement")
    run(False)
    print("\n2) directed_refresh = yes (the default): the announcement, then one request to each")
    run(True)
    print(f"\nIPv6: VIP {VIP6} moves the same way; the client {IP6_C} has talked to node-b,\n"
          f"the router {LL_R} is node-b's default gateway and has never talked to it.\n"
          f"Both ignore neighbour advertisements for the VIP.\n")
    print("3) directed_refresh = no: only the advertisement")
    run6(False)
    print("\n4) directed_refresh = yes: the advertisement, then one solicitation to each")
    run6(True)
    print("\nlab removed.")


if __name__ == "__main__":
    main()
