#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A control request sent while garpd starts is held until garpd has read
every interface and address, then answered from the complete state (issue
22): never from an empty or partial one.

50,000 addresses on 100 interfaces make the first netlink dump take long
enough to connect and ask in the middle of it.
"""

import re
import socket
import time

import netns
from netns import check
from garpd_harness import Garpd

N_LINKS, PER_LINK = 100, 500
N_ADDRS = N_LINKS * PER_LINK
ADDR_RE = re.compile(rb"\b10\.\d+\.\d+\.\d+\b")


def address(j):
    return f"10.{1 + j // 62500}.{(j // 250) % 250}.{j % 250 + 1}"


def ask_while_starting(me):
    d = Garpd(me, "", ready=False)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    end = time.monotonic() + 30
    while True:  # as soon as the socket listens
        try:
            s.connect(d.control)
            break
        except (FileNotFoundError, ConnectionRefusedError, BlockingIOError):
            check(time.monotonic() < end, "the control socket never appeared")
            time.sleep(0.0005)
    early = not d.find("event=ready")
    t0 = time.monotonic()
    s.sendall(b"status\n")
    s.settimeout(60)
    head = b""
    while b"\n" not in head:
        chunk = s.recv(1)
        check(chunk, "garpd closed the connection without a reply")
        head += chunk
    check(head.startswith(b"OK "), f"status while starting: {head!r}")
    n = int(head[3:])
    body = b""
    while len(body) < n:
        chunk = s.recv(1 << 20)
        check(chunk, "reply cut short")
        body += chunk
    took = time.monotonic() - t0
    s.close()
    d.wait_for("event=ready", timeout=60)
    seen = set(ADDR_RE.findall(body))
    d.stop()
    return early, took, len(seen)


def test():
    with netns.Netns("gcs", ipv6=False) as me:
        lines = []
        for k in range(N_LINKS):
            lines.append(f"link add gq{k} type veth peer name gr{k}")
            lines += [f"addr add {address(k * PER_LINK + i)}/32 dev gq{k}"
                      for i in range(PER_LINK)]
        me.ip_batch(lines, timeout=300)
        for attempt in range(3):
            early, took, seen = ask_while_starting(me)
            print(f"attempt {attempt}: asked before ready: {early}; answered after {took:.3f} s "
                  f"with {seen} of {N_ADDRS} addresses")
            if early:
                break
        check(early, "could not ask before garpd was ready in 3 attempts (dump too fast?)")
        check(seen == N_ADDRS, f"status while starting showed {seen} of {N_ADDRS} addresses")


if __name__ == "__main__":
    netns.main(test)
