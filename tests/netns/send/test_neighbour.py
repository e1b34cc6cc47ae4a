# SPDX-License-Identifier: GPL-2.0-or-later
"""(e) The point of it all: a peer that still maps the address to an old
MAC maps it to ours after the announcement. Linux updates an existing entry
from a gratuitous ARP (sender = target address) without arp_accept, and
the entry's locktime does not hold back a gratuitous one (arp_is_garp),
so the peer's sysctls stay at their defaults. Checked for the request form
and for the reply form (THA = SHA, or Linux does not take it as
gratuitous); probes (SPA 0.0.0.0) must change nothing."""

import time

import netns
from netns import check
from send_common import MAC_A, Pair, check_ok

OLD = "02:00:00:00:0d:01"


def entry(p, addr):
    n = p.b.neigh(addr, dev=p.ib)
    check(len(n) == 1, f"peer has {len(n)} entries for {addr}: {n}")
    return n[0]


def test():
    with Pair() as p:
        check(p.b.run(["sysctl", "-n", f"net.ipv4.conf.{p.ib}.arp_accept"]).stdout.strip() == "0",
              "arp_accept is not at its default")
        for addr, form in (("10.0.0.1", "request"), ("10.0.0.21", "reply")):
            if addr != "10.0.0.1":
                p.a.addr_add(p.ia, addr + "/24")
            p.b.ip("neigh", "replace", addr, "lladdr", OLD, "dev", p.ib, "nud", "stale")
            check(entry(p, addr)["lladdr"] == OLD, "old entry not installed")

            # Probes alone leave the entry alone. (--announcements 0 is refused
            # since issue 16.3, as in garpd.conf: the announcement is held off
            # for an hour and send is stopped once both probes are out.)
            with p.capture(count=2, timeout=10) as cap:
                proc = p.a.popen([netns.garpctl(), "send", "-i", p.ia, "--probes", "2",
                                  "--probe-interval", "50ms", "--announce-delay", "1h", addr],
                                 stdout=netns.subprocess.PIPE, stderr=netns.subprocess.PIPE)
                cap.wait(timeout=10)
                time.sleep(0.1)  # what the peer makes of the second probe
                proc.terminate()
                proc.communicate(timeout=10)
            check([f.spa for f in cap.frames] == ["0.0.0.0"] * 2,
                  "expected two probes: " + "; ".join(f.summary() for f in cap.frames))
            check(entry(p, addr)["lladdr"] == OLD, f"a probe changed the entry: {entry(p, addr)}")

            check_ok(p.send("--probes", "0", "--frames", form, addr))
            e = entry(p, addr)
            print(f"{form}: {addr} -> {e}")
            check(e["lladdr"] == MAC_A,
                  f"peer still has {e.get('lladdr')} for {addr} after the {form} form")


netns.main(test)
