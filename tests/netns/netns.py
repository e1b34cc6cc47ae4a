# SPDX-License-Identifier: GPL-2.0-or-later
"""Network-namespace harness for garpd's integration tests.

Everything a test creates lives in namespaces it creates itself, with names
unique to the process (prefix + pid + counter), so tests run in parallel.
All of it is removed on every exit path: the context managers, an atexit
hook, and SIGTERM/SIGINT handlers (meson sends SIGTERM on a timeout).

    import netns
    netns.require_root()
    with netns.Netns() as a, netns.Netns() as b:
        ia, ib = netns.veth(a, b, addr_a="10.0.0.1/24", mac_b="02:00:00:00:00:02")
        with netns.Capture(b, ib) as cap:      # started and ready here
            a.run([netns.garpctl(), "send", "-i", ia, "10.0.0.1"])
        frames = cap.frames                     # parsed, kernel timestamps
"""

import atexit
import dataclasses
import ipaddress
import itertools
import json
import os
import selectors
import signal
import subprocess
import sys
import time

IFNAMSIZ = 16  # names are at most 15 characters

ETH_P_ARP = 0x0806
ETH_P_RARP = 0x8035
ETH_P_8021Q = 0x8100
ETH_P_IPV6 = 0x86DD

_counter = itertools.count()
_cleanups = []  # callables, run last-in first-out
_handlers_installed = False


def skip(reason):
    """Exit 77 (meson: skipped), saying why."""
    print(f"SKIP: {reason}", file=sys.stderr)
    sys.exit(77)


def fail(reason):
    """Exit 1 with a message."""
    print(f"FAIL: {reason}", file=sys.stderr)
    sys.exit(1)


def require_root():
    """Skip (exit 77) unless running as root: namespaces need it."""
    if os.geteuid() != 0:
        skip("needs root to create network namespaces")


def unique_name(prefix="g"):
    """A name unique to this process: prefix + pid + counter, <= 15 chars."""
    name = f"{prefix}{os.getpid()}x{next(_counter)}"
    if len(name) >= IFNAMSIZ:
        raise ValueError(f"name {name!r} too long for an interface; use a shorter prefix")
    return name


def _cleanup_all():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # keep cleaning up
            print(f"netns cleanup: {e}", file=sys.stderr)


def _on_signal(signum, frame):
    # Raise SystemExit so finally blocks and atexit run; ignore further
    # signals while cleaning up.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _cleanup_all()
    sys.exit(128 + signum)


def _register(fn):
    global _handlers_installed
    if not _handlers_installed:
        atexit.register(_cleanup_all)
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        _handlers_installed = True
    _cleanups.append(fn)
    return fn


def _unregister(fn):
    try:
        _cleanups.remove(fn)
    except ValueError:
        pass


def sh(cmd, check=True, timeout=30, **kw):
    """Run a command (list) on the host side, capture text output."""
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return r


def binary(env_name):
    """Path of a built program passed by meson through @env_name."""
    path = os.environ.get(env_name)
    if not path:
        fail(f"{env_name} is not set: run the test through meson test")
    if not os.access(path, os.X_OK):
        fail(f"{env_name}={path} is not executable")
    return path


def garpctl():
    return binary("GARPD_GARPCTL")


def capture_binary():
    return binary("GARPD_CAPTURE")


