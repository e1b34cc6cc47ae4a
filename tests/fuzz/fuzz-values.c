/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The value parsers behind garpd.conf, garpctl and the control socket: the
 * first byte picks one, the rest is its NUL-terminated text. Oracle: only
 * the documented return codes, and what parses prints back to itself.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "garp-config.h"
#include "garp-packet.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	uint8_t which;
	int r;

	if (size < 1)
		return 0;
	which = data[0];
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	switch (which % 6) {
	case 0: {
		uint64_t v = 0, max = (which & 0x80) ? UINT64_MAX : 65535;

		r = util_parse_uint(s, max, &v);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE, "util_parse_uint: %d", r);
		if (r == 0) {
			FUZZ_CHECK(s[0] && strspn(s, "0123456789") == strlen(s), "accepted \"%s\"",
				   s);
			FUZZ_CHECK(v <= max && strtoull(s, NULL, 10) == v, "\"%s\" gave %llu", s,
				   (unsigned long long)v);
		}
		break;
	}
	case 1: {
		struct in_addr a, b;
		char txt[INET_ADDRSTRLEN];

		r = util_parse_ipv4(s, &a);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EAFNOSUPPORT, "util_parse_ipv4: %d", r);
		if (r == 0) {
			FUZZ_CHECK(inet_ntop(AF_INET, &a, txt, sizeof(txt)) &&
				       util_parse_ipv4(txt, &b) == 0 && a.s_addr == b.s_addr,
				   "\"%s\" does not round-trip", s);
			FUZZ_CHECK(inet_pton(AF_INET, s, &b) == 1 && a.s_addr == b.s_addr,
				   "\"%s\" accepted, inet_pton disagrees", s);
		}
		break;
	}
	case 2: {
		uint64_t ns;

		r = cfg_parse_duration(s, &ns);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE, "cfg_parse_duration: %d", r);
		if (r == 0)
			FUZZ_CHECK(s[0] >= '0' && s[0] <= '9', "duration \"%s\" accepted", s);
		break;
	}
	case 3: {
		uint64_t v;

		r = cfg_parse_size(s, &v);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE, "cfg_parse_size: %d", r);
		if (r == 0)
			FUZZ_CHECK(s[0] >= '0' && s[0] <= '9', "size \"%s\" accepted", s);
		break;
	}
	case 4: {
		enum cfg_log_level l, back;

		r = cfg_log_level_from_string(s, &l);
		if (r == 0) {
			const char *name = cfg_log_level_to_string(l);

			FUZZ_CHECK(name && cfg_log_level_from_string(name, &back) == 0 && back == l,
				   "log level \"%s\" does not round-trip", s);
		}
		break;
	}
	default: {
		uint8_t mac[PKT_ETH_ALEN], back[PKT_ETH_ALEN];
		char txt[PKT_MAC_STRLEN];

		r = pkt_mac_from_str(s, mac);
		FUZZ_CHECK(r == 0 || r == -EINVAL, "pkt_mac_from_str: %d", r);
		if (r == 0)
			FUZZ_CHECK(pkt_mac_from_str(pkt_mac_to_str(mac, txt), back) == 0 &&
				       !memcmp(mac, back, sizeof(mac)),
				   "\"%s\" does not round-trip", s);
		break;
	}
	}
	free(s);
	return 0;
}
