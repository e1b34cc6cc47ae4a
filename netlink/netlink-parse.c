/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pure rtnetlink parsers: one message in, one struct out.
 *
 * Every message is hostile until proven otherwise: the family header must
 * fit in the payload, the attribute stream must be well formed (no
 * attribute running past its container, nested ones included), and each
 * attribute we use is validated for type and exact size before it is read.
 * Attributes we do not know are skipped. One callback per nesting level,
 * as in libmnl's examples/rtnl/rtnl-link-event.c.
 */

#include "garp-netlink.h" /* first: <net/if.h> before <linux/if.h> */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink-private.h"

bool gnl_attrs_wellformed(const void *start, size_t len)
{
	const uint8_t *p = start;
	size_t rem = len;

	while (rem >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t alen = a->nla_len;
		size_t step = MNL_ALIGN(alen);

		if (alen < sizeof(struct nlattr) || alen > rem)
			return false;
		/* The last attribute may lack its padding. */
		if (step > rem)
			step = rem;
		p += step;
		rem -= step;
	}
	return rem == 0;
}

/* The attributes after a family header of @hdrlen bytes, checked. */
static int msg_check(const struct nlmsghdr *nlh, size_t hdrlen)
{
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EBADMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return -EBADMSG;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen)) {
		/* The header fits but its padding does not: no attributes. */
		return 0;
	}
	if (!gnl_attrs_wellformed(mnl_nlmsg_get_payload_offset(nlh, hdrlen),
				  nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(hdrlen)))
		return -EBADMSG;
	return 0;
}

static int nested_check(const struct nlattr *a)
{
	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	if (!gnl_attrs_wellformed(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a)))
		return -EBADMSG;
	return 0;
}

/* A NUL-terminated string of at most @size bytes including the NUL. */
static int attr_strcpy(const struct nlattr *a, char *dst, size_t size)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	if (mnl_attr_get_payload_len(a) > size)
		return -EBADMSG;
	/* The payload may hold bytes after an inner NUL; copy the C string. */
	strncpy(dst, mnl_attr_get_str(a), size - 1);
	dst[size - 1] = '\0';
	return 0;
}

/*
 * IFLA_INFO_KIND or IFLA_INFO_SLAVE_KIND: a NUL-terminated string of any
 * length. The whole name decides @ret, once, here; @name keeps it for
 * people, cut to @size - 1 bytes (a name that long is no kind garpd
 * knows: GNL_KIND_OTHER).
 */
static int attr_kind(const struct nlattr *a, enum gnl_kind *ret, char *name, size_t size)
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
	const char *s;

	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	s = mnl_attr_get_str(a); /* validated: NUL-terminated inside the payload */
	*ret = s[0] ? GNL_KIND_OTHER : GNL_KIND_NONE;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(s, known[i].name) == 0)
			*ret = known[i].kind;
	strncpy(name, s, size - 1);
	name[size - 1] = '\0';
	return 0;
}

static int attr_u32(const struct nlattr *a, uint32_t *ret)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EBADMSG;
	*ret = mnl_attr_get_u32(a);
	return 0;
}

static int attr_u16(const struct nlattr *a, uint16_t *ret)
{
	if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return -EBADMSG;
	*ret = mnl_attr_get_u16(a);
	return 0;
}

static int attr_u8(const struct nlattr *a, uint8_t *ret)
{
	if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return -EBADMSG;
	*ret = mnl_attr_get_u8(a);
	return 0;
}

static int attr_bin(const struct nlattr *a, void *dst, size_t exact)
{
	if (mnl_attr_validate2(a, MNL_TYPE_BINARY, exact) < 0)
		return -EBADMSG;
	memcpy(dst, mnl_attr_get_payload(a), exact);
	return 0;
}

/* Callbacks keep the first error here and stop the walk. */
struct link_ctx {
	struct gnl_link *l;
	const struct nlattr *info_data;
	const struct nlattr *slave_data;
	int err;
};

