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
	assert_int_equal(l.kind, GNL_KIND_BOND);
	assert_string_equal(l.kind_name, "bond");
	assert_int_equal(l.slave_kind, GNL_KIND_NONE);
	assert_string_equal(l.slave_kind_name, "");
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
	assert_int_equal(l.kind, GNL_KIND_VETH);
	assert_int_equal(l.slave_kind, GNL_KIND_BOND);
	assert_string_equal(l.slave_kind_name, "bond");
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
	assert_int_equal(l.kind, GNL_KIND_VLAN);
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
	assert_int_equal(l.kind, GNL_KIND_NONE);
	assert_string_equal(l.kind_name, "");
	assert_int_equal(l.slave_kind, GNL_KIND_NONE);
}

/* A kind given as @kind and as @slave_kind (a port of such a master) parses to @want. */
static void assert_kind(const char *kind, enum gnl_kind want, const char *want_name)
{
	struct nlb b;
	struct nlb_link m = NLB_LINK_INIT;
	struct gnl_link l;

	m.ifindex = 4;
	m.name = "x0";
	m.kind = kind;
	assert_int_equal(parse_link_exact(nlb_link(&b, &m), &l), 0);
	assert_int_equal(l.kind, want);
	assert_string_equal(l.kind_name, want_name);
	assert_int_equal(l.slave_kind, GNL_KIND_NONE);

	m.kind = NULL;
	m.master = 9;
	m.slave_kind = kind;
	assert_int_equal(parse_link_exact(nlb_link(&b, &m), &l), 0);
	assert_int_equal(l.kind, GNL_KIND_NONE);
	assert_int_equal(l.slave_kind, want);
	assert_string_equal(l.slave_kind_name, want_name);
}

/* IFLA_INFO_KIND and IFLA_INFO_SLAVE_KIND are mapped once, by the whole name. */
static void test_link_kinds(void **state)
{
	static const struct {
		const char *name;
		enum gnl_kind kind;
	} known[] = {
		{ "bond", GNL_KIND_BOND },	 { "bridge", GNL_KIND_BRIDGE },
		{ "vlan", GNL_KIND_VLAN },	 { "macvlan", GNL_KIND_MACVLAN },
		{ "macvtap", GNL_KIND_MACVTAP }, { "ipvlan", GNL_KIND_IPVLAN },
		{ "veth", GNL_KIND_VETH },
	};
	/* 15 bytes: the longest name kept whole; then longer ones, cut */
	static const char fits[] = "abcdefghijklmno";
	struct nlb b;
	struct nlb_link m = NLB_LINK_INIT;
	struct gnl_link l;
	struct nlmsghdr *nlh;
	struct nlattr *li;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_kind(known[i].name, known[i].kind, known[i].name);
	assert_int_equal(_GNL_KIND_MAX, GNL_KIND_VETH + 1); /* a new kind gets a row above */

	/* Kinds garpd has no rule for, and near misses, are OTHER, their name kept. */
	assert_kind("dummy", GNL_KIND_OTHER, "dummy");
	assert_kind("vxlan", GNL_KIND_OTHER, "vxlan");
	assert_kind("ipvtap", GNL_KIND_OTHER, "ipvtap");
	assert_kind("Bond", GNL_KIND_OTHER, "Bond");
	assert_kind("bond0", GNL_KIND_OTHER, "bond0");
	assert_kind("bon", GNL_KIND_OTHER, "bon");
	assert_kind(" bond", GNL_KIND_OTHER, " bond");
	assert_kind(fits, GNL_KIND_OTHER, fits);
	/* An empty kind is no kind. */
	assert_kind("", GNL_KIND_NONE, "");

	/*
	 * Longer than any kernel kind: OTHER, the name cut, the link still
	 * known (not a malformed message). The whole name decides: one that
	 * starts like a known kind is not that kind.
	 */
	assert_kind("abcdefghijklmnopqrstuvwxyz", GNL_KIND_OTHER, "abcdefghijklmno");
	assert_kind("bondbondbondbondbond", GNL_KIND_OTHER, "bondbondbondbon");
	assert_kind("macvlan-but-longer", GNL_KIND_OTHER, "macvlan-but-lon");

	/* A kind's data is read as that kind's only: a long name's bond data is not. */
	m.ifindex = 4;
	m.kind = "bond";
	m.active_slave = 5;
	nlh = nlb_link(&b, &m);
	assert_int_equal(parse_link_exact(nlh, &l), 0);
	assert_int_equal(l.bond_active_slave, 5);
	m.kind = "bondbondbondbondbond";
	nlh = nlb_link(&b, &m);
	assert_int_equal(parse_link_exact(nlh, &l), 0);
	assert_int_equal(l.kind, GNL_KIND_OTHER);
	assert_int_equal(l.bond_active_slave, 0);

	/* Bytes after the string's NUL inside the attribute: the C string counts. */
	m = NLB_LINK_INIT;
	m.ifindex = 4;
	nlh = nlb_link(&b, &m);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put(nlh, IFLA_INFO_KIND, 8, "vlan\0xy");
	mnl_attr_nest_end(nlh, li);
	assert_int_equal(parse_link_exact(nlh, &l), 0);
	assert_int_equal(l.kind, GNL_KIND_VLAN);
	assert_string_equal(l.kind_name, "vlan");

	/* A kind without its NUL is malformed, as any string. */
	nlh = nlb_link(&b, &m);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put(nlh, IFLA_INFO_KIND, 4, "bond");
	mnl_attr_nest_end(nlh, li);
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);
	nlh = nlb_link(&b, &m);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put(nlh, IFLA_INFO_SLAVE_KIND, 0, NULL);
	mnl_attr_nest_end(nlh, li);
	assert_int_equal(parse_link_exact(nlh, &l), -EBADMSG);
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
	struct nlb_addr m = { .family = AF_INET,
			      .ifindex = 7,
			      .addr = "192.0.2.10",
			      .prefixlen = 24,
			      .label = "bond0:1",
			      .put_flags = true,
			      .flags = IFA_F_SECONDARY | IFA_F_NOPREFIXROUTE,
			      .ifa_flags = 0 };
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

