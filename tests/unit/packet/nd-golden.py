#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Derives the golden ND frames of test-packet-nd.c, independently of packet/.

Run once by hand; its output was pasted into test-packet-nd.c. It follows
RFC 4861 §4.3/§4.4 (NS/NA layout), RFC 4443 §2.3 and RFC 8200 §8.1 (the
checksum over the pseudo-header), RFC 2464 §7 (33:33 + the low 32 bits of
the IPv6 group) and RFC 7527 (the nonce option), using only the standard
library: struct for the layout, ipaddress for the addresses.
"""
import ipaddress
import struct

MAC = bytes.fromhex("525400123456")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip6(s):
    return ipaddress.IPv6Address(s).packed


def frame(dst_mac, src, dst, icmp_wo_csum, vlan=None):
    pseudo = src + dst + struct.pack("!I3xB", len(icmp_wo_csum), 58)
    c = csum(pseudo + icmp_wo_csum)
    icmp = icmp_wo_csum[:2] + struct.pack("!H", c) + icmp_wo_csum[4:]
    ip = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 255) + src + dst
    eth = dst_mac + MAC
    if vlan is not None:
        eth += struct.pack("!HH", 0x8100, vlan)
    eth += struct.pack("!H", 0x86DD)
    return eth + ip + icmp, c


def na(addr, router, vlan=None):
    flags = (0x80 if router else 0) | 0x20  # R, S clear, O set
    icmp = struct.pack("!BBHB3x", 136, 0, 0, flags) + ip6(addr)
    icmp += struct.pack("!BB", 2, 1) + MAC  # target link-layer address
    return frame(bytes.fromhex("333300000001"), ip6(addr), ip6("ff02::1"), icmp, vlan)


def dad_ns(target, nonce):
    t = ip6(target)
    group = ip6("ff02::1:ff00:0")[:13] + t[13:]  # solicited-node multicast
    icmp = struct.pack("!BBH4x", 135, 0, 0) + t
    icmp += struct.pack("!BB", 14, 1) + nonce  # nonce, no source link-layer option
    return frame(b"\x33\x33" + group[12:], ip6("::"), group, icmp)


def directed_ns(addr, nb, nb_mac=None, vlan=None):
    """The IPv6 directed refresh: NS from @addr, target @nb, with the source link-layer option."""
    n = ip6(nb)
    if nb_mac is None:
        dst = ip6("ff02::1:ff00:0")[:13] + n[13:]  # solicited-node multicast
        dst_mac = b"\x33\x33" + dst[12:]
    else:
        dst, dst_mac = n, nb_mac
    icmp = struct.pack("!BBH4x", 135, 0, 0) + n
    icmp += struct.pack("!BB", 1, 1) + MAC  # source link-layer address
    return frame(dst_mac, ip6(addr), dst, icmp, vlan)


def show(name, fc):
    f, c = fc
    print("/* %s: %d bytes, ICMPv6 checksum 0x%04x */" % (name, len(f), c))
    for i in range(0, len(f), 12):
        print("\t" + " ".join("0x%02x," % b for b in f[i:i + 12]))


show("NA 2001:db8::10, O", na("2001:db8::10", False))
show("NA 2001:db8::10, R|O, VLAN 100", na("2001:db8::10", True, 100))
show("NA fe80::5054:ff:fe12:3456, O", na("fe80::5054:ff:fe12:3456", False))
show("DAD NS 2001:db8::10, nonce 01..06", dad_ns("2001:db8::10", bytes(range(1, 7))))
show("directed NS 2001:db8::10 -> 2001:db8::3 at 02:00:00:00:00:03",
     directed_ns("2001:db8::10", "2001:db8::3", bytes.fromhex("020000000003")))
show("directed NS 2001:db8::10 -> 2001:db8::abcd:1 (MAC unknown), VLAN 100",
     directed_ns("2001:db8::10", "2001:db8::abcd:1", None, 100))