class Netns:
    """A network namespace of our own; loopback up.

    ipv6=False disables IPv6 in it (no DAD/MLD/RS noise on the links).
    """

    def __init__(self, prefix="gn", ipv6=True):
        self.name = unique_name(prefix)
        self._procs = []
        sh(["ip", "netns", "add", self.name])
        self._cleanup = _register(self.delete)
        self.sysctl("net.ipv6.conf.all.disable_ipv6", "0" if ipv6 else "1")
        self.sysctl("net.ipv6.conf.default.disable_ipv6", "0" if ipv6 else "1")
        self.ip("link", "set", "lo", "up")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.delete()

    def __str__(self):
        return self.name

    def cmd(self, cmd):
        """@cmd (a list) prefixed to run inside the namespace."""
        return ["ip", "netns", "exec", self.name] + list(cmd)

    def run(self, cmd, check=True, timeout=60, **kw):
        """Run @cmd inside; returns subprocess.CompletedProcess (text)."""
        return sh(self.cmd(cmd), check=check, timeout=timeout, **kw)

    exec = run

    def popen(self, cmd, **kw):
        """Start @cmd inside; killed at cleanup if still running."""
        p = subprocess.Popen(self.cmd(cmd), **kw)
        self._procs.append(p)
        return p

    def ip(self, *args, check=True):
        return sh(["ip", "-n", self.name] + list(args), check=check)

    def ip_batch(self, lines, timeout=120):
        """`ip -batch` with @lines (commands without the leading `ip`) on stdin."""
        return sh(["ip", "-n", self.name, "-batch", "-"], timeout=timeout,
                  input="".join(f"{l}\n" for l in lines))

    def ip_json(self, *args):
        out = sh(["ip", "-n", self.name, "-j"] + list(args)).stdout.strip()
        return json.loads(out) if out else []

    def sysctl(self, key, value):
        self.run(["sysctl", "-qw", f"{key}={value}"])

    def link_up(self, dev):
        self.ip("link", "set", "dev", dev, "up")

    def link_down(self, dev):
        self.ip("link", "set", "dev", dev, "down")

    def addr_add(self, dev, cidr, *extra):
        """Add an address; IPv4 '10.0.0.1/24' or IPv6 (nodad is up to you)."""
        self.ip("addr", "add", cidr, "dev", dev, *extra)

    def mac(self, dev):
        return self.ip_json("link", "show", "dev", dev)[0]["address"]

    def bridge(self, name=None, prefix="gbr", snooping=True):
        """Create a bridge (STP off, no forwarding delay) and bring it up.

        snooping=False: multicast (IPv6 solicited-node groups) floods every port.
        """
        name = name or unique_name(prefix)
        self.ip("link", "add", name, "type", "bridge", "stp_state", "0", "forward_delay", "0",
                *(() if snooping else ("mcast_snooping", "0")))
        self.link_up(name)
        return name

    def enslave(self, dev, bridge):
        self.ip("link", "set", "dev", dev, "master", bridge)

    def neigh(self, addr=None, dev=None):
        """Neighbour entries (list of dicts from `ip -j neigh`), filtered."""
        args = ["neigh", "show"]
        if addr:
            args.append(addr)
        if dev:
            args += ["dev", dev]
        return self.ip_json(*args)

    def send_frames(self, dev, frames):
        """Send raw Ethernet frames (bytes, FCS excluded) out of @dev, in order."""
        code = ("import socket,sys\n"
                "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
                "s.bind((sys.argv[1],0))\n"
                "for h in sys.argv[2:]: s.send(bytes.fromhex(h))\n")
        self.run([sys.executable, "-c", code, dev] + [bytes(f).hex() for f in frames])

    def delete(self):
        for p in self._procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        self._procs = []
        if self.name:
            sh(["ip", "netns", "delete", self.name], check=False)
            _unregister(self._cleanup)
            self.name = None


def talk(ns, dev, ip):
    """One UDP datagram from @ns to @ip, and wait until @ns has resolved it."""
    code = ("import socket,sys\n"
            "socket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(b'x',(sys.argv[1],9))\n")
    ns.run([sys.executable, "-c", code, ip])
    end = time.monotonic() + 5
    while time.monotonic() < end:
        if [e for e in ns.neigh(ip, dev=dev) if e.get("lladdr")]:
            return
        time.sleep(0.05)
    raise TestFailure(f"{ns} could not resolve {ip}")