/* Every IFA_FLAGS bit garpd's IPv6 rules read comes through, from the 32-bit attribute. */
static void test_addr_v6_flags(void **state)
{
	static const uint32_t flags[] = {
		IFA_F_TENTATIVE,
		IFA_F_OPTIMISTIC,
		IFA_F_DADFAILED,
		IFA_F_DEPRECATED,
		IFA_F_NODAD,
		IFA_F_PERMANENT,
		IFA_F_TENTATIVE | IFA_F_DADFAILED,
		IFA_F_NODAD | IFA_F_PERMANENT,
	};
	struct nlb b;
	struct gnl_addr a;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct nlb_addr m = { .family = AF_INET6,
				      .ifindex = 3,
				      .addr = "fe80::1",
				      .prefixlen = 64,
				      .scope = RT_SCOPE_LINK,
				      .put_flags = true,
				      .flags = flags[i],
				      .ifa_flags = 0xff };

		assert_int_equal(parse_addr_exact(nlb_addr(&b, &m), &a), 0);
		assert_int_equal(a.flags, flags[i]); /* not the (made up) ifa_flags byte */
		assert_int_equal(a.scope, RT_SCOPE_LINK);
	}
	/* without IFA_FLAGS (old kernels), the 8-bit ifa_flags, which hold these bits too */
	{
		struct nlb_addr m = { .family = AF_INET6,
				      .ifindex = 3,
				      .addr = "2001:db8::7",
				      .prefixlen = 64,
				      .ifa_flags = IFA_F_DADFAILED | IFA_F_TENTATIVE };

		assert_int_equal(parse_addr_exact(nlb_addr(&b, &m), &a), 0);
		assert_int_equal(a.flags, IFA_F_DADFAILED | IFA_F_TENTATIVE);
	}
}

