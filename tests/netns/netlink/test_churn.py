#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Consistency under churn: a 4 KiB receive buffer while batches of address
additions and removals and MAC changes keep coming, so overflows, re-dumps
and events arriving during the dumps all mix. The watcher stops reading
during every other batch, so the socket overflows on any machine however
fast it reads; the next batch then lands while the re-dump runs. The event
stream must be a faithful history: never ADDR_NEW for an address already
reported present, never ADDR_DEL for one not present, and its final state
equal to the kernel's."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
from gnlwatch import Watch  # noqa: E402
from netns import check  # noqa: E402

POOL = [f"10.50.{i // 256}.{i % 256}/32" for i in range(3000)]
ROUNDS = 6



def test():
    rnd = random.Random(4242)
    with netns.Netns(prefix="gnlc", ipv6=False) as ns:
        dev = ns.bridge()
        idx = int(ns.ip_json("link", "show", "dev", dev)[0]["ifindex"])
        present = set()
        with Watch(ns, rcvbuf=4096) as w:
            w.wait_line("SYNCED")
            for r in range(ROUNDS):
                lines = []
                before = sorted(present)
                absent = [a for a in POOL if a not in present]
                for a in rnd.sample(absent, min(len(absent), 1200)):
                    lines.append(f"addr add {a} dev {dev}")
                    present.add(a)
                # Only what was there before this batch: the order is shuffled.
                for a in rnd.sample(before, len(before) // 3):
                    lines.append(f"addr del {a} dev {dev}")
                    present.discard(a)
                rnd.shuffle(lines)  # adds and deletes of different addresses mix
                mac = f"02:00:00:00:{r:02x}:{rnd.randrange(256):02x}"
                lines.insert(len(lines) // 2, f"link set dev {dev} address {mac}")
                paused = r % 2 == 0
                if paused:
                    m = w.mark()
                    w.send("pause")
                    w.wait_line("PAUSED", m)
                ns.ip_batch(lines)
                if paused:
                    w.send("resume")  # ENOBUFS, re-dump; the next batch meets it

            def settled(lines):
                last_resync = max((i for i, l in enumerate(lines) if l == "RESYNC"), default=-1)
                last_synced = max((i for i, l in enumerate(lines) if l == "SYNCED"), default=-1)
                return last_synced > last_resync
            w.settle(1.0, timeout=120)
            w.wait(settled, timeout=120, what="SYNCED after the last RESYNC")

            model, macs = set(), []
            for k, kv in w.events():
                if k == "ADDR_NEW" and kv["addr"].startswith("10.50."):
                    check(kv["addr"] not in model, f"ADDR_NEW twice without a DEL: {kv}")
                    model.add(kv["addr"])
                elif k == "ADDR_DEL" and kv["addr"].startswith("10.50."):
                    check(kv["addr"] in model, f"ADDR_DEL for an absent address: {kv}")
                    model.discard(kv["addr"])
                elif k in ("LINK_NEW", "LINK_CHANGED") and int(kv["ifindex"]) == idx:
                    macs.append(kv["mac"])

            kernel = {f"{a['local']}/{a['prefixlen']}" for i in ns.ip_json("addr", "show", "dev", dev)
                      for a in i.get("addr_info", []) if a["family"] == "inet"}
            check(kernel == present, "the test's own bookkeeping matches the kernel")
            check(model == kernel, f"events' final state = kernel: {len(model)} vs {len(kernel)}, "
                  f"missing {sorted(kernel - model)[:5]}, extra {sorted(model - kernel)[:5]}")
            check(macs and macs[-1] == ns.mac(dev), f"last MAC reported {macs[-1:]} = kernel's")
            m = w.mark()
            w.send("stats")
            _, kv = w.wait_line("COUNTERS", m)
            check(int(kv["resyncs"]) >= 1, f"the buffer overflowed and was re-dumped: {kv}")
            check(kv["malformed"] == "0", f"nothing malformed: {kv}")
            print(f"{len(kernel)} addresses at the end, {kv['resyncs']} resyncs, "
                  f"{sum(1 for k, _ in w.events('ADDR_NEW'))} ADDR_NEW, "
                  f"{sum(1 for k, _ in w.events('ADDR_DEL'))} ADDR_DEL")


if __name__ == "__main__":
    netns.main(test)
