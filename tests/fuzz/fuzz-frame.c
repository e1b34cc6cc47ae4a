/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Received frames: pkt_parse_arp() on any bytes. Oracle: it accepts only
 * what its contract says (IPv4-over-Ethernet ARP request or reply, at most
 * one 802.1Q tag, long enough), the fields it returns are the frame's own
 * bytes, pkt_rx_same_vlan() counts a frame only in its own VLAN, and the
 * formatting helpers stay inside their buffers.
 */

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "garp-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_arp arp;
	char mac[PKT_MAC_STRLEN], ip[PKT_IPV4_STRLEN];
	size_t off = PKT_ETH_HLEN;
	int r;

	r = pkt_parse_arp(data, size, &arp);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTO, "pkt_parse_arp() returned %d", r);
	if (r < 0)
		return 0;

	if (arp.tagged) {
		FUZZ_CHECK(data[12] == 0x81 && data[13] == 0x00, "tagged without a 0x8100 tag");
		FUZZ_CHECK(arp.vlan == ((data[14] << 8 | data[15]) & 0x0fff), "wrong VLAN id");
		off += PKT_VLAN_HLEN;
	} else {
		FUZZ_CHECK(arp.vlan == 0, "a VLAN id on an untagged frame");
	}
	FUZZ_CHECK(size >= off + PKT_ARP_LEN, "accepted %zu bytes, shorter than an ARP frame",
		   size);
	FUZZ_CHECK(data[off - 2] == 0x08 && data[off - 1] == 0x06, "not the ARP ethertype");
	FUZZ_CHECK(!memcmp(data + off, "\x00\x01\x08\x00\x06\x04", 6), "not Ethernet/IPv4 ARP");
	FUZZ_CHECK(arp.op == PKT_ARPOP_REQUEST || arp.op == PKT_ARPOP_REPLY, "op %u", arp.op);
	FUZZ_CHECK(!memcmp(arp.eth_dst, data, 6) && !memcmp(arp.eth_src, data + 6, 6), "eth addrs");
	FUZZ_CHECK(!memcmp(arp.sha, data + off + 8, 6), "sha");
	FUZZ_CHECK(!memcmp(&arp.spa, data + off + 14, 4), "spa");
	FUZZ_CHECK(!memcmp(arp.tha, data + off + 18, 6), "tha");
	FUZZ_CHECK(!memcmp(&arp.tpa, data + off + 24, 4), "tpa");
	FUZZ_CHECK(pkt_is_probe(&arp) == (arp.op == PKT_ARPOP_REQUEST && arp.spa.s_addr == 0),
		   "a probe is a request from 0.0.0.0");

	{
		/* what the kernel says about the frame: from its last bytes (padding) */
		struct pkt_rx rx = { .ifindex = 2,
				     .pkttype = data[size - 1] % 8,
				     .vlan_valid = data[size - 2] & 1,
				     .vlan = (uint16_t)((data[size - 3] << 8 | data[size - 4]) &
							0x0fff) };
		uint16_t link_vlan = data[size - 2] & 2 ? arp.vlan : 0;
		bool same =
		    pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, arp.tha, link_vlan);

		/* "not for us" though addressed to us or to all: a tag the kernel dropped */
		bool dropped_tag = rx.pkttype == PKT_PACKET_OTHERHOST &&
				   ((arp.eth_dst[0] & 1) || !memcmp(arp.eth_dst, arp.tha, 6));

		if (!rx.vlan_valid && !arp.tagged && rx.pkttype != PKT_PACKET_OTHERHOST)
			FUZZ_CHECK(same, "an untagged frame for us refused");
		if (rx.vlan_valid && arp.tagged)
			FUZZ_CHECK(!same, "a double-tagged frame accepted");
		if (dropped_tag)
			FUZZ_CHECK(!same, "a frame whose tag the kernel dropped accepted");
		if (rx.vlan_valid != arp.tagged && !dropped_tag) {
			uint16_t v = rx.vlan_valid ? rx.vlan : arp.vlan;

			FUZZ_CHECK(same == (v == 0 || v == link_vlan), "VID %u on VLAN %u: %d", v,
				   link_vlan, same);
		}
	}
	FUZZ_CHECK(strlen(pkt_mac_to_str(arp.sha, mac)) == PKT_MAC_STRLEN - 1, "mac string");
	FUZZ_CHECK(strlen(pkt_ipv4_to_str(&arp.spa, ip)) < PKT_IPV4_STRLEN, "ipv4 string");
	{
		uint8_t back[PKT_ETH_ALEN];

		FUZZ_CHECK(pkt_mac_from_str(mac, back) == 0 && !memcmp(back, arp.sha, 6),
			   "mac round trip");
	}
	return 0;
}