static void test_addr_v6_tentative(void **state)
{
	struct nlb b;
	struct gnl_addr a;
	struct nlb_addr m = { .family = AF_INET6,
			      .ifindex = 2,
			      .addr = "2001:db8::1",
			      .prefixlen = 64,
			      .put_flags = true,
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
	struct nlb_addr m = { .family = AF_INET,
			      .ifindex = 7,
			      .addr = "192.0.2.10",
			      .prefixlen = 24,
			      .put_flags = true };

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
	struct nlb_neigh m = { .family = AF_BRIDGE,
			       .ifindex = 11,
			       .state = NUD_REACHABLE,
			       .flags = NTF_MASTER,
			       .mac = mac2,
			       .master = 10,
			       .vlan = 42 };

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
	struct nlb_neigh m = {
		.family = AF_BRIDGE, .ifindex = 11, .mac = mac2, .master = 10, .vlan = 42
	};

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
	struct nlb_neigh m = { .family = AF_INET,
			       .ifindex = 3,
			       .state = NUD_STALE,
			       .dst = "198.51.100.7",
			       .mac = mac1 };
	struct in_addr want;

	inet_pton(AF_INET, "198.51.100.7", &want);
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_neigh(c, &n), 0);
	free(c);
	assert_int_equal(n.family, AF_INET);
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

static void test_neigh6(void **state)
{
	struct nlb b;
	struct gnl_neigh n;
	struct nlmsghdr *c, *nlh;
	struct nlb_neigh m = { .family = AF_INET6,
			       .ifindex = 4,
			       .state = NUD_REACHABLE,
			       .dst = "fe80::1",
			       .mac = mac1 };
	struct in6_addr want;
	struct in_addr z4 = { 0 };

	inet_pton(AF_INET6, "fe80::1", &want);
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_neigh(c, &n), 0);
	free(c);
	assert_int_equal(n.family, AF_INET6);
	assert_int_equal(n.ifindex, 4);
	assert_memory_equal(&n.ip6, &want, 16);
	assert_true(n.has_mac);
	assert_memory_equal(n.mac, mac1, 6);
	assert_int_equal(n.state, NUD_REACHABLE);
	assert_true(gnl_neigh_usable(&n));

	/* No NDA_DST: nobody's entry. */
	m.dst = NULL;
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_neigh(c, &n), -ENOENT);
	free(c);

	/* NDA_DST of 4 bytes on AF_INET6. */
	nlh = nlb_neigh(&b, &m);
	mnl_attr_put(nlh, NDA_DST, sizeof(z4), &z4);
	c = exact(nlh);
	assert_int_equal(gnl_parse_neigh(c, &n), -EBADMSG);
	free(c);

	/* NDA_DST of 15 bytes; one running past the message. */
	m.dst = "2001:db8::5";
	nlh = nlb_neigh(&b, &m);
	msg_attr(nlh, sizeof(struct ndmsg), NDA_DST)->nla_len = MNL_ATTR_HDRLEN + 15;
	c = exact(nlh);
	assert_int_equal(gnl_parse_neigh(c, &n), -EBADMSG);
	free(c);
	nlh = nlb_neigh(&b, &m);
	msg_attr(nlh, sizeof(struct ndmsg), NDA_DST)->nla_len = 200;
	c = exact(nlh);
	assert_int_equal(gnl_parse_neigh(c, &n), -EBADMSG);
	free(c);

	/* A truncated ndmsg. */
	nlh = nlb_neigh(&b, &m);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
	c = exact(nlh);
	assert_int_equal(gnl_parse_neigh(c, &n), -EBADMSG);
	free(c);

	/* An FDB entry is not a neighbour; other families neither. */
	m = (struct nlb_neigh){ .family = AF_BRIDGE, .ifindex = 4, .mac = mac1, .master = 9 };
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_neigh(c, &n), -EAFNOSUPPORT);
	free(c);
	m.family = AF_DECnet;
	c = exact(nlb_neigh(&b, &m));
	assert_int_equal(gnl_parse_neigh(c, &n), -EAFNOSUPPORT);
	free(c);
}

static int parse_vlans_exact(const struct nlmsghdr *nlh, struct gnl_port_vlans *v)
{
	struct nlmsghdr *c = exact(nlh);
	int r = gnl_parse_port_vlans(c, v);

	free(c);
	return r;
}

static bool vbit(const uint64_t *set, unsigned int vid)
{
	return set[vid / 64] >> (vid % 64) & 1;
}

/* Every run of @v, checked against @want (n of them). */
static void check_runs(const struct gnl_port_vlans *v, const struct gnl_port_vlan *want, size_t n)
{
	struct gnl_port_vlan r;
	uint16_t pos = 1;
	size_t i = 0;

	while (gnl_port_vlans_next(v, &pos, &r)) {
		assert_true(i < n);
		assert_int_equal(r.ifindex, want[i].ifindex);
		assert_int_equal(r.master, want[i].master);
		assert_int_equal(r.vid, want[i].vid);
		assert_int_equal(r.vid_end, want[i].vid_end);
		assert_int_equal(r.flags, want[i].flags);
		i++;
	}
	assert_int_equal(i, n);
	/* and it stays at the end */
	assert_false(gnl_port_vlans_next(v, &pos, &r));
}

static union {
	uint8_t buf[64 * 1024];
	struct nlmsghdr align;
} big;

