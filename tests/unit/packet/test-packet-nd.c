/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IPv6 neighbour discovery frames: the builders against golden frames
 * derived independently (tests/unit/packet/nd-golden.py, Python's struct
 * and ipaddress, not our code), and the parser at every truncation and
 * every wrong field.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "garp-nd.h"

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t other[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t nonce[6] = { 1, 2, 3, 4, 5, 6 };

/* From nd-golden.py. NA 2001:db8::10, O: 86 bytes, ICMPv6 checksum 0x7451 */
static const uint8_t golden_na[] = {
	0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd, 0x60,
	0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x74, 0x51, 0x20, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x10, 0x02, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
};

/* NA 2001:db8::10, R|O, VLAN 100: 90 bytes, ICMPv6 checksum 0xf450 */
static const uint8_t golden_na_router_tagged[] = {
	0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x81, 0x00, 0x00,
	0x64, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xff, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00,
	0xf4, 0x50, 0xa0, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x02, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
};

/* NA fe80::5054:ff:fe12:3456, O: 86 bytes, ICMPv6 checksum 0xcb68 */
static const uint8_t golden_na_ll[] = {
	0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd, 0x60,
	0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xcb, 0x68, 0x20, 0x00,
	0x00, 0x00, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x54, 0x00, 0xff, 0xfe,
	0x12, 0x34, 0x56, 0x02, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
};

/* DAD NS 2001:db8::10, nonce 01..06: 86 bytes, ICMPv6 checksum 0x35ba */
static const uint8_t golden_dad_ns[] = {
	0x33, 0x33, 0xff, 0x00, 0x00, 0x10, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd, 0x60,
	0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x10, 0x87, 0x00, 0x35, 0xba, 0x00, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x10, 0x0e, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
};

/* directed NS 2001:db8::10 -> 2001:db8::3 at 02:00:00:00:00:03: 86 bytes, ICMPv6 checksum 0x67a6 */
static const uint8_t golden_directed_ns[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x03, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd, 0x60,
	0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x87, 0x00, 0x67, 0xa6, 0x00, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x03, 0x01, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
};

/* directed NS 2001:db8::10 -> 2001:db8::abcd:1 (MAC unknown), VLAN 100: 90 bytes, ICMPv6 checksum
 * 0xeac3 */
static const uint8_t golden_directed_ns_mcast_tagged[] = {
	0x33, 0x33, 0xff, 0xcd, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x81, 0x00, 0x00,
	0x64, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xff, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xcd, 0x00, 0x01, 0x87, 0x00,
	0xea, 0xc3, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0xab, 0xcd, 0x00, 0x01, 0x01, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
};

/* Offsets in an untagged NS/NA. */
enum {
	O_ETYPE = 12,
	O_VER = 14,
	O_PLEN = 18,
	O_NH = 20,
	O_HOP = 21,
	O_SRC = 22,
	O_DST = 38,
	O_TYPE = 54,
	O_CODE = 55,
	O_CSUM = 56,
	O_FLAGS = 58,
	O_TARGET = 62,
	O_OPT = 78,
};

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* The test's own checksum (RFC 4443 §2.3), to repair a frame after changing a field. */
static void fix_csum(uint8_t *f, size_t ip)
{
	size_t mlen = (size_t)(f[ip + 4] << 8 | f[ip + 5]);
	uint8_t *m = f + ip + 40;
	uint32_t sum = 0;

	m[2] = m[3] = 0;
	for (size_t i = 0; i < 32; i += 2)
		sum += (uint32_t)(f[ip + 8 + i] << 8 | f[ip + 8 + i + 1]);
	sum += (uint32_t)mlen + 58;
	for (size_t i = 0; i < mlen; i += 2)
		sum += (uint32_t)(m[i] << 8 | (i + 1 < mlen ? m[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	m[2] = (uint8_t)(~sum >> 8);
	m[3] = (uint8_t)~sum;
}

static void test_golden_na(void **state)
{
	struct in6_addr a = ip6("2001:db8::10"), ll = ip6("fe80::5054:ff:fe12:3456");
	struct pkt_frame f;

	assert_int_equal(pkt_build_na(&f, mac, &a, false, PKT_VLAN_NONE), 0);
	assert_int_equal(f.len, sizeof(golden_na));
	assert_int_equal(f.len, PKT_ND_FRAME_LEN);
	assert_memory_equal(f.data, golden_na, sizeof(golden_na));

	assert_int_equal(pkt_build_na(&f, mac, &a, true, 100), 0);
	assert_int_equal(f.len, sizeof(golden_na_router_tagged));
	assert_memory_equal(f.data, golden_na_router_tagged, sizeof(golden_na_router_tagged));
	assert_true(f.len <= PKT_FRAME_MAX);

	assert_int_equal(pkt_build_na(&f, mac, &ll, false, PKT_VLAN_NONE), 0);
	assert_int_equal(f.len, sizeof(golden_na_ll));
	assert_memory_equal(f.data, golden_na_ll, sizeof(golden_na_ll));
}

static void test_golden_dad_ns(void **state)
{
	struct in6_addr a = ip6("2001:db8::10"), g;
	struct pkt_frame f;

	assert_int_equal(pkt_build_dad_ns(&f, mac, &a, nonce, PKT_VLAN_NONE), 0);
	assert_int_equal(f.len, sizeof(golden_dad_ns));
	assert_memory_equal(f.data, golden_dad_ns, sizeof(golden_dad_ns));

	a = ip6("2001:db8::aabb:ccdd");
	pkt_solicited_node(&a, &g);
	a = ip6("ff02::1:ffbb:ccdd");
	assert_memory_equal(&g, &a, 16);
	a = ip6("2001:db8::10");

	/* tagged: the same frame with the tag after the MACs */
	assert_int_equal(pkt_build_dad_ns(&f, mac, &a, nonce, 7), 0);
	assert_int_equal(f.len, sizeof(golden_dad_ns) + 4);
	assert_memory_equal(f.data, golden_dad_ns, 12);
	assert_memory_equal(f.data + 12, ((const uint8_t[]){ 0x81, 0x00, 0x00, 0x07 }), 4);
	assert_memory_equal(f.data + 16, golden_dad_ns + 12, sizeof(golden_dad_ns) - 12);
}

static void test_golden_directed_ns(void **state)
{
	static const uint8_t nb_mac[6] = { 2, 0, 0, 0, 0, 3 };
	struct in6_addr a = ip6("2001:db8::10"), nb = ip6("2001:db8::3"),
			far = ip6("2001:db8::abcd:1"), any = ip6("::"), mc = ip6("ff02::1");
	struct pkt_frame f;
	struct pkt_nd nd;

	assert_int_equal(pkt_build_directed_ns(&f, mac, &a, nb_mac, &nb, PKT_VLAN_NONE), 0);
	assert_int_equal(f.len, sizeof(golden_directed_ns));
	assert_memory_equal(f.data, golden_directed_ns, sizeof(golden_directed_ns));
	/* our own parser takes it as an NS (checksum, hop limit, options) */
	assert_int_equal(pkt_parse_nd(f.data, f.len, &nd), 0);

	assert_int_equal(pkt_build_directed_ns(&f, mac, &a, NULL, &far, 100), 0);
	assert_int_equal(f.len, sizeof(golden_directed_ns_mcast_tagged));
	assert_memory_equal(f.data, golden_directed_ns_mcast_tagged,
			    sizeof(golden_directed_ns_mcast_tagged));

	assert_int_equal(pkt_build_directed_ns(&f, mac, &a, nb_mac, &nb, PKT_VLAN_MAX + 1),
			 -EINVAL);
	assert_int_equal(pkt_build_directed_ns(&f, mac, &any, nb_mac, &nb, 0), -EINVAL);
	assert_int_equal(pkt_build_directed_ns(&f, mac, &mc, nb_mac, &nb, 0), -EINVAL);
	assert_int_equal(pkt_build_directed_ns(&f, mac, &a, nb_mac, &any, 0), -EINVAL);
	assert_int_equal(pkt_build_directed_ns(&f, mac, &a, NULL, &mc, 0), -EINVAL);
}

static void test_build_refuses(void **state)
{
	struct in6_addr a = ip6("2001:db8::10"), any = ip6("::"), mc = ip6("ff02::1");
	struct pkt_frame f;

	assert_int_equal(pkt_build_na(&f, mac, &a, false, PKT_VLAN_MAX + 1), -EINVAL);
	assert_int_equal(pkt_build_na(&f, mac, &any, false, 0), -EINVAL);
	assert_int_equal(pkt_build_na(&f, mac, &mc, false, 0), -EINVAL);
	assert_int_equal(pkt_build_dad_ns(&f, mac, &a, nonce, 5000), -EINVAL);
	assert_int_equal(pkt_build_dad_ns(&f, mac, &any, nonce, 0), -EINVAL);
	assert_int_equal(pkt_build_dad_ns(&f, mac, &mc, nonce, 0), -EINVAL);
	assert_int_equal(pkt_build_na(&f, mac, &a, false, PKT_VLAN_MAX), 0);
}

static void test_parse_golden(void **state)
{
	struct in6_addr a = ip6("2001:db8::10"), x;
	uint8_t padded[sizeof(golden_na) + 10] = { 0 };
	struct pkt_nd nd;

	assert_int_equal(pkt_parse_nd(golden_na, sizeof(golden_na), &nd), 0);
	assert_int_equal(nd.type, PKT_ICMPV6_NA);
	assert_int_equal(nd.flags, PKT_NA_OVERRIDE);
	assert_false(nd.tagged);
	assert_memory_equal(&nd.target, &a, 16);
	assert_memory_equal(&nd.src, &a, 16);
	x = ip6("ff02::1");
	assert_memory_equal(&nd.dst, &x, 16);
	assert_true(nd.has_lladdr);
	assert_memory_equal(nd.lladdr, mac, 6);
	assert_memory_equal(nd.eth_src, mac, 6);
	assert_false(nd.has_nonce);

	/* trailing Ethernet padding is fine */
	memcpy(padded, golden_na, sizeof(golden_na));
	assert_int_equal(pkt_parse_nd(padded, sizeof(padded), &nd), 0);

	assert_int_equal(
	    pkt_parse_nd(golden_na_router_tagged, sizeof(golden_na_router_tagged), &nd), 0);
	assert_true(nd.tagged);
	assert_int_equal(nd.vlan, 100);
	assert_int_equal(nd.flags, PKT_NA_OVERRIDE | PKT_NA_ROUTER);

	assert_int_equal(pkt_parse_nd(golden_dad_ns, sizeof(golden_dad_ns), &nd), 0);
	assert_int_equal(nd.type, PKT_ICMPV6_NS);
	assert_int_equal(nd.flags, 0);
	assert_memory_equal(&nd.target, &a, 16);
	x = ip6("::");
	assert_memory_equal(&nd.src, &x, 16);
	assert_false(nd.has_lladdr);
	assert_true(nd.has_nonce);
	assert_memory_equal(nd.nonce, nonce, 6);
}

/* An ordinary NS (address resolution): unicast source, SLLA, any destination. */
static void test_parse_resolution_ns(void **state)
{
	uint8_t f[sizeof(golden_dad_ns)];
	struct in6_addr src = ip6("2001:db8::99");
	struct pkt_nd nd;

	memcpy(f, golden_dad_ns, sizeof(f));
	memcpy(f + 6, other, 6);
	memcpy(f + O_SRC, &src, 16);
	f[O_OPT] = PKT_ND_OPT_SLLA;
	memcpy(f + O_OPT + 2, other, 6);
	fix_csum(f, 14);
	assert_int_equal(pkt_parse_nd(f, sizeof(f), &nd), 0);
	assert_true(nd.has_lladdr);
	assert_memory_equal(nd.lladdr, other, 6);
	assert_false(nd.has_nonce);
	/* the same SLLA from :: is not allowed (RFC 4861 §7.1.1) */
	memset(f + O_SRC, 0, 16);
	fix_csum(f, 14);
	assert_int_equal(pkt_parse_nd(f, sizeof(f), &nd), -EPROTO);
}

/* Every truncation is refused, read under ASan from a heap copy of exactly that length. */
static void test_parse_every_truncation(void **state)
{
	static const struct {
		const uint8_t *f;
		size_t len;
	} frames[] = {
		{ golden_na, sizeof(golden_na) },
		{ golden_na_router_tagged, sizeof(golden_na_router_tagged) },
		{ golden_dad_ns, sizeof(golden_dad_ns) },
	};
	struct pkt_nd nd;

	for (size_t k = 0; k < sizeof(frames) / sizeof(frames[0]); k++) {
		for (size_t len = 0; len < frames[k].len; len++) {
			uint8_t *copy = malloc(len ? len : 1);

			memcpy(copy, frames[k].f, len);
			assert_int_equal(pkt_parse_nd(copy, len, &nd), -EBADMSG);
			free(copy);
		}
	}
}

static void test_parse_wrong_fields(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
		int err;
		bool dad; /* on the DAD NS instead of the NA */
	} bad[] = {
		{ O_ETYPE, 0x08, -EPROTO, false },     /* ethertype 0x08dd */
		{ O_ETYPE + 1, 0x00, -EPROTO, false }, /* 0x8600 */
		{ O_VER, 0x40, -EPROTO, false },       /* version 4 */
		{ O_VER, 0x70, -EPROTO, false },       /* version 7 */
		{ O_NH, 0, -EPROTO, false },	       /* hop-by-hop options first */
		{ O_NH, 17, -EPROTO, false },	       /* UDP */
		{ O_HOP, 254, -EPROTO, false },	       /* routed: RFC 4861 §7.1.2 */
		{ O_HOP, 1, -EPROTO, false },
		{ O_PLEN + 1, 0x21, -EBADMSG, false }, /* payload longer than the frame */
		{ O_PLEN + 1, 23, -EPROTO, false },    /* shorter than an NA */
		{ O_PLEN, 0x01, -EBADMSG, false },
		{ O_TYPE, 134, -EPROTO, false }, /* router advertisement */
		{ O_TYPE, 128, -EPROTO, false }, /* echo request */
		{ O_CODE, 1, -EPROTO, false },
		{ O_TARGET, 0xff, -EPROTO, false },  /* multicast target */
		{ O_SRC, 0xff, -EPROTO, false },     /* multicast source */
		{ O_FLAGS, 0x60, -EPROTO, false },   /* Solicited to ff02::1 */
		{ O_OPT + 1, 0, -EPROTO, false },    /* option length 0 */
		{ O_OPT + 1, 2, -EBADMSG, false },   /* option past the message */
		{ O_DST + 11, 0x02, -EPROTO, true }, /* DAD NS not to a solicited-node group */
		{ O_TARGET, 0xff, -EPROTO, true },
		{ O_HOP, 64, -EPROTO, true },
		{ O_OPT + 1, 0, -EPROTO, true },
	};
	struct pkt_nd nd;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t f[sizeof(golden_na)];

		memcpy(f, bad[i].dad ? golden_dad_ns : golden_na, sizeof(f));
		f[bad[i].off] = bad[i].val;
		/* a correct checksum: the field itself must be what is refused */
		if (bad[i].off >= O_VER && bad[i].off != O_PLEN && bad[i].off != O_PLEN + 1)
			fix_csum(f, 14);
		if (pkt_parse_nd(f, sizeof(f), &nd) != bad[i].err)
			fail_msg("case %zu (offset %zu = %u): want %d", i, bad[i].off, bad[i].val,
				 bad[i].err);
	}
}

static void test_parse_checksum(void **state)
{
	uint8_t f[sizeof(golden_na)];
	struct pkt_nd nd;

	/* any single bit flipped in the pseudo-header or the message is caught */
	for (size_t off = O_SRC; off < sizeof(f); off++) {
		if (off == O_FLAGS)
			continue; /* covered with a fixed checksum above */
		for (int bit = 0; bit < 8; bit++) {
			memcpy(f, golden_na, sizeof(f));
			f[off] ^= (uint8_t)(1u << bit);
			assert_int_not_equal(pkt_parse_nd(f, sizeof(f), &nd), 0);
		}
	}
	memcpy(f, golden_na, sizeof(f));
	f[O_CSUM] ^= 1;
	assert_int_equal(pkt_parse_nd(f, sizeof(f), &nd), -EPROTO);
}

/* A link-layer option that is not Ethernet-sized, and options that are skipped. */
static void test_parse_options(void **state)
{
	uint8_t f[sizeof(golden_na) + 16];
	struct pkt_nd nd;

	/* an unknown option (type 200) before the TLLA: skipped */
	memcpy(f, golden_na, O_OPT);
	f[O_PLEN + 1] = 0x20 + 8;
	f[O_OPT] = 200;
	f[O_OPT + 1] = 1;
	memset(f + O_OPT + 2, 0xaa, 6);
	memcpy(f + O_OPT + 8, golden_na + O_OPT, 8);
	fix_csum(f, 14);
	assert_int_equal(pkt_parse_nd(f, sizeof(golden_na) + 8, &nd), 0);
	assert_true(nd.has_lladdr);
	assert_memory_equal(nd.lladdr, mac, 6);

	/* a 16-byte TLLA: not Ethernet */
	memcpy(f, golden_na, sizeof(golden_na));
	f[O_PLEN + 1] = 0x20 + 8;
	f[O_OPT + 1] = 2;
	memset(f + sizeof(golden_na), 0, 8);
	fix_csum(f, 14);
	assert_int_equal(pkt_parse_nd(f, sizeof(golden_na) + 8, &nd), -EPROTO);

	/* an SLLA in an NA means nothing there: ignored, no link-layer address */
	memcpy(f, golden_na, sizeof(golden_na));
	f[O_OPT] = PKT_ND_OPT_SLLA;
	fix_csum(f, 14);
	assert_int_equal(pkt_parse_nd(f, sizeof(golden_na), &nd), 0);
	assert_false(nd.has_lladdr);

	/* no option at all: a valid NA without TLLA */
	memcpy(f, golden_na, sizeof(golden_na));
	f[O_PLEN + 1] = 24;
	fix_csum(f, 14);
	assert_int_equal(pkt_parse_nd(f, O_OPT, &nd), 0);
	assert_false(nd.has_lladdr);

	/* one byte of an option header left over */
	memcpy(f, golden_na, sizeof(golden_na));
	f[O_PLEN + 1] = 25;
	fix_csum(f, 14);
	assert_int_equal(pkt_parse_nd(f, sizeof(golden_na), &nd), -EBADMSG);
}

static void test_parse_random(void **state)
{
	uint8_t buf[128];
	struct pkt_nd nd;

	srand(2);
	for (int i = 0; i < 50000; i++) {
		size_t len = (size_t)rand() % sizeof(buf);
		uint8_t *copy;

		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = (uint8_t)rand();
		if (i % 2) { /* a valid frame up to the options, random options */
			memcpy(buf, i % 4 == 1 ? golden_na : golden_dad_ns, O_OPT);
			buf[O_PLEN + 1] = (uint8_t)(24 + rand() % 40);
			fix_csum(buf, 14);
		}
		copy = malloc(len ? len : 1);
		memcpy(copy, buf, len);
		(void)pkt_parse_nd(copy, len, &nd);
		free(copy);
	}
}

/*
 * The classic BPF programs run as they would on the packet socket: a filter
 * on an AF_UNIX datagram socket sees each datagram as the packet socket
 * sees a frame (offset 0 = the Ethernet header, len = its length).
 */
static int filter_passes(int filter, const uint8_t *frame, size_t len, size_t *ret_len)
{
	int sv[2], passed;
	uint8_t buf[256];
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(pkt_socket_set_filter(sv[1], (enum pkt_filter)filter), 0);
	assert_int_equal(send(sv[0], frame, len, 0), (ssize_t)len);
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	passed = n >= 0;
	if (ret_len)
		*ret_len = n >= 0 ? (size_t)n : 0;
	close(sv[0]);
	close(sv[1]);
	return passed;
}

static void test_filter_nd(void **state)
{
	uint8_t f[sizeof(golden_na) + 32];
	struct pkt_frame arp;
	size_t got;

	/* NA and DAD NS pass, whole */
	assert_true(filter_passes(PKT_FILTER_ND, golden_na, sizeof(golden_na), &got));
	assert_int_equal(got, sizeof(golden_na));
	assert_true(filter_passes(PKT_FILTER_ND, golden_dad_ns, sizeof(golden_dad_ns), &got));
	assert_int_equal(got, sizeof(golden_dad_ns));
	/* with more options: still whole */
	memset(f, 0, sizeof(f));
	memcpy(f, golden_na, sizeof(golden_na));
	assert_true(filter_passes(PKT_FILTER_ND, f, sizeof(f), &got));
	assert_int_equal(got, sizeof(f));

	/* the drop-all and ARP programs drop them */
	assert_false(filter_passes(PKT_FILTER_DROP_ALL, golden_na, sizeof(golden_na), NULL));
	assert_false(filter_passes(PKT_FILTER_ARP, golden_na, sizeof(golden_na), NULL));
	/* and the ND program drops ARP */
	assert_int_equal(pkt_build_announce_request(&arp, mac,
						    (struct in_addr){ htonl(0x0a000001) },
						    PKT_THA_BROADCAST, PKT_VLAN_NONE),
			 0);
	assert_false(filter_passes(PKT_FILTER_ND, arp.data, arp.len, NULL));

	/* every other ICMPv6 type, another next header, another hop limit: dropped */
	for (int type = 0; type < 256; type++) {
		memcpy(f, golden_na, sizeof(golden_na));
		f[O_TYPE] = (uint8_t)type;
		assert_int_equal(filter_passes(PKT_FILTER_ND, f, sizeof(golden_na), NULL),
				 type == 135 || type == 136);
	}
	memcpy(f, golden_na, sizeof(golden_na));
	f[O_NH] = 0;
	assert_false(filter_passes(PKT_FILTER_ND, f, sizeof(golden_na), NULL));
	memcpy(f, golden_na, sizeof(golden_na));
	f[O_HOP] = 254;
	assert_false(filter_passes(PKT_FILTER_ND, f, sizeof(golden_na), NULL));
	memcpy(f, golden_na, sizeof(golden_na));
	f[O_ETYPE] = 0x08;
	f[O_ETYPE + 1] = 0x00;
	assert_false(filter_passes(PKT_FILTER_ND, f, sizeof(golden_na), NULL));
	/* shorter than ICMPv6 NS/NA's fixed part */
	assert_false(filter_passes(PKT_FILTER_ND, golden_na, O_TYPE + 23, NULL));
	assert_true(filter_passes(PKT_FILTER_ND, golden_na, O_TYPE + 24, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_na),
		cmocka_unit_test(test_golden_dad_ns),
		cmocka_unit_test(test_golden_directed_ns),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_parse_golden),
		cmocka_unit_test(test_parse_resolution_ns),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_parse_wrong_fields),
		cmocka_unit_test(test_parse_checksum),
		cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_parse_random),
		cmocka_unit_test(test_filter_nd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
