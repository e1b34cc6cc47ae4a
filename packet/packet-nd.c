// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IPv6 neighbour discovery frames: builders and a strict parser. Pure.
 *
 * Frame layout (RFC 4861 §4.3, §4.4 over Ethernet, RFC 2464):
 *   dst[6] src[6] [0x8100 tci[2]] 0x86dd
 *   IPv6: ver/tc/flow[4] payload_len[2] next=58 hop_limit=255 src[16] dst[16]
 *   ICMPv6: type[1] code[1] checksum[2] flags/reserved[4] target[16] options...
 * An NS/NA with one 8-byte option is 86 bytes (90 tagged): no padding.
 */

#include <errno.h>
#include <string.h>

#include "garp-nd.h"

#define IPPROTO_ICMPV6_NUM 58
#define ND_HOP_LIMIT 255
#define ICMP_ND_LEN 24 /* type, code, checksum, flags/reserved, target */

static const uint8_t mac_all_nodes[PKT_ETH_ALEN] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const struct in6_addr ip6_all_nodes = { .s6_addr = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0,
							    0, 0, 0, 0, 0x01 } };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool ip6_is_multicast(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff;
}

static bool ip6_is_unspecified(const struct in6_addr *a)
{
	static const struct in6_addr any;

	return !memcmp(a, &any, sizeof(any));
}

void pkt_solicited_node(const struct in6_addr *addr, struct in6_addr *ret)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	struct in6_addr r;

	memcpy(r.s6_addr, prefix, sizeof(prefix));
	memcpy(r.s6_addr + 13, addr->s6_addr + 13, 3);
	*ret = r;
}

/* RFC 4443 §2.3: the ones' complement sum over the pseudo-header and the message. */
static uint16_t icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
			       const uint8_t *msg, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < 16; i += 2) {
		sum += get16(src->s6_addr + i);
		sum += get16(dst->s6_addr + i);
	}
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff); /* upper-layer length */
	sum += IPPROTO_ICMPV6_NUM;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(msg + i);
	if (len & 1)
		sum += (uint32_t)msg[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet and IPv6 headers; returns the ICMPv6 message's start. */
static uint8_t *put_headers(struct pkt_frame *ret, const uint8_t eth_dst[PKT_ETH_ALEN],
			    const uint8_t mac[PKT_ETH_ALEN], uint16_t vlan,
			    const struct in6_addr *src, const struct in6_addr *dst, size_t icmp_len)
{
	uint8_t *p = ret->data;

	memset(ret, 0, sizeof(*ret));
	memcpy(p, eth_dst, PKT_ETH_ALEN);
	memcpy(p + 6, mac, PKT_ETH_ALEN);
	p += 12;
	if (vlan != PKT_VLAN_NONE) {
		put16(p, PKT_ETHERTYPE_VLAN);
		put16(p + 2, vlan); /* PCP 0, DEI 0 */
		p += PKT_VLAN_HLEN;
	}
	put16(p, PKT_ETHERTYPE_IPV6);
	p += 2;
	p[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
	put16(p + 4, (uint16_t)icmp_len);
	p[6] = IPPROTO_ICMPV6_NUM;
	p[7] = ND_HOP_LIMIT;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	p += PKT_IPV6_HLEN;
	ret->len = (uint16_t)(p - ret->data + icmp_len);
	return p;
}

int pkt_build_na(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
		 const struct in6_addr *addr, bool router, uint16_t vlan)
{
	const size_t icmp_len = ICMP_ND_LEN + 8;
	uint8_t *m;

	if (vlan > PKT_VLAN_MAX || ip6_is_multicast(addr) || ip6_is_unspecified(addr))
		return -EINVAL;
	m = put_headers(ret, mac_all_nodes, mac, vlan, addr, &ip6_all_nodes, icmp_len);
	m[0] = PKT_ICMPV6_NA;
	/* RFC 4861 §7.2.6: unsolicited, so S clear; O set, the cache entry must move */
	m[4] = PKT_NA_OVERRIDE | (router ? PKT_NA_ROUTER : 0);
	memcpy(m + 8, addr, 16);
	m[24] = PKT_ND_OPT_TLLA;
	m[25] = 1; /* 8 bytes */
	memcpy(m + 26, mac, PKT_ETH_ALEN);
	put16(m + 2, icmp6_checksum(addr, &ip6_all_nodes, m, icmp_len));
	return 0;
}

int pkt_build_dad_ns(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
		     const struct in6_addr *target, const uint8_t nonce[PKT_ND_NONCE_LEN],
		     uint16_t vlan)
{
	static const struct in6_addr any;
	const size_t icmp_len = ICMP_ND_LEN + 8;
	struct in6_addr group;
	uint8_t eth_dst[PKT_ETH_ALEN] = { 0x33, 0x33 };
	uint8_t *m;

	if (vlan > PKT_VLAN_MAX || ip6_is_multicast(target) || ip6_is_unspecified(target))
		return -EINVAL;
	pkt_solicited_node(target, &group);
	memcpy(eth_dst + 2, group.s6_addr + 12, 4); /* RFC 2464 §7 */
	m = put_headers(ret, eth_dst, mac, vlan, &any, &group, icmp_len);
	m[0] = PKT_ICMPV6_NS;
	memcpy(m + 8, target, 16);
	/* RFC 4862 §5.4.2: from ::, no source link-layer option; RFC 7527: a nonce */
	m[24] = PKT_ND_OPT_NONCE;
	m[25] = 1;
	memcpy(m + 26, nonce, PKT_ND_NONCE_LEN);
	put16(m + 2, icmp6_checksum(&any, &group, m, icmp_len));
	return 0;
}

static bool ip6_is_solicited_node(const struct in6_addr *a)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };

	return !memcmp(a->s6_addr, prefix, sizeof(prefix));
}