static void test_port_vlans(void **state)
{
	/* bridge vlan show: 1 PVID Egress Untagged, 100, 101, 200 Egress Untagged */
	static const struct nlb_vinfo vi[] = {
		{ BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 1 },
		{ 0, 100 },
		{ 0, 101 },
		{ BRIDGE_VLAN_INFO_UNTAGGED, 200 },
	};
	const struct gnl_port_vlan want[] = {
		{ 7, 10, 1, 1, GNL_VLAN_PVID | GNL_VLAN_UNTAGGED },
		{ 7, 10, 100, 101, 0 },
		{ 7, 10, 200, 200, GNL_VLAN_UNTAGGED },
	};
	struct nlb_port_vlans m = {
		.ifindex = 7, .master = 10, .vinfo = vi, .n = 4, .extra = true
	};
	struct gnl_port_vlans v;
	struct nlmsghdr *nlh;

	nlh = nlb_port_vlans(big.buf, &m);
	/* Other IFLA_AF_SPEC attributes are skipped. */
	assert_int_equal(parse_vlans_exact(nlh, &v), 0);
	assert_int_equal(v.ifindex, 7);
	assert_int_equal(v.master, 10);
	assert_int_equal(v.pvid, 1);
	for (unsigned int vid = 0; vid <= 4095; vid++) {
		assert_int_equal(vbit(v.member, vid),
				 vid == 1 || vid == 100 || vid == 101 || vid == 200);
		assert_int_equal(vbit(v.untagged, vid), vid == 1 || vid == 200);
	}
	check_runs(&v, want, 3);
}

static void test_port_vlans_ranges(void **state)
{
	/* RTEXT_FILTER_BRVLAN_COMPRESSED: ranges as BEGIN/END pairs. */
	static const struct nlb_vinfo vi[] = {
		{ BRIDGE_VLAN_INFO_RANGE_BEGIN, 10 },
		{ BRIDGE_VLAN_INFO_RANGE_END, 20 },
		{ BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 30 },
		{ BRIDGE_VLAN_INFO_RANGE_BEGIN | BRIDGE_VLAN_INFO_UNTAGGED, 31 },
		{ BRIDGE_VLAN_INFO_RANGE_END | BRIDGE_VLAN_INFO_UNTAGGED, 4094 },
	};
	const struct gnl_port_vlan want[] = {
		{ 3, 10, 10, 20, 0 },
		{ 3, 10, 30, 30, GNL_VLAN_PVID | GNL_VLAN_UNTAGGED },
		{ 3, 10, 31, 4094, GNL_VLAN_UNTAGGED },
	};
	struct nlb_port_vlans m = { .ifindex = 3, .master = 10, .vinfo = vi, .n = 5 };
	struct gnl_port_vlans v;

	assert_int_equal(parse_vlans_exact(nlb_port_vlans(big.buf, &m), &v), 0);
	assert_int_equal(v.pvid, 30);
	check_runs(&v, want, 3);
}

static void test_port_vlans_full_table(void **state)
{
	/* Uncompressed, every VLAN: 4094 entries, PVID 5 untagged, the rest tagged. */
	static struct nlb_vinfo vi[GNL_VLAN_MAX];
	const struct gnl_port_vlan want[] = {
		{ 4, 10, 1, 4, 0 },
		{ 4, 10, 5, 5, GNL_VLAN_PVID | GNL_VLAN_UNTAGGED },
		{ 4, 10, 6, 4094, 0 },
	};
	struct nlb_port_vlans m = { .ifindex = 4, .master = 10, .vinfo = vi, .n = GNL_VLAN_MAX };
	struct gnl_port_vlans v;

	for (uint16_t i = 0; i < GNL_VLAN_MAX; i++)
		vi[i] = (struct nlb_vinfo){ i + 1 == 5
						? BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED
						: 0,
					    (uint16_t)(i + 1) };
	assert_int_equal(parse_vlans_exact(nlb_port_vlans(big.buf, &m), &v), 0);
	check_runs(&v, want, 3);
}

static void test_port_vlans_empty(void **state)
{
	struct nlb_port_vlans m = { .ifindex = 10, .no_af_spec = true };
	struct gnl_port_vlans v;
	struct gnl_port_vlan r;
	uint16_t pos = 1;

	/* The bridge itself (no IFLA_MASTER), without VLANs. */
	assert_int_equal(parse_vlans_exact(nlb_port_vlans(big.buf, &m), &v), 0);
	assert_int_equal(v.ifindex, 10);
	assert_int_equal(v.master, 0);
	assert_int_equal(v.pvid, 0);
	assert_false(gnl_port_vlans_next(&v, &pos, &r));
	/* An empty IFLA_AF_SPEC is the same. */
	m.no_af_spec = false;
	assert_int_equal(parse_vlans_exact(nlb_port_vlans(big.buf, &m), &v), 0);
	pos = 1;
	assert_false(gnl_port_vlans_next(&v, &pos, &r));
}

/* A one-port message with these entries must be rejected with @want. */
static void expect_vinfo(const struct nlb_vinfo *vi, size_t n, int want)
{
	struct nlb_port_vlans m = { .ifindex = 7, .master = 10, .vinfo = vi, .n = n };
	struct gnl_port_vlans v;

	assert_int_equal(parse_vlans_exact(nlb_port_vlans(big.buf, &m), &v), want);
}

