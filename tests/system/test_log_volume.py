#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""journald at scale: 10,000 addresses in one burst log a bounded number of
lines at info.

journald keeps at most 10,000 messages per service per 30 s by default; at
two lines per address a 10,000-address burst lost half its log. garpd runs
at its default level (info) while `ip -batch` adds 10,000 addresses at once:
- every address is accounted for: the sequence-started and announced lines
  (a lone line, or a summary's count=) add up to 10,000 each;
- the number of those lines is bounded by the burst's length (at most one
  summary per event kind and second, see log-burst.h), not by the number
  of addresses;
- a summary names a range and at most 8 addresses, and stays short;
- at debug each address has its own line at debug, and there is no summary
  (checked on a small burst).
"""

import math
import re
import time

import netns
from netns import check
from garpd_harness import Garpd

N = 10000
KINDS = ("sequence-started", "announced")


def tally(lines, kind, level="info"):
    """(lines of @kind at @level, or any level for None; addresses they account for)."""
    mine = [l for l in lines if f"event={kind}" in l and (not level or f"level={level}" in l)]
    total = 0
    for l in mine:
        m = re.search(r"\bcount=(\d+)", l)
        total += int(m.group(1)) if m else 1
    return mine, total


def burst(n, level):
    with netns.Netns(ipv6=False) as a, netns.Netns(ipv6=False) as o:
        ia, _ = netns.veth(a, o)
        d = Garpd(a, "[sequence]\nprofile = immediate\nmax_frames_per_second = 0\n",
                  args=["--log-level", level], ready_timeout=30)
        base = 0x0a010000
        t0 = time.monotonic()
        a.ip_batch([f"addr add {(base + i) >> 24}.{(base + i) >> 16 & 255}."
                    f"{(base + i) >> 8 & 255}.{(base + i) & 255}/32 dev {ia}"
                    for i in range(1, n + 1)], timeout=600)
        end = time.monotonic() + 600
        while tally(d.find(), "announced", None)[1] < n and time.monotonic() < end:
            time.sleep(0.2)
        took = time.monotonic() - t0
        rc, _ = d.stop(timeout=30)
        check(rc == 0, f"garpd exited {rc}")
        return d.find(), took


def test():
    # At debug: each address keeps its own line.
    lines, _ = burst(50, "debug")
    for kind in KINDS:
        own = [l for l in lines if f"event={kind}" in l and re.search(r"\baddr=", l)]
        check(len(own) == 50, f"at debug, {len(own)} per-address {kind} lines for 50 addresses")
        check(all("level=debug" in l for l in own), f"at debug, a {kind} line not at debug")
    check(not [l for l in lines if "count=" in l], "at debug, a summary besides every address's line")

    lines, took = burst(N, "info")
    # Per kind (log-burst.h): summaries cover disjoint spans of at least 1 s,
    # a lone line needs 1 s of silence before it: at most 2 * (T + 1) lines.
    bound = 2 * (1 + math.ceil(took))
    print(f"{N} addresses in one ip -batch: all announced within {took:.1f} s; "
          f"{len(lines)} log lines in all")
    for kind in KINDS:
        mine, total = tally(lines, kind)
        print(f"  {kind}: {len(mine)} lines at info for {total} addresses (bound {bound})")
        for l in mine[:3] + mine[-1:]:
            print("    " + l)
        check(total == N, f"{kind}: the lines account for {total} addresses, expected {N}")
        check(len(mine) <= bound, f"{kind}: {len(mine)} lines at info, more than {bound}")
        check(all(len(l) < 300 for l in mine), f"{kind}: a summary line of 300 bytes or more")
        check(all(len(re.search(r"addrs=(\S*)", l).group(1).split(",")) <= 9
                  for l in mine if "count=" in l), f"{kind}: a summary lists more than 8 addresses")
        summaries = [l for l in mine if "count=" in l]
        check(len(summaries) <= 1 + math.ceil(took),
              f"{kind}: {len(summaries)} summaries in {took:.1f} s, more than one a second")
    check(not [l for l in lines if "level=debug" in l], "debug lines at info")


if __name__ == "__main__":
    netns.main(test)
