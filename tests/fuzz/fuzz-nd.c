/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Received IPv6 neighbour discovery frames: pkt_parse_nd() on any bytes.
 * Oracle: only the documented codes; what parses is an NS or NA with the
 * frame's own Ethernet addresses and VLAN, a target that is not multicast,
 * an NS from :: without a source link-layer option, an NA to a multicast
 * group without Solicited; and a frame we build parses back to itself
 * (we build none for the reserved VID 4095, which a received tag may carry).
 */

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "garp-nd.h"
#include "garp-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct in6_addr any;
	struct pkt_nd nd;
	int r;

	r = pkt_parse_nd(data, size, &nd);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTO, "pkt_parse_nd() returned %d", r);
	if (r < 0)
		return 0;
	FUZZ_CHECK(nd.type == PKT_ICMPV6_NS || nd.type == PKT_ICMPV6_NA, "type %u", nd.type);
	FUZZ_CHECK(!memcmp(nd.eth_dst, data, 6) && !memcmp(nd.eth_src, data + 6, 6), "eth addrs");
	if (nd.tagged)
		FUZZ_CHECK(data[12] == 0x81 && data[13] == 0x00 &&
			       nd.vlan == ((data[14] << 8 | data[15]) & 0x0fff),
			   "tag");
	else
		FUZZ_CHECK(nd.vlan == 0, "a VLAN id without a tag");
	FUZZ_CHECK(nd.target.s6_addr[0] != 0xff, "a multicast target");
	if (nd.type == PKT_ICMPV6_NS) {
		FUZZ_CHECK(nd.flags == 0, "NS with flags");
		if (!memcmp(&nd.src, &any, sizeof(any)))
			FUZZ_CHECK(!nd.has_lladdr, "an NS from :: with a source link-layer option");
	} else {
		FUZZ_CHECK(!nd.has_nonce, "a nonce on an NA");
		if (nd.dst.s6_addr[0] == 0xff)
			FUZZ_CHECK(!(nd.flags & PKT_NA_SOLICITED), "a multicast NA with Solicited");
		/*
		 * What we would send for this target parses back to itself. A
		 * received tag may carry VID 4095, which IEEE 802.1Q reserves:
		 * it parses (it is what came in), but we never send it.
		 */
		if (memcmp(&nd.target, &any, sizeof(any)) && nd.vlan > PKT_VLAN_MAX) {
			struct pkt_frame f;

			FUZZ_CHECK(pkt_build_na(&f, nd.eth_src, &nd.target,
						nd.flags & PKT_NA_ROUTER, nd.vlan) == -EINVAL,
				   "pkt_build_na() took VID %u", nd.vlan);
		} else if (memcmp(&nd.target, &any, sizeof(any))) {
			struct pkt_frame f;
			struct pkt_nd back;

			FUZZ_CHECK(pkt_build_na(&f, nd.eth_src, &nd.target,
						nd.flags & PKT_NA_ROUTER, nd.vlan) == 0,
				   "pkt_build_na");
			FUZZ_CHECK(pkt_parse_nd(f.data, f.len, &back) == 0 &&
				       !memcmp(&back.target, &nd.target, 16) && back.has_lladdr &&
				       !memcmp(back.lladdr, nd.eth_src, 6),
				   "our NA does not parse back");
		}
	}
	return 0;
}
