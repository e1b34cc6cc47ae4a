# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive gnl-watch (netlink/ in a namespace, events as lines) from a test."""

import os
import subprocess
import sys
import threading
import time

import netns


def watch_binary():
    """gnl-watch's path: argv[1] (meson passes the executable) or $GARPD_GNL_WATCH."""
    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        path = os.environ.get("GARPD_GNL_WATCH", "")
    if not path or not os.access(path, os.X_OK):
        netns.fail(f"gnl-watch not found ({path!r}): run through meson test")
    return path


def parse(line):
    """'ADDR_NEW ifindex=3 addr=10.0.0.1/24 ...' -> ('ADDR_NEW', {...})."""
    parts = line.split()
    kv = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            kv[k] = v
    return (parts[0] if parts else ""), kv


class Watch:
    """gnl-watch running in @ns; .lines grows as it prints."""

    def __init__(self, ns, rcvbuf=None):
        cmd = [watch_binary()]
        if rcvbuf:
            cmd += ["--rcvbuf", str(rcvbuf)]
        self.lines = []
        self._cv = threading.Condition()
        self.proc = ns.popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, bufsize=1)
        self._t = threading.Thread(target=self._reader, daemon=True)
        self._t.start()

    def _reader(self):
        for line in self.proc.stdout:
            with self._cv:
                self.lines.append(line.rstrip("\n"))
                self._cv.notify_all()
        with self._cv:
            self.lines.append("EOF")
            self._cv.notify_all()

    def send(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def events(self, kind=None, start=0):
        with self._cv:
            lines = list(self.lines[start:])
        out = [parse(l) for l in lines]
        return [e for e in out if kind is None or e[0] == kind]

    def wait(self, pred, timeout=20, what="condition"):
        """Wait until pred(lines) is true; returns its value."""
        end = time.monotonic() + timeout
        with self._cv:
            while True:
                v = pred(self.lines)
                if v:
                    return v
                if self.lines and self.lines[-1] == "EOF":
                    raise netns.TestFailure(f"gnl-watch exited while waiting for {what}: "
                                            f"{self.proc.stderr.read()}")
                left = end - time.monotonic()
                if left <= 0:
                    tail = "\n  ".join(self.lines[-15:])
                    raise netns.TestFailure(f"timeout waiting for {what}; last lines:\n  {tail}")
                self._cv.wait(left)

    def wait_line(self, prefix, start=0, timeout=20, where=None):
        """Wait for a line starting with @prefix at index >= @start; returns (index, kv)."""
        def pred(lines):
            for i in range(start, len(lines)):
                k, kv = parse(lines[i])
                if lines[i].startswith(prefix) and (where is None or where(kv)):
                    return (i, kv)
            return None
        return self.wait(pred, timeout, what=f"'{prefix}'")

    def mark(self):
        with self._cv:
            return len(self.lines)

    def settle(self, quiet=0.5, timeout=20):
        """Wait until nothing new has been printed for @quiet seconds."""
        end = time.monotonic() + timeout
        n = -1
        while time.monotonic() < end:
            m = self.mark()
            if m == n:
                return
            n = m
            time.sleep(quiet)
        raise netns.TestFailure("gnl-watch never went quiet")

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._t.join(timeout=5)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
