/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * packet/: IPv6 neighbour discovery frames (RFC 4861) over Ethernet:
 * unsolicited Neighbour Advertisements, the Neighbour Solicitation of
 * duplicate address detection, and a strict parser for received NS/NA.
 *
 * Pure, like the ARP builders in garp-packet.h: buffers and values in,
 * frames out. Every builder takes an optional 802.1Q VLAN id.
 */

#include "garp-packet.h"

#define PKT_ETHERTYPE_IPV6 0x86dd
#define PKT_IPV6_HLEN 40
#define PKT_ICMPV6_NS 135
#define PKT_ICMPV6_NA 136
/* NA flags, as in the first byte after the checksum */
#define PKT_NA_ROUTER 0x80
#define PKT_NA_SOLICITED 0x40
#define PKT_NA_OVERRIDE 0x20
/* ND option types */
#define PKT_ND_OPT_SLLA 1
#define PKT_ND_OPT_TLLA 2
#define PKT_ND_OPT_NONCE 14 /* RFC 7527 */
#define PKT_ND_NONCE_LEN 6
/* NS/NA as we build them: 24 bytes of ICMPv6 plus one 8-byte option. */
#define PKT_ND_FRAME_LEN (PKT_ETH_HLEN + PKT_IPV6_HLEN + 32)

/**
 * pkt_build_na() - unsolicited Neighbour Advertisement for @addr (RFC 4861 §7.2.6)
 * @ret: the frame
 * @mac: our MAC: Ethernet source and the Target Link-Layer Address option
 * @addr: the advertised address: IPv6 source and target
 * @router: set the Router flag (the interface forwards: RFC 4861 §7.2.4,
 *          a host that sees R clear from a router drops it as default router)
 * @vlan: VLAN id or PKT_VLAN_NONE
 *
 * Ethernet dst 33:33:00:00:00:01, IPv6 dst ff02::1, hop limit 255; ICMPv6
 * 136 code 0, Override set, Solicited clear; checksum over the pseudo-header.
 *
 * Return: 0, or -EINVAL for a bad VLAN id or a multicast/unspecified @addr.
 */
int pkt_build_na(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
		 const struct in6_addr *addr, bool router, uint16_t vlan);

/**
 * pkt_build_dad_ns() - Neighbour Solicitation for DAD, in the kernel's format
 * @ret: the frame
 * @mac: our MAC (Ethernet source only: DAD carries no source link-layer option)
 * @target: the address being checked
 * @nonce: PKT_ND_NONCE_LEN bytes for the nonce option (RFC 7527), which
 *         lets the sender recognise its own looped-back probe
 * @vlan: VLAN id or PKT_VLAN_NONE
 *
 * IPv6 src ::, dst the solicited-node group ff02::1:ffXX:XXXX of @target,
 * Ethernet dst 33:33:ff:XX:XX:XX, hop limit 255 (RFC 4862 §5.4.2).
 *
 * Return: 0, or -EINVAL for a bad VLAN id or a multicast/unspecified @target.
 */
int pkt_build_dad_ns(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
		     const struct in6_addr *target, const uint8_t nonce[PKT_ND_NONCE_LEN],
		     uint16_t vlan);

/**
 * pkt_build_directed_ns() - the IPv6 directed refresh: a unicast NS from @addr to @nb
 * @ret: the frame
 * @mac: our MAC: Ethernet source and the Source Link-Layer Address option
 * @addr: the announced address: IPv6 source
 * @nb_mac: the neighbour's MAC (Ethernet destination), or NULL when unknown:
 *          then the neighbour's solicited-node group (33:33:ff:xx:xx:xx, and
 *          ff02::1:ffxx:xxxx as IPv6 destination)
 * @nb: the neighbour: ICMPv6 target, and IPv6 destination when @nb_mac is given
 * @vlan: 802.1Q VLAN id, or PKT_VLAN_NONE
 *
 * Hop limit 255, type 135, target = @nb, SLLA = @mac: RFC 4861 §7.2.3 makes
 * the neighbour create or update its entry for @addr with @mac (STALE).
 *
 * Return: 0, or -EINVAL for a bad VLAN id or a multicast/unspecified address.
 */
int pkt_build_directed_ns(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
			  const struct in6_addr *addr, const uint8_t nb_mac[PKT_ETH_ALEN],
			  const struct in6_addr *nb, uint16_t vlan);

/* A received NS or NA, parsed and validated (RFC 4861 §7.1.1, §7.1.2). */
struct pkt_nd {
	uint8_t eth_dst[PKT_ETH_ALEN];
	uint8_t eth_src[PKT_ETH_ALEN];
	bool tagged;   /* an in-band 802.1Q tag was present */
	uint16_t vlan; /* its VLAN id (0 when untagged) */
	struct in6_addr src, dst;
	uint8_t type;  /* PKT_ICMPV6_NS or PKT_ICMPV6_NA */
	uint8_t flags; /* NA: PKT_NA_ROUTER | PKT_NA_SOLICITED | PKT_NA_OVERRIDE; NS: 0 */
	struct in6_addr target;
	bool has_lladdr; /* NS: source, NA: target link-layer address option (Ethernet) */
	uint8_t lladdr[PKT_ETH_ALEN];
	bool has_nonce; /* NS: a nonce option; its first 6 bytes */
	uint8_t nonce[PKT_ND_NONCE_LEN];
};

/**
 * pkt_parse_nd() - parse an Ethernet IPv6 NS or NA frame, strictly
 * @buf: the frame from its Ethernet header on (FCS not included)
 * @len: bytes in @buf (Ethernet padding after the IPv6 payload is fine)
 * @ret: the parsed frame, written only on success
 *
 * Accepts at most one 802.1Q tag; IPv6 version 6, next header ICMPv6 (no
 * extension headers), hop limit 255, a payload that fits in @len; ICMPv6
 * code 0, a correct checksum, at least 24 bytes; a target that is not
 * multicast; options that each have a non-zero length and fit. An NS from
 * :: must go to a solicited-node group and carry no source link-layer
 * option; an NA to a multicast group must have Solicited clear. A
 * link-layer option that is not 6 bytes of address is -EPROTO. Never
 * reads past @len.
 *
 * Return: 0, -EBADMSG for a frame too short for what it claims, or -EPROTO
 * for one that is not a valid NS/NA.
 */
int pkt_parse_nd(const void *buf, size_t len, struct pkt_nd *ret);

/* The solicited-node multicast group of @addr: ff02::1:ff00:0/104 | its low 24 bits. */
void pkt_solicited_node(const struct in6_addr *addr, struct in6_addr *ret);
