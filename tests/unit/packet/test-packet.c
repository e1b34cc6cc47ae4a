/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Frames compared byte for byte with known-good ones; the parser fed hostile input. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "garp-packet.h"

static const uint8_t mac2[6] = { 0x02, 0x02, 0x02, 0x02, 0x02, 0x02 };
static const uint8_t guest[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* ../shared/seeds/004: gratuitous request for 192.168.1.1 from 02:02:02:02:02:02, as Wireshark
 * shows it. */
static const uint8_t golden_request[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x08, 0x06, 0x00,
	0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0xc0, 0xa8,
	0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xa8, 0x01, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void assert_frame(const struct pkt_frame *f, const uint8_t *want, size_t len)
{
	assert_int_equal(f->len, len);
	assert_memory_equal(f->data, want, len);
}

static void test_golden_announce_request(void **state)
{
	struct pkt_frame f;

	assert_int_equal(pkt_build_announce_request(&f, mac2, ip("192.168.1.1"), PKT_THA_BROADCAST,
						    PKT_VLAN_NONE),
			 0);
	assert_frame(&f, golden_request, sizeof(golden_request));
}

static void test_announce_request_zero_tha(void **state)
{
	uint8_t want[60];
	struct pkt_frame f;

	memcpy(want, golden_request, sizeof(want));
	memset(want + 32, 0, 6);
	assert_int_equal(pkt_build_announce_request(&f, mac2, ip("192.168.1.1"), PKT_THA_ZERO, 0),
			 0);
	assert_frame(&f, want, sizeof(want));
	assert_int_equal(
	    pkt_build_announce_request(&f, mac2, ip("192.168.1.1"), (enum pkt_tha)7, 0), -EINVAL);
}

static void test_probe(void **state)
{
	static const uint8_t want[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x02, 0x02, 0x02, 0x02,
		0x02, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, /* request */
		0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, /* SHA, SPA 0.0.0.0 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x06, /* THA 0, TPA 10.0.0.6
									     */
	};
	struct pkt_frame f;

	assert_int_equal(pkt_build_probe(&f, mac2, ip("10.0.0.6"), PKT_VLAN_NONE), 0);
	assert_frame(&f, want, sizeof(want));
}

static void test_reply(void **state)
{
	static const uint8_t want[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x02, 0x02, 0x02, 0x02,
		0x02, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, /* reply */
		0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0a, 0x00, 0x00, 0x06,	  /* SHA, SPA */
		0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0a, 0x00, 0x00, 0x06, /* THA = SHA, TPA */
	};
	struct pkt_frame f;

	assert_int_equal(pkt_build_announce_reply(&f, mac2, ip("10.0.0.6"), PKT_VLAN_NONE), 0);
	assert_frame(&f, want, sizeof(want));
}

static void test_relearn_rarp_tagged(void **state)
{
	static const uint8_t want[64] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12,
		0x34, 0x56,						    /* src guest */
		0x81, 0x00, 0x00, 0x64, 0x80, 0x35,			    /* VLAN 100, RARP */
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x03,		    /* op 3 */
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x00, 0x00, 0x00, /* SHA, SPA 0 */
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x00, 0x00, 0x00, /* THA = SHA, TPA 0 */
	};
	struct pkt_frame f;

	assert_int_equal(pkt_build_relearn(&f, guest, PKT_RELEARN_RARP, 100), 0);
	assert_frame(&f, want, sizeof(want));
}

static void test_relearn_arp(void **state)
{
	static const uint8_t want[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct pkt_frame f;

	assert_int_equal(pkt_build_relearn(&f, guest, PKT_RELEARN_ARP, PKT_VLAN_NONE), 0);
	assert_frame(&f, want, sizeof(want));
	assert_int_equal(pkt_build_relearn(&f, guest, (enum pkt_relearn)9, 0), -EINVAL);
}

static void test_bad_vlan(void **state)
{
	struct pkt_frame f;

	assert_int_equal(pkt_build_probe(&f, mac2, ip("10.0.0.6"), 4095), -EINVAL);
	assert_int_equal(pkt_build_announce_reply(&f, mac2, ip("10.0.0.6"), 4094), 0);
	assert_int_equal(f.len, 64);
}

static void test_parse_golden(void **state)
{
	struct pkt_arp a;

	assert_int_equal(pkt_parse_arp(golden_request, sizeof(golden_request), &a), 0);
	assert_false(a.tagged);
	assert_int_equal(a.op, PKT_ARPOP_REQUEST);
	assert_memory_equal(a.sha, mac2, 6);
	assert_memory_equal(a.eth_src, mac2, 6);
	assert_int_equal(a.spa.s_addr, ip("192.168.1.1").s_addr);
	assert_int_equal(a.tpa.s_addr, ip("192.168.1.1").s_addr);
	assert_false(pkt_is_probe(&a));
}

static void test_parse_roundtrip_tagged(void **state)
{
	struct pkt_frame f;
	struct pkt_arp a;

	assert_int_equal(pkt_build_probe(&f, mac2, ip("10.1.2.3"), 100), 0);
	assert_int_equal(pkt_parse_arp(f.data, f.len, &a), 0);
	assert_true(a.tagged);
	assert_int_equal(a.vlan, 100);
	assert_true(pkt_is_probe(&a));
	assert_int_equal(a.tpa.s_addr, ip("10.1.2.3").s_addr);

	/* Exactly the header, no padding, is enough. */
	assert_int_equal(pkt_parse_arp(f.data, PKT_ETH_HLEN + PKT_VLAN_HLEN + PKT_ARP_LEN, &a), 0);
}

/* Every truncation is refused, read under ASan from a heap copy of exactly that length. */
static void test_parse_every_truncation(void **state)
{
	struct pkt_frame tagged, plain;
	struct pkt_arp a;

	assert_int_equal(pkt_build_announce_reply(&tagged, mac2, ip("10.0.0.1"), 7), 0);
	assert_int_equal(pkt_build_announce_reply(&plain, mac2, ip("10.0.0.1"), 0), 0);
	for (size_t len = 0; len < PKT_ETH_HLEN + PKT_VLAN_HLEN + PKT_ARP_LEN; len++) {
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, tagged.data, len);
		assert_int_equal(pkt_parse_arp(copy, len, &a), -EBADMSG);
		if (len < PKT_ETH_HLEN + PKT_ARP_LEN) {
			memcpy(copy, plain.data, len);
			assert_int_equal(pkt_parse_arp(copy, len, &a), -EBADMSG);
		}
		free(copy);
	}
}

static void test_parse_wrong_fields(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
	} bad[] = {
		{ 12, 0x08 }, { 13, 0x00 }, /* ethertype IPv4 */
		{ 14, 0x01 }, { 15, 0x06 }, /* htype 0x0101, 6 */
		{ 16, 0x86 }, { 17, 0xdd }, /* ptype IPv6 */
		{ 18, 0x08 },		    /* hlen */
		{ 19, 0x10 },		    /* plen */
		{ 21, 0x03 },		    /* op RARP */
		{ 21, 0x00 },		    /* op 0 */
	};
	struct pkt_arp a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t f[60];

		memcpy(f, golden_request, sizeof(f));
		f[bad[i].off] = bad[i].val;
		if (bad[i].off == 12)
			f[13] = 0x00;
		assert_int_equal(pkt_parse_arp(f, sizeof(f), &a), -EPROTO);
	}
}

