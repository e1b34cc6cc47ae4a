#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A frame whose link went down in the same instant (issue 21, item 8):
sendmmsg() fails with ENETDOWN before garpd has read the event that says
so. Expected on every link flap: counted (send errors) and logged at debug,
never a warning. Any other send error is still a warning.

The race (microseconds between the flag and its netlink event) cannot be
hit on demand, so a preloaded shim (fail-send.c) makes sendmmsg() fail the
way the kernel does while a file exists."""

import errno
import os
import re
import subprocess
import tempfile

import netns
from netns import check
from garpd_harness import Garpd

CONFIG = """
[sequence]
probes = 0
announcements = 3
announce_interval = 100ms
"""


def send_errors(d, ifname):
    out = subprocess.run([netns.garpctl(), "--socket", d.control, "metrics"],
                         capture_output=True, text=True, timeout=10).stdout
    m = re.search(r'garpd_send_errors_total\{interface="%s"\} (\d+)' % re.escape(ifname), out)
    return int(m.group(1)) if m else 0


def test():
    shim = netns.binary("GARPD_FAIL_SEND")
    trigger = os.path.join(tempfile.mkdtemp(prefix="garpd-fail-"), "fail")
    os.environ["LD_PRELOAD"] = shim
    os.environ["GARPD_TEST_SEND_FAIL"] = trigger
    os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    with netns.Netns("gnd", ipv6=False) as me, netns.Netns("gnp", ipv6=False) as peer:
        mine, _ = netns.veth(me, peer)
        d = Garpd(me, CONFIG)

        with open(trigger, "w") as f:
            f.write(str(errno.ENETDOWN))
        me.addr_add(mine, "10.0.0.1/24")
        d.wait_for("event=send-failed", addr="10.0.0.1")
        d.wait_for("event=announced", timeout=10, addr="10.0.0.1")
        failed = d.find("event=send-failed")
        check(len(failed) == 3, f"3 announcements, 3 failures: {failed}")
        check(all("error=ENETDOWN" in l and re.search(r"level=debug\b", l) for l in failed),
              f"ENETDOWN logged above debug: {failed}")
        check(send_errors(d, mine) == 3, f"counted: {send_errors(d, mine)}")

        # any other error is still worth a warning
        with open(trigger, "w") as f:
            f.write(str(errno.EMSGSIZE))
        me.addr_add(mine, "10.0.0.2/24")
        line = d.wait_for("event=send-failed", addr="10.0.0.2")
        check("error=EMSGSIZE" in line and "level=warning" in line, f"not a warning: {line}")
        os.unlink(trigger)
        me.addr_add(mine, "10.0.0.3/24")
        d.wait_for("event=announcement-sent", addr="10.0.0.3")


if __name__ == "__main__":
    netns.main(test)
