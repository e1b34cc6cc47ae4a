/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz-style loops over the parsers and the cache: every truncation of valid
 * messages, every single-byte corruption, and random bytes, each from an
 * exact-size heap copy so ASan reports any read past the message. A fixed
 * seed keeps it deterministic.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "netlink-private.h"
#include "nl-build.h"

static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 0x01 };

#define N_SAMPLES 14

static size_t sample(int i, struct nlb *b)
{
	struct nlb_link l = NLB_LINK_INIT;
	struct nlmsghdr *nlh = NULL;

	switch (i) {
	case 0:
		l.ifindex = 7, l.name = "bond0", l.mac = mac1, l.kind = "bond";
		l.active_slave = 5, l.event = IFLA_EVENT_BONDING_FAILOVER;
		nlh = nlb_link(b, &l);
		break;
	case 1:
		l.ifindex = 5, l.name = "eth0", l.master = 7, l.kind = "veth";
		l.slave_kind = "bond", l.slave_state = 0;
		nlh = nlb_link(b, &l);
		break;
	case 2:
		l.ifindex = 9, l.name = "v100", l.link = 7, l.kind = "vlan", l.vlan_id = 100;
		nlh = nlb_link(b, &l);
		break;
	case 3: {
		struct nlb_addr a = { .family = AF_INET,
				      .ifindex = 7,
				      .addr = "192.0.2.1",
				      .prefixlen = 24,
				      .label = "bond0",
				      .put_flags = true,
				      .flags = IFA_F_SECONDARY };
		nlh = nlb_addr(b, &a);
		break;
	}
	case 4: {
		struct nlb_addr a = { .family = AF_INET6,
				      .ifindex = 7,
				      .addr = "2001:db8::5",
				      .prefixlen = 64,
				      .put_flags = true,
				      .flags = IFA_F_TENTATIVE };
		nlh = nlb_addr(b, &a);
		break;
	}
	case 5: {
		struct nlb_neigh n = { .family = AF_BRIDGE,
				       .ifindex = 11,
				       .mac = mac1,
				       .master = 10,
				       .vlan = 42,
				       .state = NUD_REACHABLE };
		nlh = nlb_neigh(b, &n);
		break;
	}
	case 7: {
		/* A bridge port's VLAN table: PVID 1 untagged, 100, a range 200-300. */
		static const struct nlb_vinfo vi[] = {
			{ BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 1 },
			{ 0, 100 },
			{ BRIDGE_VLAN_INFO_RANGE_BEGIN, 200 },
			{ BRIDGE_VLAN_INFO_RANGE_END, 300 },
		};
		struct nlb_port_vlans p = {
			.ifindex = 7, .master = 10, .vinfo = vi, .n = 4, .extra = true
		};
		nlh = nlb_port_vlans(b->buf, &p);
		break;
	}
	case 8: {
		/* IPv6 with every DAD-related flag and a lifetime: what garpd acts on */
		struct nlb_addr a = { .family = AF_INET6,
				      .ifindex = 7,
				      .addr = "fe80::5054:ff:fe12:3456",
				      .prefixlen = 64,
				      .scope = RT_SCOPE_LINK,
				      .put_flags = true,
				      .flags = IFA_F_NODAD | IFA_F_OPTIMISTIC | IFA_F_DADFAILED |
					       IFA_F_DEPRECATED | IFA_F_TENTATIVE | IFA_F_PERMANENT,
				      .valid_lft = 600 };
		nlh = nlb_addr(b, &a);
		break;
	}
	case 9: {
		/* A multipath route: two gateways and an on-link hop. */
		static const struct nlb_hop hops[] = {
			{ 3, "192.0.2.1" },
			{ 4, "198.51.100.1" },
			{ 3, NULL },
		};
		struct nlb_route r = {
			.dst = "203.0.113.0", .dst_len = 24, .hops = hops, .n_hops = 3
		};
		nlh = nlb_route(b, &r);
		break;
	}
	case 10: {
		/* The default route through one gateway. */
		struct nlb_route r = { .gateway = "192.0.2.1", .oif = 3 };
		nlh = nlb_route(b, &r);
		break;
	}
	case 11: {
		/* IPv6: the default route through a router's link-local address. */
		struct nlb_route r = { .family = AF_INET6, .gateway = "fe80::1", .oif = 3 };
		nlh = nlb_route(b, &r);
		break;
	}
	case 12: {
		/* IPv6 multipath: two link-local gateways and an on-link hop. */
		static const struct nlb_hop hops[] = {
			{ 3, "fe80::1" },
			{ 4, "fe80::2" },
			{ 3, NULL },
		};
		struct nlb_route r = { .family = AF_INET6,
				       .dst = "2001:db8:7::",
				       .dst_len = 48,
				       .hops = hops,
				       .n_hops = 3 };
		nlh = nlb_route(b, &r);
		break;
	}
	case 13: {
		/* An IPv6 neighbour (a router's link-local entry). */
		struct nlb_neigh n = { .family = AF_INET6,
				       .ifindex = 3,
				       .mac = mac1,
				       .dst = "fe80::1",
				       .state = NUD_STALE,
				       .flags = NTF_ROUTER };
		nlh = nlb_neigh(b, &n);
		break;
	}
	default: {
		struct nlb_neigh n = { .family = AF_INET,
				       .ifindex = 3,
				       .mac = mac1,
				       .dst = "198.51.100.1",
				       .state = NUD_REACHABLE };
		nlh = nlb_neigh(b, &n);
		break;
	}
	}
	return nlh->nlmsg_len;
}

