/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers: messages built with libmnl, parsed from exact-size heap copies. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nl-build.h"

static const uint8_t mac1[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac2[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

/* A heap copy of exactly nlmsg_len bytes, so ASan sees any overread. */
static struct nlmsghdr *exact(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *c = malloc(nlh->nlmsg_len);

	assert_non_null(c);
	memcpy(c, nlh, nlh->nlmsg_len);
	return c;
}

/* The first attribute of @type in [start, start+len) (test-built, trusted). */
static struct nlattr *find_attr(void *start, size_t len, uint16_t type)
{
	uint8_t *p = start;
	size_t rem = len;

	while (rem >= MNL_ATTR_HDRLEN) {
		struct nlattr *a = (struct nlattr *)p;
		size_t step = MNL_ALIGN(a->nla_len);

		if (mnl_attr_get_type(a) == type)
			return a;
		if (a->nla_len < MNL_ATTR_HDRLEN || step > rem)
			break;
		p += step;
		rem -= step;
	}
	return NULL;
}

static struct nlattr *msg_attr(struct nlmsghdr *nlh, size_t hdr, uint16_t type)
{
	return find_attr(mnl_nlmsg_get_payload_offset(nlh, hdr),
			 nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(hdr), type);
}

static struct nlattr *nest_attr(struct nlattr *nest, uint16_t type)
{
	return find_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), type);
}

static int parse_link_exact(const struct nlmsghdr *nlh, struct gnl_link *l)
{
	struct nlmsghdr *c = exact(nlh);
	int r = gnl_parse_link(c, l);

	free(c);
	return r;
}

static struct nlmsghdr *bond_msg(struct nlb *b)
{
	struct nlb_link l = NLB_LINK_INIT;

	l.ifindex = 7;
	l.name = "bond0";
	l.mac = mac1;
	l.kind = "bond";
	l.active_slave = 5;
	l.event = IFLA_EVENT_BONDING_FAILOVER;
	l.flags |= IFF_MASTER;
	return nlb_link(b, &l);
}

static void test_link_bond(void **state)
{
	struct nlb b;
	struct gnl_link l;

	assert_int_equal(parse_link_exact(bond_msg(&b), &l), 0);
	assert_int_equal(l.ifindex, 7);
	assert_string_equal(l.name, "bond0");
	assert_int_equal(l.mac_len, 6);
	assert_memory_equal(l.mac, mac1, 6);
	assert_int_equal(l.type, ARPHRD_ETHER);
	assert_true(l.flags & IFF_MASTER);
	assert_int_equal(l.operstate, IF_OPER_UP);
	assert_string_equal(l.kind, "bond");
	assert_string_equal(l.slave_kind, "");
	assert_int_equal(l.bond_active_slave, 5);
	assert_int_equal(l.event, IFLA_EVENT_BONDING_FAILOVER);
	assert_false(l.has_bond_slave_state);
	assert_true(gnl_link_is_oper_up(&l));
}

static void test_link_bond_slave(void **state)
{
	struct nlb b;
	struct nlb_link m = NLB_LINK_INIT;
	struct gnl_link l;

	m.ifindex = 5;
	m.name = "eth0";
	m.mac = mac1;
	m.master = 7;
	m.kind = "veth";
	m.slave_kind = "bond";
	m.slave_state = 1; /* BOND_STATE_BACKUP */
	m.flags |= IFF_SLAVE;
	assert_int_equal(parse_link_exact(nlb_link(&b, &m), &l), 0);
	assert_int_equal(l.master, 7);
	assert_string_equal(l.kind, "veth");
	assert_string_equal(l.slave_kind, "bond");
	assert_true(l.has_bond_slave_state);
	assert_int_equal(l.bond_slave_state, 1);
	assert_int_equal(l.bond_active_slave, 0);
	assert_int_equal(l.event, 0);

	/* A bridge port's slave data is not read as a bond's. */
	m.slave_kind = "bridge";
	m.slave_state = 1;
	assert_int_equal(parse_link_exact(nlb_link(&b, &m), &l), 0);
	assert_false(l.has_bond_slave_state);
}

static void test_link_vlan(void **state)
{
	struct nlb b;
	struct nlb_link m = NLB_LINK_INIT;
	struct gnl_link l;

	m.ifindex = 9;
	m.name = "bond0.100";
	m.mac = mac2;
	m.link = 7;
	m.kind = "vlan";
	m.vlan_id = 100;
	assert_int_equal(parse_link_exact(nlb_link(&b, &m), &l), 0);
	assert_int_equal(l.link, 7);
	assert_string_equal(l.kind, "vlan");
	assert_int_equal(l.vlan_id, 100);
	assert_int_equal(l.bond_active_slave, 0);
}

