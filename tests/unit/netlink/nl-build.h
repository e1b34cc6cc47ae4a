/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Message builders for the netlink unit tests: every message is built with
 * libmnl, as the kernel would lay it out.
 */

#include "garp-netlink.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>

#define NLB_SIZE 4096

struct nlb {
	union {
		uint8_t buf[NLB_SIZE];
		struct nlmsghdr align;
	};
};

struct nlb_link {
	uint16_t type; /* RTM_NEWLINK/DELLINK */
	int ifindex;
	uint32_t flags;
	const char *name;
	const uint8_t *mac;
	uint8_t operstate;
	int master;
	int link;
	const char *kind;
	const char *slave_kind;
	int active_slave; /* kind bond: IFLA_BOND_ACTIVE_SLAVE when > 0 */
	int vlan_id;	  /* kind vlan: IFLA_VLAN_ID when > 0 */
	int slave_state;  /* slave kind bond: IFLA_BOND_SLAVE_STATE when >= 0 */
	uint32_t event;	  /* IFLA_EVENT when != 0 */
};

#define NLB_LINK_INIT                                                                              \
	(struct nlb_link)                                                                          \
	{                                                                                          \
		.type = RTM_NEWLINK, .slave_state = -1, .operstate = IF_OPER_UP,                   \
		.flags = IFF_UP | IFF_RUNNING | IFF_LOWER_UP | IFF_BROADCAST | IFF_MULTICAST       \
	}

static inline struct nlmsghdr *nlb_link(struct nlb *b, const struct nlb_link *l)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = l->type;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_type = ARPHRD_ETHER;
	ifi->ifi_index = l->ifindex;
	ifi->ifi_flags = l->flags;
	if (l->name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	if (l->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, l->mac);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500); /* not ours: skipped */
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, l->operstate);
	if (l->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)l->master);
	if (l->link)
		mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)l->link);
	if (l->kind || l->slave_kind) {
		struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

		if (l->kind) {
			struct nlattr *d;

			mnl_attr_put_strz(nlh, IFLA_INFO_KIND, l->kind);
			d = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
			if (strcmp(l->kind, "bond") == 0) {
				mnl_attr_put_u8(nlh, IFLA_BOND_MODE, 1);
				if (l->active_slave > 0)
					mnl_attr_put_u32(nlh, IFLA_BOND_ACTIVE_SLAVE,
							 (uint32_t)l->active_slave);
				mnl_attr_put_u32(nlh, IFLA_BOND_MIIMON, 100);
			} else if (strcmp(l->kind, "vlan") == 0) {
				if (l->vlan_id > 0)
					mnl_attr_put_u16(nlh, IFLA_VLAN_ID, (uint16_t)l->vlan_id);
			}
			mnl_attr_nest_end(nlh, d);
		}
		if (l->slave_kind) {
			struct nlattr *d;

			mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, l->slave_kind);
			d = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
			if (l->slave_state >= 0)
				mnl_attr_put_u8(nlh, IFLA_BOND_SLAVE_STATE,
						(uint8_t)l->slave_state);
			mnl_attr_put_u32(nlh, IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, 0);
			mnl_attr_nest_end(nlh, d);
		}
		mnl_attr_nest_end(nlh, li);
	}
	if (l->event)
		mnl_attr_put_u32(nlh, IFLA_EVENT, l->event);
	return nlh;
}

struct nlb_addr {
	uint16_t type; /* RTM_NEWADDR/DELADDR */
	uint8_t family;
	int ifindex;
	const char *addr; /* text */
	uint8_t prefixlen;
	uint8_t scope;
	uint8_t ifa_flags;
	bool put_flags;
	uint32_t flags; /* IFA_FLAGS */
	const char *label;
	uint32_t valid_lft; /* IFA_CACHEINFO, for "lifetime updates" */
};

static inline struct nlmsghdr *nlb_addr(struct nlb *b, const struct nlb_addr *a)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf);
	struct ifaddrmsg *ifa;
	uint8_t bin[16];
	size_t alen = a->family == AF_INET ? 4 : 16;
	struct ifa_cacheinfo ci = { .ifa_valid = a->valid_lft, .ifa_prefered = a->valid_lft };

	nlh->nlmsg_type = a->type ? a->type : RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_flags = a->ifa_flags;
	ifa->ifa_scope = a->scope;
	ifa->ifa_index = (uint32_t)a->ifindex;
	inet_pton(a->family, a->addr, bin);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, bin);
	if (a->family == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, alen, bin);
	if (a->label)
		mnl_attr_put_strz(nlh, IFA_LABEL, a->label);
	mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	if (a->put_flags)
		mnl_attr_put_u32(nlh, IFA_FLAGS, a->flags);
	return nlh;
}

/* An address attribute of @family's size (4 or 16 bytes) from its text form. */
static inline void nlb_put_ip(struct nlmsghdr *nlh, uint16_t type, uint8_t family, const char *s)
{
	uint8_t a[16] = { 0 };
	int f = family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_pton(f, s, a);
	mnl_attr_put(nlh, type, f == AF_INET6 ? 16 : 4, a);
}

