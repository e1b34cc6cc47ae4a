/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The directed refresh: an ARP request addressed to one neighbour, asking
 * for the neighbour's own address from the address we announce. RFC 826's
 * merge rule makes the target of a request record the sender's (SPA, SHA)
 * before it answers, so a neighbour that ignores gratuitous ARP follows the
 * address all the same. Pure, like packet.c.
 */

#include <errno.h>
#include <string.h>

#include "garp-packet.h"

/* Offsets in the ARP payload (after the Ethernet header and any tag). */
#define ARP_OFF_SPA 14

int pkt_build_directed_request(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
			       struct in_addr spa, const uint8_t dst[PKT_ETH_ALEN],
			       struct in_addr tpa, uint16_t vlan)
{
	size_t arp;
	int r;

	/*
	 * A probe is the same request with SPA 0.0.0.0: op request, SHA our
	 * MAC, THA zero, TPA the neighbour. Only SPA and the destination
	 * differ.
	 */
	r = pkt_build_probe(ret, mac, tpa, vlan);
	if (r < 0)
		return r;
	arp = PKT_ETH_HLEN + (vlan != PKT_VLAN_NONE ? PKT_VLAN_HLEN : 0);
	memcpy(ret->data + arp + ARP_OFF_SPA, &spa, sizeof(spa));
	if (dst)
		memcpy(ret->data, dst, PKT_ETH_ALEN);
	return 0;
}