static void test_port_vlans_malformed(void **state)
{
	const uint16_t B = BRIDGE_VLAN_INFO_RANGE_BEGIN, E = BRIDGE_VLAN_INFO_RANGE_END;
	const uint16_t U = BRIDGE_VLAN_INFO_UNTAGGED, P = BRIDGE_VLAN_INFO_PVID;
	static const struct nlb_vinfo ok[] = { { P | U, 1 }, { 0, 100 } };
	struct nlb_port_vlans m = { .ifindex = 7, .master = 10, .vinfo = ok, .n = 2 };
	struct gnl_port_vlans v;
	struct nlmsghdr *nlh;
	struct nlattr *af, *a;

	/* VLAN ids 0 and 4095 (and above: the kernel's VID mask is 12 bits). */
	expect_vinfo((const struct nlb_vinfo[]){ { 0, 0 } }, 1, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { 0, 4095 } }, 1, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { 0, 0xffff } }, 1, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { B, 10 }, { E, 4095 } }, 2, -EBADMSG);
	/* A range begun and never ended, at the end and before a single entry. */
	expect_vinfo((const struct nlb_vinfo[]){ { B, 10 } }, 1, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { B, 10 }, { 0, 20 } }, 2, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { B, 10 }, { B, 20 }, { E, 30 } }, 3, -EBADMSG);
	/* An end without its beginning, backwards, empty, both flags at once. */
	expect_vinfo((const struct nlb_vinfo[]){ { E, 10 } }, 1, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { B, 20 }, { E, 10 } }, 2, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { B, 20 }, { E, 20 } }, 2, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { B | E, 20 } }, 1, -EBADMSG);
	/* The ends disagree on their flags; a PVID on a range. */
	expect_vinfo((const struct nlb_vinfo[]){ { B | U, 10 }, { E, 20 } }, 2, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { B | P, 10 }, { E | P, 20 } }, 2, -EBADMSG);
	/* Two different PVIDs (the same one twice is harmless). */
	expect_vinfo((const struct nlb_vinfo[]){ { P, 1 }, { P, 2 } }, 2, -EBADMSG);
	expect_vinfo((const struct nlb_vinfo[]){ { P, 1 }, { P | U, 1 } }, 2, 0);

	/* An entry of 2 bytes (padding kept inside the nest), and one of 8. */
	nlh = nlb_port_vlans(big.buf, &m);
	af = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_AF_SPEC);
	a = nest_attr(af, IFLA_BRIDGE_VLAN_INFO);
	assert_non_null(a);
	a->nla_len = MNL_ATTR_HDRLEN + 2;
	assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);
	{
		const uint8_t eight[8] = { 0, 0, 100, 0 };

		m.n = 0;
		nlh = nlb_port_vlans(big.buf, &m);
		af = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_AF_SPEC);
		/* re-open the empty nest at the message's end and put an 8-byte entry */
		mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof(eight), eight);
		af->nla_len += MNL_ATTR_HDRLEN + sizeof(eight);
		assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);
		m.n = 2;
	}

	/* An entry overrunning IFLA_AF_SPEC; IFLA_AF_SPEC overrunning the message. */
	nlh = nlb_port_vlans(big.buf, &m);
	af = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_AF_SPEC);
	a = nest_attr(af, IFLA_BRIDGE_VLAN_INFO);
	a->nla_len += 8 + 4;
	assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);
	nlh = nlb_port_vlans(big.buf, &m);
	af = msg_attr(nlh, sizeof(struct ifinfomsg), IFLA_AF_SPEC);
	af->nla_len += 8;
	assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);

	/* IFLA_AF_SPEC that is not a nest of attributes. */
	{
		struct nlb_port_vlans e = { .ifindex = 7, .no_af_spec = true };

		nlh = nlb_port_vlans(big.buf, &e);
		mnl_attr_put(nlh, IFLA_AF_SPEC, 3, "xyz");
		assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);
	}

	/* The message ends inside its last attribute; inside the ifinfomsg. */
	nlh = nlb_port_vlans(big.buf, &m);
	nlh->nlmsg_len -= 2;
	assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);
	nlh = nlb_port_vlans(big.buf, &m);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg) - 1;
	assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);

	/* IFLA_MASTER of 2 bytes; ifindex 0. */
	{
		struct nlb_port_vlans e = { .ifindex = 7, .no_af_spec = true };
		uint16_t two = 10;

		nlh = nlb_port_vlans(big.buf, &e);
		mnl_attr_put(nlh, IFLA_MASTER, sizeof(two), &two);
		assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);
	}
	nlh = nlb_port_vlans(big.buf, &m);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = 0;
	assert_int_equal(parse_vlans_exact(nlh, &v), -EBADMSG);

	/* Not ours: an AF_UNSPEC link message, a neighbour message. */
	nlh = nlb_port_vlans(big.buf, &m);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family = AF_UNSPEC;
	assert_int_equal(parse_vlans_exact(nlh, &v), -EAFNOSUPPORT);
	nlh = nlb_port_vlans(big.buf, &m);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	assert_int_equal(parse_vlans_exact(nlh, &v), -ENOENT);

	/* And gnl_parse_link() leaves AF_BRIDGE alone. */
	{
		struct gnl_link l;

		assert_int_equal(parse_link_exact(nlb_port_vlans(big.buf, &m), &l), -EAFNOSUPPORT);
	}
}

