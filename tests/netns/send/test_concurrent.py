# SPDX-License-Identifier: GPL-2.0-or-later
"""(d) Several addresses run their sequences at the same time: with 100 ms
steps the whole run lasts about one sequence (300 ms), not three, and at
every step each address gets its frame. The addresses are configured on
the interface (10.0.0.1 by Pair), as garpctl send requires."""

import netns
from netns import check
from send_common import Pair, check_ok, offsets_ms, probe, request

ADDRS = ["10.0.0.1", "10.0.0.11", "10.0.0.12"]


def test():
    with Pair() as p:
        for a in ADDRS[1:]:
            p.a.addr_add(p.ia, a + "/24")
        with p.capture() as cap:
            check_ok(p.send("--probe-interval", "100ms", "--announce-delay", "100ms", *ADDRS))
        f = cap.frames
        check(len(f) == 4 * len(ADDRS), f"{len(f)} frames, expected {4 * len(ADDRS)}")
        got = offsets_ms(f)
        print("offsets ms:", ", ".join(f"{x:.2f}" for x in got))
        total = got[-1]
        check(abs(total - 300) <= 50, f"run took {total:.1f} ms, expected 300 (one sequence)")
        for step, expected_ms in enumerate([0, 100, 200, 300]):
            group = f[step * len(ADDRS):(step + 1) * len(ADDRS)]
            kind = probe if step < 3 else request
            check(sorted(x.raw for x in group) == sorted(kind(a) for a in ADDRS),
                  f"step {step}: {[x.summary() for x in group]}")
            for x, o in zip(group, got[step * len(ADDRS):]):
                check(abs(o - expected_ms) <= 50, f"step {step} frame at {o:.1f} ms")


netns.main(test)