static void test_parse_random(void **state)
{
	uint8_t buf[80];
	struct pkt_arp a;

	srand(1);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand() % sizeof(buf);
		uint8_t *copy;

		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = (uint8_t)rand();
		if (i % 2) { /* mostly-valid header, random rest */
			memcpy(buf, golden_request, 22);
			buf[21] = (uint8_t)(1 + rand() % 2);
		}
		copy = malloc(len ? len : 1);
		memcpy(copy, buf, len);
		(void)pkt_parse_arp(copy, len, &a);
		free(copy);
	}
}

/* The same text as inet_ntop() for every octet value in every position, and at the extremes. */
static void test_ipv4_strings(void **state)
{
	char want[INET_ADDRSTRLEN], got[PKT_IPV4_STRLEN];
	uint32_t x = 0x12345678;

	(void)state;
	for (uint32_t i = 0; i < 200000; i++) {
		struct in_addr a;

		if (i < 256 * 4) {
			uint8_t o[4] = { 1, 2, 3, 4 };

			o[i / 256] = (uint8_t)(i % 256);
			memcpy(&a.s_addr, o, 4);
		} else if (i == 256 * 4) {
			a.s_addr = 0;
		} else if (i == 256 * 4 + 1) {
			a.s_addr = 0xffffffff;
		} else {
			x = x * 1103515245u + 12345u;
			a.s_addr = x;
		}
		assert_non_null(inet_ntop(AF_INET, &a, want, sizeof(want)));
		assert_ptr_equal(pkt_ipv4_to_str(&a, got), got);
		assert_string_equal(got, want);
	}
	assert_string_equal(pkt_ipv4_to_str(&(struct in_addr){ .s_addr = htonl(0x0a000001) }, got),
			    "10.0.0.1");
	assert_string_equal(pkt_ipv4_to_str(&(struct in_addr){ .s_addr = 0xffffffff }, got),
			    "255.255.255.255");
}

