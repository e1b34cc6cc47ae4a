# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl send listens while it probes, as garpd does: when another host
holds the address, its kernel answers the first probe, send holds that
address's announcement back, prints one line naming the other MAC and exits
3; the other addresses carry on. --force and --probes 0 do not listen and
send the announcement anyway."""

import netns
from netns import check
from send_common import MAC_A, MAC_B, Pair, probe, request

HELD = "10.0.0.50"  # configured on both sides: the peer answers our probes
OURS = "10.0.0.1"   # ours only
FAST = ["--probe-interval", "100ms", "--announce-delay", "100ms"]


def test():
    with Pair() as p:
        p.a.addr_add(p.ia, HELD + "/24")
        p.b.addr_add(p.ib, HELD + "/24")

        with p.capture() as cap:
            r = p.send(*FAST, OURS, HELD)
        check(r.returncode == 3, f"exit {r.returncode}, expected 3; stderr {r.stderr!r}")
        check(r.stderr.count("\n") == 1 and r.stderr.startswith("garpctl send: ")
              and HELD in r.stderr and MAC_B in r.stderr and p.ia in r.stderr,
              f"not one line naming {HELD} and {MAC_B}: {r.stderr!r}")
        check(r.stdout == "", f"printed on stdout: {r.stdout!r}")
        held = [f.raw for f in cap.frames if f.raw in (probe(HELD), request(HELD))]
        # The owner answers the first probe within microseconds: one probe, no announcement.
        check(held == [probe(HELD)], "frames for the held address: "
              + "; ".join(f.summary() for f in cap.frames if HELD in (f.spa, f.tpa)))
        ours = [f.raw for f in cap.frames if f.raw in (probe(OURS), request(OURS))]
        check(ours == [probe(OURS)] * 3 + [request(OURS)],
              "frames for our address: " + "; ".join(f.summary() for f in cap.frames))
        check(all(f.src == MAC_A for f in cap.frames), "a frame not from the sender")
        print(f"ok held: {r.stderr.strip()}")

        # --force: no listening, the whole sequence.
        with p.capture() as cap:
            r = p.send(*FAST, "--force", HELD)
        check(r.returncode == 0 and r.stderr == "", f"--force: exit {r.returncode} {r.stderr!r}")
        check([f.raw for f in cap.frames] == [probe(HELD)] * 3 + [request(HELD)],
              "--force frames: " + "; ".join(f.summary() for f in cap.frames))
        print("ok --force sends")

        # --probes 0: nothing to listen to, the announcement at once.
        with p.capture() as cap:
            r = p.send("--probes", "0", HELD)
        check(r.returncode == 0 and r.stderr == "", f"--probes 0: exit {r.returncode} {r.stderr!r}")
        check([f.raw for f in cap.frames] == [request(HELD)],
              "--probes 0 frames: " + "; ".join(f.summary() for f in cap.frames))
        print("ok --probes 0 sends")


netns.main(test)