int pkt_parse_nd(const void *buf, size_t len, struct pkt_nd *ret)
{
	const uint8_t *p = buf, *m;
	size_t left = len, mlen;
	struct pkt_nd nd = { 0 };
	uint16_t type;

	if (left < PKT_ETH_HLEN)
		return -EBADMSG;
	memcpy(nd.eth_dst, p, PKT_ETH_ALEN);
	memcpy(nd.eth_src, p + 6, PKT_ETH_ALEN);
	type = get16(p + 12);
	p += PKT_ETH_HLEN;
	left -= PKT_ETH_HLEN;
	if (type == PKT_ETHERTYPE_VLAN) {
		if (left < PKT_VLAN_HLEN)
			return -EBADMSG;
		nd.tagged = true;
		nd.vlan = get16(p) & 0x0fff;
		type = get16(p + 2);
		p += PKT_VLAN_HLEN;
		left -= PKT_VLAN_HLEN;
	}
	if (type != PKT_ETHERTYPE_IPV6)
		return -EPROTO;

	/* IPv6 header */
	if (left < PKT_IPV6_HLEN)
		return -EBADMSG;
	if (p[0] >> 4 != 6)
		return -EPROTO;
	if (p[6] != IPPROTO_ICMPV6_NUM || p[7] != ND_HOP_LIMIT)
		return -EPROTO;
	mlen = get16(p + 4);
	memcpy(&nd.src, p + 8, 16);
	memcpy(&nd.dst, p + 24, 16);
	p += PKT_IPV6_HLEN;
	left -= PKT_IPV6_HLEN;
	if (mlen > left)
		return -EBADMSG;
	if (mlen < ICMP_ND_LEN)
		return -EPROTO;

	/* ICMPv6 */
	m = p;
	if (m[0] != PKT_ICMPV6_NS && m[0] != PKT_ICMPV6_NA)
		return -EPROTO;
	if (m[1] != 0)
		return -EPROTO;
	if (icmp6_checksum(&nd.src, &nd.dst, m, mlen) != 0)
		return -EPROTO;
	nd.type = m[0];
	if (nd.type == PKT_ICMPV6_NA)
		nd.flags = m[4] & (PKT_NA_ROUTER | PKT_NA_SOLICITED | PKT_NA_OVERRIDE);
	memcpy(&nd.target, m + 8, 16);
	if (ip6_is_multicast(&nd.target))
		return -EPROTO;
	if (ip6_is_multicast(&nd.src))
		return -EPROTO;

	/* options: type, length in 8-byte units (never 0), contents */
	for (size_t off = ICMP_ND_LEN; off < mlen;) {
		const uint8_t *o = m + off;
		size_t olen;

		if (mlen - off < 2)
			return -EBADMSG;
		olen = (size_t)o[1] * 8;
		if (olen == 0)
			return -EPROTO;
		if (olen > mlen - off)
			return -EBADMSG;
		switch (o[0]) {
		case PKT_ND_OPT_SLLA:
		case PKT_ND_OPT_TLLA:
			if (o[0] != (nd.type == PKT_ICMPV6_NS ? PKT_ND_OPT_SLLA : PKT_ND_OPT_TLLA))
				break; /* the other one is not meaningful here: ignored (§4.3, §4.4)
					*/
			if (olen != 8)
				return -EPROTO; /* Ethernet: 6 bytes of address in one unit */
			nd.has_lladdr = true;
			memcpy(nd.lladdr, o + 2, PKT_ETH_ALEN);
			break;
		case PKT_ND_OPT_NONCE:
			if (nd.type == PKT_ICMPV6_NS && !nd.has_nonce) {
				nd.has_nonce = true;
				memcpy(nd.nonce, o + 2, PKT_ND_NONCE_LEN);
			}
			break;
		default:
			break; /* unknown options are skipped (§4.6) */
		}
		off += olen;
	}

	if (nd.type == PKT_ICMPV6_NS && ip6_is_unspecified(&nd.src) &&
	    (!ip6_is_solicited_node(&nd.dst) || nd.has_lladdr))
		return -EPROTO; /* §7.1.1 */
	if (nd.type == PKT_ICMPV6_NA && ip6_is_multicast(&nd.dst) && (nd.flags & PKT_NA_SOLICITED))
		return -EPROTO; /* §7.1.2 */

	*ret = nd;
	return 0;
}

