#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian package under a real systemd (PID 1 in a container).

Builds the package with scripts/package (lintian included), boots a minimal
Debian root with `systemd-nspawn --boot` (built once by mmdebstrap from
Debian's mirror and cached; the container writes to a tmpfs overlay, the
cache stays as it is), installs the .deb with dpkg and checks, under that
systemd:

 1. the package: user garpd from sysusers.d, the unit enabled and started by
    the package's scripts, /etc/garpd root:garpd 0750, garpd.conf root:garpd
    0640 and a conffile;
 2. `systemctl start` (Type=notify) returns with the unit active (running),
    garpd's READY=1 having come after its event=ready;
 3. the process: user and group garpd, CapEff/CapPrm/CapInh/CapAmb/CapBnd 0, no new
    privileges, a seccomp filter, its own mount namespace with a read-only
    root (ProtectSystem=strict);
 4. an address added in the container gets its sequence (3 probes, then the
    announcement) on the other end of a veth pair, captured in a namespace
    of the test's own (nothing on the host's interfaces);
 5. `systemctl reload` with a good file succeeds and the new sequence
    applies; with a bad file it fails (non-zero), `systemctl status` and the
    journal show file:line, the main PID is the same and the previous
    configuration still runs;
 6. a configuration error at start fails the start with status 78 and is
    not restarted;
 7. `systemctl stop` is clean (status 0, event=stopped) and quick (< 5 s);
 8. `dpkg --purge` leaves no file behind that was not there before.