static int cb_stop(int *err, int r)
{
	if (r < 0) {
		*err = r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int bond_data_cb(const struct nlattr *a, void *data)
{
	struct link_ctx *c = data;
	uint32_t v;
	int r = 0;

	if (mnl_attr_get_type(a) == IFLA_BOND_ACTIVE_SLAVE) {
		r = attr_u32(a, &v);
		if (r == 0)
			c->l->bond_active_slave = (int)v;
	}
	return cb_stop(&c->err, r);
}

static int vlan_data_cb(const struct nlattr *a, void *data)
{
	struct link_ctx *c = data;
	int r = 0;

	if (mnl_attr_get_type(a) == IFLA_VLAN_ID)
		r = attr_u16(a, &c->l->vlan_id);
	return cb_stop(&c->err, r);
}

static int bond_slave_data_cb(const struct nlattr *a, void *data)
{
	struct link_ctx *c = data;
	int r = 0;

	if (mnl_attr_get_type(a) == IFLA_BOND_SLAVE_STATE) {
		r = attr_u8(a, &c->l->bond_slave_state);
		if (r == 0)
			c->l->has_bond_slave_state = true;
	}
	return cb_stop(&c->err, r);
}

static int linkinfo_cb(const struct nlattr *a, void *data)
{
	struct link_ctx *c = data;
	int r = 0;

	switch (mnl_attr_get_type(a)) {
	case IFLA_INFO_KIND:
		r = attr_kind(a, &c->l->kind, c->l->kind_name, sizeof(c->l->kind_name));
		break;
	case IFLA_INFO_SLAVE_KIND:
		r = attr_kind(a, &c->l->slave_kind, c->l->slave_kind_name,
			      sizeof(c->l->slave_kind_name));
		break;
	case IFLA_INFO_DATA:
		r = nested_check(a);
		c->info_data = a;
		break;
	case IFLA_INFO_SLAVE_DATA:
		r = nested_check(a);
		c->slave_data = a;
		break;
	default:
		break;
	}
	return cb_stop(&c->err, r);
}

static int link_cb(const struct nlattr *a, void *data)
{
	struct link_ctx *c = data;
	struct gnl_link *l = c->l;
	uint32_t v;
	int r = 0;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		r = attr_strcpy(a, l->name, sizeof(l->name));
		break;
	case IFLA_ADDRESS:
		/* Not every link type has a 6-byte address (tunnels: 4 or 16). */
		if (mnl_attr_validate(a, MNL_TYPE_BINARY) < 0) {
			r = -EBADMSG;
		} else if (mnl_attr_get_payload_len(a) == GNL_ALEN) {
			memcpy(l->mac, mnl_attr_get_payload(a), GNL_ALEN);
			l->mac_len = GNL_ALEN;
		} else {
			memset(l->mac, 0, sizeof(l->mac));
			l->mac_len = mnl_attr_get_payload_len(a) > UINT8_MAX
					 ? UINT8_MAX
					 : (uint8_t)mnl_attr_get_payload_len(a);
		}
		break;
	case IFLA_MASTER:
		r = attr_u32(a, &v);
		if (r == 0)
			l->master = (int)v;
		break;
	case IFLA_LINK:
		r = attr_u32(a, &v);
		if (r == 0)
			l->link = (int)v;
		break;
	case IFLA_OPERSTATE:
		r = attr_u8(a, &l->operstate);
		break;
	case IFLA_EVENT:
		r = attr_u32(a, &l->event);
		break;
	case IFLA_LINKINFO:
		r = nested_check(a);
		if (r == 0 && mnl_attr_parse_nested(a, linkinfo_cb, c) < 0)
			r = c->err ? c->err : -EBADMSG;
		break;
	default:
		break;
	}
	return cb_stop(&c->err, r);
}

/* An RTM_NEWLINK/RTM_DELLINK of @family with a valid header and interface index. */
static int link_msg_check(const struct nlmsghdr *nlh, unsigned char family,
			  const struct ifinfomsg **ret)
{
	const struct ifinfomsg *ifi;
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return -ENOENT;
	r = msg_check(nlh, sizeof(*ifi));
	if (r < 0)
		return r;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_family != family)
		return -EAFNOSUPPORT;
	if (ifi->ifi_index <= 0)
		return -EBADMSG;
	*ret = ifi;
	return 0;
}