def veth(ns_a, ns_b, name_a=None, name_b=None, mac_a=None, mac_b=None,
         addr_a=None, addr_b=None, up=True, prefix="gv"):
    """A veth pair from @ns_a to @ns_b (may be the same namespace).

    Created inside @ns_a, its peer moved straight into @ns_b: nothing ever
    appears on the host. addr_* are 'A.B.C.D/LEN' (or lists). Returns the
    two interface names.
    """
    name_a = name_a or unique_name(prefix)
    name_b = name_b or unique_name(prefix)
    cmd = ["link", "add", name_a]
    if mac_a:
        cmd += ["address", mac_a]
    cmd += ["type", "veth", "peer", "name", name_b]
    if mac_b:
        cmd += ["address", mac_b]
    cmd += ["netns", ns_b.name]
    ns_a.ip(*cmd)
    for ns, dev, addrs in ((ns_a, name_a, addr_a), (ns_b, name_b, addr_b)):
        if addrs:
            for a in [addrs] if isinstance(addrs, str) else addrs:
                ns.addr_add(dev, a)
        if up:
            ns.link_up(dev)
    return name_a, name_b


# --- frames -----------------------------------------------------------------

def mac_str(b):
    return ":".join(f"{x:02x}" for x in b)


def ip_str(b):
    return ".".join(str(x) for x in b)


@dataclasses.dataclass
class Frame:
    """One captured frame; ARP/RARP fields are None for other frames."""
    ts_ns: int          # kernel receive time (CLOCK_REALTIME, ns)
    length: int         # bytes on the wire, FCS excluded
    raw: bytes
    dst: str
    src: str
    vlan: int = None    # 802.1Q VLAN id, None when untagged
    ethertype: int = None
    htype: int = None
    ptype: int = None
    hlen: int = None
    plen: int = None
    op: int = None
    sha: str = None
    spa: str = None
    tha: str = None
    tpa: str = None

    @property
    def is_arp(self):
        return self.ethertype == ETH_P_ARP and self.op is not None

    @property
    def is_rarp(self):
        return self.ethertype == ETH_P_RARP and self.op is not None

    def summary(self):
        tag = f" vlan {self.vlan}" if self.vlan is not None else ""
        if self.op is None:
            return f"{self.src} > {self.dst}{tag} type {self.ethertype:#06x} len {self.length}"
        return (f"{self.src} > {self.dst}{tag} type {self.ethertype:#06x} op {self.op} "
                f"sha {self.sha} spa {self.spa} tha {self.tha} tpa {self.tpa} "
                f"len {self.length}")


def parse_frame(ts_ns, raw):
    """Decode Ethernet, one 802.1Q tag, and ARP/RARP (IPv4 over Ethernet)."""
    if len(raw) < 14:
        return Frame(ts_ns, len(raw), raw, None, None)
    f = Frame(ts_ns, len(raw), raw, mac_str(raw[0:6]), mac_str(raw[6:12]))
    off = 12
    et = int.from_bytes(raw[off:off + 2], "big")
    if et == ETH_P_8021Q and len(raw) >= off + 6:
        f.vlan = int.from_bytes(raw[off + 2:off + 4], "big") & 0x0fff
        off += 4
        et = int.from_bytes(raw[off:off + 2], "big")
    f.ethertype = et
    off += 2
    if et in (ETH_P_ARP, ETH_P_RARP) and len(raw) >= off + 8:
        a = raw[off:]
        f.htype = int.from_bytes(a[0:2], "big")
        f.ptype = int.from_bytes(a[2:4], "big")
        f.hlen, f.plen = a[4], a[5]
        if f.hlen == 6 and f.plen == 4 and len(a) >= 28:
            f.op = int.from_bytes(a[6:8], "big")
            f.sha = mac_str(a[8:14])
            f.spa = ip_str(a[14:18])
            f.tha = mac_str(a[18:24])
            f.tpa = ip_str(a[24:28])
    return f


def _mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def _ip_bytes(ip):
    return bytes(int(x) for x in ip.split("."))


