#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpd on a real kernel's bond, bridge and VLANs: runs INSIDE the lab VM.

Started by tests/lab/run-lab.sh through ../shared/lab/run-vm, as root, in a
throw-away VM whose kernel has bonding and 802.1Q. Everything lives in
namespaces this script creates (the VM itself is thrown away afterwards).

    switch ns:  swbr (10.0.0.254/24) with ports sw-eth0, sw-eth1
                   |            |
    host ns:     eth0         eth1        veth slaves of bond0 (active-backup, miimon 100)
                    \\        /
                     bond0 ---- bond0.100 (10.0.100.1/24, scenario 4)
                       |
                      br0 (10.0.0.1/24, scenarios 3-6) --- vifA --- guest A (10.0.0.11)
                                                      \\--- vifB --- guest B (10.0.0.12;
                                                                     VLAN 100 in scenario 4)

garpd runs in the host namespace with `frames = both`, so each of its
announcements is a request with THA ff:ff:ff:ff:ff:ff followed by a reply
with THA = SHA. The bonding driver's own gratuitous ARP (NETDEV_NOTIFY_PEERS
-> inetdev_send_gratuitous_arp -> arp_send with no target MAC) is a request
with THA 00:00:00:00:00:00 and is never a reply: that is how the two are
told apart on the wire (and garpd's log confirms the count). garpd's relearn
frames are RARP (ethertype 0x8035, op 3, SHA = THA = Ethernet source = the
guest's MAC); neither the kernel nor the guests send RARP.

Scenario 9 adds its own veth vx0 (VLAN devices vx0.100, vx0.300) to a peer
namespace that claims probed addresses with tagged replies.

Captures run on the switch side of each slave (direction "in" = what that
slave transmitted). Delays are kernel receive timestamps (CLOCK_REALTIME)
minus the wall time just before the switch command was started.

Usage (inside the VM): lab_scenarios.py --src DIR --garpd PATH --capture PATH --out DIR
Prints one PASS/FAIL/XFAIL line per scenario and a final "N passed, N failed".
Writes garpd.log, monitor.log, frames-*.txt and results.json into --out.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import traceback

p = argparse.ArgumentParser()
p.add_argument("--src", required=True, help="source tree (for tests/netns)")
p.add_argument("--garpd", required=True)
p.add_argument("--capture", required=True)
p.add_argument("--out", required=True, help="read-write scratch directory")
p.add_argument("--only", default="", help="comma-separated scenario names (e.g. 9,4): run just those")
ARGS = p.parse_args()

sys.path[:0] = [os.path.join(ARGS.src, "tests/netns"), os.path.join(ARGS.src, "tests/netns/daemon")]
os.environ["GARPD_GARPD"] = ARGS.garpd
os.environ["GARPD_CAPTURE"] = ARGS.capture
os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1")

import netns  # noqa: E402
from netns import TestFailure, check  # noqa: E402
from garpd_harness import Garpd  # noqa: E402

BCAST, ZERO = "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"
HOST_ADDR, SW_ADDR = "10.0.0.1", "10.0.0.254"
VLAN, VLAN_ADDR = 100, "10.0.100.1"
GA_MAC, GB_MAC = "02:00:00:00:0a:01", "02:00:00:00:0b:01"
GA_ADDR, GB_ADDR, GB_VADDR = "10.0.0.11", "10.0.0.12", "10.0.100.12"
DELAY_LIMIT_S = 2.0
SLOW = 30          # generous waits for state: the VM runs 20-40x slower than native

CONFIG = """
[daemon]
log_level = debug

[sequence]
# announce at once on a new address, and send the request AND the reply form:
# the reply (THA = SHA) is a frame the bonding driver never sends
profile = immediate
frames = both
"""

os.makedirs(ARGS.out, exist_ok=True)
with open(os.path.join(ARGS.out, "started"), "w") as f:
    f.write(f"{time.time()}\n")

T_START = time.monotonic()
RESULTS = []        # dicts: name, status (PASS/FAIL/XFAIL), seconds, detail
TIMINGS = {}


def log(msg):
    print(msg, flush=True)


def wait_until(pred, timeout, what, interval=0.1):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TestFailure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- the world ---------------------------------------------------------------

class Lab:
    def __init__(self):
        self.sw = netns.Netns("sw", ipv6=False)
        self.host = netns.Netns("host", ipv6=False)
        self.guests = {}
        self.d = None
        self.monitor = None
        self.peer = {"eth0": "sw-eth0", "eth1": "sw-eth1"}

    # bond state, as /proc/net/bonding/bond0 in the host namespace shows it
    def bonding(self):
        txt = self.host.run(["cat", "/proc/net/bonding/bond0"]).stdout
        active, mii, cur = None, {}, None
        for line in txt.splitlines():
            if line.startswith("Currently Active Slave:"):
                active = line.split(":", 1)[1].strip()
            elif line.startswith("Slave Interface:"):
                cur = line.split(":", 1)[1].strip()
            elif line.startswith("MII Status:") and cur:
                mii[cur] = line.split(":", 1)[1].strip()
        return active, mii

    def active(self):
        return self.bonding()[0]

    def wait_both_slaves_up(self):
        wait_until(lambda: self.bonding()[1] == {"eth0": "up", "eth1": "up"}, SLOW,
                   "both slaves' MII status up")

    def mac(self, ns, dev):
        return ns.mac(dev)

    def sw_fdb(self):
        """{mac: port} of the switch bridge's learned (non-permanent) entries."""
        r = netns.sh(["bridge", "-n", self.sw.name, "-j", "fdb", "show", "br", "swbr"])
        res = {}
        for e in json.loads(r.stdout or "[]"):
            if e.get("state") == "permanent" or "self" in e.get("flags", []):
                continue
            res[e["mac"]] = e.get("ifname")
        return res

    def br0_fdb(self):
        """[(mac, port, vlan)] learned on br0 in the host namespace."""
        r = netns.sh(["bridge", "-n", self.host.name, "-j", "fdb", "show", "br", "br0"])
        res = []
        for e in json.loads(r.stdout or "[]"):
            if e.get("state") == "permanent" or "self" in e.get("flags", []):
                continue
            res.append((e["mac"], e.get("ifname"), e.get("vlan")))
        return res

    def count(self, pattern, **fields):
        return len(self.d.find(pattern, **fields))

    def wait_count(self, n, pattern, timeout=SLOW, **fields):
        return wait_until(lambda: self.count(pattern, **fields) >= n, timeout,
                          f"garpd log line #{n} with {pattern} {fields}")

    def quiesce(self, quiet=1.5, timeout=SLOW):
        """Wait until garpd has logged nothing for @quiet seconds."""
        end = time.monotonic() + timeout
        n, since = len(self.d.lines), time.monotonic()
        while time.monotonic() < end:
            time.sleep(0.1)
            if len(self.d.lines) != n:
                n, since = len(self.d.lines), time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
        raise TestFailure("garpd never went quiet")


def build_bond(lab):
    sw, host = lab.sw, lab.host
    sw.bridge(name="swbr")
    sw.addr_add("swbr", SW_ADDR + "/24")
    # ip monitor in the host namespace: the link messages garpd reads (IFLA_EVENT etc.)
    lab.monitor_file = open(os.path.join(ARGS.out, "monitor.log"), "w")
    lab.monitor = host.popen(["ip", "-t", "-d", "monitor", "link"], stdout=lab.monitor_file,
                             stderr=subprocess.STDOUT)
    lab.d = Garpd(host, CONFIG, ready_timeout=120)
    host.ip("link", "add", "bond0", "type", "bond", "mode", "active-backup", "miimon", "100")
    for i in (0, 1):
        netns.veth(host, sw, name_a=f"eth{i}", name_b=f"sw-eth{i}", up=False)
        sw.enslave(f"sw-eth{i}", "swbr")
        sw.link_up(f"sw-eth{i}")
        host.ip("link", "set", "dev", f"eth{i}", "master", "bond0")
    host.link_up("bond0")
    host.addr_add("bond0", HOST_ADDR + "/24")
    lab.wait_both_slaves_up()
    wait_until(lambda: lab.active() in ("eth0", "eth1"), SLOW, "an active slave")
    lab.d.wait_for("event=announced", timeout=SLOW, iface="bond0", addr=HOST_ADDR)
    lab.quiesce()


# --- one switch, observed --------------------------------------------------------

def classify(frames, t_cmd):
    out = {"garpd": [], "kernel": [], "relearn": [], "other": []}
    for f in frames:
        if f.ts_ns < t_cmd:
            continue
        if f.is_rarp and f.op == 3:
            out["relearn"].append(f)
        elif f.is_arp and f.spa == f.tpa and f.spa != "0.0.0.0" and (
                (f.op == 1 and f.tha == BCAST) or (f.op == 2 and f.tha == f.sha)):
            out["garpd"].append(f)
        elif f.is_arp and f.op == 1 and f.spa == f.tpa and f.tha == ZERO:
            out["kernel"].append(f)
        else:
            out["other"].append(f)
    return out


class Switch:
    """Capture on both switch ports, run @action, wait for garpd, collect."""

    def __init__(self, lab, name, action, expect_addrs=(), expect_relearn=False,
                 expect_failover=True, settle=None,
                 ethertypes=(netns.ETH_P_ARP, netns.ETH_P_RARP)):
        self.lab, self.name = lab, name
        host, d = lab.host, lab.d
        self.old = lab.active()
        self.new = "eth1" if self.old == "eth0" else "eth0"
        caps = {s: netns.Capture(lab.sw, lab.peer[s], ethertypes=ethertypes, timeout=300,
                                 ready_timeout=60)
                for s in ("eth0", "eth1")}
        n_fail = lab.count("event=bond-failover", iface="bond0")
        n_ann = {a: lab.count("event=announced", addr=a) for a in expect_addrs}
        n_rel = lab.count("event=relearn", iface="bond0")
        try:
            self.t_cmd = time.time_ns()
            t0 = time.monotonic()
            action(self.old, self.new)
            self.cmd_s = time.monotonic() - t0
            wait_until(lambda: lab.active() == self.new, SLOW,
                       f"bond0's active slave to become {self.new}")
            if expect_failover:
                lab.wait_count(n_fail + 1, "event=bond-failover", iface="bond0")
            for a in expect_addrs:
                lab.wait_count(n_ann[a] + 1, "event=announced", addr=a)
            if expect_relearn:
                lab.wait_count(n_rel + 1, "event=relearn", iface="bond0")
            if settle:
                time.sleep(settle)
        finally:
            self.frames = {s: c.stop(linger=1.5) for s, c in caps.items()}
        # the switch's FDB right after the switch (scenario 5)
        self.fdb = lab.sw_fdb()
        self.fdb_after_s = (time.time_ns() - self.t_cmd) / 1e9
        self.failovers = lab.count("event=bond-failover", iface="bond0") - n_fail
        self.relearn_logs = lab.d.find("event=relearn", iface="bond0")[n_rel:]
        self.c_new = classify(self.frames[self.new], self.t_cmd)
        self.c_old = classify(self.frames[self.old], self.t_cmd)
        with open(os.path.join(ARGS.out, f"frames-{name}.txt"), "w") as f:
            f.write(f"# {name}: {self.old} -> {self.new}; t_cmd {self.t_cmd}\n")
            for s in ("eth0", "eth1"):
                for fr in self.frames[s]:
                    f.write(f"{lab.peer[s]} {(fr.ts_ns - self.t_cmd) / 1e6:+10.1f} ms "
                            f"{fr.summary()}\n")

    def first(self, kind):
        fr = self.c_new[kind]
        return (fr[0].ts_ns - self.t_cmd) / 1e9 if fr else None

    def delays(self):
        return {"garpd_s": self.first("garpd"), "relearn_s": self.first("relearn"),
                "kernel_garp_s": self.first("kernel"), "command_s": round(self.cmd_s, 3),
                "failover_log_lines": self.failovers}

    def describe(self):
        dl = self.delays()
        fmt = lambda v: "-" if v is None else f"{v:.3f} s"  # noqa: E731
        return (f"{self.old}->{self.new}: garpd frame after {fmt(dl['garpd_s'])}, "
                f"driver's GARP after {fmt(dl['kernel_garp_s'])}, "
                f"relearn after {fmt(dl['relearn_s'])}; new port: {len(self.c_new['garpd'])} garpd, "
                f"{len(self.c_new['kernel'])} driver, {len(self.c_new['relearn'])} relearn")

    # --- assertions ---
    def check_announced(self, addr, mac, vlan=None):
        """Exactly one garpd announcement (request + reply) for @addr, through the new slave."""
        mine = [f for f in self.c_new["garpd"] if f.spa == addr]
        req = [f for f in mine if f.op == 1]
        rep = [f for f in mine if f.op == 2]
        check(len(req) == 1 and len(rep) == 1,
              f"{self.name}: expected one garpd request and one reply for {addr} on "
              f"{self.lab.peer[self.new]}, got {[f.summary() for f in mine]}")
        for f in mine:
            check(f.sha == mac and f.src == mac and f.dst == BCAST,
                  f"{self.name}: {addr} announced with the wrong MAC (want {mac}): {f.summary()}")
            check(f.vlan == vlan, f"{self.name}: {addr} announced with VLAN {f.vlan}, "
                  f"want {vlan}: {f.summary()}")
        old = [f for f in self.c_old["garpd"] + self.c_old["relearn"]]
        check(not old, f"{self.name}: garpd frames left through the old slave {self.old}: "
              f"{[f.summary() for f in old]}")
        d = (mine[0].ts_ns - self.t_cmd) / 1e9
        check(d < DELAY_LIMIT_S, f"{self.name}: announcement of {addr} {d:.3f} s after the "
              f"switch command (limit {DELAY_LIMIT_S} s)")
        return d

    def check_relearn(self, mac, vlan=None):
        mine = [f for f in self.c_new["relearn"] if f.sha == mac]
        check(len(mine) == 1, f"{self.name}: expected one relearn frame for {mac} on "
              f"{self.lab.peer[self.new]}, got {[f.summary() for f in self.c_new['relearn']]}")
        f = mine[0]
        check(f.src == mac and f.tha == mac and f.dst == BCAST and f.ethertype == netns.ETH_P_RARP,
              f"{self.name}: not a RARP relearn frame from {mac}: {f.summary()}")
        check(f.vlan == vlan, f"{self.name}: relearn frame for {mac} has VLAN {f.vlan}, "
              f"want {vlan}: {f.summary()}")
        return (f.ts_ns - self.t_cmd) / 1e9

    def check_no_garpd(self):
        mine = self.c_new["garpd"] + self.c_new["relearn"] + self.c_old["garpd"] + \
            self.c_old["relearn"]
        check(not mine, f"{self.name}: garpd sent frames although turned off: "
              f"{[f.summary() for f in mine]}")

    def check_fdb(self, macs, port):
        bad = {m: self.fdb.get(m) for m in macs if self.fdb.get(m) != port}
        check(not bad, f"{self.name}: switch FDB {self.fdb_after_s:.1f} s after the switch "
              f"has {bad}, want every guest MAC on {port}")


# --- switching methods --------------------------------------------------------

def switch_ip(lab):
    def act(old, new):
        lab.host.ip("link", "set", "dev", "bond0", "type", "bond", "active_slave", new)
    return act


def switch_sysfs(lab):
    def act(old, new):
        # what ifenslave -c does; `ip netns exec` mounts the namespace's own /sys
        lab.host.run(["sh", "-c", f"echo {new} > /sys/class/net/bond0/bonding/active_slave"])
    return act


def switch_carrier(lab):
    def act(old, new):
        lab.sw.link_down(lab.peer[old])   # the old slave loses its carrier; miimon notices
    return act


def restore_carrier(lab, sw_if):
    lab.sw.link_up(sw_if)
    lab.wait_both_slaves_up()


# --- scenarios ------------------------------------------------------------------

def scenario(name, title, xfail=None):
    def deco(fn):
        def run(lab):
            t0 = time.monotonic()
            try:
                detail = fn(lab) or ""
                status = "PASS"
                if xfail:
                    status, detail = "XPASS", f"{detail} (was marked expected failure: {xfail})"
            except TestFailure as e:
                status, detail = ("XFAIL" if xfail else "FAIL"), str(e)
                if xfail:
                    detail += f" -- known: {xfail}"
            except Exception as e:  # a broken step is a failure with its traceback
                status, detail = "FAIL", f"{type(e).__name__}: {e}"
                traceback.print_exc(file=sys.stdout)
            secs = time.monotonic() - t0
            RESULTS.append({"name": name, "title": title, "status": status,
                            "seconds": round(secs, 1), "detail": detail})
            log(f"{status} {name} ({secs:.1f} s): {title}: {detail}")
        run.name = name
        return run
    return deco


SWITCHES = {}


@scenario("1a", "ip link set bond0 type bond active_slave X")
def s1a(lab):
    bmac = lab.mac(lab.host, "bond0")
    sw = Switch(lab, "1a", switch_ip(lab), expect_addrs=[HOST_ADDR])
    SWITCHES["1a"] = sw
    sw.check_announced(HOST_ADDR, bmac)
    return sw.describe()


@scenario("1b", "echo X > /sys/class/net/bond0/bonding/active_slave (ifenslave -c)")
def s1b(lab):
    bmac = lab.mac(lab.host, "bond0")
    sw = Switch(lab, "1b", switch_sysfs(lab), expect_addrs=[HOST_ADDR])
    SWITCHES["1b"] = sw
    sw.check_announced(HOST_ADDR, bmac)
    return sw.describe()


@scenario("2", "failure-driven switch: the active slave loses its carrier (miimon 100)")
def s2(lab):
    bmac = lab.mac(lab.host, "bond0")
    sw = Switch(lab, "2", switch_carrier(lab), expect_addrs=[HOST_ADDR])
    SWITCHES["2"] = sw
    try:
        # the old port is down: nothing can be captured there; the new one is what counts
        sw.check_announced(HOST_ADDR, bmac)
    finally:
        restore_carrier(lab, lab.peer[sw.old])
        lab.quiesce()
    return sw.describe()


def guests_send(lab, names):
    """Each guest pings the switch (untagged) so br0 and the switch learn its MAC."""
    for g in names:
        ns, addr = lab.guests[g]
        r = ns.run(["ping", "-c", "1", "-W", "20", SW_ADDR], check=False, timeout=60)
        check(r.returncode == 0, f"guest {g} cannot ping the switch: {r.stdout} {r.stderr}")


def build_bridge(lab):
    host = lab.host
    host.ip("addr", "del", HOST_ADDR + "/24", "dev", "bond0")
    host.bridge(name="br0")
    host.enslave("bond0", "br0")
    host.addr_add("br0", HOST_ADDR + "/24")
    for g, mac, addr in (("A", GA_MAC, GA_ADDR), ("B", GB_MAC, GB_ADDR)):
        ns = netns.Netns("g" + g, ipv6=False)
        lab.guests[g] = (ns, addr)
        vif, _ = netns.veth(host, ns, name_a="vif" + g, name_b="eth0", mac_b=mac,
                            addr_b=addr + "/24")
        host.enslave(vif, "br0")
    lab.d.wait_for("event=announced", timeout=SLOW, iface="br0", addr=HOST_ADDR)
    wait_until(lambda: lab.host.ip_json("link", "show", "dev", "br0")[0].get("operstate") == "UP",
               SLOW, "br0 up")
    guests_send(lab, ["A", "B"])
    old_port = lab.peer[lab.active()]
    wait_until(lambda: {m for m, p, v in lab.br0_fdb()} >= {GA_MAC, GB_MAC}, SLOW,
               "br0 to learn both guests")
    wait_until(lambda: (lambda f: f.get(GA_MAC) == old_port and
                        f.get(GB_MAC) == old_port)(lab.sw_fdb()),
               SLOW, f"the switch to learn both guests on {old_port}")
    lab.quiesce()


@scenario("3", "br0 on bond0 with two guests: br0's address and one relearn frame per guest")
def s3(lab):
    build_bridge(lab)
    brmac = lab.mac(lab.host, "br0")
    sw = Switch(lab, "3", switch_ip(lab), expect_addrs=[HOST_ADDR], expect_relearn=True)
    SWITCHES["3"] = sw
    sw.check_announced(HOST_ADDR, brmac)
    ra = sw.check_relearn(GA_MAC)
    rb = sw.check_relearn(GB_MAC)
    check(not [f for f in sw.c_new["kernel"] if f.spa == HOST_ADDR],
          "the driver announced br0's address: the lab's premise changed")
    return f"{sw.describe()}; relearn A {ra:.3f} s, B {rb:.3f} s"


def build_vlans(lab):
    host = lab.host
    gb, _ = lab.guests["B"]
    # Both vifs rejoin as fresh ports, so no entry learned before VLAN filtering
    # (VLAN 0) is left over; guest A stays on the default PVID 1, guest B moves to 100.
    for vif in ("vifA", "vifB"):
        host.ip("link", "set", "dev", vif, "nomaster")
    host.ip("link", "set", "dev", "br0", "type", "bridge", "vlan_filtering", "1")
    for vif in ("vifA", "vifB"):
        host.enslave(vif, "br0")
    netns.sh(["bridge", "-n", host.name, "vlan", "del", "dev", "vifB", "vid", "1"])
    netns.sh(["bridge", "-n", host.name, "vlan", "add", "dev", "vifB", "vid", str(VLAN),
              "pvid", "untagged"])
    netns.sh(["bridge", "-n", host.name, "vlan", "add", "dev", "bond0", "vid", str(VLAN)])
    gb.ip("addr", "flush", "dev", "eth0")
    gb.addr_add("eth0", GB_VADDR + "/24")
    lab.guests["B"] = (gb, GB_VADDR)
    host.ip("link", "add", "link", "bond0", "name", f"bond0.{VLAN}", "type", "vlan", "id", str(VLAN))
    host.addr_add(f"bond0.{VLAN}", VLAN_ADDR + "/24")
    host.link_up(f"bond0.{VLAN}")
    lab.d.wait_for("event=announced", timeout=SLOW, iface=f"bond0.{VLAN}", addr=VLAN_ADDR)
    refresh_guests(lab)


def refresh_guests(lab):
    """Guests send again; wait until br0 and the switch have them (on the active slave)."""
    gb, _ = lab.guests["B"]
    guests_send(lab, ["A"])
    vlan_b = VLAN if lab.guests["B"][1] == GB_VADDR else None
    if vlan_b:
        # B's VLAN reaches the switch tagged; an ARP request is enough for learning
        gb.send_frames("eth0", [netns.arp_frame(1, GB_MAC, GB_VADDR, ZERO, "10.0.100.254")])
    else:
        guests_send(lab, ["B"])
    port = lab.peer[lab.active()]
    wait_until(lambda: (GB_MAC, "vifB", vlan_b) in lab.br0_fdb(), SLOW,
               f"br0 to learn guest B (VLAN {vlan_b})")
    vlan_a = 1 if vlan_b else None
    wait_until(lambda: (GA_MAC, "vifA", vlan_a) in lab.br0_fdb(), SLOW,
               f"br0 to learn guest A (VLAN {vlan_a})")
    wait_until(lambda: (lambda f: f.get(GA_MAC) == port and f.get(GB_MAC) == port)(lab.sw_fdb()),
               SLOW, f"the switch to learn both guests on {port}")
    lab.quiesce()


@scenario("4", "VLANs: bond0.100's announcement and guest B's relearn frame carry tag 100")
def s4(lab):
    build_vlans(lab)
    brmac = lab.mac(lab.host, "br0")
    vmac = lab.mac(lab.host, f"bond0.{VLAN}")
    sw = Switch(lab, "4", switch_sysfs(lab), expect_addrs=[HOST_ADDR, VLAN_ADDR],
                expect_relearn=True)
    SWITCHES["4"] = sw
    with open(os.path.join(ARGS.out, "bridge-4.txt"), "w") as f:
        for what in (["vlan", "show"], ["fdb", "show", "br", "br0"]):
            r = netns.sh(["bridge", "-n", lab.host.name] + what, check=False)
            f.write(f"# bridge {' '.join(what)} (host namespace, after the switch)\n{r.stdout}\n")
    sw.check_announced(VLAN_ADDR, vmac, vlan=VLAN)
    sw.check_announced(HOST_ADDR, brmac)
    sw.check_relearn(GB_MAC, vlan=VLAN)
    ga = [f.vlan for f in sw.c_new["relearn"] if f.sha == GA_MAC]
    return f"{sw.describe()}; guest A (br0 VLAN 1, untagged on bond0) relearned with VLAN {ga}"


@scenario("4b", "VLAN-aware bridge: a guest on the untagged PVID VLAN 1 is relearned untagged")
def s4b(lab):
    sw = SWITCHES.get("4")
    check(sw is not None, "scenario 4 did not run")
    # the premise: on the bond's port VLAN 1 is the PVID and leaves untagged
    r = netns.sh(["bridge", "-n", lab.host.name, "-j", "vlan", "show", "dev", "bond0"])
    vl = [v for e in json.loads(r.stdout or "[]") for v in e.get("vlans", []) if v.get("vlan") == 1]
    if not (vl and "Egress Untagged" in vl[0].get("flags", [])):
        raise RuntimeError(f"bond0's bridge port does not send VLAN 1 untagged: {r.stdout}")
    # the bridge sends guest A's frames out of bond0 untagged: so must garpd (bug 4b)
    sw.check_relearn(GA_MAC, vlan=None)
    return "guest A's relearn frame is untagged, as the bridge sends its frames on bond0"


@scenario("5", "the switch's FDB has the guest MACs on the new active port right after the switch")
def s5(lab):
    out = []
    for name in ("3", "4"):
        sw = SWITCHES.get(name)
        check(sw is not None, f"scenario {name} did not run")
        sw.check_fdb([GA_MAC, GB_MAC], lab.peer[sw.new])
        out.append(f"after {name}: on {lab.peer[sw.new]} {sw.fdb_after_s:.1f} s after the command")
    # and they are reachable from the switch at once
    for g in ("A",):
        ns, addr = lab.guests[g]
        r = lab.sw.run(["ping", "-c", "1", "-W", "10", addr], check=False, timeout=60)
        check(r.returncode == 0, f"switch cannot reach guest {g} after the switch")
    return "; ".join(out)


def reload(lab, extra):
    n = lab.count("event=reloaded")
    lab.d.write_config(CONFIG + extra)
    lab.d.signal(signal.SIGHUP)
    lab.wait_count(n + 1, "event=reloaded")


@scenario("6a", "[interface bond0] relearn_guests = no: announcements only, guests stay on the old port")
def s6a(lab):
    reload(lab, "\n[interface bond0]\nrelearn_guests = no\n")
    refresh_guests(lab)
    brmac = lab.mac(lab.host, "br0")
    sw = Switch(lab, "6a", switch_ip(lab), expect_addrs=[HOST_ADDR, VLAN_ADDR], settle=3)
    SWITCHES["6a"] = sw
    sw.check_announced(HOST_ADDR, brmac)
    check(not sw.c_new["relearn"], f"relearn frames sent with relearn_guests = no: "
          f"{[f.summary() for f in sw.c_new['relearn']]}")
    check(not sw.relearn_logs, f"relearn logged with relearn_guests = no: {sw.relearn_logs}")
    stale = {m: sw.fdb.get(m) for m in (GA_MAC, GB_MAC)}
    check(all(p == lab.peer[sw.old] for p in stale.values()),
          f"without relearn frames the switch should keep the guests on {lab.peer[sw.old]}, "
          f"has {stale}: something else moved them, so scenario 5 proves nothing")
    return f"{sw.describe()}; switch FDB keeps the guests on {lab.peer[sw.old]} (the kernel sends nothing for them)"


@scenario("6b", "[interface bond0] on_bond_failover = none: garpd sends nothing on a switch")
def s6b(lab):
    reload(lab, "\n[interface bond0]\non_bond_failover = none\n")
    lab.quiesce()
    worst = max([s.first("garpd") or 0 for s in SWITCHES.values()] +
                [s.first("relearn") or 0 for s in SWITCHES.values()] + [0.5])
    wait = max(3.0, 5 * worst)
    sw = Switch(lab, "6b", switch_ip(lab), expect_failover=False, settle=wait)
    SWITCHES["6b"] = sw
    check(sw.c_new["kernel"], "no gratuitous ARP from the driver either: the switch did not happen?")
    sw.check_no_garpd()
    check(sw.failovers == 0, f"garpd logged a bond failover although on_bond_failover = none")
    return f"{sw.describe()}; watched {wait:.1f} s after the switch"


V6_BR, V6_VLAN = "2001:db8:7::1", "2001:db8:7:100::1"


def unsolicited_na(f):
    """(target, flags, TLLA) of an unsolicited NA (to 33:33:00:00:00:01), else None."""
    off = 14 if f.vlan is None else 18
    ip = f.raw[off:]
    if f.ethertype != 0x86DD or len(ip) < 72 or ip[6] != 58 or ip[40] != 136:
        return None
    if f.dst != "33:33:00:00:00:01":
        return None
    import ipaddress
    target = str(ipaddress.IPv6Address(bytes(ip[48:64])))
    tlla = netns.mac_str(ip[66:72]) if ip[64] == 2 and ip[65] == 1 else None
    return target, ip[44] & 0xE0, tlla


@scenario("7", "IPv6: after a switch, br0's and bond0.100's addresses get one garpd NA each through "
          "the new slave, bond0.100's tagged 100")
def s7(lab):
    host = lab.host
    reload(lab, "")
    for dev in ("all", "default", "br0", f"bond0.{VLAN}"):
        host.sysctl(f"net/ipv6/conf/{dev}/disable_ipv6", "0")  # slashes: bond0.100 has a dot
    host.addr_add("br0", V6_BR + "/64", "nodad")
    host.addr_add(f"bond0.{VLAN}", V6_VLAN + "/64", "nodad")
    for a in (V6_BR, V6_VLAN):
        lab.d.wait_for("event=announced", timeout=SLOW, addr=a)
    lab.quiesce()
    brmac = lab.mac(host, "br0")
    vmac = lab.mac(host, f"bond0.{VLAN}")
    n_sent = {a: lab.count("event=na-sent", addr=a) for a in (V6_BR, V6_VLAN)}
    sw = Switch(lab, "7", switch_ip(lab), expect_addrs=[V6_BR, V6_VLAN], settle=1,
                ethertypes=(netns.ETH_P_ARP, netns.ETH_P_RARP, 0x86DD))
    SWITCHES["7"] = sw
    new = [(f, unsolicited_na(f)) for f in sw.frames[sw.new] if f.ts_ns >= sw.t_cmd]
    old = [(f, unsolicited_na(f)) for f in sw.frames[sw.old] if f.ts_ns >= sw.t_cmd]
    # The bond's NETDEV_NOTIFY_PEERS reaches VLAN devices on it (not a bridge),
    # and the kernel answers it with an unsolicited NA of its own, in the same
    # format as garpd's: bond0.100's address gets two, br0's only garpd's.
    for addr, mac, vlan, kernel in ((V6_BR, brmac, None, 0), (V6_VLAN, vmac, VLAN, 1)):
        mine = [(f, n) for f, n in new if n and n[0] == addr]
        check(len(mine) == 1 + kernel, f"7: want {1 + kernel} NA(s) for {addr} on "
              f"{lab.peer[sw.new]}, got {[f.summary() for f, _ in mine]}")
        sent = [l for l in lab.d.find("event=na-sent", addr=addr)]
        f, (target, flags, tlla) = mine[-1]
        check(f.src == mac and tlla == mac, f"7: NA for {addr} from {f.src}, TLLA {tlla}; want {mac}")
        check(f.vlan == vlan, f"7: NA for {addr} with VLAN {f.vlan}, want {vlan}")
        check(flags == 0x20, f"7: NA for {addr} flags {flags:#x}, want Override only")
        d = (f.ts_ns - sw.t_cmd) / 1e9
        check(d < DELAY_LIMIT_S, f"7: NA for {addr} {d:.3f} s after the switch command")
        check(len(sent) - n_sent[addr] == 1, f"7: garpd sent {len(sent) - n_sent[addr]} NAs "
              f"for {addr} on the switch, want 1")
        check(not [g for g, n in old if n and n[0] == addr],
              f"7: an NA for {addr} left through the old slave {sw.old}")
    return (f"{sw.describe()}; garpd's NAs for {V6_BR} and {V6_VLAN} (tag {VLAN}) through "
            f"{lab.peer[sw.new]}, plus the kernel's own for {V6_VLAN}")


FOM_ADDR = "10.0.0.2"


def bond_state(lab, bond):
    txt = lab.host.run(["cat", f"/proc/net/bonding/{bond}"]).stdout
    active, mii, cur = None, {}, None
    for line in txt.splitlines():
        if line.startswith("Currently Active Slave:"):
            active = line.split(":", 1)[1].strip()
        elif line.startswith("Slave Interface:"):
            cur = line.split(":", 1)[1].strip()
        elif line.startswith("MII Status:") and cur:
            mii[cur] = line.split(":", 1)[1].strip()
    return active, mii


@scenario("8", "fail_over_mac=active: one switch is one failover and one announcement, "
          "with the new MAC, none with the old")
def s8(lab):
    host, sw = lab.host, lab.sw
    # a second bond: fail_over_mac can only be set on a bond without slaves
    host.ip("link", "add", "bond1", "type", "bond", "mode", "active-backup", "miimon", "100",
            "fail_over_mac", "active")
    for i in (2, 3):
        netns.veth(host, sw, name_a=f"eth{i}", name_b=f"sw-eth{i}", up=False)
        sw.enslave(f"sw-eth{i}", "swbr")
        sw.link_up(f"sw-eth{i}")
        host.ip("link", "set", "dev", f"eth{i}", "master", "bond1")
    host.link_up("bond1")
    host.addr_add("bond1", FOM_ADDR + "/24")
    wait_until(lambda: bond_state(lab, "bond1")[1] == {"eth2": "up", "eth3": "up"}, SLOW,
               "bond1's slaves up")
    wait_until(lambda: bond_state(lab, "bond1")[0] in ("eth2", "eth3"), SLOW, "an active slave")
    lab.d.wait_for("event=announced", timeout=SLOW, iface="bond1", addr=FOM_ADDR)
    lab.quiesce()

    old = bond_state(lab, "bond1")[0]
    new = "eth3" if old == "eth2" else "eth2"
    old_mac, new_mac = lab.mac(host, old), lab.mac(host, new)
    check(lab.mac(host, "bond1") == old_mac and old_mac != new_mac,
          "fail_over_mac=active: bond1 should have its active slave's own MAC")
    ports = {s: f"sw-{s}" for s in ("eth2", "eth3")}
    caps = {s: netns.Capture(sw, ports[s], timeout=300, ready_timeout=60) for s in ports}
    n_fail = lab.count("event=bond-failover", iface="bond1")
    n_ann = lab.count("event=announced", addr=FOM_ADDR)
    try:
        t_cmd = time.time_ns()
        host.ip("link", "set", "dev", "bond1", "type", "bond", "active_slave", new)
        wait_until(lambda: bond_state(lab, "bond1")[0] == new, SLOW, f"bond1 to switch to {new}")
        wait_until(lambda: lab.mac(host, "bond1") == new_mac, SLOW, "bond1 to take the new MAC")
        lab.wait_count(n_ann + 1, "event=announced", addr=FOM_ADDR)
        time.sleep(3)  # a second announcement or failover would show by now
    finally:
        frames = {s: c.stop(linger=1.5) for s, c in caps.items()}
    with open(os.path.join(ARGS.out, "frames-7.txt"), "w") as f:
        f.write(f"# 8: bond1 {old} ({old_mac}) -> {new} ({new_mac}); t_cmd {t_cmd}\n")
        for s in ports:
            for fr in frames[s]:
                f.write(f"{ports[s]} {(fr.ts_ns - t_cmd) / 1e6:+10.1f} ms {fr.summary()}\n")
    mine = [f for s in ports for f in classify(frames[s], t_cmd)["garpd"] if f.spa == FOM_ADDR]
    with_new = [f for f in mine if f.sha == new_mac and f.src == new_mac]
    other = [f for f in mine if f not in with_new]
    failovers = lab.count("event=bond-failover", iface="bond1") - n_fail
    announced = lab.count("event=announced", addr=FOM_ADDR) - n_ann
    check(not other, f"garpd announced {FOM_ADDR} with another MAC than the new one ({new_mac}): "
          f"{[f.summary() for f in other]}")
    check(len([f for f in with_new if f.op == 1]) == 1 and len([f for f in with_new if f.op == 2]) == 1,
          f"expected one announcement (request + reply) with {new_mac}, got "
          f"{[f.summary() for f in with_new]}")
    check(failovers == 1, f"one switch logged {failovers} bond failovers")
    check(announced == 1, f"one switch logged {announced} announcements of {FOM_ADDR}")
    d = (with_new[0].ts_ns - t_cmd) / 1e9
    return f"{old}->{new}: one announcement with {new_mac} after {d:.3f} s, one failover logged"


# One ARP reply claiming the address, sent every 40 ms from the peer namespace
# with the given 802.1Q tags ("none": untagged; "100+200": outer 100, inner
# 200); prints "sending" once started.
VLAN_SENDER = r"""
import socket, struct, sys, time
dev, dst, src, addr, vid = sys.argv[1:6]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
mac = lambda m: bytes.fromhex(m.replace(":", ""))
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, mac(src), socket.inet_aton(addr),
                  mac(dst), socket.inet_aton(addr))
tag = b"" if vid == "none" else b"".join(struct.pack("!HH", 0x8100, int(v)) for v in vid.split("+"))
frame = (mac(dst) + mac(src) + tag + b"\x08\x06" + arp).ljust(60 + len(tag), b"\0")
s.send(frame)
print("sending", flush=True)
end = time.monotonic() + 120
while time.monotonic() < end:
    s.send(frame)
    time.sleep(0.04)
"""
VX_MAC, VP_MAC = "02:00:00:00:09:01", "02:00:00:00:09:99"


@scenario("9", "VLAN devices: a reply claiming vx0.100's probed address holds it back only "
          "when it is VLAN 100's; untagged, VID 0, 200, 300 and 100-with-200-inside are no "
          "conflict for it")
def s9(lab):
    host = lab.host
    peer = netns.Netns("vp", ipv6=False)
    try:
        vx, vp = netns.veth(host, peer, name_a="vx0", name_b="vp0", mac_a=VX_MAC, mac_b=VP_MAC)
        host.ip("link", "add", "link", "vx0", "name", "vx0.100", "type", "vlan", "id", "100")
        # reorder_hdr off: the kernel leaves the tag in-band in what vx0.300's sockets read
        host.ip("link", "add", "link", "vx0", "name", "vx0.300", "type", "vlan", "id", "300",
                "reorder_hdr", "off")
        host.link_up("vx0.100")
        host.link_up("vx0.300")
        reload(lab, "\n[interface vx0*]\nprofile = win8\n")
        cases = [  # (device, tag of the claiming reply, destination, conflict expected)
            ("vx0.100", "100", VX_MAC, True),
            ("vx0.100", "none", VX_MAC, False),
            ("vx0.100", "0", BCAST, False),
            ("vx0.100", "200", VX_MAC, False),
            ("vx0.100", "300", BCAST, False),
            # VLAN 100's frame carrying another tag inside: the kernel takes
            # 100 off and hands vx0.100's sockets a frame tagged 200 (or 0)
            ("vx0.100", "100+200", VX_MAC, False),
            ("vx0.100", "100+0", VX_MAC, True),
            ("vx0.300", "300", VX_MAC, True),
            ("vx0.300", "100", BCAST, False),
            ("vx0.300", "300+100", VX_MAC, False),
        ]
        out = []
        for i, (dev, vid, dst, conflict) in enumerate(cases):
            addr = f"10.9.{1 if dev == 'vx0.100' else 3}.{50 + i}"
            sender = peer.popen([sys.executable, "-c", VLAN_SENDER, vp, dst, VP_MAC, addr, vid],
                                stdout=subprocess.PIPE, text=True)
            try:
                check(sender.stdout.readline().strip() == "sending",
                      f"9: the sender for VID {vid} did not start")
                host.addr_add(dev, addr + "/24")
                if conflict:
                    lab.d.wait_for("event=conflict", timeout=SLOW, addr=addr)
                else:
                    lab.d.wait_for("event=announced", timeout=SLOW, addr=addr)
            finally:
                sender.kill()
                sender.wait()
            what = f"9: {addr} on {dev}, reply tagged {vid} to {dst}"
            if conflict:
                check(not lab.d.find("event=announced", addr=addr), f"{what}: announced")
            else:
                check(not lab.d.find("event=conflict", addr=addr),
                      f"{what}: counted as a conflict")
            out.append(f"{dev} tag {vid}: {'held' if conflict else 'announced'}")
            host.ip("addr", "del", addr + "/24", "dev", dev)
        return "; ".join(out)
    finally:
        peer.delete()


def main():
    if os.geteuid() != 0:
        netns.skip("needs root")
    booted = None
    try:
        booted = float(open("/lab/run/booted").read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    log(f"lab: kernel {os.uname().release}; script started {booted} s after the kernel")
    TIMINGS["boot_s"] = booted
    lab = Lab()
    rc = 1
    try:
        t0 = time.monotonic()
        try:
            build_bond(lab)
        except Exception as e:
            traceback.print_exc(file=sys.stdout)
            RESULTS.append({"name": "setup", "status": "FAIL", "seconds": 0, "title": "setup",
                            "detail": f"{type(e).__name__}: {e}"})
            log(f"FAIL setup: {e}")
            raise
        TIMINGS["setup_s"] = round(time.monotonic() - t0, 1)
        log(f"setup: bond0 over eth0/eth1, garpd ready ({TIMINGS['setup_s']} s)")
        only = [n for n in ARGS.only.split(",") if n]
        for s in (s1a, s1b, s2, s3, s4, s4b, s5, s6a, s6b, s7, s8, s9):
            if not only or s.name in only:
                s(lab)
        rcg, took = lab.d.stop(timeout=60)
        asan = [l for l in lab.d.lines if "Sanitizer" in l or "runtime error" in l]
        status = "PASS" if rcg == 0 and not asan else "FAIL"
        RESULTS.append({"name": "stop", "title": "garpd exits 0 on SIGTERM, no sanitizer report",
                        "status": status, "seconds": round(took, 1),
                        "detail": f"exit {rcg}" + (f"; {asan[:3]}" if asan else "")})
        log(f"{status} stop: garpd exit status {rcg}, {len(asan)} sanitizer lines")
    except Exception:
        pass
    finally:
        if lab.d:
            with open(os.path.join(ARGS.out, "garpd.log"), "w") as f:
                f.write("\n".join(lab.d.lines) + "\n")
        if lab.monitor:
            lab.monitor.terminate()
        TIMINGS["total_s"] = round(time.monotonic() - T_START, 1)
        TIMINGS["switches"] = {n: s.delays() for n, s in SWITCHES.items()}
        passed = sum(r["status"] in ("PASS", "XFAIL") for r in RESULTS)
        failed = sum(r["status"] not in ("PASS", "XFAIL") for r in RESULTS)
        with open(os.path.join(ARGS.out, "results.json"), "w") as f:
            json.dump({"results": RESULTS, "timings": TIMINGS}, f, indent=1)
        for n, dl in TIMINGS["switches"].items():
            log(f"timing {n}: " + " ".join(f"{k}={v}" for k, v in dl.items()))
        log(f"timing: scenarios took {TIMINGS['total_s']} s in the VM")
        log(f"{passed} passed, {failed} failed")
        rc = 0 if failed == 0 and RESULTS else 1
        netns._cleanup_all()
    sys.exit(rc)


if __name__ == "__main__":
    main()