int gnl_parse_link(const struct nlmsghdr *nlh, struct gnl_link *ret)
{
	const struct ifinfomsg *ifi;
	struct gnl_link l = { 0 };
	struct link_ctx c = { .l = &l };
	int r;

	/* AF_BRIDGE port notifications share RTNLGRP_LINK but are partial. */
	r = link_msg_check(nlh, AF_UNSPEC, &ifi);
	if (r < 0)
		return r;
	l.ifindex = ifi->ifi_index;
	l.type = ifi->ifi_type;
	l.flags = ifi->ifi_flags;

	if (mnl_attr_parse(nlh, sizeof(*ifi), link_cb, &c) < 0)
		return c.err ? c.err : -EBADMSG;

	/* IFLA_INFO_DATA means what IFLA_INFO_KIND says; read it after. */
	if (c.info_data) {
		mnl_attr_cb_t cb = NULL;

		if (l.kind == GNL_KIND_BOND)
			cb = bond_data_cb;
		else if (l.kind == GNL_KIND_VLAN)
			cb = vlan_data_cb;
		if (cb && mnl_attr_parse_nested(c.info_data, cb, &c) < 0)
			return c.err ? c.err : -EBADMSG;
	}
	if (c.slave_data && l.slave_kind == GNL_KIND_BOND) {
		if (mnl_attr_parse_nested(c.slave_data, bond_slave_data_cb, &c) < 0)
			return c.err ? c.err : -EBADMSG;
	}

	*ret = l;
	return 0;
}

struct addr_ctx {
	struct gnl_addr *a;
	size_t alen;
	bool has_local, has_address, has_flags;
	uint8_t local[16], address[16];
	int err;
};

static int addr_cb(const struct nlattr *a, void *data)
{
	struct addr_ctx *c = data;
	int r = 0;

	switch (mnl_attr_get_type(a)) {
	case IFA_LOCAL:
		r = attr_bin(a, c->local, c->alen);
		c->has_local = r == 0;
		break;
	case IFA_ADDRESS:
		r = attr_bin(a, c->address, c->alen);
		c->has_address = r == 0;
		break;
	case IFA_LABEL:
		r = attr_strcpy(a, c->a->label, sizeof(c->a->label));
		break;
	case IFA_FLAGS:
		r = attr_u32(a, &c->a->flags);
		c->has_flags = r == 0;
		break;
	default:
		break;
	}
	return cb_stop(&c->err, r);
}

int gnl_parse_addr(const struct nlmsghdr *nlh, struct gnl_addr *ret)
{
	const struct ifaddrmsg *ifa;
	struct gnl_addr a = { 0 };
	struct addr_ctx c = { .a = &a };
	int r;

	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return -ENOENT;
	r = msg_check(nlh, sizeof(*ifa));
	if (r < 0)
		return r;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family == AF_INET)
		c.alen = sizeof(struct in_addr);
	else if (ifa->ifa_family == AF_INET6)
		c.alen = sizeof(struct in6_addr);
	else
		return -EAFNOSUPPORT;
	if (ifa->ifa_prefixlen > c.alen * 8 || ifa->ifa_index == 0)
		return -EBADMSG;
	a.family = ifa->ifa_family;
	a.ifindex = (int)ifa->ifa_index;
	a.prefixlen = ifa->ifa_prefixlen;
	a.scope = ifa->ifa_scope;
	a.flags = ifa->ifa_flags;

	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_cb, &c) < 0)
		return c.err ? c.err : -EBADMSG;
	/* IFA_FLAGS, when present, is the full 32-bit set; ifa_flags only the low 8. */
	if (!c.has_flags)
		a.flags = ifa->ifa_flags;

	/* IPv4: IFA_LOCAL is ours, IFA_ADDRESS the peer on point-to-point links. */
	if (c.has_local)
		memcpy(&a.addr, c.local, c.alen);
	else if (c.has_address)
		memcpy(&a.addr, c.address, c.alen);
	else
		return -ENOENT;

	*ret = a;
	return 0;
}

struct neigh_ctx {
	bool has_lladdr, has_dst;
	bool lladdr_mac; /* 6 bytes */
	uint8_t lladdr[GNL_ALEN];
	union {
		struct in_addr dst;   /* AF_INET */
		struct in6_addr dst6; /* AF_INET6 */
	};
	uint8_t family;
	bool has_vlan, has_master;
	uint16_t vlan;
	uint32_t master;
	bool bridge; /* AF_BRIDGE: lladdr must be a MAC */
	int err;
};

static int neigh_cb(const struct nlattr *a, void *data)
{
	struct neigh_ctx *c = data;
	int r = 0;

	switch (mnl_attr_get_type(a)) {
	case NDA_LLADDR:
		if (c->bridge) {
			r = attr_bin(a, c->lladdr, GNL_ALEN);
			c->lladdr_mac = r == 0;
		} else if (mnl_attr_validate(a, MNL_TYPE_BINARY) < 0) {
			r = -EBADMSG;
		} else if (mnl_attr_get_payload_len(a) == GNL_ALEN) {
			/* Non-Ethernet neighbours have other lengths: not a MAC. */
			memcpy(c->lladdr, mnl_attr_get_payload(a), GNL_ALEN);
			c->lladdr_mac = true;
		}
		c->has_lladdr = r == 0;
		break;
	case NDA_DST:
		if (c->family == AF_INET6) {
			r = attr_bin(a, &c->dst6, sizeof(c->dst6));
			c->has_dst = r == 0;
		} else if (!c->bridge) {
			r = attr_bin(a, &c->dst, sizeof(c->dst));
			c->has_dst = r == 0;
		}
		break;
	case NDA_VLAN:
		r = attr_u16(a, &c->vlan);
		c->has_vlan = r == 0;
		break;
	case NDA_MASTER:
		r = attr_u32(a, &c->master);
		c->has_master = r == 0;
		break;
	default:
		break;
	}
	return cb_stop(&c->err, r);
}