def arp_frame(op, sha, spa, tha, tpa, dst="ff:ff:ff:ff:ff:ff", src=None, vlan=None,
              ethertype=ETH_P_ARP):
    """Build an Ethernet ARP (or RARP) frame padded to 60 bytes, for injection."""
    eth = _mac_bytes(dst) + _mac_bytes(src or sha)
    if vlan is not None:
        eth += ETH_P_8021Q.to_bytes(2, "big") + vlan.to_bytes(2, "big")
    eth += ethertype.to_bytes(2, "big")
    arp = (bytes([0, 1, 8, 0, 6, 4]) + op.to_bytes(2, "big") + _mac_bytes(sha) + _ip_bytes(spa)
           + _mac_bytes(tha) + _ip_bytes(tpa))
    frame = eth + arp
    return frame + bytes(max(0, 60 - len(frame)))


def parse_capture_output(text):
    frames = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        ts, n, hexbytes = parts
        raw = bytes.fromhex(hexbytes)
        if int(n) != len(raw):
            raise RuntimeError(f"capture line length mismatch: {line!r}")
        frames.append(parse_frame(int(ts), raw))
    return frames


class Capture:
    """netns_capture running in @ns on @iface.

    Started (and ready: its socket bound) when constructed or entered.
    ethertypes: only those (default ARP and RARP; () for all frames).
    count: stop after that many frames; timeout: seconds, then stop.
    direction: 'in' (default: not the namespace's own frames), 'out', 'any'.
    After stop()/wait()/exit: .frames (list of Frame), .drops, .stderr.
    """

    def __init__(self, ns, iface, ethertypes=(ETH_P_ARP, ETH_P_RARP), count=None,
                 timeout=30.0, direction="in", ready_timeout=10.0):
        cmd = [capture_binary(), "-d", direction]
        for et in ethertypes:
            cmd += ["-e", str(et)]
        if count:
            cmd += ["-c", str(count)]
        if timeout is not None:
            cmd += ["-t", str(int(timeout * 1000))]
        cmd.append(iface)
        self.frames = None
        self.drops = None
        self.stderr = ""
        self.proc = ns.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout):
        buf = b""
        end = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stderr, selectors.EVENT_READ)
            while b"ready\n" not in buf:
                left = end - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.proc.kill()
                    raise RuntimeError("capture did not become ready")
                chunk = os.read(self.proc.stderr.fileno(), 4096)
                if not chunk:
                    self.proc.wait()
                    raise RuntimeError(f"capture failed to start: {buf.decode(errors='replace')}")
                buf += chunk
        self._early_stderr = buf.split(b"ready\n", 1)[1]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _finish(self, out, err):
        self.stderr = (self._early_stderr + (err or b"")).decode(errors="replace")
        for line in self.stderr.splitlines():
            if line.startswith("stats "):
                kv = dict(x.split("=", 1) for x in line.split()[1:])
                self.drops = int(kv.get("drops", 0))
        self.frames = parse_capture_output((out or b"").decode())
        if self.proc.returncode not in (0, -signal.SIGTERM):
            raise RuntimeError(f"capture exited {self.proc.returncode}: {self.stderr.strip()}")
        return self.frames

    def wait(self, timeout=None):
        """Wait for the capture to end by itself (count or timeout)."""
        if self.frames is not None:
            return self.frames
        out, err = self.proc.communicate(timeout=timeout)
        return self._finish(out, err)

    def stop(self, linger=0.2):
        """Give in-flight frames @linger seconds, then stop; returns the frames."""
        if self.frames is not None:
            return self.frames
        if self.proc.poll() is None:
            time.sleep(linger)
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self._finish(out, err)