static int parse_route_exact(const struct nlmsghdr *nlh, struct gnl_route *r)
{
	struct nlmsghdr *c = exact(nlh);
	int ret = gnl_parse_route(c, r);

	free(c);
	return ret;
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void test_route_default(void **state)
{
	struct nlb b;
	struct gnl_route r;
	struct nlb_route m = { .gateway = "192.0.2.1", .oif = 3 };

	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_int_equal(r.dst_len, 0);
	assert_int_equal(r.dst.s_addr, 0);
	assert_int_equal(r.n_nexthops, 1);
	assert_int_equal(r.nexthops[0].ifindex, 3);
	assert_true(r.nexthops[0].has_gateway);
	assert_int_equal(r.nexthops[0].gateway.s_addr, ip4("192.0.2.1").s_addr);

	/* An on-link prefix: no gateway. */
	m = (struct nlb_route){
		.dst = "192.0.2.0", .dst_len = 24, .oif = 3, .scope = RT_SCOPE_LINK
	};
	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.dst_len, 24);
	assert_int_equal(r.dst.s_addr, ip4("192.0.2.0").s_addr);
	assert_int_equal(r.scope, RT_SCOPE_LINK);
	assert_int_equal(r.n_nexthops, 1);
	assert_false(r.nexthops[0].has_gateway);

	/* RTA_TABLE wins over rtm_table (tables above 255). */
	m = (struct nlb_route){
		.gateway = "192.0.2.1", .oif = 3, .table = RT_TABLE_COMPAT, .rta_table = 1000
	};
	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.table, 1000);

	/* No next hop at all (a blackhole). */
	m = (struct nlb_route){ .dst = "203.0.113.0", .dst_len = 24, .rtn = RTN_BLACKHOLE };
	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.type, RTN_BLACKHOLE);
	assert_int_equal(r.n_nexthops, 0);
}

static void test_route_multipath(void **state)
{
	static const struct nlb_hop hops[] = {
		{ 3, "192.0.2.1" },
		{ 4, "198.51.100.1" },
		{ 3, NULL },
	};
	struct nlb b;
	struct gnl_route r;
	struct nlb_route m = { .hops = hops, .n_hops = 3 };
	struct nlb_hop many[GNL_ROUTE_NEXTHOPS_MAX + 3];

	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.n_nexthops, 3);
	assert_int_equal(r.nexthops[0].ifindex, 3);
	assert_int_equal(r.nexthops[0].gateway.s_addr, ip4("192.0.2.1").s_addr);
	assert_int_equal(r.nexthops[1].ifindex, 4);
	assert_int_equal(r.nexthops[1].gateway.s_addr, ip4("198.51.100.1").s_addr);
	assert_int_equal(r.nexthops[2].ifindex, 3);
	assert_false(r.nexthops[2].has_gateway);

	/* More next hops than kept: counted. */
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i] = (struct nlb_hop){ (int)i + 1, "192.0.2.9" };
	m = (struct nlb_route){ .hops = many, .n_hops = sizeof(many) / sizeof(many[0]) };
	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.n_nexthops, GNL_ROUTE_NEXTHOPS_MAX);
	assert_int_equal(r.nexthops_dropped, 3);
	assert_int_equal(r.nexthops[GNL_ROUTE_NEXTHOPS_MAX - 1].ifindex, GNL_ROUTE_NEXTHOPS_MAX);
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* IPv6: the same, with 16-byte addresses; routers' link-local gateways. */
static void test_route6(void **state)
{
	static const struct nlb_hop hops[] = {
		{ 3, "fe80::1" },
		{ 4, "fe80::2" },
		{ 3, "2001:db8::fe" },
	};
	struct nlb b;
	struct gnl_route r;
	struct nlb_route m = { .family = AF_INET6, .gateway = "fe80::1", .oif = 3 };
	struct in6_addr want;

	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.dst_len, 0);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&r.dst6));
	assert_int_equal(r.n_nexthops, 1);
	assert_int_equal(r.nexthops[0].ifindex, 3);
	assert_true(r.nexthops[0].has_gateway);
	want = ip6("fe80::1");
	assert_memory_equal(&r.nexthops[0].gateway6, &want, 16);

	/* An on-link /64. */
	m = (struct nlb_route){
		.family = AF_INET6, .dst = "2001:db8:1::", .dst_len = 64, .oif = 3
	};
	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.dst_len, 64);
	want = ip6("2001:db8:1::");
	assert_memory_equal(&r.dst6, &want, 16);
	assert_int_equal(r.n_nexthops, 1);
	assert_false(r.nexthops[0].has_gateway);

	/* A /128 host route is the longest there is. */
	m = (struct nlb_route){ .family = AF_INET6,
				.dst = "2001:db8::7",
				.dst_len = 128,
				.gateway = "fe80::1",
				.oif = 3 };
	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.dst_len, 128);

	/* Multipath (an ECMP route, as the kernel dumps IPv6 siblings). */
	m = (struct nlb_route){
		.family = AF_INET6, .dst = "2001:db8:9::", .dst_len = 48, .hops = hops, .n_hops = 3
	};
	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), 0);
	assert_int_equal(r.n_nexthops, 3);
	want = ip6("fe80::2");
	assert_int_equal(r.nexthops[1].ifindex, 4);
	assert_memory_equal(&r.nexthops[1].gateway6, &want, 16);
	want = ip6("2001:db8::fe");
	assert_memory_equal(&r.nexthops[2].gateway6, &want, 16);
}

