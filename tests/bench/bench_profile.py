#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where garpd's cost per address goes (issue 17), in figures that depend
far less on the machine's load than CPU time: garpd runs in a namespace of
its own, under a tool, while N addresses are added in one `ip -batch`
(as the scale scenario adds them), and is stopped once it has logged
every address as announced.

  sudo scripts/bench profile --tool callgrind --n 10000 --kind immediate --top 30
  sudo scripts/bench profile --tool syscalls --pace-us 3000   # one address per 3 ms

Tools:
  none       CPU time (schedstat, as bench.py) and VmHWM: the plain run
  callgrind  user-mode instructions (Ir) from the first add to the last
             announcement (zeroed after start-up, dumped before the stop),
             total and per address; --top N lists the functions
  massif     the heap's peak (valgrind), with malloc's overhead
  syscalls   system calls by name (perf stat on the syscalls tracepoints:
             no hardware counters needed)
  perf       timer samples with call graphs (perf record -e cpu-clock):
             where the CPU time goes, the kernel's share included
  strace     strace -c -f (slow; counts and times)

The addresses reach garpd in bursts whose size depends on how fast garpd
reads, so the counts move a little between runs (a tool slows garpd,
which then reads bigger bursts); per-address instruction counts move by a
few per cent where CPU time on this shared machine moves by 2x.
"""

import argparse
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import netns  # noqa: E402

TOOLS = ("none", "callgrind", "massif", "syscalls", "perf", "strace")


def status_kb(pid, key):
    try:
        return int(bench.status(pid, key))
    except (OSError, TypeError, ValueError):
        return None


def garpd_pid(pid):
    """garpd's own process: @pid itself, or (under strace) a descendant."""
    todo = [pid]
    while todo:
        p = todo.pop(0)
        try:
            with open(f"/proc/{p}/comm") as f:
                if f.read().strip() == "garpd":
                    return p
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return pid


def callgrind_control(*args):
    subprocess.run(["callgrind_control"] + list(args), check=True, capture_output=True,
                   timeout=60)


def count_events(log_path, pattern):
    """Events logged: a burst's summary line (count=N) stands for N."""
    n = 0
    with open(log_path) as f:
        for line in f:
            if pattern in line:
                m = re.search(r"\bcount=(\d+)", line)
                n += int(m.group(1)) if m else 1
    return n