def parse_nd(f):
    """The fields of an IPv6 neighbour solicitation/advertisement frame, else None.

    A dict: type (135 NS, 136 NA), code, hop (hop limit), src, dst, target
    (addresses as text), flags (NA: R/S/O bits, 0xe0 mask), opts (list of
    (option type, bytes)), sum_ok (the ICMPv6 checksum verifies).
    """
    raw = f.raw[14:] if f.vlan is None else f.raw[18:]
    if f.ethertype != ETH_P_IPV6 or len(raw) < 64 or raw[0] >> 4 != 6 or raw[6] != 58:
        return None
    plen = int.from_bytes(raw[4:6], "big")
    icmp = raw[40:40 + plen]
    if len(icmp) < 24 or icmp[0] not in (135, 136):
        return None
    opts, off = [], 24
    while off + 2 <= len(icmp) and icmp[off + 1]:
        opts.append((icmp[off], icmp[off + 2:off + 8 * icmp[off + 1]]))
        off += 8 * icmp[off + 1]
    pseudo = raw[8:40] + len(icmp).to_bytes(4, "big") + bytes([0, 0, 0, 58]) + icmp
    if len(pseudo) % 2:
        pseudo += b"\0"
    total = sum(int.from_bytes(pseudo[i:i + 2], "big") for i in range(0, len(pseudo), 2))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return dict(type=icmp[0], code=icmp[1], hop=raw[7],
                src=str(ipaddress.IPv6Address(raw[8:24])),
                dst=str(ipaddress.IPv6Address(raw[24:40])),
                target=str(ipaddress.IPv6Address(icmp[8:24])),
                flags=icmp[4] & 0xE0, opts=opts, sum_ok=total == 0xffff)


# --- emulated stacks that ignore gratuitous ARP or unsolicited NAs ------------

IGNORE_TABLE = "garptest"    # arp family: ignore_garp()
IGNORE_TABLE6 = "garptest6"  # ip6 family: ignore_na()


def ignore_garp(ns, vip, own_ip):
    """Drop ARP from @vip unless it asks for @own_ip: a stack that ignores gratuitous ARP.

    An nftables arp-family rule in @ns: the announcement (sender = target =
    the VIP) never reaches its stack, nor do requests for someone else; a
    request addressed to it does (Windows Vista/7/2008 without the hotfix:
    no cache update from a broadcast "unless it is part of a broadcast ARP
    request for the receiver").
    """
    ns.run(["nft", "add", "table", "arp", IGNORE_TABLE])
    ns.run(["nft", "add", "chain", "arp", IGNORE_TABLE, "input",
            "{ type filter hook input priority 0; policy accept; }"])
    ns.run(["nft", "add", "rule", "arp", IGNORE_TABLE, "input", "arp", "saddr", "ip", vip,
            "arp", "daddr", "ip", "!=", own_ip, "counter", "drop"])


def ignore_na(ns, vip):
    """Drop every neighbour advertisement whose target is @vip: a stack that ignores them.

    An nftables ip6 rule in @ns on ICMPv6 type 136 with the target address
    (8 bytes into the ICMPv6 header) = @vip: unsolicited NAs for the VIP never
    reach its stack (solicited ones neither: it learns the VIP's MAC only
    from a neighbour solicitation from the VIP, RFC 4861 §7.2.3).
    """
    target = "0x" + ipaddress.IPv6Address(vip).packed.hex()
    ns.run(["nft", "add", "table", "ip6", IGNORE_TABLE6])
    ns.run(["nft", "add", "chain", "ip6", IGNORE_TABLE6, "input",
            "{ type filter hook input priority 0; policy accept; }"])
    ns.run(["nft", "add", "rule", "ip6", IGNORE_TABLE6, "input", "icmpv6", "type",
            "nd-neighbor-advert", "@th,64,128", target, "counter", "drop"])


def ignored(ns, family="arp"):
    """Packets the ignore rule of @family ("arp": ignore_garp, "ip6": ignore_na) dropped."""
    table = IGNORE_TABLE if family == "arp" else IGNORE_TABLE6
    out = ns.run(["nft", "list", "chain", family, table, "input"]).stdout
    words = out.split()
    return sum(int(n) for w, n in zip(words, words[1:]) if w == "packets")


# --- small assertion helpers --------------------------------------------------

class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def main(fn):
    """Run test function @fn: root required, failures reported, exit 0/1/77."""
    require_root()
    try:
        fn()
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    print("PASS")
    sys.exit(0)