static void test_route6_malformed(void **state)
{
	static const struct nlb_hop hops[] = { { 3, "fe80::1" }, { 4, "fe80::2" } };
	struct nlb b;
	struct gnl_route r;
	struct nlb_route m = { .family = AF_INET6,
			       .dst = "2001:db8::",
			       .dst_len = 64,
			       .gateway = "fe80::1",
			       .oif = 3 };
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct rtnexthop *nh;
	struct in_addr z4 = { 0 };

	/* RTA_GATEWAY of 4 bytes on AF_INET6 (an IPv4 gateway belongs in RTA_VIA). */
	m.gateway = NULL;
	nlh = nlb_route(&b, &m);
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(z4), &z4);
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);
	m.gateway = "fe80::1";

	/* RTA_DST of 4 and of 15 bytes. */
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_DST);
	a->nla_len = MNL_ATTR_HDRLEN + 4;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_DST);
	a->nla_len = MNL_ATTR_HDRLEN + 15;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* RTA_GATEWAY running past the message. */
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_GATEWAY);
	a->nla_len = 300;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* A prefix longer than 128. */
	nlh = nlb_route(&b, &m);
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_dst_len = 129;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* Truncated: the rtmsg, then the message inside the gateway. */
	nlh = nlb_route(&b, &m);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 6;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_GATEWAY);
	nlh->nlmsg_len = (uint32_t)((uint8_t *)a - (uint8_t *)nlh) + MNL_ATTR_HDRLEN + 8;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* Multipath: a next hop's gateway of 4 bytes, of 16 bytes cut short. */
	m = (struct nlb_route){ .family = AF_INET6, .hops = hops, .n_hops = 2 };
	nlh = nlb_route(&b, &m);
	nh = mnl_attr_get_payload(msg_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH));
	((struct nlattr *)((uint8_t *)nh + RTNH_ALIGN(sizeof(*nh))))->nla_len = MNL_ATTR_HDRLEN + 4;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);
	nlh = nlb_route(&b, &m);
	nh = mnl_attr_get_payload(msg_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH));
	nh->rtnh_len = (unsigned short)(RTNH_ALIGN(sizeof(*nh)) + MNL_ATTR_HDRLEN + 8);
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);
}

static void test_route_not_ours(void **state)
{
	struct nlb b;
	struct gnl_route r;
	struct nlb_route m = { .gateway = "192.0.2.1", .oif = 3, .family = AF_MPLS };
	struct nlmsghdr *nlh;

	/* Another family (MPLS routes share the header): not ours. */
	assert_int_equal(parse_route_exact(nlb_route(&b, &m), &r), -EAFNOSUPPORT);
	m.family = AF_INET;
	nlh = nlb_route(&b, &m);
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(parse_route_exact(nlh, &r), -ENOENT);
}