/* Run every parser and the cache over @len bytes (nlmsg_len = @len). */
static void feed(const uint8_t *bytes, size_t len, struct gnl_cache *c, struct gnl_evq *q)
{
	struct nlmsghdr *nlh;
	union {
		struct gnl_link l;
		struct gnl_addr a;
		struct gnl_fdb f;
		struct gnl_neigh n;
		struct gnl_port_vlans v;
		struct gnl_route rt;
	} out;
	static const uint16_t types[] = { RTM_NEWLINK, RTM_DELLINK,  RTM_NEWADDR,
					  RTM_DELADDR, RTM_NEWNEIGH, RTM_NEWROUTE };
	int r;

	if (len < sizeof(struct nlmsghdr))
		return;
	nlh = malloc(len);
	assert_non_null(nlh);
	memcpy(nlh, bytes, len);
	nlh->nlmsg_len = (uint32_t)len;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		if (t > 0 && nlh->nlmsg_type != types[t])
			nlh->nlmsg_type = types[t];
		r = gnl_parse_link(nlh, &out.l);
		assert_true(r == 0 || r == -EBADMSG || r == -ENOENT || r == -EAFNOSUPPORT);
		r = gnl_parse_addr(nlh, &out.a);
		assert_true(r == 0 || r == -EBADMSG || r == -ENOENT || r == -EAFNOSUPPORT);
		r = gnl_parse_fdb(nlh, &out.f);
		assert_true(r == 0 || r == -EBADMSG || r == -ENOENT || r == -EAFNOSUPPORT);
		r = gnl_parse_neigh(nlh, &out.n);
		assert_true(r == 0 || r == -EBADMSG || r == -ENOENT || r == -EAFNOSUPPORT);
		if (r == 0)
			assert_true(out.n.family == AF_INET || out.n.family == AF_INET6);
		r = gnl_parse_route(nlh, &out.rt);
		assert_true(r == 0 || r == -EBADMSG || r == -ENOENT || r == -EAFNOSUPPORT);
		if (r == 0) {
			assert_true(out.rt.n_nexthops <= GNL_ROUTE_NEXTHOPS_MAX);
			assert_true(out.rt.family == AF_INET || out.rt.family == AF_INET6);
			assert_true(out.rt.dst_len <= (out.rt.family == AF_INET ? 32 : 128));
		}
		r = gnl_parse_port_vlans(nlh, &out.v);
		assert_true(r == 0 || r == -EBADMSG || r == -ENOENT || r == -EAFNOSUPPORT);
		if (r == 0) {
			struct gnl_port_vlan run;
			uint16_t pos = 1, last = 0;

			/* Runs come in order, inside 1..4094, each within the table. */
			while (gnl_port_vlans_next(&out.v, &pos, &run)) {
				assert_true(run.vid > last && run.vid <= run.vid_end &&
					    run.vid_end <= GNL_VLAN_MAX);
				last = run.vid_end;
			}
		}
		r = gnl_cache_apply(c, nlh, q);
		assert_true(r == 0 || r == -EBADMSG);
	}
	free(nlh);
}

static void drain(struct gnl_evq *q)
{
	struct gnl_event ev;

	while (gnl_evq_pop(q, &ev) == 0)
		;
}

