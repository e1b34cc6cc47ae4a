#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpctl status says why an interface is not considered (loopback, NOARP,
not Ethernet, ignored by the configuration), in text and JSON, and shows
each considered interface's effective policy: [sequence] with the
[interface PATTERN] sections that match it applied."""

import json
import os
import subprocess

import netns
from netns import check
from garpd_harness import FAST, Garpd

CONFIG = FAST + """
[interface sti*]
ignore = yes

[interface stp*]
probes = 1
frames = both
on_link_up = sequence
"""


def ctl(d, *args):
    r = subprocess.run([netns.garpctl(), "--socket", d.control, *args],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 0, f"garpctl {' '.join(args)}: exit {r.returncode} {r.stderr}")
    return r.stdout


MAN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "daemon",
                   "garpctl", "garpctl.8.scd")


def keys_of(v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            out.add(k)
            keys_of(x, out)
    elif isinstance(v, list):
        for x in v:
            keys_of(x, out)
    return out


def test():
    with netns.Netns("gsw", ipv6=False) as me, netns.Netns("gsx", ipv6=False) as peer:
        plain, _ = netns.veth(me, peer, name_a=netns.unique_name("sta"))
        ignored, _ = netns.veth(me, peer, name_a=netns.unique_name("sti"))
        tuned, _ = netns.veth(me, peer, name_a=netns.unique_name("stp"))
        noarp, _ = netns.veth(me, peer, name_a=netns.unique_name("stn"))
        me.ip("link", "set", "dev", noarp, "arp", "off")
        tun = netns.unique_name("stt")
        me.ip("tuntap", "add", "dev", tun, "mode", "tun")
        d = Garpd(me, CONFIG)

        want = {"lo": "loopback", noarp: "noarp", tun: "not-ethernet",
                ignored: "ignored-by-config", plain: None, tuned: None}
        whole = json.loads(ctl(d, "status", "--json"))
        man = open(MAN).read()
        undocumented = sorted(k for k in keys_of(whole, set()) if f"_{k}_" not in man and f"_{k}[]_" not in man)
        check(not undocumented, f"status --json keys garpctl(8) does not list: {undocumented}")
        st = {i["name"]: i for i in whole["interfaces"]}
        for name, why in want.items():
            check(name in st, f"{name} missing from status --json")
            i = st[name]
            check(i["ignored"] is (why is not None) and i["ignored_reason"] == why,
                  f"{name}: ignored={i['ignored']} reason={i['ignored_reason']!r}, expected {why!r}")
            check((i["policy"] is None) == (why is not None), f"{name}: policy {i['policy']}")
        p, t = st[plain]["policy"], st[tuned]["policy"]
        check(p["probes"] == 3 and p["frames"] == "request" and p["on_link_up"] == "announce"
              and p["probe_interval_ms"] == 100 and p["profile"] == "win8",
              f"{plain}: policy {p}")
        check(t["probes"] == 1 and t["frames"] == "both" and t["on_link_up"] == "sequence",
              f"{tuned}: the [interface stp*] section is not applied: {t}")

        text = ctl(d, "status")
        rows = {l.split()[0]: l for l in text.splitlines() if l and not l.startswith(" ")}
        for name, why in want.items():
            if why:
                check(f"ignored: {why}" in rows.get(name, ""), f"text row of {name}: {rows.get(name)!r}")
        lines = text.splitlines()
        pol = lines[lines.index(rows[tuned]) + 1]
        check("policy profile=win8 probes=1 " in pol and "probe_interval=100ms" in pol,
              f"text policy of {tuned}: {pol!r}")
        nxt = lines[lines.index(rows[tuned]) + 2]
        check("frames=both" in nxt and "on_link_up=sequence" in nxt, f"text policy: {nxt!r}")
        d.stop()


if __name__ == "__main__":
    netns.main(test)