static void test_mac_strings(void **state)
{
	char s[PKT_MAC_STRLEN];
	uint8_t m[6];

	assert_string_equal(pkt_mac_to_str(guest, s), "52:54:00:12:34:56");
	assert_int_equal(pkt_mac_from_str("52:54:00:12:34:56", m), 0);
	assert_memory_equal(m, guest, 6);
	assert_int_equal(pkt_mac_from_str("52:54:00:12:34", m), -EINVAL);
	assert_int_equal(pkt_mac_from_str("52:54:00:12:34:56:", m), -EINVAL);
	assert_int_equal(pkt_mac_from_str("52-54-00-12-34-56", m), -EINVAL);
	assert_int_equal(pkt_mac_from_str("", m), -EINVAL);
	assert_int_equal(pkt_mac_from_str("5g:54:00:12:34:56", m), -EINVAL);
}

/* Another VLAN's frame never counts for an interface (issue 21). */
static void test_rx_same_vlan(void **state)
{
	static const uint8_t ours[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct pkt_frame f;
	struct pkt_arp arp;
	struct pkt_rx rx = { .ifindex = 2, .pkttype = 0 /* PACKET_HOST */ };
	struct in_addr a = { htonl(0x0a000001) };

	/* untagged, to us or broadcast: counts */
	assert_int_equal(pkt_build_announce_reply(&f, other, a, PKT_VLAN_NONE), 0);
	assert_int_equal(pkt_parse_arp(f.data, f.len, &arp), 0);
	assert_true(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
	/* the tag taken off by the kernel (PACKET_AUXDATA): VID 0 counts, others do not */
	rx.vlan_valid = true;
	rx.vlan = 0;
	assert_true(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
	for (uint16_t v = 1; v <= 4095; v += 7) {
		rx.vlan = v;
		assert_false(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
		/* on the VLAN device of that VID it is the device's own */
		assert_true(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, v));
		assert_false(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours,
					      (uint16_t)(v % 4094 + 1)));
	}
	/* tag taken off and the frame marked PACKET_OTHERHOST: broadcast (a reply
	 * built by pkt_build_announce_reply goes to the broadcast address) */
	rx = (struct pkt_rx){ .ifindex = 2, .pkttype = PKT_PACKET_OTHERHOST };
	assert_false(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
	/* ... or to our own MAC: another VLAN too */
	memcpy(arp.eth_dst, ours, 6);
	assert_false(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
	/* unicast to a third host, seen in promiscuous mode: may be ours, counts */
	memcpy(arp.eth_dst, other, 6);
	assert_true(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
	/* in-band tags */
	rx = (struct pkt_rx){ .ifindex = 2 };
	assert_int_equal(pkt_build_announce_reply(&f, other, a, 100), 0);
	assert_int_equal(pkt_parse_arp(f.data, f.len, &arp), 0);
	assert_false(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
	assert_true(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 100));
	f.data[14] = 0x20, f.data[15] = 0; /* priority-tagged: PCP 1, VID 0 */
	assert_int_equal(pkt_parse_arp(f.data, f.len, &arp), 0);
	assert_true(arp.tagged);
	assert_true(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
	/* two tags (one taken off, one in-band): never ours */
	rx.vlan_valid = true;
	rx.vlan = 0;
	assert_false(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 0));
	/*
	 * A VLAN device with reorder_hdr off (VID 100) and a frame tagged 100
	 * outside, 200 inside: the kernel puts 100 back in-band, takes 200
	 * off, finds no device for it, drops the tag and marks the frame
	 * PACKET_OTHERHOST (seen in the VM lab). To us or broadcast: not ours.
	 */
	assert_int_equal(pkt_build_announce_reply(&f, other, a, 100), 0);
	assert_int_equal(pkt_parse_arp(f.data, f.len, &arp), 0);
	rx = (struct pkt_rx){ .ifindex = 3, .pkttype = PKT_PACKET_OTHERHOST };
	assert_false(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 100));
	memcpy(arp.eth_dst, ours, 6);
	assert_false(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 100));
	/* the same frame as the device's own (PACKET_HOST): counts */
	rx.pkttype = 0;
	assert_true(pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, ours, 100));
}

/*
 * The directed refresh: who-has 192.168.1.20 tell 192.168.1.1, from
 * 02:02:02:02:02:02 to the neighbour's MAC 52:54:00:12:34:56, THA zero.
 */
static const uint8_t golden_directed[60] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x08, 0x06, 0x00,
	0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0xc0, 0xa8,
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x14, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_directed_request(void **state)
{
	struct pkt_frame f;
	struct pkt_arp a;
	uint8_t want[64];

	(void)state;
	assert_int_equal(pkt_build_directed_request(&f, mac2, ip("192.168.1.1"), guest,
						    ip("192.168.1.20"), PKT_VLAN_NONE),
			 0);
	assert_frame(&f, golden_directed, sizeof(golden_directed));

	/* MAC unknown: the same request, broadcast. */
	memcpy(want, golden_directed, 60);
	memset(want, 0xff, 6);
	assert_int_equal(pkt_build_directed_request(&f, mac2, ip("192.168.1.1"), NULL,
						    ip("192.168.1.20"), PKT_VLAN_NONE),
			 0);
	assert_frame(&f, want, 60);

	/* Tagged (VLAN 100): the tag after the source MAC, the payload moved by 4. */
	memcpy(want, golden_directed, 12);
	want[12] = 0x81, want[13] = 0x00, want[14] = 0x00, want[15] = 100;
	memcpy(want + 16, golden_directed + 12, 48);
	assert_int_equal(
	    pkt_build_directed_request(&f, mac2, ip("192.168.1.1"), guest, ip("192.168.1.20"), 100),
	    0);
	assert_frame(&f, want, 64);
	assert_int_equal(pkt_parse_arp(f.data, f.len, &a), 0);
	assert_int_equal(a.op, PKT_ARPOP_REQUEST);
	assert_memory_equal(a.eth_dst, guest, 6);
	assert_true(a.spa.s_addr == ip("192.168.1.1").s_addr);
	assert_true(a.tpa.s_addr == ip("192.168.1.20").s_addr);
	assert_false(pkt_is_probe(&a));

	assert_int_equal(pkt_build_directed_request(&f, mac2, ip("192.168.1.1"), guest,
						    ip("192.168.1.20"), 4095),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_announce_request),
		cmocka_unit_test(test_announce_request_zero_tha),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_relearn_rarp_tagged),
		cmocka_unit_test(test_relearn_arp),
		cmocka_unit_test(test_bad_vlan),
		cmocka_unit_test(test_parse_golden),
		cmocka_unit_test(test_parse_roundtrip_tagged),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_parse_wrong_fields),
		cmocka_unit_test(test_parse_random),
		cmocka_unit_test(test_mac_strings),
		cmocka_unit_test(test_ipv4_strings),
		cmocka_unit_test(test_rx_same_vlan),
		cmocka_unit_test(test_directed_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
