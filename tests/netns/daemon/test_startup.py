#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpd -t checks what start would check, and a background start never
fails silently:
- -t with a missing file named by --config, with an unknown user, and with
  a file holding three errors (each reported as file:line: key: ..., exit 78);
- a background start without CAP_NET_RAW exits non-zero and says why;
- a background start whose control socket is in use exits non-zero and says so;
- a good background start exits 0 once the daemon runs, writes --pid-file
  with the daemon's pid, and the daemon removes it when it stops."""

import os
import signal
import subprocess
import tempfile
import time

import netns
from netns import check
from garpd_harness import garpd_binary, run_garpd

EX_CONFIG = 78


def check_config(tmp):
    path = os.path.join(tmp, "garpd.conf")
    r = run_garpd(["-t", "--config", os.path.join(tmp, "missing.conf")])
    check(r.returncode == EX_CONFIG and "missing.conf: does not exist" in r.stderr,
          f"-t, missing file: exit {r.returncode} {r.stderr!r}")

    with open(path, "w") as f:
        f.write("[daemon]\nuser = nosuchuser-garpd\n")
    r = run_garpd(["-t", "--config", path])
    check(r.returncode == EX_CONFIG and f"{path}:2: user: " in r.stderr
          and "nosuchuser-garpd" in r.stderr,
          f"-t, unknown user: exit {r.returncode} {r.stderr!r} {r.stdout!r}")

    with open(path, "w") as f:
        f.write("[sequence]\nprobes = many\nannounce_delay = soon\n\n[daemon]\nlog_level = loud\n")
    r = run_garpd(["-t", "--config", path])
    check(r.returncode == EX_CONFIG, f"-t, three errors: exit {r.returncode}")
    for line, key in ((2, "probes"), (3, "announce_delay"), (6, "log_level")):
        check(f"{path}:{line}: {key}: " in r.stderr,
              f"-t did not report {key} on line {line}: {r.stderr!r}")
    check("ok" not in r.stdout, f"-t said ok for a bad file: {r.stdout!r}")


def background(ns, tmp, args, prefix=()):
    """garpd without --foreground in @ns; returns the CompletedProcess of the process started."""
    cmd = [*prefix, garpd_binary(), "--config", os.path.join(tmp, "empty.conf"), *args]
    return ns.run(cmd, check=False, timeout=30)


def test():
    with tempfile.TemporaryDirectory() as tmp:
        check_config(tmp)
        open(os.path.join(tmp, "empty.conf"), "w").close()
        sock, pidf = os.path.join(tmp, "control"), os.path.join(tmp, "garpd.pid")
        with netns.Netns("gst", ipv6=False) as ns:
            # No CAP_NET_RAW: the packet socket cannot be opened.
            r = background(ns, tmp, ["--control-socket", sock],
                           prefix=["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"])
            check(r.returncode != 0, f"a start without CAP_NET_RAW exited 0: {r.stderr!r}")
            check("start-failed" in r.stderr and "CAP_NET_RAW" in r.stderr,
                  f"the reason is not on stderr: {r.stderr!r}")

            # A good start: exit 0 once running, pid file written.
            r = background(ns, tmp, ["--control-socket", sock, "--pid-file", pidf])
            check(r.returncode == 0, f"background start: exit {r.returncode} {r.stderr!r}")
            pid = int(open(pidf).read())
            with open(f"/proc/{pid}/comm") as f:
                check(f.read().strip() == "garpd", "the pid file does not name garpd")
            st = subprocess.run([netns.garpctl(), "--socket", sock, "status"],
                                capture_output=True, text=True, timeout=10)
            check(st.returncode == 0, f"status against the background daemon: {st.stderr}")

            # A second one: the control socket is in use.
            r = background(ns, tmp, ["--control-socket", sock])
            check(r.returncode != 0 and "in use" in r.stderr,
                  f"second daemon on the same socket: exit {r.returncode} {r.stderr!r}")

            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not os.path.exists(f"/proc/{pid}"):
                    break
                time.sleep(0.05)
            check(not os.path.exists(pidf), "the pid file is left after a clean stop")


if __name__ == "__main__":
    netns.main(test)
