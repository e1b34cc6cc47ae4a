#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`meson install --destdir` gives an install whose parts agree.

For the default prefix and for the packaging invocation (--prefix=/usr
--sysconfdir=/etc), build garpd from this source tree, install it into a
scratch DESTDIR, and check every path one installed file names against the
files that were installed:

- the unit's ExecStart= is the installed garpd, its ExecReload= the installed
  garpctl running `reload`; ConfigurationDirectory= only when the
  configuration is under /etc;
- the configuration file `garpd --help` names is the one installed, and the
  man pages (all three installed) and the shipped file's header name it too;
- the unit, sysusers.d and tmpfiles.d snippets lie in directories this
  systemd reads (systemd-analyze unit-paths, and the fixed search lists).

Usage: test_install.py SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def systemd_unit_paths():
    try:
        out = run("systemd-analyze", "unit-paths")
    except (OSError, subprocess.CalledProcessError):
        return None
    return [p.rstrip("/") for p in out.split()]


# systemd-sysusers(8) and systemd-tmpfiles(8): the directories they read.
SNIPPET_DIRS = {
    "sysusers.d": ["/etc/sysusers.d", "/run/sysusers.d", "/usr/local/lib/sysusers.d",
                   "/usr/lib/sysusers.d"],
    "tmpfiles.d": ["/etc/tmpfiles.d", "/run/tmpfiles.d", "/usr/local/lib/tmpfiles.d",
                   "/usr/lib/tmpfiles.d"],
}


def installed_files(dest):
    out = []
    for root, _dirs, files in os.walk(dest):
        for f in files:
            out.append("/" + os.path.relpath(os.path.join(root, f), dest))
    return sorted(out)


def one(files, pattern):
    hits = [f for f in files if re.search(pattern, f)]
    check(len(hits) == 1, f"exactly one installed file matches {pattern}: {hits}")
    return hits[0] if hits else None


def unit_key(text, key):
    m = re.search(rf"^{key}=(.*)$", text, re.M)
    return m.group(1).strip() if m else None


def case(name, setup_args, expect_prefix, expect_conf):
    print(f"== {name}: meson setup {' '.join(setup_args)}")
    work = tempfile.mkdtemp(prefix="garpd-install-")
    try:
        build, dest = os.path.join(work, "build"), os.path.join(work, "dest")
        run("meson", "setup", build, SRC, "-Dtests=disabled", "-Dbuildtype=plain",
            "-Db_sanitize=none", "-Dwerror=false", *setup_args)
        run("meson", "compile", "-C", build)
        run("meson", "install", "-C", build, "--destdir", dest, "--no-rebuild")
        files = installed_files(dest)
        for f in files:
            print("     installed", f)

        garpd = one(files, r"/s?bin/garpd$")
        garpctl = one(files, r"/s?bin/garpctl$")
        unit = one(files, r"/garpd\.service$")
        conf = one(files, r"/garpd/garpd\.conf$")
        sysusers = one(files, r"/sysusers\.d/garpd\.conf$")
        tmpfiles = one(files, r"/tmpfiles\.d/garpd\.conf$")
        mans = {m: one(files, rf"/man[58]/{re.escape(m)}$")
                for m in ("garpd.8", "garpctl.8", "garpd.conf.5")}
        if None in (garpd, garpctl, unit, conf):
            return

        check(garpd == f"{expect_prefix}/sbin/garpd", f"garpd installed as {garpd}")
        check(conf == expect_conf, f"configuration installed as {conf} (expected {expect_conf})")

        text = open(dest + unit).read()
        exec_start = unit_key(text, "ExecStart")
        check(exec_start is not None and exec_start.split()[0] == garpd,
              f"unit ExecStart={exec_start} runs the installed {garpd}")
        exec_reload = unit_key(text, "ExecReload")
        check(exec_reload == f"{garpctl} reload",
              f"unit ExecReload={exec_reload} is the installed `{garpctl} reload`")
        check(os.access(dest + garpd, os.X_OK) and os.access(dest + garpctl, os.X_OK),
              "both programs are executable")
        cdir = unit_key(text, "ConfigurationDirectory")
        if conf.startswith("/etc/"):
            check(cdir == "garpd", f"ConfigurationDirectory={cdir} for a configuration under /etc")
        else:
            check(cdir is None, f"no ConfigurationDirectory= (/etc/garpd) for {conf}")
        check(not re.search(r"@[A-Z_]+@", text), "no unsubstituted @VAR@ left in the unit")

        helptext = run(dest + garpd, "--help")
        m = re.search(r"--config FILE\s+configuration file \(default ([^)]+)\)", helptext)
        check(m is not None and m.group(1) == conf,
              f"garpd --help's default configuration {m.group(1) if m else None} is the installed {conf}")
        check(open(dest + conf).readline().startswith(f"# {conf}:"),
              "the installed configuration's header names its own path")

        for m_name, path in mans.items():
            if path is None:
                continue
            check(path.startswith(f"{expect_prefix}/share/man/"), f"{m_name} under {expect_prefix}/share/man")
            body = open(dest + path).read().replace("\\&", "")  # roff's zero-width break
            check(not re.search(r"@[A-Z_]+@", body), f"{m_name}: no unsubstituted @VAR@")
            if m_name != "garpctl.8":
                check(conf in body, f"{m_name} names {conf}")
            else:
                check("/run/garpd/control" in body, "garpctl.8 names the control socket")

        paths = systemd_unit_paths()
        if paths is not None:
            check(os.path.dirname(unit) in paths,
                  f"the unit's directory {os.path.dirname(unit)} is in systemd's unit search path")
        for kind, path in (("sysusers.d", sysusers), ("tmpfiles.d", tmpfiles)):
            if path:
                check(os.path.dirname(path) in SNIPPET_DIRS[kind],
                      f"{path} is in a directory systemd's {kind} reads")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if not shutil.which("meson"):
    print("SKIP: meson not installed")
    sys.exit(77)
case("default prefix", [], "/usr/local", "/usr/local/etc/garpd/garpd.conf")
case("packaging", ["--prefix=/usr", "--sysconfdir=/etc"], "/usr", "/etc/garpd/garpd.conf")
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
