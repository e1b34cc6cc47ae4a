/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Gratuitous ARP frames: builders and a strict parser. Pure functions.
 *
 * Frame layout (RFC 826 over Ethernet, optionally one 802.1Q tag):
 *   dst[6] src[6] [0x8100 tci[2]] ethertype[2]
 *   htype[2] ptype[2] hlen[1] plen[1] op[2] sha[6] spa[4] tha[6] tpa[4]
 *   zero padding up to 60 bytes (64 when tagged).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "garp-packet.h"

static const uint8_t mac_broadcast[PKT_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[PKT_ETH_ALEN];

#define ARP_HTYPE_ETHER 1
#define ARP_PTYPE_IPV4 0x0800

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Fields of one ARP-format frame, in the order they go on the wire. */
struct arp_fields {
	const uint8_t *eth_src;
	uint16_t ethertype;
	uint16_t op;
	const uint8_t *sha;
	struct in_addr spa;
	const uint8_t *tha;
	struct in_addr tpa;
};

/* Every frame garpd sends is broadcast: Ethernet destination ff:ff:ff:ff:ff:ff. */
static int build(struct pkt_frame *ret, const struct arp_fields *f, uint16_t vlan)
{
	uint8_t *p = ret->data;

	if (vlan > PKT_VLAN_MAX)
		return -EINVAL;

	memset(ret, 0, sizeof(*ret));
	memcpy(p, mac_broadcast, PKT_ETH_ALEN);
	memcpy(p + 6, f->eth_src, PKT_ETH_ALEN);
	p += 12;
	if (vlan != PKT_VLAN_NONE) {
		put16(p, PKT_ETHERTYPE_VLAN);
		put16(p + 2, vlan); /* PCP 0, DEI 0 */
		p += PKT_VLAN_HLEN;
	}
	put16(p, f->ethertype);
	p += 2;

	put16(p, ARP_HTYPE_ETHER);
	put16(p + 2, ARP_PTYPE_IPV4);
	p[4] = PKT_ETH_ALEN;
	p[5] = sizeof(struct in_addr);
	put16(p + 6, f->op);
	memcpy(p + 8, f->sha, PKT_ETH_ALEN);
	memcpy(p + 14, &f->spa, 4);
	memcpy(p + 18, f->tha, PKT_ETH_ALEN);
	memcpy(p + 24, &f->tpa, 4);

	ret->len = vlan != PKT_VLAN_NONE ? PKT_FRAME_MIN + PKT_VLAN_HLEN : PKT_FRAME_MIN;
	return 0;
}

int pkt_build_probe(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN], struct in_addr tpa,
		    uint16_t vlan)
{
	/* RFC 5227 §2.1.1: SPA all zeroes so no cache is changed; THA ignored, zero. */
	const struct arp_fields f = {
		.eth_src = mac,
		.ethertype = PKT_ETHERTYPE_ARP,
		.op = PKT_ARPOP_REQUEST,
		.sha = mac,
		.spa = { 0 },
		.tha = mac_zero,
		.tpa = tpa,
	};
	return build(ret, &f, vlan);
}

int pkt_build_announce_request(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
			       struct in_addr addr, enum pkt_tha tha, uint16_t vlan)
{
	/* RFC 5227 §2.3 with THA broadcast by default, as arping -U and keepalived send it. */
	struct arp_fields f = {
		.eth_src = mac,
		.ethertype = PKT_ETHERTYPE_ARP,
		.op = PKT_ARPOP_REQUEST,
		.sha = mac,
		.spa = addr,
		.tpa = addr,
	};

	switch (tha) {
	case PKT_THA_BROADCAST:
		f.tha = mac_broadcast;
		break;
	case PKT_THA_ZERO:
		f.tha = mac_zero;
		break;
	default:
		return -EINVAL;
	}
	return build(ret, &f, vlan);
}

int pkt_build_announce_reply(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
			     struct in_addr addr, uint16_t vlan)
{
	/* Linux (arp_process) treats a reply as gratuitous only when THA == SHA. */
	const struct arp_fields f = {
		.eth_src = mac,
		.ethertype = PKT_ETHERTYPE_ARP,
		.op = PKT_ARPOP_REPLY,
		.sha = mac,
		.spa = addr,
		.tha = mac,
		.tpa = addr,
	};
	return build(ret, &f, vlan);
}

