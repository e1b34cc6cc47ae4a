#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The documents match the program:
- every man page renders within 80 columns (scdoc, then man -l at MANWIDTH=80);
- every event garpd logs (event=NAME in daemon/garpd/*.c) is listed in garpd(8);
- every event field garpd can emit is listed in garpctl(8) (monitor --json keys);
- README's log sample is in the program's format (<N>level=L key=value...).
Usage: test_docs.py SCDOC SOURCE_ROOT"""

import os
import re
import subprocess
import sys

PAGES = ["config/garpd.conf.5.scd", "daemon/garpd/garpd.8.scd", "daemon/garpctl/garpctl.8.scd"]


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def render(scdoc, path):
    with open(path, "rb") as f:
        roff = subprocess.run([scdoc], stdin=f, capture_output=True, check=True).stdout
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0", LC_ALL="C.UTF-8")
    out = subprocess.run(["man", "-l", "-"], input=roff, capture_output=True, env=env,
                         check=True).stdout.decode()
    return re.sub(r".\x08", "", out)


def main():
    scdoc, root = sys.argv[1], sys.argv[2]
    for page in PAGES:
        text = render(scdoc, os.path.join(root, page))
        wide = [l for l in text.splitlines() if len(l) > 80]
        if wide:
            fail(f"{page} renders wider than 80 columns:\n" + "\n".join(wide))

    src = ""
    for name in sorted(os.listdir(os.path.join(root, "daemon/garpd"))):
        if name.endswith(".c"):
            src += open(os.path.join(root, "daemon/garpd", name)).read()
    events = set(re.findall(r'event=([a-z][a-z-]+)', src))
    events |= set(re.findall(r'\.?event = "([a-z][a-z-]+)"', src))
    events |= set(re.findall(r'\[ENGINE_FRAME_[A-Z_]+\] = "([a-z-]+)"', src))
    if len(events) < 20:
        fail(f"found only {len(events)} events in the source: {sorted(events)}")
    garpd8 = open(os.path.join(root, "daemon/garpd/garpd.8.scd")).read()
    missing = sorted(e for e in events if f"*{e}*" not in garpd8)
    if missing:
        fail(f"events garpd logs but garpd(8) does not list: {missing}")

    keys = set(re.findall(r'\.key[12] = "([a-z_]+)"', src)) | {"iface", "addr", "event", "mac"}
    keys |= {"time", "time_ns"}
    garpctl8 = open(os.path.join(root, "daemon/garpctl/garpctl.8.scd")).read()
    start = garpctl8.index("\n*monitor* [")
    mon = garpctl8[start:garpctl8.index("\n*metrics*", start)]
    missing = sorted(k for k in keys if f"_{k}_" not in mon)
    if missing:
        fail(f"monitor fields garpctl(8) does not list: {missing}")

    readme = open(os.path.join(root, "README.md")).read()
    sample = readme[readme.index("It logs one line per event"):]
    sample = sample[sample.index("```\n") + 4:]
    sample = sample[:sample.index("```")]
    line = re.compile(r"^<[0-7]>level=(debug|info|notice|warning|error)"
                      r"( [a-z_]+=(\"[^\"]*\"|[^ \"]+))+$")
    for l in sample.splitlines():
        if not line.match(l):
            fail(f"README log sample line not in the program's format: {l!r}")
        ev = re.search(r"event=([a-z-]+)", l)
        if not ev or ev.group(1) not in events:
            fail(f"README log sample names an event garpd does not log: {l!r}")


if __name__ == "__main__":
    main()
