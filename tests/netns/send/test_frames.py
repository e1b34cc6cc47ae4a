# SPDX-License-Identifier: GPL-2.0-or-later
"""(c) The announcement options: --frames both (request then reply, the
reply with THA = our MAC), --target-mac zero, several announcements
--announce-interval apart; --frames reply alone; --probes 0 announces at
once."""

import netns
from netns import check
from send_common import (MAC_A, ZERO, Pair, check_frames, check_ok, check_timing, probe, reply,
                         request)

A = "10.0.0.1"


def test():
    with Pair() as p:
        # One probe, then three announcements 150 ms apart, both forms each.
        with p.capture() as cap:
            check_ok(p.send("--probes", "1", "--probe-interval", "100ms",
                            "--announce-delay", "100ms", "--announcements", "3",
                            "--announce-interval", "150ms", "--frames", "both",
                            "--target-mac", "zero", A))
        f = cap.frames
        check_frames(f, [probe(A)] + [request(A, tha=ZERO), reply(A)] * 3)
        check(f[2].op == 2 and f[2].tha == MAC_A and f[2].sha == MAC_A, "reply form fields")
        check(f[1].tha == ZERO, "--target-mac zero not applied")
        check_timing(f, [0, 100, 100, 250, 250, 400, 400])
        # Request and reply of one announcement go out together.
        for i in (1, 3, 5):
            check(abs(f[i + 1].ts_ns - f[i].ts_ns) < 5_000_000, "reply not right after request")

        # The reply form only; no probes: the announcement goes at once.
        with p.capture() as cap:
            check_ok(p.send("--probes", "0", "--announcements", "2", "--announce-interval",
                            "200ms", "--frames", "reply", "--announce-delay", "5s", A))
        check_frames(cap.frames, [reply(A)] * 2)
        check_timing(cap.frames, [0, 200])

        # --frames request with the default THA: broadcast.
        with p.capture() as cap:
            check_ok(p.send("--probes", "0", "--frames", "request", A))
        check_frames(cap.frames, [request(A)])


netns.main(test)
