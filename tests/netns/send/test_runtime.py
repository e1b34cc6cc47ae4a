# SPDX-License-Identifier: GPL-2.0-or-later
"""Runtime failures exit 1 with a one-line message, after what was due had
been sent: the interface set down, or deleted, in the middle of a sequence."""

import time

import netns
from netns import check
from send_common import Pair, probe

ARGS = ["--probes", "3", "--probe-interval", "300ms", "10.0.0.1"]


def run_and_break(p, action, words):
    with p.capture() as cap:
        proc = p.a.popen([netns.garpctl(), "send", "-i", p.ia] + ARGS,
                         stdout=netns.subprocess.PIPE, stderr=netns.subprocess.PIPE, text=True)
        time.sleep(0.45)  # after the second probe (300 ms), before the third (600 ms)
        action()
        out, err = proc.communicate(timeout=10)
    check(proc.returncode == 1, f"exit {proc.returncode}, expected 1; stderr {err!r}")
    check(err.count("\n") == 1 and all(w in err for w in words), f"message {err!r}")
    check([f.raw for f in cap.frames] == [probe("10.0.0.1")] * 2,
          "frames: " + "; ".join(f.summary() for f in cap.frames))
    print(f"ok: {err.strip()}")


def test():
    with Pair() as p:
        run_and_break(p, lambda: p.a.link_down(p.ia), [p.ia, "went down"])
    with Pair() as p:
        run_and_break(p, lambda: p.a.ip("link", "del", p.ia), [p.ia, "went away"])


netns.main(test)
