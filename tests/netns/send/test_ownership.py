# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl send announces only addresses configured on the interface: an
unconfigured address, a mix of configured and unconfigured ones, or an
address configured on another interface of the same host is refused with
exit 1, one line per missing address, and not one frame; a configured one
is sent; --force (and -f) sends anyway. An address removed in the middle of
a sequence gets its probes but not its announcement."""

import time

import netns
from netns import check
from send_common import Pair, check_frames, probe, request

SHORT = ["--probes", "1", "--probe-interval", "10ms", "--announce-delay", "10ms"]
OURS = "10.0.0.1"       # configured on ia by Pair
OTHER = "10.0.0.9"      # configured nowhere
ELSEWHERE = "10.7.0.1"  # configured on a second interface of the sender


def hint(addr, iface):
    return f"garpctl send: {addr} is not configured on {iface} (use --force to send anyway)\n"


def refused(p, args, missing):
    """Run send with @args under a capture: exit 1, one line per missing address, no frame."""
    with p.capture() as cap:
        r = p.send(*SHORT, *args)
    check(r.returncode == 1, f"{args}: exit {r.returncode}, expected 1; stderr {r.stderr!r}")
    expected = "".join(hint(a, p.ia) for a in missing)
    check(r.stderr == expected, f"{args}: stderr {r.stderr!r}, expected {expected!r}")
    check(r.stdout == "", f"{args}: printed on stdout: {r.stdout!r}")
    check(cap.frames == [], f"{args}: frames were sent: "
          + "; ".join(f.summary() for f in cap.frames))
    check(cap.drops == 0, f"capture dropped {cap.drops}")
    print(f"ok refused {args}: {r.stderr.strip()}")


def sent(p, args, addrs):
    """Run send with @args: exit 0, silent, each address's probe and announcement."""
    with p.capture() as cap:
        r = p.send(*SHORT, *args)
    check(r.returncode == 0, f"{args}: exit {r.returncode}; stderr {r.stderr!r}")
    check(r.stderr == "" and r.stdout == "", f"{args}: printed {r.stdout!r} {r.stderr!r}")
    got = sorted(f.raw for f in cap.frames)
    check(got == sorted([probe(a) for a in addrs] + [request(a) for a in addrs]),
          f"{args}: frames " + "; ".join(f.summary() for f in cap.frames))
    print(f"ok sent {args}: {len(cap.frames)} frames")


def test():
    with Pair() as p:
        # A second interface of the sender holds ELSEWHERE: ours, but not on ia.
        other_a, _ = netns.veth(p.a, p.a, addr_a=ELSEWHERE + "/24")

        refused(p, [OTHER], [OTHER])
        refused(p, [OURS, OTHER], [OTHER])               # all or nothing
        refused(p, [OTHER, OURS, "10.0.0.10"], [OTHER, "10.0.0.10"])
        refused(p, [ELSEWHERE], [ELSEWHERE])             # on another interface
        refused(p, [OURS, ELSEWHERE], [ELSEWHERE])
        # The peer's address (configured in the other namespace) is not ours.
        refused(p, ["10.0.0.2"], ["10.0.0.2"])

        sent(p, [OURS], [OURS])
        p.a.addr_add(p.ia, "10.0.0.20/32")                # a second address, another prefix
        sent(p, [OURS, "10.0.0.20"], [OURS, "10.0.0.20"])
        sent(p, ["--force", OTHER], [OTHER])
        sent(p, ["-f", OURS, OTHER, ELSEWHERE], [OURS, OTHER, ELSEWHERE])

        # Still ours on ia after being removed from other_a? No: removing it
        # there does not make it ours here.
        p.a.ip("addr", "del", ELSEWHERE + "/24", "dev", other_a)
        refused(p, [ELSEWHERE], [ELSEWHERE])
        # Moved onto ia (a VIP failing over to us): now it is sent.
        p.a.addr_add(p.ia, ELSEWHERE + "/24")
        sent(p, [ELSEWHERE], [ELSEWHERE])

        # Removed mid-sequence, after the probes began and before the
        # announcement: the probes went out, the announcement does not.
        with p.capture() as cap:
            proc = p.a.popen([netns.garpctl(), "send", "-i", p.ia, "--probes", "2",
                              "--probe-interval", "300ms", "--announce-delay", "300ms",
                              OURS, "10.0.0.20"],
                             stdout=netns.subprocess.PIPE, stderr=netns.subprocess.PIPE,
                             text=True)
            time.sleep(0.15)  # after the first probe, well before the announcement (600 ms)
            p.a.ip("addr", "del", "10.0.0.20/32", "dev", p.ia)
            out, err = proc.communicate(timeout=10)
        check(proc.returncode == 1, f"removed mid-sequence: exit {proc.returncode}; {err!r}")
        check(err == f"garpctl send: 10.0.0.20 is no longer configured on {p.ia}, "
              "not announcing it\n", f"removed mid-sequence: stderr {err!r}")
        check_frames(cap.frames, [probe(OURS), probe("10.0.0.20")] * 2)
        print(f"ok removed mid-sequence: {err.strip()}")


netns.main(test)
