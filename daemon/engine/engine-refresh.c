/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The directed refresh. Pure, like engine.c.
 *
 * Stacks that ignore gratuitous ARP (Windows Vista/7/2008 without the
 * hotfix, routers with hours-long ARP timeouts, Junos for replies) still
 * act on a request addressed to them: RFC 826's merge rule makes the target
 * of a request record the sender's (SPA, SHA) before it answers. So right
 * after an address's last announcement frame, every neighbour garpd knows
 * of on that interface gets "who-has NEIGHBOUR tell ADDRESS" from our MAC,
 * to its MAC (broadcast when it is not known). IPv6 likewise: after an
 * address's last unsolicited NA, a Neighbour Solicitation from the address
 * for the neighbour, with our MAC in its Source Link-Layer Address option,
 * to the neighbour's MAC (its solicited-node group when not known): RFC
 * 4861 §7.2.3 makes the neighbour create or update its entry for the
 * address with our MAC, whatever it does with unsolicited advertisements.
 *
 * What this file owns:
 *  - per link, the neighbour query's state and the last lists it brought,
 *    one per family (struct engine_refresh_link);
 *  - who gets a refresh, of the address's family: the configured
 *    refresh_neighbours, then the gateways of the main table's routes
 *    through the link (even when not in the neighbour table; for IPv6
 *    usually link-local, on-link by definition), then the neighbour-table
 *    entries with a usable MAC that lie in the address's prefix (or, for a
 *    /32 or /128, in an on-link prefix of the link that holds it), recently
 *    confirmed ones first; never the address itself nor another address of
 *    ours on the link; at most refresh_neighbours_max per address, the rest
 *    counted;
 *  - when: right after the last announcement frame, when a list read since
 *    the sequence started is there; otherwise as soon as it arrives.
 *
 * What it leaves to engine-send.c: the frames go out through engine_frame_emit(),
 * so the per-interface rate limiter, and the validity check when they leave
 * the bucket and when they are popped (a removal, link down or MAC change
 * bumps the target's generation and drops them). A target held back by a
 * conflict never announces, so never gets here.
 *
 * One query per link at a time: every sequence that starts while one is
 * queued joins it; one that starts after it was handed out asks for the
 * next (`again`), so a failover of a thousand addresses costs two dumps.
 * And at most one per ENGINE_REFRESH_QUERY_GAP_NS: the first after a
 * quiet gap is queued at once (a failover's refresh is not delayed); one
 * wanted sooner is held until the gap has passed and serves every
 * sequence that started meanwhile. Addresses that arrive one by one, a
 * few milliseconds apart (the kernel adds nodad IPv6 addresses at that
 * pace), each asked for the whole list: now one list per gap serves
 * them, and their refreshes leave up to a gap later. A cancel or a
 * removal while held voids the refresh as before (refresh_waiting()).
 * The configured list is read from the link's current policy
 * (l->policy), never from a target's copy: the list belongs to the
 * configuration, which a reload frees.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

enum refresh_query {
	RQ_IDLE,
	RQ_HELD,   /* wanted, but the last was queued less than the gap ago: queued at `timer` */
	RQ_QUEUED, /* in the engine's query ring, not handed out yet */
	RQ_ASKED,  /* handed out: engine_neighbours() comes */
};

enum {
	NB_MAC = 1u << 0,
	NB_CONFIGURED = 1u << 1,
	NB_GATEWAY = 1u << 2,
	NB_TABLE = 1u << 3, /* a usable neighbour-table entry */
};

/* Ranks, in send order when the cap cuts the list. */
enum {
	RANK_CONFIGURED,
	RANK_GATEWAY,
	RANK_CONFIRMED, /* REACHABLE, DELAY, PROBE, PERMANENT */
	RANK_STALE,
};

struct refresh_nb {
	struct garp_addr ip;
	uint8_t mac[PKT_ETH_ALEN];
	uint8_t flags;
};

struct refresh_prefix {
	struct garp_addr net; /* masked */
	uint8_t len;
};

/* What one answer said of one family. */
struct refresh_list {
	struct refresh_nb *nb; /* in send order */
	size_t n_nb;
	struct refresh_prefix *pfx; /* the on-link prefixes of the link */
	size_t n_pfx;
};

enum { FAM_V4, FAM_V6, FAM_N };

struct engine_refresh_link {
	struct engine_link *l;
	enum refresh_query q;
	bool again;	 /* a sequence started after the query in flight was asked for */
	uint64_t q_time; /* the query queued or in flight reads the table after this */
	bool queued_once;
	uint64_t last_queued;	   /* when the last query was queued (the gap counts from it) */
	struct engine_tnode timer; /* RQ_HELD: when the query is queued */
	bool have;
	uint64_t have_time; /* the stored lists were read after this */
	struct refresh_list fam[FAM_N];
	/*
	 * The targets whose refresh waits for an answer (refresh_wait), by
	 * key: an answer visits these, not every address of the link (a burst
	 * of N addresses asks about once per batch, and walking all N each
	 * time made the burst quadratic). A key may be stale (the target
	 * went, or no longer waits) or listed twice: refresh_wait decides.
	 * wait_all: a key could not be stored, walk the whole link once.
	 */
	struct garp_addr *wait;
	size_t n_wait, cap_wait;
	bool wait_all;
};

static size_t fam_of(uint8_t family)
{
	return family == AF_INET6 ? FAM_V6 : FAM_V4;
}

/* Address bits of @family. */
static uint8_t addr_bits(uint8_t family)
{
	return family == AF_INET6 ? 128 : 32;
}

/* The address's bytes, network order (v4 and v6 share the union's start). */
static const uint8_t *addr_bytes(const struct garp_addr *a)
{
	return (const uint8_t *)&a->v6;
}

/* Whether @a and @b (one family) agree in their first @len bits. */
static bool same_prefix(const struct garp_addr *a, const struct garp_addr *b, uint8_t len)
{
	const uint8_t *x = addr_bytes(a), *y = addr_bytes(b);
	size_t full;

	if (len > addr_bits(a->family))
		len = addr_bits(a->family);
	full = len / 8;
	if (memcmp(x, y, full))
		return false;
	return len % 8 == 0 || ((x[full] ^ y[full]) & (uint8_t)(0xff << (8 - len % 8))) == 0;
}

/* @a with every bit after the first @len cleared. */
static struct garp_addr prefix_of(struct garp_addr a, uint8_t len)
{
	uint8_t *x = (uint8_t *)&a.v6;
	size_t n = addr_bits(a.family) / 8;

	for (size_t i = 0; i < n; i++) {
		if (len >= 8 * (i + 1))
			continue;
		x[i] &= len > 8 * i ? (uint8_t)(0xff << (8 - (len - 8 * i))) : 0;
	}
	return a;
}

static void list_free(struct refresh_list *f)
{
	free(f->nb);
	free(f->pfx);
	*f = (struct refresh_list){ 0 };
}

static struct engine_refresh_link *refresh_get(struct engine *e, struct engine_link *l,
					       uint64_t now)
{
	if (l->refresh)
		return l->refresh;
	if (!(l->refresh = calloc(1, sizeof(*l->refresh)))) {
		engine_lost(e, now, l->l.ifindex, NULL);
		return NULL;
	}
	l->refresh->l = l;
	l->refresh->timer =
	    (struct engine_tnode){ .idx = ENGINE_TNODE_NONE, .type = ENGINE_TNODE_REFRESH };
	return l->refresh;
}

void engine_refresh_link_del(struct engine *e, struct engine_link *l)
{
	if (l->refresh)
		engine_heap_remove(&e->heap, &l->refresh->timer);
}

void engine_refresh_link_free(struct engine_link *l)
{
	if (!l->refresh)
		return;
	for (size_t i = 0; i < FAM_N; i++)
		list_free(&l->refresh->fam[i]);
	free(l->refresh->wait);
	free(l->refresh);
	l->refresh = NULL;
}

static void query_push(struct engine *e, struct engine_link *l, struct engine_refresh_link *r,
		       uint64_t now)
{
	struct engine_query q = { .kind = ENGINE_QUERY_NEIGHBOURS, .ifindex = l->l.ifindex };

	r->again = false;
	if (engine_query_push(e, &q) < 0) {
		r->q = RQ_IDLE;
		engine_lost(e, now, l->l.ifindex, NULL);
		return;
	}
	r->q = RQ_QUEUED;
	r->q_time = now;
	r->queued_once = true;
	r->last_queued = now;
}

/*
 * Ask for the link's lists: at once, unless the last query was queued
 * less than ENGINE_REFRESH_QUERY_GAP_NS ago; then at the end of that gap,
 * for every sequence that started meanwhile (a trickle of addresses, one
 * per wakeup, asks once per gap instead of once per address).
 */
static void query_queue(struct engine *e, struct engine_link *l, struct engine_refresh_link *r,
			uint64_t now)
{
	uint64_t at = r->last_queued + ENGINE_REFRESH_QUERY_GAP_NS;

	if (!r->queued_once || at <= now) {
		query_push(e, l, r, now);
		return;
	}
	if (engine_heap_arm(&e->heap, &r->timer, at) < 0) {
		query_push(e, l, r, now); /* no room for the timer: ask now rather than never */
		return;
	}
	r->q = RQ_HELD;
	r->again = false;
}

void engine_refresh_timer(struct engine *e, struct engine_tnode *n, uint64_t now)
{
	struct engine_refresh_link *r = container_of(n, struct engine_refresh_link, timer);

	if (r->q == RQ_HELD)
		query_push(e, r->l, r, now);
}

void engine_refresh_started(struct engine *e, struct engine_link *l, struct engine_target *t,
			    uint64_t now)
{
	struct engine_refresh_link *r;

	t->refresh_wait = false; /* this sequence refreshes at its own end */
	if (!l->policy.directed_refresh || !(r = refresh_get(e, l, now)))
		return;
	switch (r->q) {
	case RQ_IDLE:
		query_queue(e, l, r, now);
		break;
	case RQ_HELD:
		break; /* queued later: the kernel reads the table after now */
	case RQ_QUEUED:
		/* not asked yet: the kernel reads the table after now */
		r->q_time = now;
		break;
	case RQ_ASKED:
		if (r->q_time < now)
			r->again = true;
		break;
	}
}

void engine_refresh_asked(struct engine *e, int ifindex)
{
	struct engine_link *l = engine_link_find(e, ifindex);

	if (l && l->refresh && l->refresh->q == RQ_QUEUED)
		l->refresh->q = RQ_ASKED;
}

/* Whether a neighbour-table entry at @ip is on @t's segment (see the top). */
static bool in_subnet(const struct refresh_list *f, const struct engine_target *t,
		      const struct garp_addr *ip)
{
	if (t->a.prefixlen < addr_bits(t->addr.family) && same_prefix(ip, &t->addr, t->a.prefixlen))
		return true;
	for (size_t i = 0; i < f->n_pfx; i++)
		if (same_prefix(&t->addr, &f->pfx[i].net, f->pfx[i].len) &&
		    same_prefix(ip, &f->pfx[i].net, f->pfx[i].len))
			return true;
	return false;
}

/* The frame for neighbour @nb of @t: an ARP request, or for IPv6 a unicast NS. */
static int refresh_build(struct pkt_frame *ret, const struct engine_target *t,
			 const struct refresh_nb *nb)
{
	const uint8_t *mac = (nb->flags & NB_MAC) ? nb->mac : NULL;

	if (t->addr.family == AF_INET6)
		return pkt_build_directed_ns(ret, t->seq->mac, &t->addr.v6, mac, &nb->ip.v6,
					     PKT_VLAN_NONE);
	return pkt_build_directed_request(ret, t->seq->mac, t->addr.v4, mac, nb->ip.v4,
					  PKT_VLAN_NONE);
}

/* One directed refresh per neighbour of @t's link, now. */
static void refresh_send(struct engine *e, struct engine_link *l, struct engine_refresh_link *r,
			 struct engine_target *t, uint64_t now)
{
	struct engine_note n = {
		.type = ENGINE_NOTE_REFRESHED, .time = now, .ifindex = t->ifindex, .addr = t->addr
	};
	const struct refresh_list *f = &r->fam[fam_of(t->addr.family)];
	uint32_t max = l->policy.refresh_neighbours_max;

	for (size_t i = 0; i < f->n_nb; i++) {
		const struct refresh_nb *nb = &f->nb[i];
		const struct engine_target *own;
		struct engine_pending p = {
			.f = { .kind = ENGINE_FRAME_REFRESH,
			       .ifindex = t->ifindex,
			       .addr = t->addr },
			.gen = t->gen,
		};

		if (garp_addr_eq(&nb->ip, &t->addr))
			continue;
		/* the configured ones and the gateways were named; the table's are filtered */
		if (!(nb->flags & (NB_CONFIGURED | NB_GATEWAY)) && !in_subnet(f, t, &nb->ip))
			continue;
		own = engine_target_find(e, t->ifindex, &nb->ip);
		if (own && own->configured)
			continue;
		if (n.count >= max) {
			n.capped++;
			continue;
		}
		if (refresh_build(&p.f.frame, t, nb) < 0)
			continue;
		engine_frame_emit(e, now, &p, t);
		n.count++;
	}
	e->counters.refresh_capped += n.capped;
	/* nobody to refresh: no note (a hundred thousand addresses would make as many) */
	if (n.count || n.capped)
		engine_note_push(e, &n);
}

static void wait_add(struct engine_refresh_link *r, const struct engine_target *t)
{
	if (r->wait_all)
		return;
	if (r->n_wait == r->cap_wait) {
		size_t cap = r->cap_wait ? 2 * r->cap_wait : 16;
		struct garp_addr *v =
		    cap > SIZE_MAX / sizeof(*v) ? NULL : realloc(r->wait, cap * sizeof(*v));

		if (!v) {
			r->wait_all = true; /* no memory: the next answer walks the link */
			return;
		}
		r->wait = v;
		r->cap_wait = cap;
	}
	r->wait[r->n_wait++] = t->addr;
}

void engine_refresh_announced(struct engine *e, struct engine_target *t, uint64_t now)
{
	struct engine_link *l = engine_link_find(e, t->ifindex);
	struct engine_refresh_link *r;

	t->refresh_wait = false;
	if (!l || !l->policy.directed_refresh || !engine_target_can_send(e, t) ||
	    !(r = refresh_get(e, l, now)))
		return;
	t->refresh_void = false;
	if (r->have && r->have_time >= t->last_started) {
		refresh_send(e, l, r, t, now);
		return;
	}
	if (!t->refresh_wait)
		wait_add(r, t);
	t->refresh_wait = true;
	if (r->q == RQ_IDLE)
		query_queue(e, l, r, now);
	else if (r->q == RQ_ASKED && r->q_time < t->last_started)
		r->again = true;
}

/* ---- the answer --------------------------------------------------------- */

struct cand {
	struct garp_addr ip;
	uint8_t rank;
	uint8_t flags;
	uint8_t mac[PKT_ETH_ALEN];
	size_t idx; /* arrival order, to keep the sort stable */
};

static int cmp_ip(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = garp_addr_cmp(&x->ip, &y->ip);

	if (c)
		return c;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_rank(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static bool nb_addr_ok(const struct garp_addr *a)
{
	if (a->family == AF_INET) {
		uint32_t h = ntohl(a->v4.s_addr);

		/* unspecified, loopback, multicast, class E and broadcast are nobody's */
		return h != 0 && (h >> 24) != 127 && (h >> 28) < 0xe;
	}
	/* link-local is fine (routers); unspecified, loopback, multicast, v4-mapped are not */
	return a->family == AF_INET6 && !IN6_IS_ADDR_UNSPECIFIED(&a->v6) &&
	       !IN6_IS_ADDR_LOOPBACK(&a->v6) && !IN6_IS_ADDR_MULTICAST(&a->v6) &&
	       !IN6_IS_ADDR_V4MAPPED(&a->v6);
}

static struct garp_addr neigh_addr(const struct gnl_neigh *x)
{
	return x->family == AF_INET6 ? garp_addr_v6(&x->ip6) : garp_addr_v4(x->ip);
}

/*
 * The list of one @family for @l from one answer: candidates from the
 * configuration, the gateways and the table, merged by address (the flags
 * and MAC of every source, the best rank), in rank order.
 */
static int list_build(struct engine_link *l, struct refresh_list *ret, uint8_t family,
		      const struct gnl_neigh *neigh, size_t n_neigh,
		      const struct gnl_route_hop *hops, size_t n_hops)
{
	const struct cfg_addr_list *conf = &l->policy.refresh_neighbours;
	size_t n = 0, cap = (size_t)conf->n + n_neigh + n_hops, n_pfx = 0, w = 0;
	struct cand *c = NULL;
	struct refresh_prefix *pfx = NULL;
	struct refresh_nb *nb = NULL;

	if (cap) {
		c = malloc(cap * sizeof(*c));
		nb = malloc(cap * sizeof(*nb));
		if (!c || !nb)
			goto oom;
	}
	if (n_hops && !(pfx = malloc(n_hops * sizeof(*pfx))))
		goto oom;
	for (uint32_t i = 0; i < conf->n; i++)
		if (conf->v[i].family == family)
			c[n++] = (struct cand){ .ip = conf->v[i],
						.rank = RANK_CONFIGURED,
						.flags = NB_CONFIGURED };
	for (size_t i = 0; i < n_hops; i++) {
		const struct gnl_route_hop *h = &hops[i];

		if (h->ifindex != l->l.ifindex || h->family != family)
			continue;
		if (h->has_gateway)
			c[n++] =
			    (struct cand){ .ip = family == AF_INET6 ? garp_addr_v6(&h->gateway6)
								    : garp_addr_v4(h->gateway),
					   .rank = RANK_GATEWAY,
					   .flags = NB_GATEWAY };
		else if (h->dst_len <= addr_bits(family))
			pfx[n_pfx++] =
			    (struct refresh_prefix){ .net = prefix_of(family == AF_INET6
									  ? garp_addr_v6(&h->dst6)
									  : garp_addr_v4(h->dst),
								      h->dst_len),
						     .len = h->dst_len };
	}
	for (size_t i = 0; i < n_neigh; i++) {
		const struct gnl_neigh *x = &neigh[i];
		struct cand k;

		if (x->ifindex != l->l.ifindex || x->family != family || !gnl_neigh_usable(x))
			continue;
		k = (struct cand){ .ip = neigh_addr(x),
				   .flags = NB_TABLE | NB_MAC,
				   .rank = (x->state & NUD_STALE) ? RANK_STALE : RANK_CONFIRMED };
		memcpy(k.mac, x->mac, PKT_ETH_ALEN);
		c[n++] = k;
	}
	for (size_t i = 0; i < n; i++)
		c[i].idx = i;
	if (n)
		qsort(c, n, sizeof(*c), cmp_ip);
	/* merge equal addresses into the first (best-ranked) one */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		for (; j < n && garp_addr_eq(&c[j].ip, &c[i].ip); j++) {
			if ((c[j].flags & NB_MAC) && !(c[i].flags & NB_MAC))
				memcpy(c[i].mac, c[j].mac, PKT_ETH_ALEN);
			c[i].flags |= c[j].flags;
		}
		if (nb_addr_ok(&c[i].ip))
			c[w++] = c[i];
		i = j;
	}
	if (w)
		qsort(c, w, sizeof(*c), cmp_rank);
	for (size_t i = 0; i < w; i++) {
		nb[i] = (struct refresh_nb){ .ip = c[i].ip, .flags = c[i].flags };
		memcpy(nb[i].mac, c[i].mac, PKT_ETH_ALEN);
	}
	free(c);
	list_free(ret);
	*ret = (struct refresh_list){ .nb = nb, .n_nb = w, .pfx = pfx, .n_pfx = n_pfx };
	return 0;
oom:
	free(c);
	free(nb);
	free(pfx);
	return -ENOMEM;
}

/* Both families' lists from one answer; on failure the old ones stay. */
static int lists_build(struct engine_link *l, struct engine_refresh_link *r,
		       const struct gnl_neigh *neigh, size_t n_neigh,
		       const struct gnl_route_hop *hops, size_t n_hops)
{
	struct refresh_list v4 = { 0 }, v6 = { 0 };

	if (list_build(l, &v4, AF_INET, neigh, n_neigh, hops, n_hops) < 0)
		return -ENOMEM;
	if (list_build(l, &v6, AF_INET6, neigh, n_neigh, hops, n_hops) < 0) {
		list_free(&v4);
		return -ENOMEM;
	}
	list_free(&r->fam[FAM_V4]);
	list_free(&r->fam[FAM_V6]);
	r->fam[FAM_V4] = v4;
	r->fam[FAM_V6] = v6;
	return 0;
}

/* @t waits for a list: refresh it now if this one serves it. Return: whether it still waits. */
static bool refresh_waiting(struct engine *e, struct engine_link *l, struct engine_refresh_link *r,
			    struct engine_target *t, uint64_t now)
{
	if (t->refresh_void || !engine_target_can_send(e, t) || !l->policy.directed_refresh) {
		t->refresh_wait = false; /* cancelled since it was announced */
		return false;
	}
	if (!r->have || r->have_time < t->last_started) {
		/* read before this sequence began: the next answer serves it */
		if (r->q == RQ_IDLE)
			query_queue(e, l, r, now);
		return true;
	}
	t->refresh_wait = false;
	refresh_send(e, l, r, t, now);
	return false;
}

void engine_neighbours(struct engine *e, uint64_t now, int ifindex, const struct gnl_neigh *neigh,
		       size_t n_neigh, const struct gnl_route_hop *hops, size_t n_hops)
{
	struct engine_link *l = engine_link_find(e, ifindex);
	struct engine_refresh_link *r = l ? l->refresh : NULL;

	if (!r || r->q != RQ_ASKED)
		goto out; /* not ours: the link went away and came back since */
	r->q = RQ_IDLE;
	if (lists_build(l, r, neigh, n_neigh, hops, n_hops) < 0) {
		/* out of memory: the configured ones at least, by the old list if any */
		engine_lost(e, now, ifindex, NULL);
		if (!r->have)
			goto again;
	}
	r->have = true;
	r->have_time = r->q_time;
again:
	if (r->again)
		query_queue(e, l, r, now);
	if (r->wait_all) {
		/* some keys were not stored: every waiting target of the link, once */
		r->wait_all = false;
		r->n_wait = 0;
		for (struct engine_target *t = l->targets; t; t = t->lnext)
			if (t->refresh_wait && refresh_waiting(e, l, r, t, now))
				wait_add(r, t);
	} else {
		size_t w = 0, n = r->n_wait;

		/* keys added while this runs (none today) land after n and are kept */
		for (size_t i = 0; i < n; i++) {
			struct engine_target *t = engine_target_find(e, ifindex, &r->wait[i]);

			if (t && t->refresh_wait && refresh_waiting(e, l, r, t, now))
				r->wait[w++] = r->wait[i];
		}
		if (r->n_wait > n)
			memmove(r->wait + w, r->wait + n, (r->n_wait - n) * sizeof(*r->wait));
		r->n_wait = w + (r->n_wait - n);
	}
out:
	engine_run(e, now);
}
