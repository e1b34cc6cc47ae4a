# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl send's sequence options take exactly what garpd.conf takes: every
value the configuration refuses (`garpd -t`) is refused by send with exit 2
and one line carrying the same message, and every value it accepts gets past
the option check. One definition of every limit (issue 16 item 3)."""

import os
import subprocess
import tempfile

import netns
from netns import check

GARPCTL = netns.garpctl()
GARPD = os.path.join(os.path.dirname(os.path.dirname(GARPCTL)), "garpd", "garpd")

CASES = [
    ("probes", ["0", "3", "100", "101", "x", "-1", "1k"]),
    ("probe_interval", ["0", "1ms", "1h", "2h", "fast", "1.5s", "-1s"]),
    ("announce_delay", ["0", "1ms", "1h", "61m"]),
    ("announcements", ["0", "1", "100", "101", "100000"]),
    ("announce_interval", ["0", "1ms", "3600s", "3601s"]),
    ("frames", ["request", "reply", "both", "all"]),
    ("target_mac", ["broadcast", "zero", "multicast"]),
]


def config_says(key, value, tmp):
    path = os.path.join(tmp, "garpd.conf")
    with open(path, "w") as f:
        f.write(f"[sequence]\n{key} = {value}\n")
    r = subprocess.run([GARPD, "-t", "--config", path], capture_output=True, text=True)
    if r.returncode == 0:
        return None
    # "garpd: PATH:2: key: expected ..." -> "expected ..."
    return r.stderr.strip().split(f"{key}: ", 1)[1]


def send_says(key, value):
    opt = "--" + key.replace("_", "-")
    # The loopback interface is refused after the options: exit 2 with another message.
    r = subprocess.run([GARPCTL, "send", "-i", "lo", opt, value, "127.0.0.1"],
                       capture_output=True, text=True)
    prefix = f"garpctl send: {opt}: "
    if r.stderr.startswith(prefix):
        check(r.returncode == 2, f"{opt} {value}: exit {r.returncode}")
        check(r.stderr.count("\n") == 1, f"{opt} {value}: not one line: {r.stderr!r}")
        return r.stderr[len(prefix):].strip()
    check("loopback" in r.stderr, f"{opt} {value}: unexpected {r.stderr!r}")
    return None


def test():
    if not os.access(GARPD, os.X_OK):
        netns.skip(f"{GARPD} not built")
    with tempfile.TemporaryDirectory() as tmp:
        for key, values in CASES:
            for v in values:
                want = config_says(key, v, tmp)
                got = send_says(key, v)
                check(got == want, f"{key} = {v}: garpd.conf says {want!r}, send says {got!r}")
                print(f"ok {key} = {v}: {'refused: ' + got if got else 'accepted'}")


netns.main(test)