/* @family, or with @family2 (non-zero) either of the two. */
static int parse_nd(const struct nlmsghdr *nlh, uint8_t family, uint8_t family2,
		    struct neigh_ctx *c, const struct ndmsg **ret_ndm)
{
	const struct ndmsg *ndm;
	int r;

	if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
		return -ENOENT;
	r = msg_check(nlh, sizeof(*ndm));
	if (r < 0)
		return r;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != family && (!family2 || ndm->ndm_family != family2))
		return -EAFNOSUPPORT;
	c->family = ndm->ndm_family;
	c->bridge = c->family == AF_BRIDGE;
	if (mnl_attr_parse(nlh, sizeof(*ndm), neigh_cb, c) < 0)
		return c->err ? c->err : -EBADMSG;
	*ret_ndm = ndm;
	return 0;
}

int gnl_parse_fdb(const struct nlmsghdr *nlh, struct gnl_fdb *ret)
{
	struct neigh_ctx c = { 0 };
	const struct ndmsg *ndm = NULL;
	struct gnl_fdb f = { 0 };
	int r;

	r = parse_nd(nlh, AF_BRIDGE, 0, &c, &ndm);
	if (r < 0)
		return r;
	if (!c.lladdr_mac)
		return -ENOENT;
	memcpy(f.mac, c.lladdr, GNL_ALEN);
	f.ifindex = ndm->ndm_ifindex;
	f.master = c.has_master ? (int)c.master : 0;
	f.vlan = c.has_vlan ? c.vlan : 0;
	f.state = ndm->ndm_state;
	f.flags = ndm->ndm_flags;
	*ret = f;
	return 0;
}

int gnl_parse_neigh(const struct nlmsghdr *nlh, struct gnl_neigh *ret)
{
	struct neigh_ctx c = { 0 };
	const struct ndmsg *ndm = NULL;
	struct gnl_neigh n = { 0 };
	int r;

	r = parse_nd(nlh, AF_INET, AF_INET6, &c, &ndm);
	if (r < 0)
		return r;
	if (!c.has_dst)
		return -ENOENT;
	n.family = c.family;
	n.ifindex = ndm->ndm_ifindex;
	if (c.family == AF_INET6)
		n.ip6 = c.dst6;
	else
		n.ip = c.dst;
	if (c.lladdr_mac) {
		memcpy(n.mac, c.lladdr, GNL_ALEN);
		n.has_mac = true;
	}
	n.state = ndm->ndm_state;
	*ret = n;
	return 0;
}

static bool vlan_bit(const uint64_t *set, unsigned int vid)
{
	return set[vid / 64] >> (vid % 64) & 1;
}

static void vlan_set(uint64_t *set, unsigned int vid)
{
	set[vid / 64] |= UINT64_C(1) << (vid % 64);
}

struct port_vlan_ctx {
	struct gnl_port_vlans *v;
	const struct nlattr *af_spec;
	bool in_range; /* a RANGE_BEGIN waits for its RANGE_END */
	struct bridge_vlan_info begin;
	int err;
};

