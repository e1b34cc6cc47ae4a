# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 7 (issue 17): convergence after a failover, what users feel.

One segment (a bridge in a namespace of its own) with node A, node B, a
router and clients, each in its own namespace. Every client sends UDP to
the VIP all the time (`bench_udp send`, PPS datagrams/s). The VIP moves
from A to B (A removes it, B adds it; or, for keepalived, A's keepalived
stops and B's takes over), and an observer on B (`bench_udp observe`)
records when each client's first datagram reaches B's stack. Per
announcer on B and per client kind: the time from the move until then.
An IPv6 VIP moves with the IPv4 one (nodad: no DAD wait); IPv6 clients
send to it.

The topology is built once and reset before every run (the VIP back on A,
every client's entry for the VIP back on A's MAC in its kind's state);
everything lives in namespaces created here, removed on every exit path
(netns.py). Each run is bounded by --converge-timeout.
"""

import ipaddress
import os
import shutil
import signal
import subprocess
import time

import netns

VIP = "10.9.0.100"
PREFIX = 16
A_IP, B_IP, ROUTER_IP = "10.9.0.1", "10.9.0.2", "10.9.0.254"
# The IPv6 VIP moves with the IPv4 one; every IPv6 address is added with
# nodad (as cluster managers add VIPs): usable at once, no DAD wait.
VIP6 = "fd00:9::100"
PREFIX6 = 64
A_IP6, B_IP6 = "fd00:9::1", "fd00:9::2"
PORT = 5001


class Kind:
    def __init__(self, key, label, state, arp_accept=0, ignores=False, known=False, router=False,
                 v6=False):
        self.key, self.label, self.state = key, label, state
        self.arp_accept, self.ignores, self.known, self.router = arp_accept, ignores, known, router
        self.v6 = v6
        self.vip = VIP6 if v6 else VIP


# state: the client's entry for the VIP at the move. 'stale' clients keep
# sending, so their entry is in DELAY (probe due 5 s after its first use)
# by the move; 'absent' entries are deleted right after A removes the VIP.
KINDS = [
    Kind("reach0", "REACHABLE, arp_accept=0", "reachable"),
    Kind("reach1", "REACHABLE, arp_accept=1", "reachable", arp_accept=1),
    Kind("stale0", "STALE, arp_accept=0", "stale"),
    Kind("stale1", "STALE, arp_accept=1", "stale", arp_accept=1),
    Kind("absent0", "absent, arp_accept=0", "absent"),
    Kind("absent1", "absent, arp_accept=1", "absent", arp_accept=1),
    Kind("ignknown", "ignores GARP, in B's neighbour table", "reachable", ignores=True,
         known=True),
    Kind("ignunknown", "ignores GARP, not in B's table", "reachable", ignores=True),
    Kind("router", "router (B's gateway), ignores GARP, 4 h entries", "reachable",
         ignores=True, router=True),
    Kind("reach6", "IPv6, REACHABLE", "reachable", v6=True),
    Kind("stale6", "IPv6, STALE", "stale", v6=True),
    Kind("absent6", "IPv6, absent", "absent", v6=True),
    Kind("ignna6known", "IPv6, ignores unsolicited NAs, in B's neighbour table", "reachable",
         ignores=True, known=True, v6=True),
    Kind("ignna6unknown", "IPv6, ignores unsolicited NAs, not in B's table", "reachable",
         ignores=True, v6=True),
]
KIND = {k.key: k for k in KINDS}

# A stack that ignores gratuitous ARP is netns.ignore_garp(): ARP from the
# VIP reaches it only when it asks for the client's own address (Microsoft's
# description of Vista/7/2008: no update from a broadcast "unless it is part
# of a broadcast ARP request for the receiver"). A directed refresh passes;
# the VIP's announcements and its requests for other hosts do not.


def ignore_unsolicited_na(ns):
    """Drop neighbour advertisements for VIP6 with Solicited clear.

    Like netns.ignore_na() but only unsolicited ones: a stack that ignores
    them still takes the answer to its own solicitation (else it could never
    resolve the VIP again), and a solicitation from the VIP (RFC 4861
    7.2.3), i.e. a directed refresh, updates it.
    """
    target = "0x" + ipaddress.IPv6Address(VIP6).packed.hex()
    ns.run(["nft", "add", "table", "ip6", netns.IGNORE_TABLE6])
    ns.run(["nft", "add", "chain", "ip6", netns.IGNORE_TABLE6, "input",
            "{ type filter hook input priority 0; policy accept; }"])
    # ICMPv6 NA: type, code, checksum, then R|S|O flags (bit 33: S), the target at bit 64.
    ns.run(["nft", "add", "rule", "ip6", netns.IGNORE_TABLE6, "input", "icmpv6", "type",
            "nd-neighbor-advert", "@th,64,128", target, "@th,33,1", "0", "counter", "drop"])


def send_arp_path():
    for p in ("/usr/libexec/heartbeat/send_arp", "/usr/lib/heartbeat/send_arp"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("send_arp")


def garpd_has(key):
    """Does this garpd build know configuration key @key? (directed_refresh
    is issue 13, being built: its rows are run only once it exists.)"""
    with open(netns.binary("GARPD_GARPD"), "rb") as f:
        return key.encode() in f.read()


# Announcers, in the order they run: (name, what, extra). 'what' is the
# program; for garpd, extra is its configuration.
# Announcers that send nothing for the IPv6 VIP: their IPv6 cells are n/a.
IPV4_ONLY = ("send_arp", "arping")


def announcers(smoke=False):
    dr = garpd_has("directed_refresh")
    out = []
    if dr:
        out += [("garpd win8 (directed refresh)", "garpd", "[sequence]\nprofile = win8\n"),
                ("garpd immediate (directed refresh)", "garpd",
                 "[sequence]\nprofile = immediate\n")]
        off = "directed_refresh = no\n"
        out += [("garpd win8, directed_refresh = no", "garpd",
                 "[sequence]\nprofile = win8\n" + off),
                ("garpd immediate, directed_refresh = no", "garpd",
                 "[sequence]\nprofile = immediate\n" + off)]
    else:
        out += [("garpd win8", "garpd", "[sequence]\nprofile = win8\n"),
                ("garpd immediate", "garpd", "[sequence]\nprofile = immediate\n")]
    if smoke:
        return [x for x in out if "immediate" in x[0]][:1] + [("nothing (kernel)", "none", None)]
    out += [("keepalived (VRRP pair)", "keepalived", None),
            ("send_arp -i 200 -r 5", "send_arp", None),
            ("arping -U -c 5", "arping", None),
            ("nothing (kernel)", "none", None)]
    return out


def missing_rows():
    """Rows this run cannot have, and why (reported, never faked)."""
    out = []
    if not garpd_has("directed_refresh"):
        out.append(("garpd with / without directed refresh",
                    "directed refresh (issue 13) is not in this build yet"))
    out.append(("IPv6 clients with send_arp, arping",
                "both are IPv4 only; Debian's ndisc6 package has no ndsend"))
    return out


class Node:
    def __init__(self, ns, dev, ip, mac, kind=None):
        self.ns, self.dev, self.ip, self.mac, self.kind = ns, dev, ip, mac, kind
        self.sender = None


class Lab:
    """The segment: bridge namespace, A, B, the router, the clients."""

    def __init__(self, per_kind, pps):
        self.nss = []
        self.seg = self._ns("gcs")
        # No multicast snooping: NS to solicited-node groups reach every port.
        self.br = self.seg.bridge(prefix="gcb", snooping=False)
        self.a = self._node("gca", A_IP, ip6=A_IP6)
        self.b = self._node("gcb", B_IP, ip6=B_IP6)
        self.clients = []
        i = j = 0
        for k in KINDS:
            for _ in range(1 if k.router else per_kind):
                if k.v6:
                    j += 1
                    c = self._node("gcc", None, ip6=f"fd00:9::1:{j:x}", kind=k)
                    if k.ignores:
                        ignore_unsolicited_na(c.ns)
                    self.clients.append(c)
                    continue
                ip = ROUTER_IP if k.router else f"10.9.{1 + i // 250}.{1 + i % 250}"
                i += 0 if k.router else 1
                c = self._node("gcc", ip, kind=k)
                if k.arp_accept:
                    c.ns.sysctl("net.ipv4.conf.all.arp_accept", "1")
                    c.ns.sysctl(f"net.ipv4.conf.{c.dev}.arp_accept", "1")
                if k.ignores:
                    netns.ignore_garp(c.ns, VIP, ip)
                if k.router:
                    c.ns.sysctl("net.ipv4.ip_forward", "1")
                    # A router's ARP entries last hours (Cisco IOS: 4 h).
                    c.ns.sysctl(f"net.ipv4.neigh.{c.dev}.base_reachable_time_ms", "14400000")
                self.clients.append(c)
        self.b.ns.ip("route", "add", "default", "via", ROUTER_IP)
        self.senders = []
        for c in self.clients:
            # Every client first resolves the VIP on A.
            c.ns.ip("neigh", "replace", c.kind.vip, "lladdr", self.a.mac, "dev", c.dev, "nud",
                    "reachable")
        self.a.ns.ip("addr", "add", f"{VIP}/{PREFIX}", "dev", self.a.dev)
        self.a.ns.ip("addr", "add", f"{VIP6}/{PREFIX6}", "dev", self.a.dev, "nodad")
        for c in self.clients:
            # An 'absent' client's sender deletes its entry on SIGUSR1.
            absent = c.kind.state == "absent"
            c.sender = c.ns.popen(
                [netns.binary("GARPD_BENCH_UDP"), "send", c.kind.vip, str(PORT), str(pps)] +
                ([c.dev] if absent else []), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if absent else subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, text=True)
            self.senders.append(c.sender)

    def _ns(self, prefix, ipv6=False):
        ns = netns.Netns(prefix, ipv6=ipv6)
        if ipv6:
            # Link-local addresses too: no DAD (nor its wait) on this segment.
            ns.sysctl("net.ipv6.conf.all.accept_dad", "0")
            ns.sysctl("net.ipv6.conf.default.accept_dad", "0")
        self.nss.append(ns)
        return ns

    def _node(self, prefix, ip, ip6=None, kind=None):
        """A namespace on the segment: IPv4 @ip and/or IPv6 @ip6 (nodad).
        A node's address is @ip, or @ip6 for an IPv6 client."""
        ns = self._ns(prefix, ipv6=ip6 is not None)
        dev, peer = netns.veth(ns, self.seg, prefix="gcv",
                               addr_a=f"{ip}/{PREFIX}" if ip else None)
        if ip6:
            ns.addr_add(dev, f"{ip6}/{PREFIX6}", "nodad")
        self.seg.enslave(peer, self.br)
        return Node(ns, dev, ip or ip6, ns.mac(dev), kind)

    def delete(self):
        for p in self.senders:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in reversed(self.nss):
            ns.delete()


def _parallel(cmds, width=16, timeout=30):
    """Run host-side commands @width at a time; raise on the first failure."""
    for i in range(0, len(cmds), width):
        ps = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
              for c in cmds[i:i + width]]
        for c, p in zip(cmds[i:i + width], ps):
            _, err = p.communicate(timeout=timeout)
            if p.returncode != 0:
                raise RuntimeError(f"{' '.join(c)} exited {p.returncode}: {err.strip()}")


def _stop(p, sig=signal.SIGTERM, timeout=10):
    if p and p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _has_vip(node, vip=VIP):
    return any(a.get("local") == vip for i in node.ns.ip_json("addr", "show", "dev", node.dev)
               for a in i.get("addr_info", []))


def _wait_vip(node, timeout):
    end = time.monotonic() + timeout
    while not _has_vip(node):
        if time.monotonic() > end:
            raise RuntimeError(f"the VIP did not appear on {node.ns.name} in {timeout} s")
        time.sleep(0.05)


def _keepalived(node, workdir, tag, state, priority):
    conf = os.path.join(workdir, f"keepalived-{tag}.conf")
    with open(conf, "w") as f:
        # keepalived's own defaults otherwise (garp_master_delay 5,
        # garp_master_repeat 5): what a user of a VRRP pair gets.
        # A VRRPv2 (IPv4) instance refuses an IPv6 address in
        # virtual_ipaddress ("address family must match VRRP instance");
        # virtual_ipaddress_excluded carries it, added and announced (NA)
        # with the instance's state.
        f.write(f"global_defs {{\n  router_id bench{tag}\n}}\n"
                f"vrrp_instance conv {{\n  state {state}\n  interface {node.dev}\n"
                f"  virtual_router_id 77\n  priority {priority}\n  advert_int 1\n"
                f"  virtual_ipaddress {{\n    {VIP}/{PREFIX}\n  }}\n"
                f"  virtual_ipaddress_excluded {{\n    {VIP6}/{PREFIX6}\n  }}\n}}\n")
    return node.ns.popen([shutil.which("keepalived"), "-n", "-l", "--vrrp", "-f", conf,
                          "-p", os.path.join(workdir, f"k{tag}.pid"),
                          "-r", os.path.join(workdir, f"k{tag}-vrrp.pid")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(workdir, f"keepalived-{tag}.log"), "w"))


def run_one(lab, workdir, name, what, extra, timeout_s, Garpd):
    """One move from A to B with announcer @what on B; per client the ms from
    the move to its first datagram on B (None: not within @timeout_s)."""
    a, b = lab.a, lab.b
    procs = []
    g = None
    try:
        # Reset: the VIP on A only, B knows only the 'known' clients.
        b.ns.ip("addr", "del", f"{VIP}/{PREFIX}", "dev", b.dev, check=False)
        b.ns.ip("addr", "del", f"{VIP6}/{PREFIX6}", "dev", b.dev, check=False)
        b.ns.ip("neigh", "flush", "dev", b.dev)
        b.ns.ip("-6", "neigh", "flush", "dev", b.dev)
        known = [c for c in lab.clients if c.kind.known]
        if known:
            b.ns.ip_batch([f"neigh replace {c.ip} lladdr {c.mac} dev {b.dev} nud stale"
                           for c in known])
        if what == "keepalived":
            a.ns.ip("addr", "del", f"{VIP}/{PREFIX}", "dev", a.dev, check=False)
            a.ns.ip("addr", "del", f"{VIP6}/{PREFIX6}", "dev", a.dev, check=False)
            ka = _keepalived(a, workdir, "A", "MASTER", 150)
            procs.append(ka)
            _wait_vip(a, 10)
            procs.append(_keepalived(b, workdir, "B", "BACKUP", 100))
            # A's second round of gratuitous ARP comes 5 s after it became master.
            time.sleep(6)
            if not _has_vip(a) or _has_vip(b) or not _has_vip(a, VIP6) or _has_vip(b, VIP6):
                raise RuntimeError("keepalived pair: the VIPs are not on A only")
        else:
            a.ns.ip_batch([f"addr replace {VIP}/{PREFIX} dev {a.dev}",
                           f"addr replace {VIP6}/{PREFIX6} dev {a.dev} nodad"])
        if what == "garpd":
            g = Garpd(b.ns, extra, workdir)
        # Every client's entry for the VIP on A's MAC, in its kind's state.
        _parallel([["ip", "-n", c.ns.name, "neigh", "replace", c.kind.vip, "lladdr", a.mac,
                    "dev", c.dev, "nud", "stale" if c.kind.state == "stale" else "reachable"]
                   for c in lab.clients])
        time.sleep(2)   # past the entries' lock time; the STALE ones are in DELAY by now

        obs = b.ns.popen([netns.binary("GARPD_BENCH_UDP"), "observe", str(PORT), f"{VIP},{VIP6}",
                          str(int(timeout_s * 1000)), str(len(lab.clients))],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        procs.append(obs)
        if obs.stderr.readline().strip() != "ready":
            raise RuntimeError("bench_udp observe did not start")
        t0 = time.time_ns()
        if what == "keepalived":
            ka.send_signal(signal.SIGTERM)
        else:
            # Both VIPs leave A in one `ip -batch` (and arrive on B in one).
            a.ns.ip_batch([f"addr del {VIP}/{PREFIX} dev {a.dev}",
                           f"addr del {VIP6}/{PREFIX6} dev {a.dev}"])
        # The 'absent' entries go at one instant, before B has the VIP.
        absent = [c for c in lab.clients if c.kind.state == "absent"]
        for c in absent:
            c.sender.send_signal(signal.SIGUSR1)
        for c in absent:
            line = c.sender.stdout.readline().strip()
            if line != "deleted":
                raise RuntimeError(f"client {c.ip}: deleting its entry: {line or 'no answer'}")
        t_absent = time.time_ns()
        if what != "keepalived":
            b.ns.ip_batch([f"addr add {VIP}/{PREFIX} dev {b.dev}",
                           f"addr add {VIP6}/{PREFIX6} dev {b.dev} nodad"])
        if what == "send_arp":
            # As resource-agents' IPaddr2 calls it (its defaults).
            procs.append(b.ns.popen([send_arp_path(), "-i", "200", "-r", "5", "-p",
                                     os.path.join(workdir, "send_arp.pid"), b.dev, VIP,
                                     "auto", "not_used", "not_used"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        elif what == "arping":
            procs.append(b.ns.popen([shutil.which("arping"), "-q", "-U", "-c", "5", "-I", b.dev,
                                     VIP], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL))
        out, err = obs.communicate(timeout=timeout_s + 30)
        vip_added = {}
        first = {}
        for line in out.splitlines():
            f = line.split()
            if f[0] == "vip_added":
                vip_added[f[1]] = int(f[2])
            elif f[0] == "first":
                first[str(ipaddress.ip_address(f[1]))] = int(f[2])
        early = [ip for ip, ts in first.items() if ts < t0]
        if early:
            raise RuntimeError(f"{name}: traffic reached B before the move from {early}")
        if what == "keepalived" and not _has_vip(b):
            raise RuntimeError("keepalived: B did not take the VIP over")
        v4, v6 = vip_added.get(VIP), vip_added.get(VIP6)
        res = {"announcer": name, "timeout_s": timeout_s,
               "ipv6": what not in IPV4_ONLY,
               "vip_on_b_ms": (v4 - t0) / 1e6 if v4 else None,
               "vip6_on_b_ms": (v6 - t0) / 1e6 if v6 else None,
               "absent_deleted_ms": (t_absent - t0) / 1e6,
               "clients": {c.ip: ((first[c.ip] - t0) / 1e6 if c.ip in first
                                  and first[c.ip] - t0 <= timeout_s * 1e9 else None)
                           for c in lab.clients}}
        if g:
            res["garpd_log_tail"] = g.text()[-1500:]
        return res
    finally:
        if g:
            g.stop()
        for p in reversed(procs):
            _stop(p)


def run(workdir, Garpd, per_kind=6, pps=200, timeout_s=60, repeat=1, smoke=False, only="",
        log=print):
    if not shutil.which("nft"):
        raise RuntimeError("nft (nftables) is not installed: scripts/bench and scripts/test "
                           "install it")
    lab = Lab(per_kind, pps)
    runs = []
    try:
        for r in range(repeat):
            for name, what, extra in announcers(smoke):
                if only and only not in name:
                    continue
                if what == "keepalived" and not shutil.which("keepalived") or \
                        what == "send_arp" and not send_arp_path() or \
                        what == "arping" and not shutil.which("arping"):
                    log(f"converge: {name}: not installed, skipped")
                    continue
                log(f"converge: {name} (run {r + 1}/{repeat}, {len(lab.clients)} clients, "
                    f"up to {timeout_s} s)")
                res = run_one(lab, workdir, name, what, extra, timeout_s, Garpd)
                res["run"] = r + 1
                res["kinds"] = summarize(lab, res)
                runs.append(res)
                log("  " + "; ".join(f"{k}: {cell(v)}" for k, v in res["kinds"].items()))
    finally:
        lab.delete()
    return {"clients": [{"ip": c.ip, "kind": c.kind.key} for c in lab.clients],
            "kinds": {k.key: k.label for k in KINDS}, "pps": pps, "timeout_s": timeout_s,
            "runs": runs, "missing": missing_rows()}


def summarize(lab, res):
    out = {}
    for k in KINDS:
        ts = [res["clients"][c.ip] for c in lab.clients if c.kind is k]
        done = sorted(t for t in ts if t is not None)
        inf = float("inf")
        allv = done + [inf] * (len(ts) - len(done))
        p50 = allv[(len(allv) - 1) // 2] if allv else None
        out[k.key] = {"n": len(ts), "never": len(ts) - len(done),
                      "p50_ms": None if p50 in (None, inf) else p50,
                      "max_ms": None if not allv or allv[-1] == inf else allv[-1],
                      "min_ms": done[0] if done else None}
    return out


def fmt_ms(ms):
    if ms is None:
        return "never"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


def cell(v):
    s = f"{fmt_ms(v['p50_ms'])} / {fmt_ms(v['max_ms'])}"
    if v["never"]:
        s += f" ({v['never']}/{v['n']} never)"
    return s


def fmt_span(vals):
    """min–max of @vals, None meaning "never within the timeout"."""
    done = [v for v in vals if v is not None]
    if not done:
        return "never"
    lo = fmt_ms(min(done))
    hi = "never" if len(done) < len(vals) else fmt_ms(max(done))
    if lo == hi:
        return lo
    lo_n, lo_u = lo.split(" ")
    if hi.endswith(" " + lo_u):
        return f"{lo_n}–{hi}"
    return f"{lo}–{hi}"


def table_md(conv, v6=False):
    """One row per client kind (IPv4 ones, or with @v6 the IPv6 ones), one
    column per announcer: 'p50 / max' from the move, each as min–max over
    the runs, and how many clients never reached B within the timeout
    (min–max over the runs). An announcer that sends nothing for IPv6 gets
    n/a in the IPv6 rows."""
    kinds = [k for k in KINDS if k.v6 == v6 and any(k.key in r["kinds"] for r in conv["runs"])]
    if not kinds:
        return ""
    by = {}
    for r in conv["runs"]:
        by.setdefault(r["announcer"], []).append(r)
    names = list(by)
    key = "vip6_on_b_ms" if v6 else "vip_on_b_ms"
    lines = ["| client kind (clients) | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names),
             f"| *the {'IPv6' if v6 else 'IPv4'} VIP on B* | " + " | ".join(
                 fmt_span([r.get(key) for r in rs]) for rs in by.values()) + " |"]
    for k in kinds:
        cells = []
        for rs in by.values():
            if v6 and not rs[0].get("ipv6", True):
                cells.append("n/a (IPv4 only)")
                continue
            vs = [r["kinds"][k.key] for r in rs]
            c = f"{fmt_span([v['p50_ms'] for v in vs])} / {fmt_span([v['max_ms'] for v in vs])}"
            nev = sorted({v["never"] for v in vs})
            if nev != [0] and not all(v["never"] == v["n"] for v in vs):
                c += f" ({nev[0] if len(nev) == 1 else f'{nev[0]}–{nev[-1]}'} never)"
            cells.append(c)
        n = next(r["kinds"][k.key]["n"] for r in conv["runs"])
        lines.append(f"| {k.label} ({n}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_text(conv):
    return "\n\n".join(t for t in (table_md(conv), table_md(conv, v6=True)) if t)


def plot(conv, outdir, palette, v6=False):
    """Clients (the IPv4 ones, or with @v6 the IPv6 ones) converged against
    time since the move, one line per announcer (all runs pooled; none for
    an announcer without IPv6), log time axis."""
    gp = shutil.which("gnuplot")
    fam = {c["ip"] for c in conv["clients"] if KIND[c["kind"]].v6 == v6}
    if not gp or not conv["runs"] or not fam:
        return None
    series = {}
    for r in conv["runs"]:
        if v6 and not r.get("ipv6", True):
            continue
        series.setdefault(r["announcer"], []).append(r)
    files = []
    tag = "converge-v6" if v6 else "converge"
    for i, (name, rs) in enumerate(series.items()):
        vals = [v for r in rs for ip, v in r["clients"].items() if ip in fam]
        done = sorted(max(v, 1.0) / 1000 for v in vals if v is not None)
        n = len(vals)
        path = os.path.join(outdir, f"{tag}_{i}.dat")
        with open(path, "w") as f:
            f.write(f"0.001 0\n")
            for j, t in enumerate(done):
                f.write(f"{t:.4f} {100.0 * (j + 1) / n:.2f}\n")
            f.write(f"{conv['timeout_s']} {100.0 * len(done) / n:.2f}\n")
        files.append((path, name))
    png = os.path.join(outdir, f"{tag}.png")
    script = (f"set terminal pngcairo size 900,600 font ',11'\nset output '{png}'\n"
              f"set logscale x\nset xrange [0.01:{conv['timeout_s']}]\nset yrange [0:100]\n"
              "set xlabel 'seconds since the VIP left A'\n"
              "set ylabel 'clients whose traffic reaches B (%)'\nset key outside right\n"
              "set grid\nset title 'Failover A to B: clients converged against time, "
              f"{len(fam)} {'IPv6' if v6 else 'IPv4'} clients'\n"
              "plot " + ", ".join(
                  f"'{p}' using 1:2 with steps lw 2 lc rgb '{palette[i % len(palette)]}' "
                  f"title '{t}' noenhanced" for i, (p, t) in enumerate(files)) + "\n")
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        return None
    return png