static void test_truncations(void **state)
{
	struct gnl_cache c = GNL_CACHE_INIT;
	struct gnl_evq q = GNL_EVQ_INIT;

	for (int i = 0; i < N_SAMPLES; i++) {
		struct nlb b;
		size_t len = sample(i, &b);

		for (size_t l = 0; l <= len; l++)
			feed(b.buf, l, &c, &q);
		drain(&q);
	}
	gnl_cache_clear(&c);
	gnl_evq_clear(&q);
}

static void test_truncated_family_header(void **state)
{
	/* Inside the family header every parser says -EBADMSG. */
	for (int i = 0; i < N_SAMPLES; i++) {
		struct nlb b;
		struct nlmsghdr *nlh;
		size_t hdr;
		union {
			struct gnl_link l;
			struct gnl_addr a;
			struct gnl_fdb f;
			struct gnl_neigh n;
			struct gnl_port_vlans v;
			struct gnl_route rt;
		} out;

		sample(i, &b);
		nlh = (struct nlmsghdr *)b.buf;
		hdr = nlh->nlmsg_type == RTM_NEWLINK	? sizeof(struct ifinfomsg)
		      : nlh->nlmsg_type == RTM_NEWADDR	? sizeof(struct ifaddrmsg)
		      : nlh->nlmsg_type == RTM_NEWROUTE ? sizeof(struct rtmsg)
							: sizeof(struct ndmsg);
		for (size_t l = MNL_NLMSG_HDRLEN; l < MNL_NLMSG_HDRLEN + hdr; l++) {
			int r;

			nlh->nlmsg_len = (uint32_t)l;
			if (i == 7)
				r = gnl_parse_port_vlans(nlh, &out.v);
			else if (nlh->nlmsg_type == RTM_NEWLINK)
				r = gnl_parse_link(nlh, &out.l);
			else if (nlh->nlmsg_type == RTM_NEWADDR)
				r = gnl_parse_addr(nlh, &out.a);
			else if (nlh->nlmsg_type == RTM_NEWROUTE)
				r = gnl_parse_route(nlh, &out.rt);
			else if (i == 5)
				r = gnl_parse_fdb(nlh, &out.f);
			else
				r = gnl_parse_neigh(nlh, &out.n);
			assert_int_equal(r, -EBADMSG);
		}
	}
}

static uint32_t rnd(uint64_t *s)
{
	/* xorshift64*: deterministic, no clock. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 2685821657736338717ull) >> 32);
}

static void test_corruptions(void **state)
{
	struct gnl_cache c = GNL_CACHE_INIT;
	struct gnl_evq q = GNL_EVQ_INIT;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < N_SAMPLES; i++) {
		struct nlb b, m;
		size_t len = sample(i, &b);

		/* Every byte after the netlink header, set to a few values. */
		for (size_t p = MNL_NLMSG_HDRLEN; p < len; p++) {
			static const uint8_t vals[] = { 0x00, 0x01, 0x03, 0x7f, 0x80, 0xff };

			for (size_t v = 0; v < sizeof(vals); v++) {
				memcpy(m.buf, b.buf, len);
				m.buf[p] = vals[v];
				feed(m.buf, len, &c, &q);
			}
			memcpy(m.buf, b.buf, len);
			m.buf[p] = (uint8_t)rnd(&seed);
			feed(m.buf, len, &c, &q);
		}
		drain(&q);
	}
	gnl_cache_clear(&c);
	gnl_evq_clear(&q);
}

static void test_random_bytes(void **state)
{
	struct gnl_cache c = GNL_CACHE_INIT;
	struct gnl_evq q = GNL_EVQ_INIT;
	uint64_t seed = 0x243f6a8885a308d3ull;
	uint8_t buf[512];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = sizeof(struct nlmsghdr) + rnd(&seed) % (sizeof(buf) - 16);

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd(&seed);
		/* Half the time, plausible attribute headers to get deeper. */
		if (iter & 1) {
			for (size_t off = 32; off + 4 <= len; off += 4 + (rnd(&seed) % 4) * 4) {
				buf[off] = (uint8_t)(4 + rnd(&seed) % 40);
				buf[off + 1] = 0;
				buf[off + 2] = (uint8_t)(rnd(&seed) % 64);
				buf[off + 3] = rnd(&seed) & 1 ? 0x80 : 0;
			}
		}
		feed(buf, len, &c, &q);
		drain(&q);
	}
	gnl_cache_clear(&c);
	gnl_evq_clear(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_truncated_family_header),
		cmocka_unit_test(test_corruptions),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