static void test_route_malformed(void **state)
{
	static const struct nlb_hop hops[] = { { 3, "192.0.2.1" }, { 4, "198.51.100.1" } };
	struct nlb b;
	struct gnl_route r;
	struct nlb_route m = { .gateway = "192.0.2.1", .oif = 3, .dst = "0.0.0.0" };
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct rtnexthop *nh;

	/* RTA_GATEWAY of 16 bytes on AF_INET. */
	nlh = nlb_route(&b, &m);
	{
		uint8_t z[16] = { 0 };

		mnl_attr_put(nlh, RTA_GATEWAY, sizeof(z), z);
	}
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* RTA_DST of 2 bytes. */
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_DST);
	a->nla_len = MNL_ATTR_HDRLEN + 2;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* RTA_OIF of 2 bytes. */
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_OIF);
	a->nla_len = MNL_ATTR_HDRLEN + 2;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* An attribute running past the message. */
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_OIF);
	a->nla_len = 200;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* A prefix longer than 32. */
	nlh = nlb_route(&b, &m);
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_dst_len = 33;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* Truncated rtmsg. */
	nlh = nlb_route(&b, &m);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 6;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* Multipath: a next hop longer than what is left. */
	m = (struct nlb_route){ .hops = hops, .n_hops = 2 };
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH);
	nh = mnl_attr_get_payload(a);
	nh->rtnh_len = (unsigned short)(mnl_attr_get_payload_len(a) + 8);
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* A next hop shorter than its own header. */
	nlh = nlb_route(&b, &m);
	nh = mnl_attr_get_payload(msg_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH));
	nh->rtnh_len = 4;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* A next hop whose gateway attribute runs past the next hop. */
	nlh = nlb_route(&b, &m);
	nh = mnl_attr_get_payload(msg_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH));
	((struct nlattr *)((uint8_t *)nh + RTNH_ALIGN(sizeof(*nh))))->nla_len = 12;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* A next hop's gateway of 6 bytes. */
	nlh = nlb_route(&b, &m);
	nh = mnl_attr_get_payload(msg_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH));
	((struct nlattr *)((uint8_t *)nh + RTNH_ALIGN(sizeof(*nh))))->nla_len = 6;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* A negative interface index in a next hop. */
	nlh = nlb_route(&b, &m);
	nh = mnl_attr_get_payload(msg_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH));
	nh->rtnh_ifindex = -1;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);

	/* Fewer bytes left than a next hop's header. */
	nlh = nlb_route(&b, &m);
	a = msg_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH);
	a->nla_len = MNL_ATTR_HDRLEN + 4;
	nlh->nlmsg_len = (uint32_t)((uint8_t *)a - (uint8_t *)nlh) + MNL_ATTR_HDRLEN + 4;
	assert_int_equal(parse_route_exact(nlh, &r), -EBADMSG);
}

static void test_neigh_usable(void **state)
{
	struct gnl_neigh n = { .has_mac = true };
	static const struct {
		uint16_t state;
		bool usable;
	} cases[] = {
		{ NUD_REACHABLE, true }, { NUD_STALE, true },	  { NUD_DELAY, true },
		{ NUD_PROBE, true },	 { NUD_PERMANENT, true }, { NUD_INCOMPLETE, false },
		{ NUD_FAILED, false },	 { NUD_NOARP, false },	  { NUD_NONE, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n.state = cases[i].state;
		n.has_mac = true;
		assert_int_equal(gnl_neigh_usable(&n), cases[i].usable);
		n.has_mac = false;
		assert_false(gnl_neigh_usable(&n));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_bond),
		cmocka_unit_test(test_link_bond_slave),
		cmocka_unit_test(test_link_vlan),
		cmocka_unit_test(test_link_down_and_minimal),
		cmocka_unit_test(test_link_kinds),
		cmocka_unit_test(test_link_not_ours),
		cmocka_unit_test(test_link_malformed),
		cmocka_unit_test(test_link_unknown_attrs_skipped),
		cmocka_unit_test(test_addr_v4),
		cmocka_unit_test(test_addr_v6_tentative),
		cmocka_unit_test(test_addr_v6_flags),
		cmocka_unit_test(test_addr_malformed),
		cmocka_unit_test(test_fdb),
		cmocka_unit_test(test_fdb_malformed),
		cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_neigh6),
		cmocka_unit_test(test_port_vlans),
		cmocka_unit_test(test_port_vlans_ranges),
		cmocka_unit_test(test_port_vlans_full_table),
		cmocka_unit_test(test_port_vlans_empty),
		cmocka_unit_test(test_port_vlans_malformed),
		cmocka_unit_test(test_route_default),
		cmocka_unit_test(test_route_multipath),
		cmocka_unit_test(test_route6),
		cmocka_unit_test(test_route6_malformed),
		cmocka_unit_test(test_route_not_ours),
		cmocka_unit_test(test_route_malformed),
		cmocka_unit_test(test_neigh_usable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
