#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The overflow test: a 4 KiB receive buffer while 10,000 addresses are
added in one `ip -batch` ends with exactly those 10,000 addresses reported
once each, after at least one resync (ENOBUFS, re-dump, reconcile); and
their removal the same way."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
from gnlwatch import Watch  # noqa: E402
from netns import check  # noqa: E402

N = 10000


def addrs():
    return [f"10.{40 + i // 65536}.{(i // 256) % 256}.{i % 256}/32" for i in range(N)]



def counted(w, kind, start, wanted):
    return [kv["addr"] for k, kv in w.events(kind, start) if kv["addr"] in wanted]


def resynced_after(w, start):
    """A SYNCED after the last RESYNC since @start (and at least one RESYNC)."""
    def pred(lines):
        last_resync = last_synced = None
        for i in range(start, len(lines)):
            if lines[i] == "RESYNC":
                last_resync = i
            elif lines[i] == "SYNCED":
                last_synced = i
        return (last_resync is not None and last_synced is not None
                and last_synced > last_resync)
    return pred


def test():
    want = set(addrs())
    with netns.Netns(prefix="gnlo", ipv6=False) as ns:
        dev = ns.bridge()  # any link will do; a bridge needs no peer
        with Watch(ns, rcvbuf=4096) as w:
            w.wait_line("SYNCED")

            # Stop reading, so the 10,000 notifications overflow the socket.
            m = w.mark()
            w.send("pause")
            w.wait_line("PAUSED", m)
            ns.ip_batch([f"addr add {a} dev {dev}" for a in sorted(want)])
            w.send("resume")
            w.wait(resynced_after(w, m), timeout=120, what="RESYNC then SYNCED")
            w.wait(lambda lines: len(counted(w, "ADDR_NEW", m, want)) >= N, timeout=60,
                   what=f"{N} ADDR_NEW")
            w.settle(1.0)
            got = counted(w, "ADDR_NEW", m, want)
            check(len(got) == N, f"{N} ADDR_NEW reported, got {len(got)}")
            check(set(got) == want, f"exactly the {N} addresses, {len(set(got))} distinct")
            check(not counted(w, "ADDR_DEL", m, want), "nothing deleted")
            m2 = w.mark()
            w.send("stats")
            _, kv = w.wait_line("COUNTERS", m2)
            check(int(kv["resyncs"]) >= 1, f"at least one resync: {kv}")
            check(kv["malformed"] == "0", f"nothing malformed: {kv}")
            print(f"add: {len(got)} ADDR_NEW, resyncs={kv['resyncs']}")

            # And back: all removed while paused, reported once each.
            m = w.mark()
            w.send("pause")
            w.wait_line("PAUSED", m)
            ns.ip_batch([f"addr del {a} dev {dev}" for a in sorted(want)])
            w.send("resume")
            w.wait(resynced_after(w, m), timeout=120, what="RESYNC then SYNCED")
            w.wait(lambda lines: len(counted(w, "ADDR_DEL", m, want)) >= N, timeout=60,
                   what=f"{N} ADDR_DEL")
            w.settle(1.0)
            gone = counted(w, "ADDR_DEL", m, want)
            check(len(gone) == N and set(gone) == want,
                  f"{N} ADDR_DEL, each once: {len(gone)} / {len(set(gone))} distinct")
            check(not counted(w, "ADDR_NEW", m, want), "nothing re-added")
            m2 = w.mark()
            w.send("stats")
            _, kv2 = w.wait_line("COUNTERS", m2)
            check(int(kv2["resyncs"]) > int(kv["resyncs"]), f"another resync: {kv2}")
            print(f"del: {len(gone)} ADDR_DEL, resyncs={kv2['resyncs']}")


if __name__ == "__main__":
    netns.main(test)