static void test_link_down_and_minimal(void **state)
{
	struct nlb b;
	struct nlb_link m = NLB_LINK_INIT;
	struct gnl_link l;

	m.ifindex = 3;
	m.flags = IFF_UP; /* no carrier */
	m.operstate = IF_OPER_DOWN;
	assert_int_equal(parse_link_exact(nlb_link(&b, &m), &l), 0);
	assert_false(gnl_link_is_oper_up(&l));
	assert_int_equal(l.mac_len, 0);
	assert_string_equal(l.name, "");
	assert_string_equal(l.kind, "");
}

static void test_link_not_ours(void **state)
{
	struct nlb b;
	struct nlb_link m = NLB_LINK_INIT;
	struct gnl_link l;
	struct nlmsghdr *nlh;

	m.ifindex = 3;
	nlh = nlb_link(&b, &m);
	/* AF_BRIDGE port notifications are partial: not a link state. */
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family = AF_BRIDGE;
	assert_int_equal(parse_link_exact(nlh, &l), -EAFNOSUPPORT);
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(parse_link_exact(nlh, &l), -ENOENT);
}

static void test_link_malformed(void **state)
{
	struct nlb b;
	struct gnl_link l;
	struct nlmsghdr *nlh;
	struct nlattr *a, *li, *data;

	/* Truncated family header. */
	nlh = bond_msg(&b);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg) - 2;
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);

	/* Truncated last attribute (the message ends inside it). */
	nlh = bond_msg(&b);
	nlh->nlmsg_len -= 2;
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);

	/* An attribute longer than what is left of the message. */
	nlh = bond_msg(&b);
	a = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_IFNAME);
	assert_non_null(a);
	a->nla_len = 2000;
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);

	/* An attribute length below its own header. */
	nlh = bond_msg(&b);
	a = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_MTU);
	a->nla_len = 2;
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);

	/* Nested: the active slave attribute overruns IFLA_INFO_DATA. */
	nlh = bond_msg(&b);
	li = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_LINKINFO);
	data = nest_attr(li, IFLA_INFO_DATA);
	a = nest_attr(data, IFLA_BOND_ACTIVE_SLAVE);
	assert_non_null(a);
	a->nla_len += 12;
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);

	/* Nested: IFLA_INFO_DATA overruns IFLA_LINKINFO. */
	nlh = bond_msg(&b);
	li = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_LINKINFO);
	data = nest_attr(li, IFLA_INFO_DATA);
	data->nla_len += 8;
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);

	/* Wrong size: IFLA_BOND_ACTIVE_SLAVE as 2 bytes. */
	nlh = bond_msg(&b);
	li = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_LINKINFO);
	data = nest_attr(li, IFLA_INFO_DATA);
	a = nest_attr(data, IFLA_BOND_ACTIVE_SLAVE);
	a->nla_len = MNL_ATTR_HDRLEN + 2; /* the 2 padding bytes stay inside */
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);

	/* Wrong size: IFLA_MASTER with 8 bytes. */
	{
		struct nlb_link m = NLB_LINK_INIT;
		uint64_t big = 7;

		m.ifindex = 4;
		nlh = nlb_link(&b, &m);
		mnl_attr_put(nlh, IFLA_MASTER, sizeof(big), &big);
		assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);
	}

	/* A name without its NUL, and one longer than IFNAMSIZ. */
	{
		struct nlb_link m = NLB_LINK_INIT;

		m.ifindex = 4;
		nlh = nlb_link(&b, &m);
		mnl_attr_put(nlh, IFLA_IFNAME, 4, "eth0");
		assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);
		nlh = nlb_link(&b, &m);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "abcdefghijklmnopqrstuvwxyz");
		assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);
	}

	/* IFLA_LINKINFO that is not a nest of attributes. */
	{
		struct nlb_link m = NLB_LINK_INIT;

		m.ifindex = 4;
		nlh = nlb_link(&b, &m);
		mnl_attr_put(nlh, IFLA_LINKINFO, 2, "xx");
		assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);
	}
}

static void test_link_unknown_attrs_skipped(void **state)
{
	struct nlb b;
	struct nlb_link m = NLB_LINK_INIT;
	struct gnl_link l;
	struct nlmsghdr *nlh;

	m.ifindex = 4;
	m.name = "x";
	nlh = nlb_link(&b, &m);
	mnl_attr_put(nlh, 0x7ff0, 3, "abc"); /* beyond IFLA_MAX */
	mnl_attr_put(nlh, IFLA_STATS64, 0, NULL);
	assert_int_equal(parse_link_exact(nlh, &l), 0);
	assert_string_equal(l.name, "x");
}