def paced_batch(ns, lines, pace_us):
    """One `ip -batch -` fed a line every @pace_us microseconds (from the
    start, so a late line does not shift the rest): the addresses arrive at
    a pace the kernel cannot change, e.g. IPv4 at the pace the kernel adds
    nodad IPv6 addresses, to compare what garpd does per address."""
    p = subprocess.Popen(["ip", "-n", ns, "-batch", "-"], stdin=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    try:
        for i, line in enumerate(lines):
            delay = t0 + i * pace_us / 1e6 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            p.stdin.write(line)
            p.stdin.flush()
        p.stdin.close()
        if p.wait(timeout=900):
            raise RuntimeError(f"ip -batch - exited {p.returncode}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def run(args, workdir):
    """One profiled run; returns its figures (and the tool's output file)."""
    seg = bench.Segment(1, ipv6=args.ipv6)
    a = seg.a
    conf = os.path.join(workdir, "garpd.conf")
    with open(conf, "w") as f:
        f.write(f"[sequence]\nprofile = {args.kind}\nmax_frames_per_second = 0\n")
        for kv in args.set:
            f.write(kv + "\n")
    log_path = os.path.join(workdir, "garpd.log")
    cmd = [netns.binary("GARPD_GARPD"), "--foreground", "--config", conf,
           "--control-socket", os.path.join(workdir, "control")]
    out = {"file": None}
    name = f"{args.tool}.{'ipv6' if args.ipv6 else 'ipv4'}.{args.kind}.{args.n}"
    if args.tool in ("callgrind", "massif", "strace", "syscalls", "perf"):
        out["file"] = os.path.join(args.out, name)
        for old in (out["file"], out["file"] + ".1"):
            if os.path.exists(old):
                os.unlink(old)
    if args.tool == "callgrind":
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out['file']}"] + cmd
    elif args.tool == "massif":
        cmd = ["valgrind", "--tool=massif", f"--massif-out-file={out['file']}"] + cmd
    elif args.tool == "strace":
        cmd = ["strace", "-c", "-f", "-o", out["file"]] + cmd
    logf = open(log_path, "w")
    proc = a.popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=logf)
    tool = None

    def wait_for(pattern, n, timeout):
        end = time.monotonic() + timeout
        while count_events(log_path, pattern) < n:
            if proc.poll() is not None:
                raise RuntimeError(f"garpd exited {proc.returncode}")
            if time.monotonic() > end:
                raise RuntimeError(f"fewer than {n} '{pattern}' in {timeout} s "
                                   f"({count_events(log_path, pattern)})")
            time.sleep(0.1)

    try:
        wait_for("event=ready", 1, 120)
        pid = garpd_pid(proc.pid)
        if args.tool == "callgrind":
            callgrind_control("--zero", str(pid))   # the start-up does not count
        elif args.tool == "syscalls":
            tool = subprocess.Popen(["perf", "stat", "-x", ",", "-o", out["file"], "-e",
                                     "syscalls:sys_enter_*", "-p", str(pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif args.tool == "perf":
            out["file"] += ".data"
            tool = subprocess.Popen(["perf", "record", "-q", "-F", "4999", "-e", "cpu-clock",
                                     "-g", "-o", out["file"], "-p", str(pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if tool:
            time.sleep(1)   # attached before the first add
        if args.ipv6:
            b = int(ipaddress.IPv6Address(bench.BASE6)) + 1
            lines = [f"address add {ipaddress.IPv6Address(b + i)}/128 dev {seg.ia[0]} nodad\n"
                     for i in range(args.n)]
        else:
            lines = [f"address add {x}/32 dev {seg.ia[0]}\n"
                     for x in bench.addrs(bench.BASE, args.n)]
        path = os.path.join(workdir, "add.batch")
        with open(path, "w") as f:
            f.writelines(lines)
        c0 = bench.cpu_ns(pid)
        t0 = time.monotonic()
        if args.pace_us:
            paced_batch(a.name, lines, args.pace_us)
        else:
            netns.sh(["ip", "-n", a.name, "-batch", path], timeout=900)
        slow = args.tool not in ("none", "syscalls", "perf")
        wait_for("event=announced", args.n, 60 + args.n * (0.05 if slow else 0.01))
        out["wall_s"] = time.monotonic() - t0
        time.sleep(0.3)   # as bench.py: what garpd does after its last frame counts too
        out["cpu_ms"] = (bench.cpu_ns(pid) - c0) / 1e6
        out["vmhwm_kb"] = status_kb(pid, "VmHWM")
        if args.tool == "callgrind":
            callgrind_control("--dump", str(pid))   # the stop does not count either
            out["file"] += ".1"
        if tool:
            tool.send_signal(signal.SIGINT)
            tool.wait(timeout=60)
            tool = None
        os.kill(pid, signal.SIGTERM)
        proc.wait(timeout=120)
        out["announced"] = count_events(log_path, "event=announced")
    finally:
        for p in (tool, proc):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        logf.close()
        seg.delete()
    return out


def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    return None


def callgrind_self(path, top):
    """Self cost (Ir) per function of a callgrind file: [(Ir, name)], largest first."""
    names, cost = {}, {}
    fn = None
    call_cost_next = False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^(c?)fn=\((\d+)\)(?: (.*))?$", line)
            if m:
                if m.group(3):
                    names[m.group(2)] = m.group(3)
                if not m.group(1):
                    fn = m.group(2)
                continue
            if line.startswith("calls="):
                call_cost_next = True   # the next cost line is the call's inclusive cost
                continue
            if fn and line and (line[0].isdigit() or line[0] in "+-*"):
                parts = line.split()
                if call_cost_next:
                    call_cost_next = False
                elif len(parts) >= 2:
                    cost[fn] = cost.get(fn, 0) + int(parts[1])
    return sorted(((c, names.get(k, k)) for k, c in cost.items()), reverse=True)[:top]


def massif_peak(path):
    """The largest snapshot: (heap bytes, malloc's extra bytes)."""
    peak = (0, 0)
    heap = 0
    with open(path) as f:
        for line in f:
            if line.startswith("mem_heap_B="):
                heap = int(line.split("=")[1])
            elif line.startswith("mem_heap_extra_B="):
                extra = int(line.split("=")[1])
                if heap + extra > sum(peak):
                    peak = (heap, extra)
    return peak


def syscall_counts(path):
    calls = {}
    with open(path) as f:
        for line in f:
            p = line.split(",")
            if len(p) > 2 and p[0].strip().isdigit() and int(p[0]):
                calls[p[2].replace("syscalls:sys_enter_", "")] = int(p[0])
    return calls


def report(args, r):
    pace = f" paced {args.pace_us} us" if args.pace_us else ""
    line = [f"{args.tool} {'ipv6' if args.ipv6 else 'ipv4'} {args.kind} N={args.n}{pace}:",
            f"wall {r['wall_s']:.1f} s", f"CPU {r['cpu_ms']:.0f} ms",
            f"VmHWM {r['vmhwm_kb']} KiB", f"announced {r['announced']}"]
    if args.tool == "callgrind":
        ir = callgrind_total(r["file"])
        line.append(f"Ir {ir:,} ({ir / args.n:,.0f} per address)")
        for c, name in callgrind_self(r["file"], args.top) if args.top else []:
            print(f"{c:>14,} {100 * c / ir:5.1f}% {c / args.n:8.1f}/addr  {name}")
    elif args.tool == "massif":
        h, x = massif_peak(r["file"])
        line.append(f"heap peak {h / 1024:.0f} KiB + {x / 1024:.0f} KiB malloc overhead")
    elif args.tool == "syscalls":
        calls = syscall_counts(r["file"])
        total = sum(calls.values())
        line.append(f"syscalls {total:,} ({total / args.n:.2f} per address): " + ", ".join(
            f"{k} {v:,}" for k, v in sorted(calls.items(), key=lambda x: -x[1])))
    elif args.tool == "strace":
        with open(r["file"]) as f:
            print(f.read())
    if r["file"]:
        line.append(f"data {r['file']}")
    print(", ".join(line), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tool", choices=TOOLS, default="none")
    ap.add_argument("--n", type=int, default=10000, help="addresses (one ip -batch)")
    ap.add_argument("--kind", default="immediate", choices=("immediate", "win8"),
                    help="garpd's profile")
    ap.add_argument("--ipv6", action="store_true", help="nodad /128 IPv6 addresses instead")
    ap.add_argument("--repeat", type=int, default=1, help="runs, one line each")
    ap.add_argument("--top", type=int, default=0,
                    help="callgrind: list the N functions with the most instructions")
    ap.add_argument("--pace-us", type=int, default=0,
                    help="add one address every N microseconds (one `ip -batch -` fed "
                    "line by line) instead of all at once")
    ap.add_argument("--set", action="append", default=[],
                    help="a [sequence] line for garpd.conf, e.g. 'directed_refresh = no'")
    ap.add_argument("--out", default="tests/bench/out/profile",
                    help="directory for the tools' files")
    args = ap.parse_args(argv)
    netns.require_root()
    os.makedirs(args.out, exist_ok=True)
    for _ in range(args.repeat):
        workdir = tempfile.mkdtemp(prefix="garpd-prof-")
        try:
            report(args, run(args, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