int pkt_build_relearn(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN], enum pkt_relearn kind,
		      uint16_t vlan)
{
	struct arp_fields f = {
		.eth_src = mac,
		.sha = mac,
		.spa = { 0 },
		.tpa = { 0 },
	};

	switch (kind) {
	case PKT_RELEARN_RARP:
		/* RFC 903 request-reverse: SHA = THA = the MAC, no IPs (as QEMU's announce). */
		f.ethertype = PKT_ETHERTYPE_RARP;
		f.op = PKT_ARPOP_RREQUEST;
		f.tha = mac;
		break;
	case PKT_RELEARN_ARP:
		/* A probe-shaped request with SPA = TPA = 0.0.0.0: no stack acts on it. */
		f.ethertype = PKT_ETHERTYPE_ARP;
		f.op = PKT_ARPOP_REQUEST;
		f.tha = mac_zero;
		break;
	default:
		return -EINVAL;
	}
	return build(ret, &f, vlan);
}

int pkt_parse_arp(const void *buf, size_t len, struct pkt_arp *ret)
{
	const uint8_t *p = buf;
	size_t left = len;
	struct pkt_arp arp = { 0 };
	uint16_t type;

	if (left < PKT_ETH_HLEN)
		return -EBADMSG;
	memcpy(arp.eth_dst, p, PKT_ETH_ALEN);
	memcpy(arp.eth_src, p + 6, PKT_ETH_ALEN);
	type = get16(p + 12);
	p += PKT_ETH_HLEN;
	left -= PKT_ETH_HLEN;

	if (type == PKT_ETHERTYPE_VLAN) {
		if (left < PKT_VLAN_HLEN)
			return -EBADMSG;
		arp.tagged = true;
		arp.vlan = get16(p) & 0x0fff;
		type = get16(p + 2);
		p += PKT_VLAN_HLEN;
		left -= PKT_VLAN_HLEN;
	}
	if (type != PKT_ETHERTYPE_ARP)
		return -EPROTO;

	if (left < PKT_ARP_LEN)
		return -EBADMSG;
	if (get16(p) != ARP_HTYPE_ETHER || get16(p + 2) != ARP_PTYPE_IPV4)
		return -EPROTO;
	if (p[4] != PKT_ETH_ALEN || p[5] != sizeof(struct in_addr))
		return -EPROTO;
	arp.op = get16(p + 6);
	if (arp.op != PKT_ARPOP_REQUEST && arp.op != PKT_ARPOP_REPLY)
		return -EPROTO;
	memcpy(arp.sha, p + 8, PKT_ETH_ALEN);
	memcpy(&arp.spa, p + 14, 4);
	memcpy(arp.tha, p + 18, PKT_ETH_ALEN);
	memcpy(&arp.tpa, p + 24, 4);

	*ret = arp;
	return 0;
}

bool pkt_is_probe(const struct pkt_arp *arp)
{
	return arp->op == PKT_ARPOP_REQUEST && arp->spa.s_addr == 0;
}

bool pkt_rx_same_vlan(const uint8_t eth_dst[PKT_ETH_ALEN], bool tagged, uint16_t vlan,
		      const struct pkt_rx *rx, const uint8_t link_mac[PKT_ETH_ALEN],
		      uint16_t link_vlan)
{
	if (rx->vlan_valid && tagged)
		return false; /* two tags: the inner VLAN of an outer one, not ours */
	if (rx->pkttype == PKT_PACKET_OTHERHOST &&
	    ((eth_dst[0] & 1) || !memcmp(eth_dst, link_mac, PKT_ETH_ALEN)))
		/*
		 * To us or to all, yet "not for us": the kernel's mark of a tag it
		 * took off and had no VLAN device for. It is gone from the frame
		 * and the auxiliary data; an in-band tag that is left is an outer
		 * one (a VLAN device with reorder_hdr off puts its own back).
		 */
		return false;
	if (rx->vlan_valid || tagged) {
		if (rx->vlan_valid)
			vlan = rx->vlan;
		return vlan == 0 || vlan == link_vlan;
	}
	return true;
}

char *pkt_mac_to_str(const uint8_t mac[PKT_ETH_ALEN], char buf[PKT_MAC_STRLEN])
{
	snprintf(buf, PKT_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return buf;
}

char *pkt_ipv4_to_str(const struct in_addr *addr, char buf[PKT_IPV4_STRLEN])
{
	const uint8_t *b = (const uint8_t *)&addr->s_addr; /* network order: first octet first */
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned int v = b[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pkt_mac_from_str(const char *s, uint8_t ret[PKT_ETH_ALEN])
{
	uint8_t mac[PKT_ETH_ALEN];

	for (int i = 0; i < PKT_ETH_ALEN; i++) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < PKT_ETH_ALEN - 1) {
			if (*s != ':')
				return -EINVAL;
			s++;
		}
	}
	if (*s != '\0')
		return -EINVAL;
	memcpy(ret, mac, PKT_ETH_ALEN);
	return 0;
}
