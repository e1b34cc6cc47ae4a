# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the real garpd inside a test namespace and read its log.

    with netns.Netns() as ns:
        d = Garpd(ns, FAST)          # started; returns once event=ready is logged
        ...
        d.wait_for("event=announced", addr="10.0.0.100")
        d.stop()
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import netns

# probes at 0, 100, 200 ms, announcement at 300 ms: the default sequence, 10x faster.
FAST = """
[sequence]
probe_interval = 100ms
announce_delay = 100ms
"""


def garpd_binary():
    return netns.binary("GARPD_GARPD")


def per_address(lines):
    """The lines about one address (addr=...), not a burst's summary (count=, addrs=)."""
    return [l for l in lines if " addr=" in l]


class Garpd:
    def __init__(self, ns, config="", args=(), ready=True, ready_timeout=15, prefix=()):
        """@prefix: a command garpd runs under (e.g. setpriv ...), which must exec it."""
        self.ns = ns
        self.dir = tempfile.mkdtemp(prefix="garpd-test-")
        netns._register(self._remove_dir)
        self.config_path = os.path.join(self.dir, "garpd.conf")
        self.control = os.path.join(self.dir, "control")
        self.write_config(config)
        cmd = [*prefix, garpd_binary(), "--foreground", "--config", self.config_path,
               "--control-socket", self.control, "--log-level", "debug", *args]
        self.lines = []
        self.arrived = []  # time.monotonic() when each line was read
        self._cond = threading.Condition()
        # `ip netns exec` execs garpd, so this is garpd's own pid.
        self.proc = ns.popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if ready:
            self.wait_for("event=ready", timeout=ready_timeout)

    def _remove_dir(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def _read(self):
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self.arrived.append(time.monotonic())
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @staticmethod
    def _match(line, pattern, fields):
        if pattern and pattern not in line:
            return False
        return all(re.search(rf"(^|\s){k}={re.escape(str(v))}(\s|$)", line)
                   for k, v in fields.items())

    def find(self, pattern=None, **fields):
        with self._cond:
            return [l for l in self.lines if self._match(l, pattern, fields)]

    def wait_for(self, pattern=None, timeout=10, **fields):
        """The first log line containing @pattern with every key=value of @fields."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                for l in self.lines:
                    if self._match(l, pattern, fields):
                        return l
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise netns.TestFailure(
                        f"garpd exited {self.proc.returncode} before logging {pattern} {fields}:\n"
                        + "\n".join(self.lines[-30:]))
                left = end - time.monotonic()
                if left <= 0:
                    raise netns.TestFailure(
                        f"garpd did not log {pattern} {fields} within {timeout} s; last lines:\n"
                        + "\n".join(self.lines[-30:]))
                self._cond.wait(left)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def status_field(self, name):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split(":", 1)[1].strip()
        return None

    def stop(self, timeout=5):
        """SIGTERM; returns (exit status, seconds it took to exit)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        took = time.monotonic() - t0
        self._reader.join(timeout=5)
        self.stop_t0 = t0
        return rc, took

    def stopped_after(self):
        """Seconds from stop()'s SIGTERM until garpd logged event=stopped (its
        loop done, only freeing memory and closing descriptors left), or None.
        Unlike the exit, this leaves out the sanitizers' exit-time leak scan
        in the test build, which alone takes 50-100 ms on a loaded machine."""
        with self._cond:
            for line, t in zip(self.lines, self.arrived):
                if t >= self.stop_t0 and self._match(line, "event=stopped", {}):
                    return t - self.stop_t0
        return None


def run_garpd(args, timeout=10):
    """Run garpd to completion on the host side (e.g. --check-config)."""
    return subprocess.run([garpd_binary(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
