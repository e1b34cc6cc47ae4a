#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 7: every class of configuration error names file, line and key
and exits 78 (EX_CONFIG); a bad SIGHUP reload keeps the running
configuration, a good one applies to new sequences."""

import os
import signal
import tempfile

import netns
from netns import check
from garpd_harness import FAST, Garpd, run_garpd

EX_CONFIG = 78

# (file text, line, text the message must contain)
BAD = [
    ("[sequence]\nprobe_interval = fast\n", 2,
     'probe_interval: expected a duration like 250ms or 1s, got "fast"'),
    ("[sequence]\nprobes = -1\n", 2, "probes:"),
    ("[sequence]\nprobes = 3x\n", 2, "probes:"),
    ("[sequence]\nframes = all\n", 2, "frames:"),
    ("[sequence]\nprofile = win95\n", 2, "profile:"),
    ("[daemon]\nannounce_on_start = maybe\n", 2, "announce_on_start:"),
    ("[daemon]\nlog_level = loud\n", 2, "log_level:"),
    ("[daemon]\nnetlink_rcvbuf = 4X\n", 2, "netlink_rcvbuf:"),
    ("[daemon]\ncontrol_socket = relative/path\n", 2, "control_socket:"),
    ("[sequence]\nprobez = 3\n", 2, "probez"),
    ("\n[bogus]\n", 2, "bogus"),
    ("probes = 3\n", 1, "probes"),
    ("[sequence]\nthis is not a key value line\n", 2, ""),
    ("[interface eth*]\nignore = perhaps\n", 2, "ignore:"),
]


def check_bad_files(tmp):
    path = os.path.join(tmp, "garpd.conf")
    for text, line, want in BAD:
        with open(path, "w") as f:
            f.write(text)
        r = run_garpd(["--check-config", "--config", path])
        msg = r.stderr.strip()
        check(r.returncode == EX_CONFIG, f"{text!r}: exit {r.returncode}, expected 78 ({msg})")
        check(f"{path}:{line}: " in msg and want in msg,
              f"{text!r}: message {msg!r} lacks '{path}:{line}: ' or {want!r}")
        check(len(msg.splitlines()) == 1, f"{text!r}: expected one line, got {msg!r}")
    r = run_garpd(["--check-config", "--config", os.path.join(tmp, "missing.conf")])
    check(r.returncode == EX_CONFIG and "missing.conf" in r.stderr,
          f"missing file named with --config: exit {r.returncode} {r.stderr!r}")
    with open(path, "w") as f:
        f.write(FAST)
    r = run_garpd(["--check-config", "--config", path])
    check(r.returncode == 0, f"a good file fails --check-config: {r.stderr}")


def probes_of(d, ns, dev, peer, theirs, addr, count):
    with netns.Capture(peer, theirs, count=count, timeout=10) as cap:
        ns.addr_add(dev, addr + "/24")
        d.wait_for("event=announced", addr=addr)
        frames = cap.stop()
    return [f for f in frames if f.tpa == addr and f.spa == "0.0.0.0"]


def check_reload(tmp):
    with netns.Netns("gme", ipv6=False) as me, netns.Netns("gpe", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer)
        d = Garpd(me, FAST)
        d.write_config("[sequence]\nprobe_interval = fast\n")
        d.signal(signal.SIGHUP)
        line = d.wait_for("event=reload-failed")
        check(f"{d.config_path}:2: probe_interval" in line, f"reload error lacks file:line:key: {line}")
        check(line.endswith(f'event=reload-failed config={d.config_path} error="{d.config_path}:2: '
                            'probe_interval: expected a duration like 250ms or 1s, got \\"fast\\""'),
              f"reload-failed is not key=value like every other line: {line}")
        # The old configuration (3 probes, 100 ms) is still in force.
        probes = probes_of(d, me, mine, peer, theirs, "10.0.0.81", 4)
        check(len(probes) == 3, f"after a bad reload: {len(probes)} probes, expected 3")
        # A good reload applies to the next sequence.
        d.write_config("[sequence]\nprobes = 1\nannounce_delay = 100ms\n")
        d.signal(signal.SIGHUP)
        d.wait_for("event=reloaded")
        probes = probes_of(d, me, mine, peer, theirs, "10.0.0.82", 2)
        check(len(probes) == 1, f"after a good reload: {len(probes)} probes, expected 1")
        check(d.proc.poll() is None, "garpd died on reload")


def test():
    with tempfile.TemporaryDirectory() as tmp:
        check_bad_files(tmp)
        check_reload(tmp)


if __name__ == "__main__":
    netns.main(test)
