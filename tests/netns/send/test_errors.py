# SPDX-License-Identifier: GPL-2.0-or-later
"""(f) Refusals: nothing is sent for a NOARP interface, and garpctl send
fails with exit code and a one-line message naming the problem for
loopback, a down interface, an unknown interface, an IPv6 or garbage
address, a bad duration or number, bad usage, and missing CAP_NET_RAW."""

import shutil

import netns
from netns import check
from send_common import Pair

SHORT = ["--probe-interval", "10ms", "--announce-delay", "10ms"]


def expect(p, args, code, words, iface=None, prefix=None):
    cmd = [netns.garpctl(), "send"] + (["-i", iface or p.ia] if iface is not False else [])
    r = p.a.run((prefix or []) + cmd + args, check=False)
    err = r.stderr
    check(r.returncode == code,
          f"{args}: exit {r.returncode}, expected {code}; stderr {err!r}")
    check(err.count("\n") == 1 and err.startswith("garpctl send: "),
          f"{args}: not a one-line message: {err!r}")
    for w in words:
        check(w in err, f"{args}: message {err.strip()!r} does not mention {w!r}")
    check(r.stdout == "", f"{args}: printed on stdout: {r.stdout!r}")
    print(f"ok {code}: {err.strip()}")


def test():
    with Pair() as p:
        # Every refusal is checked while a capture watches the peer: nothing
        # may arrive for any of them.
        with p.capture() as cap:
            p.a.ip("link", "set", "dev", p.ia, "arp", "off")
            expect(p, SHORT + ["10.0.0.1"], 2, [p.ia, "NOARP"])
            p.a.ip("link", "set", "dev", p.ia, "arp", "on")

            expect(p, SHORT + ["127.0.0.1"], 2, ["lo", "loopback"], iface="lo")
            expect(p, SHORT + ["10.0.0.1"], 2, ["nosuch0", "no such interface"],
                   iface="nosuch0")
            expect(p, SHORT + ["10.0.0.1"], 2, ["no such interface"], iface="x" * 20)
            expect(p, SHORT + ["2001:db8::1"], 1, ["2001:db8::1", "not configured"])
            expect(p, SHORT + ["10.0.0.1", "fe80::1"], 1, ["fe80::1", "not configured"])
            expect(p, SHORT + ["ff02::1"], 2, ["ff02::1", "not a unicast address"])
            expect(p, SHORT + ["2001:db8::1/64"], 2, ["2001:db8::1/64", "not an IPv4 or IPv6"])
            expect(p, SHORT + ["10.0.0"], 2, ["10.0.0", "not an IPv4 or IPv6 address"])
            expect(p, SHORT + ["host.example"], 2, ["host.example", "not an IPv4 or IPv6 address"])
            expect(p, ["--probe-interval", "fast", "10.0.0.1"], 2, ["--probe-interval", "fast"])
            expect(p, ["--announce-delay", "1.5s", "10.0.0.1"], 2, ["--announce-delay", "1.5s"])
            expect(p, ["--announce-interval", "-1s", "10.0.0.1"], 2, ["--announce-interval"])
            expect(p, ["--probes", "x", "10.0.0.1"], 2, ["--probes", '"x"'])
            expect(p, ["--announcements", "100000", "10.0.0.1"], 2, ["--announcements"])
            expect(p, ["--frames", "all", "10.0.0.1"], 2, ["--frames", "all"])
            expect(p, ["--target-mac", "multicast", "10.0.0.1"], 2, ["--target-mac"])
            expect(p, ["--bogus", "10.0.0.1"], 2, ["--bogus"])
            expect(p, [], 2, ["no address"])
            expect(p, ["10.0.0.1"], 2, ["-i IFACE"], iface=False)

            # Missing CAP_NET_RAW: drop it from the bounding set before exec.
            setpriv = shutil.which("setpriv")
            if setpriv:
                expect(p, SHORT + ["10.0.0.1"], 1, ["CAP_NET_RAW"],
                       prefix=[setpriv, "--bounding-set", "-net_raw", "--inh-caps", "-all"])
            else:
                print("setpriv not found: CAP_NET_RAW case not run")

            p.a.link_down(p.ia)
            expect(p, SHORT + ["10.0.0.1"], 2, [p.ia, "down"])
        arp = [f for f in cap.frames if f.ethertype == netns.ETH_P_ARP]
        check(arp == [], "frames were sent: " + "; ".join(f.summary() for f in arp))
        check(cap.drops == 0, f"capture dropped {cap.drops}")

        # The same NOARP interface works once ARP is back on (the test above
        # would pass for a garpctl that never sends anything).
        p.a.link_up(p.ia)
        with p.capture() as cap:
            r = p.a.run([netns.garpctl(), "send", "-i", p.ia, "--probes", "0", "10.0.0.1"],
                        check=False)
            check(r.returncode == 0, f"send after arp on: {r.returncode} {r.stderr!r}")
        check(len(cap.frames) == 1, f"{len(cap.frames)} frames after arp on")


netns.main(test)