static int parse_addr_exact(const struct nlmsghdr *nlh, struct gnl_addr *a)
{
	struct nlmsghdr *c = exact(nlh);
	int r = gnl_parse_addr(c, a);

	free(c);
	return r;
}

static void test_addr_v4(void **state)
{
	struct nlb b;
	struct gnl_addr a;
	struct nlb_addr m = { .family = AF_INET, .ifindex = 7, .addr = "192.0.2.10",
			      .prefixlen = 24, .label = "bond0:1", .put_flags = true,
			      .flags = IFA_F_SECONDARY | IFA_F_NOPREFIXROUTE, .ifa_flags = 0 };
	struct in_addr want;

	inet_pton(AF_INET, "192.0.2.10", &want);
	assert_int_equal(parse_addr_exact(nlb_addr(&b, &m), &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.ifindex, 7);
	assert_memory_equal(&a.addr.v4, &want, 4);
	assert_int_equal(a.prefixlen, 24);
	assert_int_equal(a.scope, RT_SCOPE_UNIVERSE);
	/* IFA_FLAGS (32-bit) overrides ifa_flags; NOPREFIXROUTE is above bit 7. */
	assert_int_equal(a.flags, IFA_F_SECONDARY | IFA_F_NOPREFIXROUTE);
	assert_string_equal(a.label, "bond0:1");

	/* Without IFA_FLAGS, ifa_flags is used. */
	m.put_flags = false;
	m.ifa_flags = IFA_F_PERMANENT;
	assert_int_equal(parse_addr_exact(nlb_addr(&b, &m), &a), 0);
	assert_int_equal(a.flags, IFA_F_PERMANENT);
}

static void test_addr_v6_tentative(void **state)
{
	struct nlb b;
	struct gnl_addr a;
	struct nlb_addr m = { .family = AF_INET6, .ifindex = 2, .addr = "2001:db8::1",
			      .prefixlen = 64, .put_flags = true,
			      .flags = IFA_F_TENTATIVE | IFA_F_MANAGETEMPADDR };
	struct in6_addr want;

	inet_pton(AF_INET6, "2001:db8::1", &want);
	assert_int_equal(parse_addr_exact(nlb_addr(&b, &m), &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_memory_equal(&a.addr.v6, &want, 16);
	assert_true(a.flags & IFA_F_TENTATIVE);
	assert_true(a.flags & IFA_F_MANAGETEMPADDR);
}

static void test_addr_malformed(void **state)
{
	struct nlb b;
	struct gnl_addr a;
	struct nlmsghdr *nlh;
	struct nlattr *at;
	struct nlb_addr m = { .family = AF_INET, .ifindex = 7, .addr = "192.0.2.10",
			      .prefixlen = 24, .put_flags = true };

	/* Truncated family header. */
	nlh = nlb_addr(&b, &m);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
	assert_int_equal(parse_addr_exact(nlh, &a), -EBADMSG);

	/* IFA_LOCAL with 16 bytes on an IPv4 address. */
	nlh = nlb_addr(&b, &m);
	{
		uint8_t z[16] = { 0 };

		mnl_attr_put(nlh, IFA_LOCAL, sizeof(z), z);
	}
	assert_int_equal(parse_addr_exact(nlh, &a), -EBADMSG);

	/* IFA_FLAGS as one byte. */
	nlh = nlb_addr(&b, &m);
	at = msg_attr(nlh, sizeof(struct ifaddrmsg), IFA_FLAGS);
	at->nla_len = MNL_ATTR_HDRLEN + 1;
	assert_int_equal(parse_addr_exact(nlh, &a), -EBADMSG);

	/* Truncated attribute. */
	nlh = nlb_addr(&b, &m);
	nlh->nlmsg_len -= 3;
	assert_int_equal(parse_addr_exact(nlh, &a), -EBADMSG);

	/* A prefix longer than the address. */
	m.prefixlen = 33;
	assert_int_equal(parse_addr_exact(nlb_addr(&b, &m), &a), -EBADMSG);

	/* Unknown family, and no address at all: well formed, not ours. */
	m.prefixlen = 24;
	nlh = nlb_addr(&b, &m);
	((struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh))->ifa_family = AF_PACKET;
	assert_int_equal(parse_addr_exact(nlh, &a), -EAFNOSUPPORT);
	nlh = mnl_nlmsg_put_header(b.buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	{
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = AF_INET;
		ifa->ifa_index = 3;
	}
	assert_int_equal(parse_addr_exact(nlh, &a), -ENOENT);
}

static void test_fdb(void **state)
{
	struct nlb b;
	struct gnl_fdb f;
	struct nlmsghdr *c;
	struct nlb_neigh m = { .family = AF_BRIDGE, .ifindex = 11, .state = NUD_REACHABLE,
			       .flags = NTF_MASTER, .mac = mac2, .master = 10, .vlan = 42 };

	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_fdb(c, &f), 0);
	free(c);
	assert_memory_equal(f.mac, mac2, 6);
	assert_int_equal(f.ifindex, 11);
	assert_int_equal(f.master, 10);
	assert_int_equal(f.vlan, 42);
	assert_int_equal(f.state, NUD_REACHABLE);
	assert_int_equal(f.flags, NTF_MASTER);

	/* Untagged, permanent (the bridge's own address). */
	m.vlan = 0;
	m.state = NUD_PERMANENT;
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_fdb(c, &f), 0);
	free(c);
	assert_int_equal(f.vlan, 0);
	assert_int_equal(f.state, NUD_PERMANENT);
}

static void test_fdb_malformed(void **state)
{
	struct nlb b;
	struct gnl_fdb f;
	struct nlmsghdr *nlh, *c;
	struct nlattr *a;
	struct nlb_neigh m = { .family = AF_BRIDGE, .ifindex = 11, .mac = mac2, .master = 10,
			       .vlan = 42 };

	/* NDA_LLADDR of 5 bytes. */
	nlh = nlb_neigh(&b, &m);
	a = msg_attr(nlh, sizeof(struct ndmsg), NDA_LLADDR);
	a->nla_len = MNL_ATTR_HDRLEN + 5;
	c = exact(nlh);
	assert_int_equal(gnl_parse_fdb(c, &f), -EBADMSG);
	free(c);

	/* NDA_VLAN of 4 bytes. */
	nlh = nlb_neigh(&b, &m);
	a = msg_attr(nlh, sizeof(struct ndmsg), NDA_VLAN);
	a->nla_len = MNL_ATTR_HDRLEN + 4;
	c = exact(nlh);
	assert_int_equal(gnl_parse_fdb(c, &f), -EBADMSG);
	free(c);

	/* Truncated ndmsg. */
	nlh = nlb_neigh(&b, &m);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 8;
	c = exact(nlh);
	assert_int_equal(gnl_parse_fdb(c, &f), -EBADMSG);
	free(c);

	/* An AF_INET neighbour is not an FDB entry. */
	m.family = AF_INET;
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_fdb(c, &f), -EAFNOSUPPORT);
	free(c);
}

static void test_neigh(void **state)
{
	struct nlb b;
	struct gnl_neigh n;
	struct nlmsghdr *c;
	struct nlb_neigh m = { .family = AF_INET, .ifindex = 3, .state = NUD_STALE,
			       .dst = "198.51.100.7", .mac = mac1 };
	struct in_addr want;

	inet_pton(AF_INET, "198.51.100.7", &want);
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_neigh(c, &n), 0);
	free(c);
	assert_int_equal(n.ifindex, 3);
	assert_memory_equal(&n.ip, &want, 4);
	assert_true(n.has_mac);
	assert_memory_equal(n.mac, mac1, 6);
	assert_int_equal(n.state, NUD_STALE);

	/* An incomplete entry has no MAC. */
	m.mac = NULL;
	m.state = NUD_INCOMPLETE;
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_neigh(c, &n), 0);
	free(c);
	assert_false(n.has_mac);

	/* NDA_DST of 16 bytes on AF_INET. */
	{
		struct nlmsghdr *nlh;
		uint8_t z[16] = { 0 };

		m.dst = NULL;
		nlh = nlb_neigh(&b, &m);
		mnl_attr_put(nlh, NDA_DST, sizeof(z), z);
		c = exact(nlh);
		assert_int_equal(gnl_parse_neigh(c, &n), -EBADMSG);
		free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_bond),
		cmocka_unit_test(test_link_bond_slave),
		cmocka_unit_test(test_link_vlan),
		cmocka_unit_test(test_link_down_and_minimal),
		cmocka_unit_test(test_link_not_ours),
		cmocka_unit_test(test_link_malformed),
		cmocka_unit_test(test_link_unknown_attrs_skipped),
		cmocka_unit_test(test_addr_v4),
		cmocka_unit_test(test_addr_v6_tentative),
		cmocka_unit_test(test_addr_malformed),
		cmocka_unit_test(test_fdb),
		cmocka_unit_test(test_fdb_malformed),
		cmocka_unit_test(test_neigh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