static int port_vlan_add(struct port_vlan_ctx *c, const struct bridge_vlan_info *vi)
{
	const uint16_t range = BRIDGE_VLAN_INFO_RANGE_BEGIN | BRIDGE_VLAN_INFO_RANGE_END;
	unsigned int first = vi->vid;

	if (vi->vid < 1 || vi->vid > GNL_VLAN_MAX)
		return -EBADMSG;
	if ((vi->flags & range) == range)
		return -EBADMSG;
	if (vi->flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
		if (c->in_range || (vi->flags & BRIDGE_VLAN_INFO_PVID))
			return -EBADMSG;
		c->in_range = true;
		c->begin = *vi;
		return 0;
	}
	if (vi->flags & BRIDGE_VLAN_INFO_RANGE_END) {
		/* The kernel sends both ends with the same flags, begin < end. */
		if (!c->in_range || vi->vid <= c->begin.vid ||
		    ((vi->flags ^ c->begin.flags) & ~range) != 0)
			return -EBADMSG;
		c->in_range = false;
		first = c->begin.vid;
	} else if (c->in_range) {
		return -EBADMSG;
	}
	if (vi->flags & BRIDGE_VLAN_INFO_PVID) {
		if (c->v->pvid && c->v->pvid != vi->vid)
			return -EBADMSG;
		c->v->pvid = vi->vid;
	}
	for (unsigned int vid = first; vid <= vi->vid; vid++) {
		vlan_set(c->v->member, vid);
		if (vi->flags & BRIDGE_VLAN_INFO_UNTAGGED)
			vlan_set(c->v->untagged, vid);
	}
	return 0;
}

static int af_spec_cb(const struct nlattr *a, void *data)
{
	struct port_vlan_ctx *c = data;
	struct bridge_vlan_info vi;
	int r = 0;

	/* IFLA_BRIDGE_FLAGS, _MODE, _VLAN_TUNNEL_INFO, ...: not ours. */
	if (mnl_attr_get_type(a) == IFLA_BRIDGE_VLAN_INFO) {
		r = attr_bin(a, &vi, sizeof(vi));
		if (r == 0)
			r = port_vlan_add(c, &vi);
	}
	return cb_stop(&c->err, r);
}

static int port_link_cb(const struct nlattr *a, void *data)
{
	struct port_vlan_ctx *c = data;
	uint32_t v;
	int r = 0;

	switch (mnl_attr_get_type(a)) {
	case IFLA_MASTER:
		r = attr_u32(a, &v);
		if (r == 0)
			c->v->master = (int)v;
		break;
	case IFLA_AF_SPEC:
		r = nested_check(a);
		c->af_spec = a;
		break;
	default:
		break;
	}
	return cb_stop(&c->err, r);
}

int gnl_parse_port_vlans(const struct nlmsghdr *nlh, struct gnl_port_vlans *ret)
{
	const struct ifinfomsg *ifi;
	struct gnl_port_vlans v = { 0 };
	struct port_vlan_ctx c = { .v = &v };
	int r;

	r = link_msg_check(nlh, AF_BRIDGE, &ifi);
	if (r < 0)
		return r;
	v.ifindex = ifi->ifi_index;

	if (mnl_attr_parse(nlh, sizeof(*ifi), port_link_cb, &c) < 0)
		return c.err ? c.err : -EBADMSG;
	if (c.af_spec) {
		if (mnl_attr_parse_nested(c.af_spec, af_spec_cb, &c) < 0)
			return c.err ? c.err : -EBADMSG;
		if (c.in_range)
			return -EBADMSG;
	}
	*ret = v;
	return 0;
}

bool gnl_port_vlans_next(const struct gnl_port_vlans *v, uint16_t *pos, struct gnl_port_vlan *ret)
{
	unsigned int vid = *pos ? *pos : 1;

	while (vid <= GNL_VLAN_MAX && !vlan_bit(v->member, vid))
		vid++;
	if (vid > GNL_VLAN_MAX) {
		*pos = GNL_VLAN_MAX + 1;
		return false;
	}
	*ret = (struct gnl_port_vlan){ .ifindex = v->ifindex, .master = v->master, .vid = vid };
	if (vlan_bit(v->untagged, vid))
		ret->flags |= GNL_VLAN_UNTAGGED;
	if (vid == v->pvid) {
		/* The PVID is a run of its own. */
		ret->flags |= GNL_VLAN_PVID;
		vid++;
	} else {
		bool untagged = vlan_bit(v->untagged, vid);

		while (vid <= GNL_VLAN_MAX && vlan_bit(v->member, vid) && vid != v->pvid &&
		       vlan_bit(v->untagged, vid) == untagged)
			vid++;
	}
	ret->vid_end = (uint16_t)(vid - 1);
	*pos = (uint16_t)vid;
	return true;
}

bool gnl_link_is_oper_up(const struct gnl_link *l)
{
	if (!(l->flags & IFF_UP) || !(l->flags & IFF_LOWER_UP))
		return false;
	return l->operstate == IF_OPER_UP || l->operstate == IF_OPER_UNKNOWN;
}

int gnl_msg_attrs_check(const struct nlmsghdr *nlh, size_t hdrlen)
{
	return msg_check(nlh, hdrlen);
}
