/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Netlink messages through every parser and the cache. The input is a
 * stream of messages as the kernel would send them (each header's
 * nlmsg_len says where the next begins; the last takes what is left);
 * NLMSG_NOOP begins a re-dump and NLMSG_DONE ends it. Each message is run
 * from an exact-size copy, so a read past it is an ASan report.
 *
 * Oracle: the parsers return only their documented codes, a route's
 * prefix fits its family and its next hops their array, a port VLAN
 * table comes out as ordered runs inside 1..4094, and the cache's events
 * are a faithful history (the churn test's rule): no LINK_NEW/ADDR_NEW for
 * what is present, no CHANGED/DEL for what is absent, a link's addresses
 * gone before its LINK_DEL, and in the end the events' state is the cache's.
 */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <string.h>

#include "fuzz.h"
#include "netlink-private.h"

/* An address's identity, as the kernel's: compared as bytes. */
struct gnl_addr_key {
	int ifindex;
	uint8_t family;
	uint8_t prefixlen;
	uint8_t addr[16];
};

struct model {
	struct gnl_link *links;
	size_t n_links;
	struct gnl_addr_key *addrs;
	size_t n_addrs;
};

static struct gnl_addr_key key_of(const struct gnl_addr *a)
{
	struct gnl_addr_key k;

	memset(&k, 0, sizeof(k));
	k.ifindex = a->ifindex;
	k.family = a->family;
	k.prefixlen = a->prefixlen;
	memcpy(k.addr, &a->addr, a->family == AF_INET ? 4 : 16);
	return k;
}

static ssize_t link_at(const struct model *m, int ifindex)
{
	for (size_t i = 0; i < m->n_links; i++)
		if (m->links[i].ifindex == ifindex)
			return (ssize_t)i;
	return -1;
}

static ssize_t addr_at(const struct model *m, const struct gnl_addr_key *k)
{
	for (size_t i = 0; i < m->n_addrs; i++)
		if (!memcmp(&m->addrs[i], k, sizeof(*k)))
			return (ssize_t)i;
	return -1;
}

static void apply_event(struct model *m, const struct gnl_event *ev)
{
	ssize_t i;

	switch (ev->type) {
	case GNL_EV_LINK_NEW:
		FUZZ_CHECK(link_at(m, ev->link.ifindex) < 0, "LINK_NEW for present link %d",
			   ev->link.ifindex);
		m->links = realloc(m->links, (m->n_links + 1) * sizeof(*m->links));
		FUZZ_CHECK(m->links, "oom");
		m->links[m->n_links++] = ev->link;
		break;
	case GNL_EV_LINK_CHANGED:
		i = link_at(m, ev->link.ifindex);
		FUZZ_CHECK(i >= 0, "LINK_CHANGED for absent link %d", ev->link.ifindex);
		FUZZ_CHECK(ev->changes != 0, "LINK_CHANGED without a change");
		FUZZ_CHECK(ev->old.ifindex == ev->link.ifindex, "old state of another link");
		m->links[i] = ev->link;
		break;
	case GNL_EV_LINK_DEL:
		i = link_at(m, ev->link.ifindex);
		FUZZ_CHECK(i >= 0, "LINK_DEL for absent link %d", ev->link.ifindex);
		for (size_t k = 0; k < m->n_addrs; k++)
			FUZZ_CHECK(m->addrs[k].ifindex != ev->link.ifindex,
				   "LINK_DEL %d before its ADDR_DELs", ev->link.ifindex);
		m->links[i] = m->links[--m->n_links];
		break;
	case GNL_EV_ADDR_NEW: {
		struct gnl_addr_key k = key_of(&ev->addr);

		FUZZ_CHECK(addr_at(m, &k) < 0, "ADDR_NEW for a present address");
		FUZZ_CHECK(ev->addr.family == AF_INET || ev->addr.family == AF_INET6, "family %u",
			   ev->addr.family);
		m->addrs = realloc(m->addrs, (m->n_addrs + 1) * sizeof(*m->addrs));
		FUZZ_CHECK(m->addrs, "oom");
		m->addrs[m->n_addrs++] = k;
		break;
	}
	case GNL_EV_ADDR_CHANGED:
	case GNL_EV_ADDR_DEL: {
		struct gnl_addr_key k = key_of(&ev->addr);

		i = addr_at(m, &k);
		FUZZ_CHECK(i >= 0, "ADDR_%s for an absent address",
			   ev->type == GNL_EV_ADDR_DEL ? "DEL" : "CHANGED");
		if (ev->type == GNL_EV_ADDR_DEL)
			m->addrs[i] = m->addrs[--m->n_addrs];
		break;
	}
	default:
		FUZZ_CHECK(0, "the cache queued event type %d", ev->type);
	}
}

static void drain(struct gnl_evq *q, struct model *m)
{
	struct gnl_event ev;

	while (gnl_evq_pop(q, &ev) == 0)
		apply_event(m, &ev);
}

static bool code_ok(int r)
{
	return r == 0 || r == -EBADMSG || r == -ENOENT || r == -EAFNOSUPPORT;
}

static void parse_all(const struct nlmsghdr *nlh)
{
	struct gnl_link l;
	struct gnl_addr a;
	struct gnl_fdb f;
	struct gnl_neigh n;
	struct gnl_route rt;
	struct gnl_port_vlans v;
	int r;

	FUZZ_CHECK(code_ok(r = gnl_parse_link(nlh, &l)), "gnl_parse_link: %d", r);
	if (r == 0)
		FUZZ_CHECK(memchr(l.name, '\0', sizeof(l.name)) &&
			       memchr(l.kind_name, '\0', sizeof(l.kind_name)) &&
			       memchr(l.slave_kind_name, '\0', sizeof(l.slave_kind_name)),
			   "an unterminated name");
	if (r == 0)
		FUZZ_CHECK(l.kind < _GNL_KIND_MAX && l.slave_kind < _GNL_KIND_MAX &&
			       (l.kind == GNL_KIND_NONE) == !l.kind_name[0] &&
			       (l.slave_kind == GNL_KIND_NONE) == !l.slave_kind_name[0],
			   "a kind out of range or not its name's: %d %d", l.kind, l.slave_kind);
	FUZZ_CHECK(code_ok(r = gnl_parse_addr(nlh, &a)), "gnl_parse_addr: %d", r);
	if (r == 0)
		FUZZ_CHECK(memchr(a.label, '\0', sizeof(a.label)), "an unterminated label");
	FUZZ_CHECK(code_ok(r = gnl_parse_fdb(nlh, &f)), "gnl_parse_fdb: %d", r);
	FUZZ_CHECK(code_ok(r = gnl_parse_neigh(nlh, &n)), "gnl_parse_neigh: %d", r);
	if (r == 0)
		FUZZ_CHECK(n.family == AF_INET || n.family == AF_INET6, "neighbour family %u",
			   n.family);
	FUZZ_CHECK(code_ok(r = gnl_parse_route(nlh, &rt)), "gnl_parse_route: %d", r);
	if (r == 0)
		FUZZ_CHECK((rt.family == AF_INET || rt.family == AF_INET6) &&
			       rt.dst_len <= (rt.family == AF_INET ? 32 : 128) &&
			       rt.n_nexthops <= GNL_ROUTE_NEXTHOPS_MAX,
			   "route family %u /%u, %zu next hops", rt.family, rt.dst_len,
			   rt.n_nexthops);
	FUZZ_CHECK(code_ok(r = gnl_parse_port_vlans(nlh, &v)), "gnl_parse_port_vlans: %d", r);
	if (r == 0) {
		struct gnl_port_vlan run;
		uint16_t pos = 1, last = 0;

		FUZZ_CHECK(v.pvid <= GNL_VLAN_MAX, "pvid %u", v.pvid);
		while (gnl_port_vlans_next(&v, &pos, &run)) {
			FUZZ_CHECK(run.vid > last && run.vid <= run.vid_end &&
				       run.vid_end <= GNL_VLAN_MAX,
				   "run %u-%u after %u", run.vid, run.vid_end, last);
			last = run.vid_end;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gnl_cache c = GNL_CACHE_INIT;
	struct gnl_evq q = GNL_EVQ_INIT;
	struct model m = { 0 };
	bool syncing = false;
	size_t off = 0;

	while (size - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr hdr, *nlh;
		size_t len;
		int r;

		memcpy(&hdr, data + off, sizeof(hdr));
		len = hdr.nlmsg_len;
		if (len < sizeof(hdr) || len > size - off)
			len = size - off;
		nlh = malloc(len);
		FUZZ_CHECK(nlh, "oom");
		memcpy(nlh, data + off, len);
		nlh->nlmsg_len = (uint32_t)len;
		off += NLMSG_ALIGN(len) < size - off ? NLMSG_ALIGN(len) : size - off;

		/* As netlink.c does: a re-dump begins, and ends at its NLMSG_DONE. */
		if (nlh->nlmsg_type == NLMSG_NOOP && !syncing) {
			gnl_cache_sync_begin(&c);
			syncing = true;
		} else if (nlh->nlmsg_type == NLMSG_DONE && syncing) {
			FUZZ_CHECK(gnl_cache_sync_end(&c, &q) == 0, "sync_end failed");
			syncing = false;
		} else {
			parse_all(nlh);
			r = gnl_cache_apply(&c, nlh, &q);
			FUZZ_CHECK(r == 0 || r == -EBADMSG, "gnl_cache_apply: %d", r);
		}
		free(nlh);
		drain(&q, &m);
	}

	FUZZ_CHECK(m.n_links == gnl_cache_n_links(&c), "events say %zu links, the cache %zu",
		   m.n_links, gnl_cache_n_links(&c));
	FUZZ_CHECK(m.n_addrs == gnl_cache_n_addrs(&c), "events say %zu addresses, the cache %zu",
		   m.n_addrs, gnl_cache_n_addrs(&c));
	for (size_t i = 0; i < m.n_links; i++) {
		const struct gnl_link *l = gnl_cache_link(&c, m.links[i].ifindex);

		FUZZ_CHECK(
		    l && !strcmp(l->name, m.links[i].name) &&
			!memcmp(l->mac, m.links[i].mac, GNL_ALEN) && l->flags == m.links[i].flags,
		    "link %d: the events' last state is not the cache's", m.links[i].ifindex);
	}
	gnl_cache_clear(&c);
	gnl_evq_clear(&q);
	free(m.links);
	free(m.addrs);
	return 0;
}