int pkt_build_directed_ns(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
			  const struct in6_addr *addr, const uint8_t nb_mac[PKT_ETH_ALEN],
			  const struct in6_addr *nb, uint16_t vlan)
{
	const size_t icmp_len = ICMP_ND_LEN + 8;
	struct in6_addr dst = *nb;
	uint8_t eth_dst[PKT_ETH_ALEN] = { 0x33, 0x33 };
	uint8_t *m;

	if (vlan > PKT_VLAN_MAX || ip6_is_multicast(addr) || ip6_is_unspecified(addr) ||
	    ip6_is_multicast(nb) || ip6_is_unspecified(nb))
		return -EINVAL;
	if (nb_mac) {
		memcpy(eth_dst, nb_mac, PKT_ETH_ALEN);
	} else {
		/* unknown MAC: the neighbour's solicited-node group, as address resolution does */
		pkt_solicited_node(nb, &dst);
		memcpy(eth_dst + 2, dst.s6_addr + 12, 4); /* RFC 2464 §7 */
	}
	m = put_headers(ret, eth_dst, mac, vlan, addr, &dst, icmp_len);
	m[0] = PKT_ICMPV6_NS;
	memcpy(m + 8, nb, 16);
	/* RFC 4861 §7.2.3: the receiver records (source, SLLA) as STALE */
	m[24] = PKT_ND_OPT_SLLA;
	m[25] = 1; /* 8 bytes */
	memcpy(m + 26, mac, PKT_ETH_ALEN);
	put16(m + 2, icmp6_checksum(addr, &dst, m, icmp_len));
	return 0;
}
