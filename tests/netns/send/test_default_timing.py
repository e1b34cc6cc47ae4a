# SPDX-License-Identifier: GPL-2.0-or-later
"""(b) The real default sequence (the Windows 8 one, DESIGN.md): probes at
0, 1 and 2 s, the announcement at 3 s, within +-50 ms, no options given."""

import netns
from netns import check
from send_common import Pair, check_frames, check_ok, check_timing, probe, request


def test():
    with Pair() as p:
        with p.capture() as cap:
            check_ok(p.send("10.0.0.1"))
        check_frames(cap.frames, [probe("10.0.0.1")] * 3 + [request("10.0.0.1")])
        got = check_timing(cap.frames, [0, 1000, 2000, 3000])
        print("offsets ms:", ", ".join(f"{x:.2f}" for x in got))


netns.main(test)