struct nlb_neigh {
	uint8_t family; /* AF_BRIDGE, AF_INET or AF_INET6 */
	int ifindex;
	uint16_t state;
	uint8_t flags;
	const uint8_t *mac;
	const char *dst; /* AF_INET, AF_INET6 */
	int master;	 /* NDA_MASTER when > 0 */
	int vlan;	 /* NDA_VLAN when > 0 */
};

static inline struct nlmsghdr *nlb_neigh(struct nlb *b, const struct nlb_neigh *n)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_NEWNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = n->family;
	ndm->ndm_ifindex = n->ifindex;
	ndm->ndm_state = n->state;
	ndm->ndm_flags = n->flags;
	if (n->dst)
		nlb_put_ip(nlh, NDA_DST, n->family, n->dst);
	if (n->mac)
		mnl_attr_put(nlh, NDA_LLADDR, 6, n->mac);
	if (n->master > 0)
		mnl_attr_put_u32(nlh, NDA_MASTER, (uint32_t)n->master);
	if (n->vlan > 0)
		mnl_attr_put_u16(nlh, NDA_VLAN, (uint16_t)n->vlan);
	return nlh;
}

/* One IFLA_BRIDGE_VLAN_INFO entry as the kernel writes it. */
struct nlb_vinfo {
	uint16_t flags; /* BRIDGE_VLAN_INFO_* */
	uint16_t vid;
};

struct nlb_port_vlans {
	int ifindex;
	int master;		       /* IFLA_MASTER when > 0 */
	const struct nlb_vinfo *vinfo; /* in IFLA_AF_SPEC, in this order */
	size_t n;
	bool no_af_spec; /* a port without VLANs: no IFLA_AF_SPEC */
	bool extra;	 /* IFLA_BRIDGE_MODE and an unknown type in IFLA_AF_SPEC too */
};

/*
 * RTM_NEWLINK of family AF_BRIDGE, as br_fill_ifinfo() lays it out for a
 * dump with RTEXT_FILTER_BRVLAN(_COMPRESSED). @buf must hold it: a full table
 * (4094 entries) needs about 33 KB, so pass a big enough buffer.
 */
static inline struct nlmsghdr *nlb_port_vlans(void *buf, const struct nlb_port_vlans *p)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_type = ARPHRD_ETHER;
	ifi->ifi_index = p->ifindex;
	ifi->ifi_flags = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "bond0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (p->master > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)p->master);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, IF_OPER_UP);
	if (!p->no_af_spec) {
		struct nlattr *af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);

		if (p->extra) {
			mnl_attr_put_u16(nlh, IFLA_BRIDGE_MODE, 0);
			mnl_attr_put_u32(nlh, 0x3fff, 0);
		}
		for (size_t i = 0; i < p->n; i++)
			mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof(p->vinfo[i]), &p->vinfo[i]);
		mnl_attr_nest_end(nlh, af);
	}
	return nlh;
}

/* One next hop of nlb_route's RTA_MULTIPATH. */
struct nlb_hop {
	int ifindex;
	const char *gateway; /* RTA_GATEWAY in the nexthop when set */
};

struct nlb_route {
	uint16_t type;	 /* RTM_NEWROUTE (default) / RTM_DELROUTE */
	uint8_t family;	 /* AF_INET (default) or AF_INET6: the addresses' size */
	const char *dst; /* RTA_DST when set */
	uint8_t dst_len;
	uint8_t table;	    /* rtm_table; RT_TABLE_MAIN when 0 */
	uint32_t rta_table; /* RTA_TABLE when != 0 */
	uint8_t rtn;	    /* rtm_type; RTN_UNICAST when 0 */
	uint8_t scope;
	int oif;		    /* RTA_OIF when > 0 */
	const char *gateway;	    /* RTA_GATEWAY when set */
	const struct nlb_hop *hops; /* RTA_MULTIPATH when n_hops > 0 */
	size_t n_hops;
};

/* RTM_NEWROUTE as fib_dump_info() lays it out. */
static inline struct nlmsghdr *nlb_route(struct nlb *b, const struct nlb_route *r)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = r->type ? r->type : RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family ? r->family : AF_INET;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = r->table ? r->table : RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->rtn ? r->rtn : RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->rta_table ? r->rta_table : rtm->rtm_table);
	if (r->dst)
		nlb_put_ip(nlh, RTA_DST, rtm->rtm_family, r->dst);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 100); /* not ours: skipped */
	if (r->gateway)
		nlb_put_ip(nlh, RTA_GATEWAY, rtm->rtm_family, r->gateway);
	if (r->oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
	if (r->n_hops) {
		struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);

		for (size_t i = 0; i < r->n_hops; i++) {
			struct rtnexthop *nh = (struct rtnexthop *)mnl_nlmsg_get_payload_tail(nlh);

			memset(nh, 0, sizeof(*nh));
			nh->rtnh_ifindex = r->hops[i].ifindex;
			nlh->nlmsg_len += RTNH_ALIGN(sizeof(*nh));
			if (r->hops[i].gateway)
				nlb_put_ip(nlh, RTA_GATEWAY, rtm->rtm_family, r->hops[i].gateway);
			nh->rtnh_len = (unsigned short)((uint8_t *)mnl_nlmsg_get_payload_tail(nlh) -
							(uint8_t *)nh);
		}
		mnl_attr_nest_end(nlh, mp);
	}
	return nlh;
}
