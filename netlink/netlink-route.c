/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the directed refresh reads from the kernel: the IPv4 and IPv6 routes
 * of the main table (gateways, single or multipath, and on-link prefixes)
 * and which neighbour-table entries carry a usable link-layer address. Pure,
 * hostile-input rules as in netlink-parse.c: the family header first, the
 * attribute stream well formed, each attribute size-checked before it is
 * read, every struct rtnexthop inside RTA_MULTIPATH bounded by its
 * container and its own attributes bounded by it.
 */

#include "garp-netlink.h" /* first: <net/if.h> before <linux/if.h> */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink-private.h"

bool gnl_neigh_usable(const struct gnl_neigh *n)
{
	/*
	 * An entry with a MAC the kernel trusts, or trusted until lately;
	 * INCOMPLETE and FAILED have none that is right, NOARP has none
	 * that is meant.
	 */
	const uint16_t ok = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;

	return n->has_mac && (n->state & ok) &&
	       !(n->state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NOARP));
}

/* The size of an address of @family's routes: RTA_DST and RTA_GATEWAY are exactly this. */
static size_t addr_len(uint8_t family)
{
	return family == AF_INET6 ? sizeof(struct in6_addr) : sizeof(struct in_addr);
}

struct hop_ctx {
	struct gnl_nexthop *h;
	size_t alen; /* addr_len() of the route's family */
	int err;
};

static int hop_cb(const struct nlattr *a, void *data)
{
	struct hop_ctx *c = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_GATEWAY:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, c->alen) < 0) {
			c->err = -EBADMSG;
			return MNL_CB_ERROR;
		}
		/* gateway and gateway6 share their first byte: the union's start */
		memcpy(&c->h->gateway6, mnl_attr_get_payload(a), c->alen);
		c->h->has_gateway = true;
		break;
	default:
		/* RTA_VIA (a gateway of another family), RTA_FLOW, ...: not ours */
		break;
	}
	return MNL_CB_OK;
}

static void hop_add(struct gnl_route *r, const struct gnl_nexthop *h)
{
	if (r->n_nexthops < GNL_ROUTE_NEXTHOPS_MAX)
		r->nexthops[r->n_nexthops++] = *h;
	else
		r->nexthops_dropped++;
}

/* RTA_MULTIPATH: struct rtnexthop after struct rtnexthop, each with its attributes. */
static int parse_multipath(const struct nlattr *a, struct gnl_route *r)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	size_t rem = mnl_attr_get_payload_len(a);

	while (rem > 0) {
		struct rtnexthop nh;
		struct gnl_nexthop h = { 0 };
		struct hop_ctx c = { .h = &h, .alen = addr_len(r->family) };
		size_t len, step;

		if (rem < sizeof(nh))
			return -EBADMSG;
		memcpy(&nh, p, sizeof(nh));
		len = nh.rtnh_len;
		if (len < sizeof(nh) || len > rem)
			return -EBADMSG;
		if (nh.rtnh_ifindex < 0)
			return -EBADMSG;
		h.ifindex = nh.rtnh_ifindex;
		if (len > RTNH_ALIGN(sizeof(nh))) {
			const uint8_t *attrs = p + RTNH_ALIGN(sizeof(nh));
			size_t alen = len - RTNH_ALIGN(sizeof(nh));

			if (!gnl_attrs_wellformed(attrs, alen))
				return -EBADMSG;
			if (mnl_attr_parse_payload(attrs, alen, hop_cb, &c) < 0)
				return c.err ? c.err : -EBADMSG;
		}
		hop_add(r, &h);
		step = RTNH_ALIGN(len);
		if (step > rem)
			step = rem; /* the last one may lack its padding */
		p += step;
		rem -= step;
	}
	return 0;
}

struct route_ctx {
	struct gnl_route *r;
	size_t alen; /* addr_len() of the route's family */
	struct gnl_nexthop single;
	bool has_oif, has_table;
	const struct nlattr *multipath;
	int err;
};

static int route_cb(const struct nlattr *a, void *data)
{
	struct route_ctx *c = data;
	int r = 0;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, c->alen) < 0)
			r = -EBADMSG;
		else
			memcpy(&c->r->dst6, mnl_attr_get_payload(a), c->alen);
		break;
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0 || (int32_t)mnl_attr_get_u32(a) < 0) {
			r = -EBADMSG;
		} else {
			c->single.ifindex = (int)mnl_attr_get_u32(a);
			c->has_oif = true;
		}
		break;
	case RTA_GATEWAY:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, c->alen) < 0) {
			r = -EBADMSG;
		} else {
			memcpy(&c->single.gateway6, mnl_attr_get_payload(a), c->alen);
			c->single.has_gateway = true;
		}
		break;
	case RTA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
			r = -EBADMSG;
		} else {
			c->r->table = mnl_attr_get_u32(a);
			c->has_table = true;
		}
		break;
	case RTA_MULTIPATH:
		if (mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
			r = -EBADMSG;
		else
			c->multipath = a;
		break;
	default:
		break;
	}
	if (r < 0) {
		c->err = r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int gnl_parse_route(const struct nlmsghdr *nlh, struct gnl_route *ret)
{
	const struct rtmsg *rtm;
	struct gnl_route *rt = ret;
	struct route_ctx c = { .r = rt };
	int r;

	if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
		return -ENOENT;
	r = gnl_msg_attrs_check(nlh, sizeof(*rtm));
	if (r < 0)
		return r;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EAFNOSUPPORT;
	c.alen = addr_len(rtm->rtm_family);
	if (rtm->rtm_dst_len > 8 * c.alen)
		return -EBADMSG;
	memset(rt, 0, sizeof(*rt));
	rt->family = rtm->rtm_family;
	rt->dst_len = rtm->rtm_dst_len;
	rt->table = rtm->rtm_table;
	rt->type = rtm->rtm_type;
	rt->scope = rtm->rtm_scope;
	rt->protocol = rtm->rtm_protocol;
	rt->flags = rtm->rtm_flags;

	if (mnl_attr_parse(nlh, sizeof(*rtm), route_cb, &c) < 0)
		return c.err ? c.err : -EBADMSG;
	if (c.multipath) {
		r = parse_multipath(c.multipath, rt);
		if (r < 0)
			return r;
	} else if (c.has_oif || c.single.has_gateway) {
		hop_add(rt, &c.single);
	}
	return 0;
}
