#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpd benchmarks (issue 8): scale against the raw limit and the peers,
reaction latency against a floor, idle cost on a flooded segment.

Run by scripts/bench (release build, every scenario) and by the meson test
bench-smoke (--smoke: N = 100, correctness assertions only). Everything
happens in namespaces created here (netns.py), removed on every exit path.

Programs come from the environment: GARPD_GARPD, GARPD_BENCH_CAPTURE,
GARPD_BENCH_SEND, GARPD_BENCH_NETLINK.
"""

import argparse
import collections
import ipaddress
import json
import os
import platform
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import converge
import netns

REC = struct.Struct("<QIIHBB4s")   # bench_capture's record
BASE = "10.0.0.1"                  # address i is BASE + i
TICK_NS = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
CAP_RCVBUF = 512 << 20             # observer's SO_RCVBUFFORCE (bytes)


class Invalid(Exception):
    """A run whose figures must not be reported (drops, wrong frames)."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def addr_int(s):
    return struct.unpack("<I", socket.inet_aton(s))[0]   # as bench_capture stores it


def addrs(base, n):
    b = struct.unpack("!I", socket.inet_aton(base))[0]
    return [socket.inet_ntoa(struct.pack("!I", b + i)) for i in range(n)]


# --- /proc --------------------------------------------------------------------

def cpu_ns(pid):
    """CPU time of @pid: schedstat's ns sum if there, else utime+stime."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return stat_cpu_ns(pid)


def stat_cpu_ns(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_NS   # utime, stime


def status(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].split()[0]
    return None


def link_drops(ns, dev):
    st = ns.ip_json("-s", "link", "show", "dev", dev)[0].get("stats64", {})
    return sum(st.get(d, {}).get(k, 0) for d in ("rx", "tx") for k in ("dropped", "missed"))


def softnet_drops():
    """Backlog drops (global, all CPUs): the second column of softnet_stat."""
    with open("/proc/net/softnet_stat") as f:
        return sum(int(l.split()[1], 16) for l in f if l.strip())


# --- programs -----------------------------------------------------------------

class Capture:
    """bench_capture in @ns on @dev; records read when it ends."""

    def __init__(self, ns, dev, count, timeout_s, path):
        self.path = path
        cmd = [netns.binary("GARPD_BENCH_CAPTURE"), "-o", path, "-c", str(count),
               "-t", str(int(timeout_s * 1000)), "-b", str(CAP_RCVBUF), dev]
        self.proc = ns.popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise RuntimeError(f"bench_capture did not start: {line}{self.proc.stderr.read()}")

    def wait(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        return self._finish()

    def stop(self, linger=0.2):
        if self.proc.poll() is None:
            time.sleep(linger)
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)
        return self._finish()

    def _finish(self):
        err = self.proc.stderr.read()
        kv = {}
        for line in err.splitlines():
            if line.startswith("stats "):
                kv = dict(x.split("=", 1) for x in line.split()[1:])
        if self.proc.returncode != 0 or "drops" not in kv:
            raise RuntimeError(f"bench_capture exited {self.proc.returncode}: {err}")
        self.drops = int(kv["drops"])
        with open(self.path, "rb") as f:
            self.recs = list(REC.iter_unpack(f.read()))
        os.unlink(self.path)
        return self.recs


class Garpd:
    """garpd in @ns with @config; log to a file (read, not piped, to cost nothing)."""

    def __init__(self, ns, config, workdir):
        self.log_path = os.path.join(workdir, "garpd.log")
        conf = os.path.join(workdir, "garpd.conf")
        with open(conf, "w") as f:
            f.write(config)
        self.logf = open(self.log_path, "w")
        cmd = [netns.binary("GARPD_GARPD"), "--foreground", "--config", conf,
               "--control-socket", os.path.join(workdir, "control")]
        self.proc = ns.popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=self.logf)
        self.pid = self.proc.pid
        self.wait_for("event=ready", 1, 15)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def count(self, pattern):
        """Events logged: a burst's summary line (count=N) stands for N."""
        n = 0
        for line in self.text().splitlines():
            if pattern in line:
                m = re.search(r"\bcount=(\d+)", line)
                n += int(m.group(1)) if m else 1
        return n

    def wait_for(self, pattern, n, timeout):
        end = time.monotonic() + timeout
        while self.count(pattern) < n:
            if self.proc.poll() is not None:
                raise RuntimeError(f"garpd exited {self.proc.returncode}:\n{self.text()[-2000:]}")
            if time.monotonic() > end:
                raise RuntimeError(f"garpd: fewer than {n} '{pattern}' in {timeout} s")
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


