#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""garpd holds no privilege once started, and its control socket belongs to
its user and the operators' group (issue 21, items 4 and 5).

- As root without `user =`, with `user =`, and started the way the systemd
  unit starts it (its user, CAP_NET_RAW and CAP_SETPCAP ambient): CapEff,
  CapPrm, CapInh, CapAmb and CapBnd all 0 and NoNewPrivs 1 in
  /proc/PID/status, and it still announces. Started without CAP_SETPCAP it
  cannot empty its bounding set: it stops with an error that says so.
- With `user =` and `control_group =`, the socket (0660) and the directory
  garpd creates for it (0750) belong to that user and group; garpctl works
  as that user and as a member of the group, and a stranger is refused.

Throwaway users and groups are created here and removed on every exit path.
"""

import os
import pwd
import grp
import shutil
import stat
import subprocess
import tempfile

import netns
from netns import check
from garpd_harness import FAST, Garpd

ZERO = "0000000000000000"
ADDR = "10.0.0.70"


def add_user(name, groups=()):
    cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
           "--user-group"]
    if groups:
        cmd += ["--groups", ",".join(groups)]
    netns.sh(cmd + [name])
    netns._register(lambda: (netns.sh(["userdel", name], check=False),
                             netns.sh(["groupdel", name], check=False)))
    return pwd.getpwnam(name)


def add_group(name):
    netns.sh(["groupadd", "--system", name])
    netns._register(lambda: netns.sh(["groupdel", name], check=False))
    return grp.getgrnam(name)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def check_no_privileges(d, what, uid=None, gid=None):
    st = proc_status(d.pid)
    for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        check(st.get(k) == ZERO, f"{what}: {k} is {st.get(k)}, expected {ZERO}")
    check(st.get("NoNewPrivs") == "1", f"{what}: NoNewPrivs is {st.get('NoNewPrivs')}")
    if uid is not None:
        check(st["Uid"].split() == [str(uid)] * 4, f"{what}: Uid {st['Uid']}, expected {uid}")
        check(st["Gid"].split() == [str(gid)] * 4, f"{what}: Gid {st['Gid']}, expected {gid}")
        check(st.get("Groups", "") == "", f"{what}: supplementary groups kept: {st['Groups']}")
    print(f"{what}: Cap* all 0, NoNewPrivs 1, Uid {st['Uid'].split()[0]}")


def announces(d, me, peer, mine, theirs, addr):
    with netns.Capture(peer, theirs, count=4, timeout=10) as cap:
        me.addr_add(mine, addr + "/24")
        frames = cap.wait(timeout=10)
    check([f.spa for f in frames][-1:] == [addr],
          f"no announcement for {addr} after dropping privileges: {[f.summary() for f in frames]}")
    me.ip("addr", "del", addr + "/24", "dev", mine)


def garpctl_as(sock, user, groups=()):
    cmd = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}"]
    cmd += [f"--groups={','.join(str(g) for g in groups)}"] if groups else ["--clear-groups"]
    cmd += [netns.garpctl(), "--socket", sock, "status"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=10)


def test():
    if not shutil.which("useradd") or not shutil.which("setpriv"):
        netns.skip("needs useradd and setpriv")
    tag = f"gt{os.getpid()}"
    owner = add_user(tag + "d")
    ops = add_group(tag + "o")
    member = add_user(tag + "m", groups=[ops.gr_name])
    stranger = add_user(tag + "s")
    work = tempfile.mkdtemp(prefix="garpd-privs-")
    netns._register(lambda: shutil.rmtree(work, ignore_errors=True))
    os.chmod(work, 0o755)

    with netns.Netns("gpv", ipv6=False) as me, netns.Netns("gpp", ipv6=False) as peer:
        mine, theirs = netns.veth(me, peer)

        # 1. root, no user: no capability left, root's uid kept.
        d = Garpd(me, FAST)
        check_no_privileges(d, "root")
        announces(d, me, peer, mine, theirs, ADDR)
        rc, _ = d.stop()
        check(rc == 0, f"garpd (root) exited {rc}")

        # 2. user = and control_group =: the socket is theirs.
        sock = os.path.join(work, "run", "control")
        d = Garpd(me, FAST + f"[daemon]\nuser = {owner.pw_name}\ncontrol_group = {ops.gr_name}\n",
                  args=["--control-socket", sock])
        check_no_privileges(d, "user =", owner.pw_uid, owner.pw_gid)
        announces(d, me, peer, mine, theirs, ADDR)
        for path, mode in ((os.path.dirname(sock), 0o750), (sock, 0o660)):
            s = os.stat(path)
            check((s.st_uid, s.st_gid, stat.S_IMODE(s.st_mode)) ==
                  (owner.pw_uid, ops.gr_gid, mode),
                  f"{path}: {s.st_uid}:{s.st_gid} {oct(stat.S_IMODE(s.st_mode))}, expected "
                  f"{owner.pw_uid}:{ops.gr_gid} {oct(mode)}")
        r = garpctl_as(sock, owner)
        check(r.returncode == 0 and "COUNTERS" in r.stdout,
              f"garpctl as garpd's user: exit {r.returncode} {r.stderr!r}")
        r = garpctl_as(sock, member, groups=[member.pw_gid, ops.gr_gid])
        check(r.returncode == 0 and "COUNTERS" in r.stdout,
              f"garpctl as a member of control_group: exit {r.returncode} {r.stderr!r}")
        r = garpctl_as(sock, stranger)
        check(r.returncode == 1 and "ermission denied" in r.stderr,
              f"garpctl as a stranger: exit {r.returncode} {r.stderr!r}")
        # Even past the file's mode, garpd itself refuses the stranger.
        os.chmod(os.path.dirname(sock), 0o755)
        os.chmod(sock, 0o666)
        r = garpctl_as(sock, stranger)
        check(r.returncode == 1 and "permission denied" in r.stderr,
              f"garpctl as a stranger, socket opened up: exit {r.returncode} {r.stderr!r}")
        rc, _ = d.stop()
        check(rc == 0, f"garpd (user) exited {rc}")
        check(not os.path.exists(sock), "garpd's user could not remove its socket at exit")

        # 3. Started as the systemd unit starts it: its user, two ambient capabilities.
        unit_dir = os.path.join(work, "unit")
        os.mkdir(unit_dir, 0o750)
        os.chown(unit_dir, owner.pw_uid, owner.pw_gid)
        conf = os.path.join(work, "unit.conf")
        with open(conf, "w") as f:
            f.write(FAST)
        os.chmod(conf, 0o644)

        def unit(caps):
            return ["setpriv", f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}",
                    "--clear-groups", f"--inh-caps=-all,{caps}", f"--ambient-caps={caps}",
                    f"--bounding-set=-all,{caps}"]

        d = Garpd(me, args=["--config", conf, "--control-socket", unit_dir + "/control"],
                  prefix=unit("+net_raw,+setpcap"))
        check_no_privileges(d, "systemd-style", owner.pw_uid, owner.pw_gid)
        announces(d, me, peer, mine, theirs, ADDR)
        rc, _ = d.stop()
        check(rc == 0, f"garpd (systemd-style) exited {rc}")

        # Without CAP_SETPCAP the bounding set cannot be emptied: a clear stop, not a shrug.
        d = Garpd(me, args=["--config", conf, "--control-socket", unit_dir + "/control"],
                  prefix=unit("+net_raw"), ready=False)
        rc = d.proc.wait(timeout=15)
        d._reader.join(timeout=5)
        check(rc != 0, "garpd ran with a bounding set it could not empty")
        check(d.find("bounding set"), f"no reason given: {d.lines[-5:]}")
        print(f"without CAP_SETPCAP: exit {rc}: {d.find('bounding set')[0]}")


if __name__ == "__main__":
    netns.main(test)