Usage: test_nspawn.py SOURCE_DIR BUILD_DIR
Environment: GARPD_NSPAWN_CACHE (default /var/cache/garpd-test), the root's
cache; GARPD_NSPAWN_MIRROR (default http://deb.debian.org/debian).
"""

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import netns
from netns import check

SRC, BUILD = sys.argv[1], sys.argv[2]
CACHE = os.environ.get("GARPD_NSPAWN_CACHE", "/var/cache/garpd-test")
MIRROR = os.environ.get("GARPD_NSPAWN_MIRROR", "http://deb.debian.org/debian")
# What the root holds besides Debian's minbase: systemd as init, ip, and the
# libraries garpd's package depends on (the container has no network to
# fetch them).
INCLUDE = ["systemd", "systemd-sysv", "iproute2", "libmnl0", "libcap2", "libinih1",
           "libsystemd0"]
T0 = time.monotonic()
timings = []


def stamp(what):
    timings.append((what, time.monotonic() - T0))
    print(f"[{time.monotonic() - T0:6.1f} s] {what}", flush=True)


def host_codename():
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return None


def root_path(codename):
    key = hashlib.sha256(" ".join([codename, MIRROR] + INCLUDE).encode()).hexdigest()[:12]
    return os.path.join(CACHE, f"root-{codename}-{key}")


def build_root(codename, root):
    """The cached root, built by mmdebstrap when missing (about a minute)."""
    if os.path.exists(os.path.join(root, "usr/lib/systemd/systemd")):
        print(f"root: cached {root}")
        return
    try:
        urllib.request.urlopen(f"{MIRROR}/dists/{codename}/Release", timeout=15).close()
    except OSError as e:
        netns.skip(f"no cached root in {CACHE} and Debian's mirror {MIRROR} is unreachable "
                   f"({e}): cannot build one")
    os.makedirs(CACHE, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="root-new-", dir=CACHE)
    try:
        r = subprocess.run(["mmdebstrap", "--variant=minbase", "--mode=root",
                            "--include=" + ",".join(INCLUDE), codename, tmp, MIRROR],
                           capture_output=True, text=True, timeout=1200)
        if r.returncode != 0:
            netns.fail(f"mmdebstrap exited {r.returncode}:\n{r.stderr[-3000:]}")
        # No login prompt on the console, no timers doing work during the test.
        for unit in ("console-getty.service", "apt-daily.timer", "apt-daily-upgrade.timer",
                     "e2scrub_all.timer", "dpkg-db-backup.timer", "fstrim.timer"):
            subprocess.run(["systemctl", "--root", tmp, "mask", unit], capture_output=True)
        with open(os.path.join(tmp, "etc/hostname"), "w") as f:
            f.write("garpd-test\n")
        shutil.rmtree(root, ignore_errors=True)
        os.rename(tmp, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"root: built {root}")


def build_package(out):
    r = subprocess.run([os.path.join(SRC, "scripts", "package"), "--out", out],
                       capture_output=True, text=True, timeout=1200)
    print(r.stdout)
    if r.returncode != 0:
        netns.fail(f"scripts/package exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    debs = glob.glob(os.path.join(out, "garpd_*.deb"))
    check(len(debs) == 1, f"scripts/package made {debs}")
    return debs[0]


class Container:
    def __init__(self, root, netns_name, debdir, log):
        self.name = "garpdtest%d" % os.getpid()
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "--boot", "--quiet", "--register=no", "--keep-unit",
             "--volatile=overlay", f"--directory={root}", f"--machine={self.name}",
             f"--network-namespace-path=/run/netns/{netns_name}",
             f"--bind-ro={debdir}:/mnt/garpd-deb", "--console=passive"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        netns._register(self.stop)
        self.leader = self._find_leader()

    def _find_leader(self, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                netns.fail(f"systemd-nspawn exited {self.proc.returncode}:\n"
                           + open(self.log.name).read()[-3000:])
            for pid in self._descendants(self.proc.pid):
                try:
                    with open(f"/proc/{pid}/status") as f:
                        st = f.read()
                except OSError:
                    continue
                nspid = [l for l in st.splitlines() if l.startswith("NSpid:")]
                # PID 1 of the container's pid namespace, once it is systemd
                # (before, it is nspawn's own child setting up the namespaces).
                if (nspid and nspid[0].split()[-1] == "1" and len(nspid[0].split()) > 2
                        and st.startswith("Name:\tsystemd\n")):
                    return pid
            time.sleep(0.1)
        netns.fail("the container's PID 1 did not appear")

    @staticmethod
    def _descendants(pid):
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            try:
                with open(f"/proc/{p}/task/{p}/children") as f:
                    kids = [int(x) for x in f.read().split()]
            except OSError:
                kids = []
            out += kids
            todo += kids
        return out

    def run(self, *cmd, check_rc=True, timeout=60, input=None):
        r = subprocess.run(["nsenter", "-t", str(self.leader), "-a", "--", *cmd],
                           capture_output=True, text=True, timeout=timeout, input=input)
        if check_rc and r.returncode != 0:
            raise netns.TestFailure(f"in the container, {' '.join(cmd)} exited {r.returncode}:\n"
                                    f"{r.stdout}{r.stderr}")
        return r

    def sh(self, script, **kw):
        return self.run("sh", "-c", script, **kw)

    def show(self, *props):
        out = self.run("systemctl", "show", "garpd", "-p", ",".join(props)).stdout
        return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)

    def journal(self):
        return self.run("journalctl", "-u", "garpd", "--no-pager", "-o", "cat").stdout

    def write(self, path, text):
        self.run("sh", "-c", f"cat > {path}", input=text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # nspawn asks the container's systemd to power off
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# Everything a package may leave: the file list outside logs, dpkg's own
# database, and the kernel's and runtime file systems.
SNAPSHOT = ("find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /tmp "
            "-o -path /var/log -o -path /var/lib/dpkg -o -path /var/cache/debconf "
            "-o -path /mnt \\) -prune -o -print | sort; find /run -path /run/systemd -prune "
            "-o -path /run/log -prune -o -print | sort")


def sequence_for(cap, addr):
    frames = [f for f in cap.frames if f.is_arp and f.tpa == addr]
    probes = [f for f in frames if f.spa == "0.0.0.0"]
    announcements = [f for f in frames if f.spa == addr]
    return probes, announcements


def add_and_capture(ct, obs, iface, addr, n_probes, timeout=20):
    """Add @addr in the container; return (probes, announcements) seen on the peer."""
    want = n_probes + 1
    with netns.Capture(obs, iface, count=want, timeout=timeout) as cap:
        t = time.monotonic()
        ct.run("ip", "addr", "add", f"{addr}/24", "dev", "veth-c")
        cap.wait(timeout + 5)
    probes, ann = sequence_for(cap, addr)
    print(f"  {addr}: {len(probes)} probes, {len(ann)} announcements within "
          f"{time.monotonic() - t:.1f} s")
    return probes, ann


def test():
    for prog in ("systemd-nspawn", "mmdebstrap", "nsenter"):
        if not shutil.which(prog):
            netns.skip(f"{prog} is not installed (scripts/test installs it)")
    if not os.path.isdir("/sys/fs/cgroup"):
        netns.skip("no /sys/fs/cgroup: systemd cannot run as PID 1 in a container here")
    codename = host_codename()
    if not codename:
        netns.skip("/etc/os-release has no VERSION_CODENAME: not a Debian-like host")
    root = root_path(codename)
    build_root(codename, root)
    stamp("root ready")

    work = tempfile.mkdtemp(prefix="garpd-nspawn-")
    netns._register(lambda: shutil.rmtree(work, ignore_errors=True))
    debdir = os.path.join(work, "deb")
    os.makedirs(debdir)
    deb = build_package(debdir)
    stamp("package built and lintian clean")

    ns_c = netns.Netns(prefix="gsc", ipv6=False)
    ns_o = netns.Netns(prefix="gso", ipv6=False)
    netns.veth(ns_c, ns_o, name_a="veth-c", name_b="veth-o")
    ct = Container(root, ns_c.name, debdir, os.path.join(work, "console.log"))
    end = time.monotonic() + 120
    while True:
        r = ct.run("systemctl", "is-system-running", "--wait", check_rc=False, timeout=120)
        state = r.stdout.strip()
        # "offline" or no bus yet: systemd has not opened its socket yet.
        if state not in ("offline", "") or time.monotonic() > end:
            break
        time.sleep(0.2)
    if state not in ("running", "degraded"):
        netns.fail(f"the container's systemd is {state!r} ({r.stderr.strip()}):\n"
                   + open(ct.log.name).read()[-3000:])
    if state == "degraded":
        print("degraded:", ct.run("systemctl", "--failed", "--no-legend").stdout)
    check(ct.run("cat", "/proc/1/comm").stdout.strip() == "systemd", "PID 1 is not systemd")
    stamp("container booted (systemd " +
          ct.run("systemctl", "--version").stdout.split()[1] + ")")

    before = ct.sh(SNAPSHOT).stdout.splitlines()
    check(len(before) > 1000 and "/etc/passwd" in before, "the file list sees too little")

    # 1. The package.
    r = ct.run("dpkg", "-i", "/mnt/garpd-deb/" + os.path.basename(deb), timeout=120)
    check(ct.run("systemctl", "is-enabled", "garpd", check_rc=False).stdout.strip() == "enabled",
          "the package did not enable garpd.service")
    check(ct.run("systemctl", "is-active", "garpd", check_rc=False).stdout.strip() == "active",
          "the package did not start garpd.service:\n" + ct.journal())
    pw = ct.run("getent", "passwd", "garpd").stdout.strip().split(":")
    check(len(pw) == 7 and int(pw[2]) < 1000 and pw[6] in ("/usr/sbin/nologin", "/sbin/nologin"),
          f"garpd is not a system user without a shell: {pw}")
    for path, want in (("/etc/garpd", "root:garpd 750"),
                       ("/etc/garpd/garpd.conf", "root:garpd 640")):
        got = ct.run("stat", "-c", "%U:%G %a", path).stdout.strip()
        check(got == want, f"{path} is {got}, expected {want}")
    check("/etc/garpd/garpd.conf" in ct.run("cat", "/var/lib/dpkg/info/garpd.conffiles").stdout,
          "garpd.conf is not a conffile")
    installed = set(ct.sh(SNAPSHOT).stdout.splitlines()) - set(before)
    for path in ("/etc/garpd/garpd.conf", "/usr/sbin/garpd", "/lib/systemd/system/garpd.service",
                 "/etc/systemd/system/multi-user.target.wants/garpd.service", "/run/garpd"):
        # Debian 12 is merged-/usr: /lib/... is found as /usr/lib/...
        check(path in installed or "/usr" + path in installed,
              f"the file list does not show {path} after install")
    stamp("package installed: user, unit enabled and started, /etc/garpd root:garpd")

    # 2. Start through READY=1.
    ct.run("systemctl", "stop", "garpd")
    ct.run("journalctl", "--rotate", check_rc=False)
    t = time.monotonic()
    ct.run("systemctl", "start", "garpd")
    took = time.monotonic() - t
    p = ct.show("Type", "ActiveState", "SubState", "MainPID", "NRestarts", "User",
                "ExecMainStartTimestampMonotonic", "ActiveEnterTimestampMonotonic")
    print(f"  systemctl start returned after {took:.2f} s: {p}")
    check(p["Type"] == "notify", f"Type={p['Type']}")
    check((p["ActiveState"], p["SubState"]) == ("active", "running"),
          f"after start: {p['ActiveState']} ({p['SubState']})")
    j = ct.journal()
    check("event=ready" in j, "no event=ready in the journal")
    check(j.rfind("event=started") < j.rfind("event=ready"), "ready before started?")
    pid = int(p["MainPID"])
    status = ct.run("systemctl", "status", "garpd", "--no-pager", "-n", "5").stdout
    print(status)
    check("active (running)" in status, "systemctl status does not say active (running)")
    stamp("systemctl start: active (running) through READY=1")

    # 3. The process, from the host: /proc/PID of the container's pid namespace.
    st = ct.run("cat", f"/proc/{pid}/status").stdout
    fields = dict(l.split(":", 1) for l in st.splitlines() if ":" in l)
    fields = {k: v.strip() for k, v in fields.items()}
    uid = pw[2]
    gid = ct.run("getent", "group", "garpd").stdout.split(":")[2]
    check(fields["Uid"].split() == [uid] * 4, f"Uid {fields['Uid']}, expected garpd ({uid})")
    check(fields["Gid"].split() == [gid] * 4, f"Gid {fields['Gid']}, expected garpd ({gid})")
    for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"):
        check(int(fields[cap], 16) == 0, f"{cap} {fields[cap]}, expected 0")
    check(fields["NoNewPrivs"] == "1", f"NoNewPrivs {fields['NoNewPrivs']}")
    check(fields["Seccomp"] == "2", f"Seccomp {fields['Seccomp']}: no system call filter")
    mnt_pid = ct.run("readlink", f"/proc/{pid}/ns/mnt").stdout
    mnt_1 = ct.run("readlink", "/proc/1/ns/mnt").stdout
    check(mnt_pid != mnt_1, "garpd shares PID 1's mount namespace: no sandbox")
    rootopts = [l.split() for l in ct.run("cat", f"/proc/{pid}/mountinfo").stdout.splitlines()]
    usr = [l for l in rootopts if l[4] == "/usr"] or [l for l in rootopts if l[4] == "/"]
    check(usr and usr[-1][5].split(",")[0] == "ro", f"/usr is writable for garpd: {usr[-1:]}")
    homes = [l for l in rootopts if l[4] == "/home"]
    sec = ct.run("systemd-analyze", "security", "garpd", "--no-pager", check_rc=False).stdout
    exposure = [l for l in sec.splitlines() if "Overall exposure" in l]
    print(f"  garpd: uid/gid {uid}/{gid}, CapEff {fields['CapEff']}, CapBnd {fields['CapBnd']}, "
          f"NoNewPrivs 1, Seccomp 2, own mount namespace, /usr ro, /home "
          f"{'hidden' if homes else 'absent'}; {exposure[0].strip() if exposure else ''}")
    stamp("runs as garpd, no capabilities, sandboxed")

    # 4. An address added in the container: its sequence on the veth peer.
    probes, ann = add_and_capture(ct, ns_o, "veth-o", "10.0.0.50", 3)
    check(len(probes) == 3 and len(ann) >= 1,
          f"10.0.0.50: {len(probes)} probes and {len(ann)} announcements, expected 3 + 1")
    check(ann[0].ts_ns - probes[0].ts_ns >= 2_500_000_000, "announcement less than 3 s after the first probe")
    stamp("address added in the container: 3 probes + announcement on the peer")

    # 5. Reload: a good file applies, a bad one fails and changes nothing.
    ct.write("/etc/garpd/garpd.conf", "[sequence]\nprobes = 1\nannounce_delay = 200ms\n")
    r = ct.run("systemctl", "reload", "garpd", check_rc=False)
    check(r.returncode == 0, f"systemctl reload with a good file exited {r.returncode}: {r.stderr}")
    check("event=reloaded" in ct.journal(), "no event=reloaded in the journal")
    probes, ann = add_and_capture(ct, ns_o, "veth-o", "10.0.0.51", 1)
    check(len(probes) == 1 and len(ann) >= 1, f"after a good reload: {len(probes)} probes, expected 1")

    ct.write("/etc/garpd/garpd.conf", "[sequence]\nprobe_interval = fast\n")
    t = time.monotonic()
    r = ct.run("systemctl", "reload", "garpd", check_rc=False)
    print(f"  systemctl reload (bad file) exited {r.returncode} after {time.monotonic() - t:.2f} s: "
          f"{r.stderr.strip()}")
    check(r.returncode != 0, "systemctl reload with a bad file succeeded")
    status = ct.run("systemctl", "status", "garpd", "--no-pager", "-n", "8", check_rc=False).stdout
    print(status)
    where = "/etc/garpd/garpd.conf:2: probe_interval"
    check(where in status, f"systemctl status does not show {where!r}")
    check(where in ct.journal(), f"the journal does not show {where!r}")
    p = ct.show("ActiveState", "SubState", "MainPID")
    check((p["ActiveState"], p["SubState"]) == ("active", "running") and int(p["MainPID"]) == pid,
          f"after a failed reload: {p}, expected active (running) with MainPID {pid}")
    probes, ann = add_and_capture(ct, ns_o, "veth-o", "10.0.0.52", 1)
    check(len(probes) == 1 and len(ann) >= 1,
          f"after a failed reload: {len(probes)} probes, expected 1 (the previous configuration)")
    stamp("reload: good file applies, bad file fails with file:line, old configuration runs")

    # 6. A configuration error at start: exit 78, no restart loop.
    r = ct.run("systemctl", "restart", "garpd", check_rc=False)
    check(r.returncode != 0, "systemctl restart with a bad file succeeded")
    time.sleep(4)  # RestartSec=1s: a loop would have restarted it 3 times by now
    p = ct.show("ActiveState", "Result", "ExecMainStatus", "NRestarts")
    print(f"  after a start with a bad file, 4 s later: {p}")
    check(p["ExecMainStatus"] == "78", f"ExecMainStatus={p['ExecMainStatus']}, expected 78")
    check(p["NRestarts"] == "0", f"NRestarts={p['NRestarts']}: restarted on a config error")
    check(p["ActiveState"] == "failed", f"ActiveState={p['ActiveState']}, expected failed")
    stamp("config error at start: status 78, failed, no restart")

    # 7. Stop: clean and quick.
    ct.write("/etc/garpd/garpd.conf", "")
    ct.run("systemctl", "reset-failed", "garpd")
    ct.run("systemctl", "start", "garpd")
    t = time.monotonic()
    ct.run("systemctl", "stop", "garpd")
    took = time.monotonic() - t
    p = ct.show("ActiveState", "Result", "ExecMainStatus")
    print(f"  systemctl stop took {took:.2f} s: {p}")
    check(took < 5, f"systemctl stop took {took:.1f} s")
    check(p["Result"] == "success" and p["ExecMainStatus"] == "0" and p["ActiveState"] == "inactive",
          f"after stop: {p}")
    check(ct.journal().rstrip().splitlines()[-2:] and "event=stopped" in ct.journal(),
          "no event=stopped in the journal")
    stamp("systemctl stop: clean and quick")

    # 8. Purge leaves nothing behind.
    ct.run("dpkg", "--purge", "garpd", timeout=120)
    after = ct.sh(SNAPSHOT).stdout.splitlines()
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    print(f"  after install + purge: {len(added)} paths added, {len(removed)} removed")
    check(not added, "left behind after purge:\n" + "\n".join(added))
    check(not removed, "gone after install + purge:\n" + "\n".join(removed))
    user = ct.run("getent", "passwd", "garpd", check_rc=False).stdout.strip()
    print(f"  the system user stays, as Debian leaves them: {user}")
    stamp("purge: nothing left behind")

    ct.stop()
    ns_c.delete()
    ns_o.delete()
    print("timings: " + ", ".join(f"{w} {s:.0f} s" for w, s in timings))


if __name__ == "__main__":
    netns.main(test)