# Addresses per announcer interface (see links_for).
class Floor:
    """`bench_netlink floor` in @ns, subscribed (it said "ready") on return."""

    def __init__(self, ns, iface, mode=None):
        cmd = [netns.binary("GARPD_BENCH_NETLINK"), "floor", iface] + ([mode] if mode else [])
        self.proc = ns.popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        if self.proc.stderr.readline().strip() != "ready":
            self.stop()
            raise RuntimeError("floor did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


PER_LINK = int(os.environ.get("GARPD_BENCH_PER_LINK", "10000"))


def links_for(n):
    """The kernel keeps an interface's IPv4 addresses in a list that every add
    walks: 100,000 adds to one interface take tens of minutes, so above
    PER_LINK addresses they are spread over several veth pairs."""
    return max(1, -(-n // PER_LINK))


class Segment:
    """Announcer and observer namespaces joined by @links veth pairs; the
    observer's ends are 'arp off'. With several pairs the capture listens on
    every interface of the observer (not a bridge: it would flood each frame
    back into the announcer through the other pairs, and the announcer's
    kernel would answer probes for its own addresses there, "ARP flux")."""

    def __init__(self, links=1, ipv6=False):
        self.a = netns.Netns("gba", ipv6=ipv6)
        self.o = netns.Netns("gbo", ipv6=False)
        self.ia, self.io = [], []
        for _ in range(links):
            x, y = netns.veth(self.a, self.o, prefix="gbv")
            self.o.ip("link", "set", "dev", y, "arp", "off")
            self.ia.append(x)
            self.io.append(y)
        self.cap_dev = self.io[0] if links == 1 else "any"

    def drops(self):
        return (sum(link_drops(self.a, d) for d in self.ia) +
                sum(link_drops(self.o, d) for d in self.io))

    def delete(self):
        self.a.delete()
        self.o.delete()


def batch_file(workdir, devs, alist):
    """ip -batch lines; address i on devs[i % len(devs)]."""
    if isinstance(devs, str):
        devs = [devs]
    path = os.path.join(workdir, "add.batch")
    with open(path, "w") as f:
        f.writelines(f"address add {x}/32 dev {devs[i % len(devs)]}\n"
                     for i, x in enumerate(alist))
    return path


# --- analysis -----------------------------------------------------------------

def analyse(recs, alist, kind):
    """Check every address got exactly its frames; times of the frames."""
    want = ["P", "P", "P", "A"] if kind == "win8" else ["A"]
    keys = {addr_int(x) for x in alist}
    per = collections.defaultdict(list)
    extra = 0
    for ts, spa, tpa, op, tha0, ln, sha in recs:
        if tpa not in keys:
            extra += 1
            continue
        per[tpa].append((ts, "P" if spa == 0 else "A" if spa == tpa else "?"))
    bad = 0
    dev = 0
    for k in keys:
        seq = sorted(per.get(k, []))
        if [x[1] for x in seq] != want:
            bad += 1
            continue
        if kind == "win8":
            dev = max(dev, abs(seq[3][0] - (seq[0][0] + 3_000_000_000)))
    ts = [r[0] for r in recs]
    return {
        "observed": len(recs), "bad_addresses": bad, "extra": extra,
        "first_ts": min(ts) if ts else None, "last_ts": max(ts) if ts else None,
        "max_dev_ms": dev / 1e6 if kind == "win8" else None,
    }


# Frames closer together than this on the observer left garpd in one burst.
BURST_GAP_NS = 300_000


def schedule_of(recs):
    """The bursts in which frames reached the observer: [(offset_ns, count)]."""
    ts = sorted(r[0] for r in recs)
    out = []
    for t in ts:
        if out and t - last < BURST_GAP_NS:
            out[-1][1] += 1
        else:
            out.append([t - ts[0], 1])
        last = t
    return out


def frames_per(kind):
    return 4 if kind == "win8" else 1


def check_valid(name, res):
    problems = []
    if res["drops"]:
        problems.append(f"{res['drops']} drops")
    if res["observed"] != res["expected"]:
        problems.append(f"{res['observed']} frames observed, {res['expected']} expected")
    if res.get("bad_addresses"):
        problems.append(f"{res['bad_addresses']} addresses without exactly their frames")
    if res.get("extra"):
        problems.append(f"{res['extra']} frames for addresses never added")
    res["valid"] = not problems
    res["problems"] = "; ".join(problems)
    if problems:
        log(f"  INVALID {name}: {res['problems']}")


# --- scenarios ----------------------------------------------------------------

def capture_timeout(n, kind):
    return 60 + n * 0.004 + (4 if kind == "win8" else 0)


def scale_garpd(workdir, kind, n, batch_window=None):
    """Scenario 1: N addresses in one ip -batch while garpd runs."""
    alist = addrs(BASE, n)
    k = frames_per(kind)
    seg = Segment(links_for(n))
    a = seg.a
    g = None
    try:
        bf = batch_file(workdir, seg.ia, alist)
        conf = f"[sequence]\nprofile = {kind}\nmax_frames_per_second = 0\n"
        if batch_window is not None:
            conf = f"[daemon]\nbatch_window = {batch_window}\n" + conf
        g = Garpd(a, conf, workdir)
        cap = Capture(seg.o, seg.cap_dev, n * k, capture_timeout(n, kind),
                      os.path.join(workdir, "cap.bin"))
        d0 = seg.drops()
        s0 = softnet_drops()
        c0, st0 = cpu_ns(g.pid), stat_cpu_ns(g.pid)
        t0 = time.time_ns()
        netns.sh(["ip", "-n", a.name, "-batch", bf], timeout=capture_timeout(n, kind))
        t_added = time.time_ns()
        recs = cap.wait(capture_timeout(n, kind) + 10)
        time.sleep(0.3)     # what garpd does after its last frame (logging) counts too
        c1, st1 = cpu_ns(g.pid), stat_cpu_ns(g.pid)
        res = analyse(recs, alist, kind)
        name = f"garpd {kind}" if batch_window is None else f"garpd bw={batch_window} {kind}"
        res.update(scenario=name, n=n, expected=n * k,
                   cpu_ns=c1 - c0, stat_cpu_ms=(st1 - st0) / 1e6,
                   wall_ms=(res["last_ts"] - t0) / 1e6 if res["last_ts"] else None,
                   add_ms=(t_added - t0) / 1e6,
                   rss_kb=int(status(g.pid, "VmHWM")), links=len(seg.ia),
                   drops=cap.drops + seg.drops() - d0,
                   softnet_drops=softnet_drops() - s0)
        res["resyncs"] = g.count("event=netlink-overflow")
        res["schedule"] = schedule_of(recs)
        res["bursts"] = len(res["schedule"])
        g.stop()  # at stop garpd writes the burst summaries still pending
        announced = g.count("event=announced")
        g = None
        if announced != n:
            res["bad_addresses"] = max(res["bad_addresses"], n - announced)
        return res
    finally:
        if g:
            g.stop()
        seg.delete()


BASE6 = "2001:db8:b::"


def addrs6(n):
    b = int(ipaddress.IPv6Address(BASE6)) + 1
    return [str(ipaddress.IPv6Address(b + i)) for i in range(n)]


def na_counter(ns, dev):
    """An nftables counter of the ICMPv6 neighbour advertisements reaching @dev
    (netdev ingress: the observer's own IPv6 stack is off)."""
    ns.run(["nft", "-f", "-"], input=(
        "table netdev gbench {\n"
        f" chain in {{ type filter hook ingress device \"{dev}\" priority 0; }}\n"
        "}\n"
        "add rule netdev gbench in ether type ip6 ip6 nexthdr ipv6-icmp "
        "icmpv6 type nd-neighbor-advert counter\n"))

    def read():
        out = ns.run(["nft", "list", "chain", "netdev", "gbench", "in"]).stdout
        m = re.search(r"counter packets (\d+)", out)
        return int(m.group(1)) if m else 0
    return read


def scale_garpd_v6(workdir, n):
    """Scenario 1 for IPv6: N nodad addresses in one ip -batch while garpd runs
    (immediate profile: one NA each). The NAs are counted by the observer's
    ingress counter; garpd's log says which addresses were advertised."""
    alist = addrs6(n)
    seg = Segment(links_for(n), ipv6=True)
    a = seg.a
    g = None
    try:
        path = os.path.join(workdir, "add6.batch")
        with open(path, "w") as f:
            f.writelines(f"address add {x}/128 dev {seg.ia[i % len(seg.ia)]} nodad\n"
                         for i, x in enumerate(alist))
        conf = "[sequence]\nprofile = immediate\nmax_frames_per_second = 0\n"
        g = Garpd(a, conf, workdir)
        assert len(seg.io) == 1, "the IPv6 row runs up to PER_LINK addresses"
        reads = [na_counter(seg.o, seg.io[0])]
        d0 = seg.drops()
        c0 = cpu_ns(g.pid)
        t0 = time.time_ns()
        netns.sh(["ip", "-n", a.name, "-batch", path], timeout=capture_timeout(n, "immediate"))
        end = time.monotonic() + capture_timeout(n, "immediate")
        seen = 0
        t_last = None
        while time.monotonic() < end:
            seen = sum(r() for r in reads)
            if seen >= n:
                t_last = time.time_ns()
                break
            time.sleep(0.05)
        time.sleep(0.3)     # what garpd does after its last frame (logging) counts too
        c1 = cpu_ns(g.pid)
        seen = sum(r() for r in reads)
        res = {"scenario": "garpd ipv6 immediate", "n": n, "expected": n, "observed": seen,
               "cpu_ns": c1 - c0, "wall_ms": (t_last - t0) / 1e6 if t_last else None,
               "rss_kb": int(status(g.pid, "VmHWM")), "links": len(seg.ia),
               "drops": seg.drops() - d0, "extra": max(0, seen - n), "bad_addresses": 0,
               "max_dev_ms": None}
        g.stop()  # at stop garpd writes the burst summaries still pending
        announced = g.count("event=announced")
        g = None
        if announced != n:
            res["bad_addresses"] = abs(n - announced)
        return res
    finally:
        if g:
            g.stop()
        seg.delete()


def scale_floor(workdir, n):
    """The floor of an event-driven announcer in scenario 1 (immediate): one
    netlink subscription, one send() per new address, nothing else."""
    alist = addrs(BASE, n)
    seg = Segment(links_for(n))
    fl = None
    try:
        bf = batch_file(workdir, seg.ia, alist)
        fl = Floor(seg.a, "any", "announce")
        cap = Capture(seg.o, seg.cap_dev, n, capture_timeout(n, "immediate"),
                      os.path.join(workdir, "cap.bin"))
        d0 = seg.drops()
        c0 = cpu_ns(fl.pid)
        t0 = time.time_ns()
        netns.sh(["ip", "-n", seg.a.name, "-batch", bf], timeout=capture_timeout(n, "immediate"))
        recs = cap.wait(capture_timeout(n, "immediate") + 10)
        time.sleep(0.3)
        c1 = cpu_ns(fl.pid)
        res = analyse(recs, alist, "immediate")
        res.update(scenario="floor immediate", n=n, expected=n, cpu_ns=c1 - c0,
                   wall_ms=(res["last_ts"] - t0) / 1e6 if res["last_ts"] else None,
                   rss_kb=int(status(fl.pid, "VmHWM")), links=len(seg.ia),
                   drops=cap.drops + seg.drops() - d0, max_dev_ms=None)
        return res
    finally:
        if fl:
            fl.stop()
        seg.delete()


def scale_limit(workdir, kind, n, batch=64, schedule=None):
    """Scenario 2: the same frames, prebuilt, sendmmsg() on one AF_PACKET socket:
    back to back, or (paced) in the bursts of @schedule, garpd's from the same N."""
    alist = addrs(BASE, n)
    k = frames_per(kind)
    seg = Segment(links_for(n))
    try:
        cap = Capture(seg.o, seg.cap_dev, n * k, capture_timeout(n, kind),
                      os.path.join(workdir, "cap.bin"))
        d0 = seg.drops()
        t0 = time.time_ns()
        cmd = [netns.binary("GARPD_BENCH_SEND"), "limit", ",".join(seg.ia), BASE, str(n), kind,
               str(batch)]
        if schedule:
            path = os.path.join(workdir, "schedule.txt")
            with open(path, "w") as f:
                f.writelines(f"{off} {cnt}\n" for off, cnt in schedule)
            cmd.append(path)
        out = seg.a.run(cmd, timeout=capture_timeout(n, kind)).stdout
        kv = dict(x.split("=") for x in out.split())
        recs = cap.wait(30)
        res = analyse(recs, alist, kind)
        res.update(scenario=f"{'paced limit' if schedule else 'limit'} {kind}", n=n,
                   expected=n * k, cpu_ns=int(kv["cpu_ns"]),
                   wall_ms=(res["last_ts"] - t0) / 1e6 if res["last_ts"] else None,
                   drops=cap.drops + seg.drops() - d0, links=len(seg.ia),
                   max_dev_ms=None)
        return res
    finally:
        seg.delete()


def peer(workdir, name, n):
    """Scenario 5: the tools used today, immediate, one frame (or more) per address."""
    alist = addrs(BASE, n)
    seg = Segment(links_for(n))
    a, o, ia, io = seg.a, seg.o, seg.ia[0], seg.io[0]
    procs = []
    try:
        mac = a.mac(ia)
        if name == "keepalived":
            # keepalived faults on an interface without an IPv4 address.
            a.addr_add(ia, "192.168.255.1/24")
            exe = shutil.which("keepalived")
            conf = os.path.join(workdir, "keepalived.conf")
            with open(conf, "w") as f:
                f.write("global_defs {\n  vrrp_garp_master_refresh 0\n}\n"
                        "vrrp_instance bench {\n  state MASTER\n"
                        f"  interface {ia}\n  virtual_router_id 51\n  priority 255\n"
                        "  advert_int 1\n  garp_master_delay 0\n  garp_master_repeat 1\n"
                        f"  virtual_ipaddress {{\n    {alist[0]}/32\n  }}\n")
                if n > 1:
                    f.write("  virtual_ipaddress_excluded {\n")
                    f.writelines(f"    {x}/32\n" for x in alist[1:])
                    f.write("  }\n")
                f.write("}\n")
            cap = Capture(o, io, n, capture_timeout(n, "immediate"),
                          os.path.join(workdir, "cap.bin"))
            d0 = link_drops(a, ia) + link_drops(o, io)
            t0 = time.time_ns()
            kl = a.popen([exe, "-n", "-l", "--vrrp", "-f", conf,
                          "-p", os.path.join(workdir, "k.pid"),
                          "-r", os.path.join(workdir, "k-vrrp.pid")],
                         stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(workdir, "keepalived.log"), "w"))
            procs.append(kl)
            recs = cap.wait(capture_timeout(n, "immediate") + 10)
            if not recs:
                with open(os.path.join(workdir, "keepalived.log")) as f:
                    log("keepalived sent nothing; its log ends:\n" + f.read()[-3000:])
            time.sleep(0.3)
            pids = [kl.pid] + [int(p) for p in os.listdir("/proc") if p.isdigit()
                               and _ppid(int(p)) == kl.pid]
            cpu = sum(cpu_ns(p) for p in pids)
            rss = sum(int(status(p, "VmHWM") or 0) for p in pids)
        else:
            bf = batch_file(workdir, ia, alist)
            if name == "arping":
                cmd = ["xargs", "-P", "64", "-n", "1", shutil.which("arping"), "-q", "-U",
                       "-c", "1", "-w", "1", "-I", ia]
            else:
                cmd = ["xargs", "-P", "64", "-I", "{}", send_arp_path(), "-r", "1", ia, "{}",
                       "auto", "not_used", "not_used"]
            # Count 0: every frame, however many a tool sends per address.
            cap = Capture(o, io, 0, capture_timeout(n, "immediate") + n * 0.02,
                          os.path.join(workdir, "cap.bin"))
            d0 = link_drops(a, ia) + link_drops(o, io)
            t0 = time.time_ns()
            netns.sh(["ip", "-n", a.name, "-batch", bf], timeout=capture_timeout(n, "immediate"))
            p = a.popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                        stderr=open(os.path.join(workdir, f"{name}.log"), "w"), text=True)
            procs.append(p)
            p.stdin.write("".join(x + "\n" for x in alist))
            p.stdin.close()
            _, _, ru = os.wait4(p.pid, 0)
            p.returncode = 0
            cpu = int((ru.ru_utime + ru.ru_stime) * 1e9)
            rss = None   # ru_maxrss here would be the forked Python's, not a tool's
            recs = cap.stop(linger=1.0)
        res = analyse(recs, alist, "immediate")
        # A peer may send more than one frame per address: count addresses, not frames.
        per = collections.Counter(r[2] for r in recs)
        keys = [addr_int(x) for x in alist]
        res.update(scenario=name, n=n, expected=n, cpu_ns=cpu,
                   wall_ms=(res["last_ts"] - t0) / 1e6 if res["last_ts"] else None,
                   rss_kb=rss, drops=cap.drops + link_drops(a, ia) + link_drops(o, io) - d0,
                   max_dev_ms=None,
                   frames_per_addr=len(recs) / n,
                   missing=sum(1 for k_ in keys if not per.get(k_)))
        if res["missing"] == 0 and res["extra"] == 0:
            # Reported per frame observed; validity: every address got its frames.
            res["expected"] = res["observed"]
            res["bad_addresses"] = 0
        return res
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        seg.delete()


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None


def send_arp_path():
    for p in ("/usr/libexec/heartbeat/send_arp", "/usr/lib/heartbeat/send_arp"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("send_arp")


def latency(workdir, n=200, interval_ms=10):
    """Scenario 3: add → first probe on the wire, garpd and the floor."""
    out = {}
    for who in ("garpd", "floor"):
        seg = Segment()
        a, o, ia, io = seg.a, seg.o, seg.ia[0], seg.io[0]
        g = fl = None
        try:
            if who == "garpd":
                g = Garpd(a, "", workdir)
            else:
                fl = Floor(a, ia)
            cap = Capture(o, io, n * (4 if who == "garpd" else 1), n * interval_ms / 1000 + 15,
                          os.path.join(workdir, "cap.bin"))
            added = a.run([netns.binary("GARPD_BENCH_NETLINK"), "add", ia, BASE, str(n),
                           str(interval_ms)], timeout=n * interval_ms / 1000 + 30).stdout
            recs = cap.wait(n * interval_ms / 1000 + 25) if who == "garpd" else cap.wait(10)
            t_add = {addr_int(x): int(t) for x, t in (l.split() for l in added.splitlines())}
            first = {}
            for ts, spa, tpa, *_ in recs:
                if spa == 0 and tpa in t_add and (tpa not in first or ts < first[tpa]):
                    first[tpa] = ts
            lat = sorted((first[k] - t_add[k]) / 1000 for k in first)   # µs
            out[who] = {"n": n, "answered": len(lat), "drops": cap.drops,
                        "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
                        "max_us": lat[-1] if lat else None}
        finally:
            for p in (g, fl):
                if p:
                    p.stop()
            seg.delete()
    return out


def pacing(workdir, n=1000, intervals_ms=(1, 2, 5)):
    """Scenario 6 (explains 100,000): @n addresses added one at a time,
    @intervals_ms apart, with garpd (immediate) and then the floor: CPU per
    address and wake-ups per address. At 100,000 the kernel adds ~1.5 ms
    apart, so what an isolated event costs is what that row measures."""
    out = []
    for interval in intervals_ms:
        for who in ("garpd", "floor"):
            seg = Segment()
            a, o, ia, io = seg.a, seg.o, seg.ia[0], seg.io[0]
            g = fl = None
            try:
                if who == "garpd":
                    g = Garpd(a, "[sequence]\nprofile = immediate\nmax_frames_per_second = 0\n",
                              workdir)
                else:
                    fl = Floor(a, ia, "announce")
                pid = (g or fl).pid
                cap = Capture(o, io, n, n * interval / 1000 + 15, os.path.join(workdir, "cap.bin"))
                c0, v0 = cpu_ns(pid), int(status(pid, "voluntary_ctxt_switches"))
                a.run([netns.binary("GARPD_BENCH_NETLINK"), "add", ia, BASE, str(n), str(interval)],
                      timeout=n * interval / 1000 + 30)
                recs = cap.wait(10)
                time.sleep(0.2)
                c1, v1 = cpu_ns(pid), int(status(pid, "voluntary_ctxt_switches"))
                out.append({"who": who, "n": n, "interval_ms": interval,
                            "observed": len(recs), "drops": cap.drops,
                            "cpu_us_per_addr": (c1 - c0) / 1e3 / n,
                            "wakeups_per_addr": (v1 - v0) / n})
            finally:
                for p in (g, fl):
                    if p:
                        p.stop()
                seg.delete()
    return out


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, -(-len(sorted_vals) * p // 100) - 1))
    return sorted_vals[int(i)]


def idle(workdir, seconds=10, rate=10000, n=100):
    """Scenario 4: garpd with N addresses, a third namespace floods the segment."""
    a = netns.Netns("gba", ipv6=False)
    o = netns.Netns("gbo", ipv6=False)
    fns = netns.Netns("gbf", ipv6=False)
    g = fl = None
    try:
        br = o.bridge(prefix="gbb")
        o.ip("link", "set", "dev", br, "arp", "off")
        ia, pa = netns.veth(a, o, prefix="gbv")
        iff, pf = netns.veth(fns, o, prefix="gbv")
        o.enslave(pa, br)
        o.enslave(pf, br)
        g = Garpd(a, "[sequence]\nprofile = immediate\n", workdir)
        a.ip("-batch", batch_file(workdir, ia, addrs(BASE, n)))
        g.wait_for("event=announced", n, 20)
        time.sleep(0.5)
        rx0 = a.ip_json("-s", "link", "show", "dev", ia)[0]["stats64"]["rx"]["packets"]
        fl = fns.popen([netns.binary("GARPD_BENCH_SEND"), "flood", iff, str(rate),
                        str(seconds + 2)], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        v0 = int(status(g.pid, "voluntary_ctxt_switches"))
        nv0 = int(status(g.pid, "nonvoluntary_ctxt_switches"))
        c0 = cpu_ns(g.pid)
        time.sleep(seconds)
        v1 = int(status(g.pid, "voluntary_ctxt_switches"))
        nv1 = int(status(g.pid, "nonvoluntary_ctxt_switches"))
        c1 = cpu_ns(g.pid)
        fl.wait(timeout=20)
        rx1 = a.ip_json("-s", "link", "show", "dev", ia)[0]["stats64"]["rx"]["packets"]
        return {"seconds": seconds, "rate": rate, "n": n, "flood_rx": rx1 - rx0,
                "voluntary": v1 - v0, "nonvoluntary": nv1 - nv0, "cpu_us": (c1 - c0) / 1000}
    finally:
        if fl and fl.poll() is None:
            fl.kill()
            fl.wait()
        if g:
            g.stop()
        for ns in (a, o, fns):
            ns.delete()


# --- output -------------------------------------------------------------------

COLS = ["scenario", "N", "CPU ms", "CPU µs/frame", "× limit", "× paced", "CPU × garpd", "wall ms",
        "frames exp/obs", "frames/addr", "RSS KiB", "drops", "resyncs", "max ann. dev ms", "runs",
        "valid"]


def kind_of(r):
    last = r["scenario"].split()[-1]
    return last if last in ("win8", "immediate") else "immediate"


def span(vals, fmt):
    """min–max of @vals (one figure when they print alike)."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    lo, hi = fmt.format(min(vals)), fmt.format(max(vals))
    return lo if lo == hi else f"{lo}–{hi}"


def rows(results):
    """CPU figures as min–max over the runs (cpu_runs_ms); a ratio's range
    pairs the runs in order (run i of garpd with run i of the limit: they
    ran minutes apart at most). Wall time, RSS and the rest: the run with
    the median CPU time."""
    def cpu_runs(r):
        return r.get("cpu_runs_ms") or [r["cpu_ns"] / 1e6]

    def per_frame(r):
        return [ms * 1000 / r["observed"] for ms in cpu_runs(r)] if r["observed"] else []

    def ratios(a, b):
        return [x / y for x, y in zip(a, b) if y]

    limits = {(kind_of(r), r["n"]): r for r in results if r["scenario"].startswith("limit ")}
    paced = {(kind_of(r), r["n"]): r for r in results if r["scenario"].startswith("paced ")}
    garpd = {r["n"]: r for r in results if r["scenario"] == "garpd immediate"}
    out = []
    for r in results:
        g = garpd.get(r["n"])
        xg = ratios(cpu_runs(r), cpu_runs(g)) if g and not r["scenario"].startswith(
            ("garpd", "limit", "paced")) else []
        pf = per_frame(r)
        lim = limits.get((kind_of(r), r["n"]))
        ratio = ratios(pf, per_frame(lim)) if lim else []
        pc = paced.get((kind_of(r), r["n"]))
        xp = ratios(pf, per_frame(pc)) if pc and r["scenario"].startswith("garpd") else []
        runs = r.get("cpu_runs_ms")
        out.append([r["scenario"], f"{r['n']:,}", span(cpu_runs(r), "{:.1f}"),
                    span(pf, "{:.2f}"), span(ratio, "{:.2f}"), span(xp, "{:.2f}"),
                    span(xg, "{:.1f}"),
                    f"{r['wall_ms']:.0f}" if r.get("wall_ms") else "-",
                    f"{r['expected']:,}/{r['observed']:,}",
                    f"{r['observed'] / r['n']:.2f}",
                    f"{r['rss_kb']:,}" if r.get("rss_kb") else "-",
                    str(r["drops"]), str(r.get("resyncs", "-")),
                    f"{r['max_dev_ms']:.1f}" if r.get("max_dev_ms") is not None else "-",
                    str(len(runs)) if runs else "1",
                    "yes" if r["valid"] else "NO: " + r["problems"]])
    return out


def table_text(results):
    rs = [COLS] + rows(results)
    w = [max(len(r[i]) for r in rs) for i in range(len(COLS))]
    return "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rs)


def table_md(results):
    rs = rows(results)
    lines = ["| " + " | ".join(COLS) + " |", "|" + "---|" * len(COLS)]
    lines += ["| " + " | ".join(r) + " |" for r in rs]
    return "\n".join(lines)


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs, {model}, Linux {platform.release()}"


# One colour per series (gnuplot's default cycle repeats after eight).
PALETTE = ["#9400d3", "#009e73", "#56b4e9", "#e69f00", "#f0e442", "#0072b2", "#d55e00",
           "#000000", "#cc79a7", "#808080", "#8b4513", "#00ced1"]


def plot(results, outdir):
    """CPU per address against N, log-log, with gnuplot."""
    gp = shutil.which("gnuplot")
    if not gp:
        log("gnuplot not found: no plot")
        return None
    series = collections.defaultdict(list)
    for r in results:
        if r["valid"]:
            series[r["scenario"]].append((r["n"], r["cpu_ns"] / 1000 / r["n"]))
    files = []
    for name, pts in sorted(series.items()):
        path = os.path.join(outdir, name.replace(" ", "_") + ".dat")
        with open(path, "w") as f:
            f.writelines(f"{x} {y}\n" for x, y in sorted(pts))
        files.append((path, name))
    png = os.path.join(outdir, "results.png")
    script = (f"set terminal pngcairo size 900,600 font ',11'\nset output '{png}'\n"
              "set logscale xy\nset xlabel 'addresses (N)'\n"
              "set ylabel 'CPU per address (µs)'\nset key outside right\n"
              "set grid\nset title 'CPU per address, garpd vs the raw limit and the peers'\n"
              "plot " + ", ".join(
                  f"'{p}' using 1:2 with linespoints lw 2 lc rgb '{PALETTE[i % len(PALETTE)]}'"
                  f"{' dt 2' if 'limit' in t or 'floor' in t else ''} title '{t}' noenhanced"
                  for i, (p, t) in enumerate(files)) + "\n")
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        log(f"gnuplot failed: {r.stderr}")
        return None
    return png


# --- main ---------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="N = 100, assertions only")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--peer-sizes", default="1000,10000")
    ap.add_argument("--peers", default="arping,send_arp,keepalived")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per scale scenario up to N = 10,000; the median is reported")
    ap.add_argument("--batch-window", default=None,
                    help="garpd's batch_window in the scale scenarios (default: garpd's own)")
    ap.add_argument("--skip", default="",
                    help="comma list of: scale,latency,idle,peers,pacing,converge")
    ap.add_argument("--converge-clients", type=int, default=4,
                    help="clients per kind in the convergence scenario (13 kinds + a router)")
    ap.add_argument("--converge-pps", type=int, default=200,
                    help="datagrams per second each client sends to the VIP")
    ap.add_argument("--converge-timeout", type=float, default=60,
                    help="seconds a convergence run waits for the last client")
    ap.add_argument("--converge-only", default="",
                    help="run only the announcers whose name contains this (e.g. garpd)")
    ap.add_argument("--converge-repeat", type=int, default=1,
                    help="moves per announcer in the convergence scenario")
    ap.add_argument("--out", default=None, help="directory for results.md, .json, .png")
    args = ap.parse_args()
    netns.require_root()
    skip = set(filter(None, args.skip.split(",")))
    workdir = tempfile.mkdtemp(prefix="garpd-bench-")
    netns._register(lambda: shutil.rmtree(workdir, ignore_errors=True))

    results = []
    extra = {}
    if args.smoke:
        sizes, peers, psizes = [100], [], []
    else:
        sizes = [int(x) for x in args.sizes.split(",") if x]
        psizes = [int(x) for x in args.peer_sizes.split(",") if x]
        peers = [x for x in args.peers.split(",") if x]

    def record(res):
        if "valid" not in res:
            check_valid(f"{res['scenario']} N={res['n']}", res)
        results.append(res)
        log(f"  {res['scenario']} N={res['n']}: cpu {res['cpu_ns'] / 1e6:.1f} ms, "
            f"{res['observed']}/{res['expected']} frames, drops {res['drops']}")

    def median_of(runs, fn):
        """Run @fn @runs times; the result with the median CPU time, all CPU times in it."""
        rs = [fn() for _ in range(runs)]
        for r in rs:
            check_valid(f"{r['scenario']} N={r['n']}", r)
        ok = sorted((r for r in rs if r["valid"]), key=lambda r: r["cpu_ns"]) or rs
        m = ok[len(ok) // 2]
        m["cpu_runs_ms"] = [round(r["cpu_ns"] / 1e6, 1) for r in rs]
        return m

    if "scale" not in skip:
        for n in sizes:
            runs = 1 if args.smoke or n > 10000 else args.repeat
            for kind in ("win8", "immediate"):
                log(f"scale: {kind} N={n} ({runs} run{'s' if runs > 1 else ''} each)")
                g = median_of(runs, lambda: scale_garpd(workdir, kind, n, args.batch_window))
                sched = g.pop("schedule")
                record(g)
                record(median_of(runs, lambda: scale_limit(workdir, kind, n)))
                if sched:
                    record(median_of(runs, lambda: scale_limit(workdir, kind, n,
                                                               schedule=sched)))
            if n <= 10000:
                log(f"scale: garpd ipv6 immediate N={n}")
                record(median_of(runs, lambda: scale_garpd_v6(workdir, n)))
            log(f"scale: floor N={n}")
            record(median_of(runs, lambda: scale_floor(workdir, n)))
    if "peers" not in skip:
        for n in psizes:
            for p in peers:
                exe = {"arping": shutil.which("arping"), "send_arp": send_arp_path(),
                       "keepalived": shutil.which("keepalived")}[p]
                if not exe:
                    log(f"peer {p}: not installed, skipped")
                    extra.setdefault("peers_missing", []).append(p)
                    continue
                log(f"peer: {p} N={n}")
                record(peer(workdir, p, n))
    if "latency" not in skip and not args.smoke:
        log("latency: 200 addresses, 10 ms apart")
        extra["latency"] = latency(workdir)
        log(f"  {extra['latency']}")
    if "pacing" not in skip:
        if args.smoke:
            log("pacing: 50 addresses one at a time, 5 ms apart")
            extra["pacing"] = pacing(workdir, 50, (5,))
        else:
            log("pacing: 1,000 addresses one at a time, 1, 2 and 5 ms apart")
            extra["pacing"] = pacing(workdir)
        log(f"  {extra['pacing']}")
    if "converge" not in skip:
        if args.smoke:
            extra["converge"] = converge.run(workdir, Garpd, per_kind=1, pps=100, timeout_s=5,
                                             smoke=True, log=log)
        else:
            extra["converge"] = converge.run(workdir, Garpd, per_kind=args.converge_clients,
                                             pps=args.converge_pps,
                                             timeout_s=args.converge_timeout,
                                             repeat=args.converge_repeat,
                                             only=args.converge_only, log=log)
    if "idle" not in skip:
        log("idle: flood")
        extra["idle"] = idle(workdir, *((2, 1000) if args.smoke else (10, 10000)))
        log(f"  {extra['idle']}")

    if results:
        print(table_text(results))
    if "latency" in extra:
        for who, l in extra["latency"].items():
            print(f"latency {who}: p50 {l['p50_us']:.0f} µs, p99 {l['p99_us']:.0f} µs, "
                  f"max {l['max_us']:.0f} µs ({l['answered']}/{l['n']} answered, "
                  f"drops {l['drops']})")
    for p in extra.get("pacing", []):
        print(f"pacing {p['who']}: {p['interval_ms']} ms apart: {p['cpu_us_per_addr']:.1f} µs CPU "
              f"and {p['wakeups_per_addr']:.2f} wake-ups per address "
              f"({p['observed']}/{p['n']} frames, drops {p['drops']})")
    if "converge" in extra:
        print("convergence, time from the move until a client's first datagram reaches B, "
              "p50 / max per kind:")
        print(converge.table_text(extra["converge"]))
        for row, why in extra["converge"]["missing"]:
            print(f"convergence: no rows for {row}: {why}")
    if "idle" in extra:
        i = extra["idle"]
        print(f"idle: {i['seconds']} s, {i['flood_rx']} flood frames reached garpd's interface: "
              f"{i['voluntary']} voluntary + {i['nonvoluntary']} involuntary context "
              f"switches, {i['cpu_us']:.0f} µs CPU")

    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump({"machine": machine(), "results": results, **extra}, f, indent=1)
        md = [f"Measured on: {machine()}", ""]
        if results:
            md += [table_md(results), ""]
        if "latency" in extra:
            md += ["| reaction latency (200 adds, 10 ms apart) | p50 µs | p99 µs | max µs |",
                   "|---|---|---|---|"]
            md += [f"| {w} | {l['p50_us']:.0f} | {l['p99_us']:.0f} | {l['max_us']:.0f} |"
                   for w, l in extra["latency"].items()]
            md.append("")
        if "pacing" in extra:
            md += ["| adds one at a time | apart | CPU µs per address | wake-ups per address "
                   "| frames |", "|---|---|---|---|---|"]
            md += [f"| {p['who']} | {p['interval_ms']} ms | {p['cpu_us_per_addr']:.1f} "
                   f"| {p['wakeups_per_addr']:.2f} | {p['observed']}/{p['n']} |"
                   for p in extra["pacing"]]
            md.append("")
        if "converge" in extra:
            c = extra["converge"]
            nrun = max((r["run"] for r in c["runs"]), default=0)
            md += [f"Convergence ({len(c['clients'])} clients, {c['pps']} datagrams/s each, "
                   f"{nrun} move(s) per announcer, each bounded at {c['timeout_s']:g} s): time "
                   "from the move until the client's first datagram reaches B, p50 / max per "
                   "kind, each min–max over the moves.", "",
                   converge.table_md(c), "", converge.table_md(c, v6=True), ""]
            md += [f"Not run: {row} ({why})." for row, why in c["missing"]]
            md.append("")
            converge.plot(c, args.out, PALETTE)
            converge.plot(c, args.out, PALETTE, v6=True)
        if "idle" in extra:
            i = extra["idle"]
            md.append(f"Idle, {i['n']} addresses, {i['rate']:,} unrelated ARP requests/s for "
                      f"{i['seconds']} s ({i['flood_rx']:,} reached garpd's interface): "
                      f"{i['voluntary']} voluntary context switches, {i['cpu_us']:.0f} µs CPU.")
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write("\n".join(md) + "\n")
        if results:
            plot(results, args.out)

    if args.smoke:
        bad = [r for r in results if not r["valid"]]
        if bad:
            netns.fail("; ".join(f"{r['scenario']} N={r['n']}: {r['problems']}" for r in bad))
        for p in extra.get("pacing", []):
            if p["observed"] != p["n"] or p["drops"]:
                netns.fail(f"pacing {p['who']}: {p['observed']}/{p['n']} frames, "
                           f"drops {p['drops']}")
        c = extra.get("converge")
        if c:
            # Correctness, not speed: on a segment where every client
            # honours gratuitous ARP, garpd's announcement (milliseconds)
            # moves each client within the 5 s bound, and the observer saw
            # both VIPs arrive on B. Of the kinds that ignore announcements,
            # only those directed refresh reaches are asserted.
            for r in c["runs"]:
                if r["vip_on_b_ms"] is None or r["vip6_on_b_ms"] is None:
                    netns.fail(f"converge {r['announcer']}: the observer never saw the VIP "
                               f"(IPv4 {r['vip_on_b_ms']}, IPv6 {r['vip6_on_b_ms']} ms) on B")
                if r["announcer"].startswith("garpd"):
                    # With directed refresh, the ignoring kinds B knows
                    # (its table, its gateway) follow too.
                    dr = "directed refresh" in r["announcer"]
                    late = [k for k, v in r["kinds"].items()
                            if (not converge.KIND[k].ignores or dr and
                                (converge.KIND[k].known or converge.KIND[k].router))
                            and v["never"]]
                    if late:
                        netns.fail(f"converge {r['announcer']}: clients of kinds {late} never "
                                   f"reached B within {r['timeout_s']} s")
        i = extra.get("idle")
        if i and i["flood_rx"] < i["rate"] * i["seconds"] * 0.9:
            netns.fail(f"idle flood did not reach garpd's interface: {i['flood_rx']} frames")
        # The profiling tool (scripts/bench profile) still runs: its plain mode, N = 100.
        import bench_profile
        bench_profile.main(["--tool", "none", "--n", "100", "--out", workdir])
        print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
