#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reload after garpd has switched user: the packaged permissions work, and
a file garpd may not read names the missing permission and the fix.

garpd starts as root with `user = nobody` (group nogroup), as the packaged
unit starts it as user garpd: by the time of a reload it can read only
what nobody/nogroup may read.
- configuration directory root:nogroup 0750, file root:nogroup 0640 (the
  Debian package's /etc/garpd): `garpctl reload` succeeds;
- file root:root 0600: the reload fails, the running configuration stays, and
  both garpctl's answer and the log say which file, which user and group, and
  `chgrp nogroup FILE && chmod g+r FILE`; after exactly that, reload works;
- directory root:root 0700: the same for the directory (`chmod g+x`).
"""

import grp
import os
import pwd
import subprocess

import netns
from netns import check
from garpd_harness import Garpd


def reload(d):
    return subprocess.run([netns.garpctl(), "--socket", d.control, "reload"],
                          capture_output=True, text=True, timeout=10)


def test():
    try:
        nogroup = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        netns.skip("no group nogroup on this system")
    with netns.Netns() as ns:
        d = Garpd(ns, "[daemon]\nuser = nobody\n")
        cfg, cdir = d.config_path, d.dir
        uid = d.status_field("Uid").split()[1]
        check(uid == str(pwd.getpwnam("nobody").pw_uid), f"garpd runs as uid {uid}, not nobody")
        os.chown(cdir, 0, nogroup)
        os.chmod(cdir, 0o750)
        os.chown(cfg, 0, nogroup)
        os.chmod(cfg, 0o640)
        r = reload(d)
        check(r.returncode == 0, f"reload with root:nogroup 0640 failed: {r.stderr}")

        # The file readable by root only.
        os.chown(cfg, 0, 0)
        os.chmod(cfg, 0o600)
        r = reload(d)
        print("garpctl reload:", r.stderr.strip())
        check(r.returncode != 0, "reload of a file garpd cannot read succeeded")
        for want in (cfg, "user nobody (group nogroup) may not read", "root:root 0600",
                     f"chgrp nogroup {cfg} && chmod g+r {cfg}"):
            check(want in r.stderr, f"garpctl reload's error lacks {want!r}: {r.stderr}")
        line = d.wait_for("event=reload-failed")
        check("chmod g+r" in line, f"the log's reload-failed line lacks the fix: {line}")
        check(d.proc.poll() is None, "garpd died on a failed reload")
        subprocess.run(["chgrp", "nogroup", cfg], check=True)
        subprocess.run(["chmod", "g+r", cfg], check=True)
        r = reload(d)
        check(r.returncode == 0, f"reload after the suggested fix failed: {r.stderr}")

        # The directory closed to the group.
        os.chown(cdir, 0, 0)
        os.chmod(cdir, 0o700)
        r = reload(d)
        print("garpctl reload:", r.stderr.strip())
        check(r.returncode != 0, "reload through a directory garpd cannot enter succeeded")
        for want in (f"may not enter directory {cdir}", "root:root 0700",
                     f"chgrp nogroup {cdir} && chmod g+x {cdir}"):
            check(want in r.stderr, f"garpctl reload's error lacks {want!r}: {r.stderr}")
        os.chmod(cdir, 0o755)
        rc, _ = d.stop()
        check(rc == 0, f"garpd exited {rc}")


if __name__ == "__main__":
    netns.main(test)
