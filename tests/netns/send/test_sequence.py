# SPDX-License-Identifier: GPL-2.0-or-later
"""(a) The exact frame sequence with short intervals: three probes 100 ms
apart, then the announcement 100 ms after the last probe; every field and
the length checked byte for byte, the times from kernel timestamps."""

import time

import netns
from netns import check
from send_common import Pair, check_frames, check_ok, check_timing, probe, request


def test():
    with Pair() as p:
        with p.capture() as cap:
            start = time.time_ns()
            r = p.send("--probe-interval", "100ms", "--announce-delay", "100ms", "10.0.0.1")
            check_ok(r)
        frames = cap.frames
        check(cap.drops == 0, f"capture dropped {cap.drops}")
        check_frames(frames, [probe("10.0.0.1")] * 3 + [request("10.0.0.1")])
        got = check_timing(frames, [0, 100, 200, 300])
        # The first probe goes out at once (allow for process start-up).
        first = (frames[0].ts_ns - start) / 1e6
        check(0 <= first < 1000, f"first probe {first:.1f} ms after start")
        print("offsets ms:", ", ".join(f"{x:.2f}" for x in got), f"first after {first:.1f}")


netns.main(test)
