// SPDX-License-Identifier: GPL-2.0-or-later
/* struct garp_addr: compare, hash, format, parse. */

#include <arpa/inet.h>
#include <errno.h>

#include "garp-addr.h"
#include "garp-packet.h"

static size_t addr_len(uint8_t family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	default:
		return 0;
	}
}

bool garp_addr_eq(const struct garp_addr *a, const struct garp_addr *b)
{
	if (a->family != b->family)
		return false;
	/* one word, not a memcmp() call: this runs per frame */
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, addr_len(a->family));
}

int garp_addr_cmp(const struct garp_addr *a, const struct garp_addr *b)
{
	size_t n;

	if (a->family != b->family) {
		/* AF_INET (2) before AF_INET6 (10), no address before both */
		return a->family < b->family ? -1 : 1;
	}
	n = addr_len(a->family);
	return n ? memcmp(&a->v6, &b->v6, n) : 0;
}

uint64_t garp_addr_hash(const struct garp_addr *a)
{
	uint64_t w[2] = { 0, 0 }, h = 0x9e3779b97f4a7c15ull ^ a->family;

	/*
	 * Two 64-bit words, not sixteen bytes one at a time (that FNV-1a loop
	 * was 4 % of garpd's instructions per IPv6 address); the caller's
	 * table mixes the result further.
	 */
	if (a->family == AF_INET6)
		memcpy(w, &a->v6, sizeof(a->v6)); /* constant sizes: two loads, no call */
	else if (a->family == AF_INET)
		memcpy(w, &a->v4, sizeof(a->v4));
	h = (h ^ w[0]) * 0xff51afd7ed558ccdull;
	h = (h ^ (h >> 33) ^ w[1]) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

bool garp_addr_is_unspecified(const struct garp_addr *a)
{
	static const uint8_t zero[sizeof(struct in6_addr)];

	if (a->family == AF_INET)
		return !a->v4.s_addr;
	return !memcmp(&a->v6, zero, addr_len(a->family));
}

char *garp_addr_to_str(const struct garp_addr *a, char buf[GARP_ADDR_STRLEN])
{
	switch (a->family) {
	case AF_INET:
		return pkt_ipv4_to_str(&a->v4, buf);
	case AF_INET6:
		if (inet_ntop(AF_INET6, &a->v6, buf, GARP_ADDR_STRLEN))
			return buf;
		break;
	default:
		break;
	}
	buf[0] = '-';
	buf[1] = '\0';
	return buf;
}

int garp_addr_from_str(const char *s, struct garp_addr *ret)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		*ret = garp_addr_v4(v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6) == 1) {
		*ret = garp_addr_v6(&v6);
		return 0;
	}
	return -EINVAL;
}
