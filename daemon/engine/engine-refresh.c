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
 * to its MAC (broadcast when it is not known).
 *
 * What this file owns:
 *  - per link, the neighbour query's state and the last list it brought
 *    (struct engine_refresh_link);
 *  - who gets a refresh: the configured refresh_neighbours, then the
 *    gateways of the main table's routes through the link (even when not in
 *    the neighbour table), then the neighbour-table entries with a usable
 *    MAC that lie in the address's subnet (or, for a /32, in an on-link
 *    prefix of the link that holds it), recently confirmed ones first; never
 *    the address itself nor another address of ours on the link; at most
 *    refresh_neighbours_max per address, the rest counted;
 *  - when: right after the last announcement frame, when a list read since
 *    the sequence started is there; otherwise as soon as it arrives.
 *
 * What it leaves to engine.c: the frames go out through engine_frame_emit(),
 * so the per-interface rate limiter, and the validity check when they leave
 * the bucket and when they are popped (a removal, link down or MAC change
 * bumps the target's generation and drops them). A target held back by a
 * conflict never announces, so never gets here.
 *
 * One query per link at a time: every sequence that starts while one is
 * queued joins it; one that starts after it was handed out asks for the
 * next (`again`), so a failover of a thousand addresses costs two dumps.
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
	struct in_addr ip;
	uint8_t mac[PKT_ETH_ALEN];
	uint8_t flags;
};

struct refresh_prefix {
	uint32_t net; /* host order, masked */
	uint8_t len;
};

struct engine_refresh_link {
	enum refresh_query q;
	bool again;      /* a sequence started after the query in flight was asked for */
	uint64_t q_time; /* the query queued or in flight reads the table after this */
	bool have;
	uint64_t have_time; /* the stored list was read after this */
	struct refresh_nb *nb;
	size_t n_nb;
	struct refresh_prefix *pfx;
	size_t n_pfx;
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

static uint32_t mask(uint8_t len)
{
	return len == 0 ? 0 : len >= 32 ? UINT32_MAX : ~(UINT32_MAX >> len);
}

static bool same_prefix(uint32_t a, uint32_t b, uint8_t len)
{
	return ((a ^ b) & mask(len)) == 0;
}

static struct engine_refresh_link *refresh_get(struct engine *e, struct engine_link *l,
						 uint64_t now)
{
	if (!l->refresh && !(l->refresh = calloc(1, sizeof(*l->refresh))))
		engine_lost(e, now, l->l.ifindex, NULL);
	return l->refresh;
}

void engine_refresh_link_free(struct engine_link *l)
{
	if (!l->refresh)
		return;
	free(l->refresh->nb);
	free(l->refresh->pfx);
	free(l->refresh->wait);
	free(l->refresh);
	l->refresh = NULL;
}

static void query_queue(struct engine *e, struct engine_link *l, struct engine_refresh_link *r,
			uint64_t now)
{
	struct engine_query q = { .kind = ENGINE_QUERY_NEIGHBOURS, .ifindex = l->l.ifindex };

	if (engine_query_push(e, &q) < 0) {
		engine_lost(e, now, l->l.ifindex, NULL);
		return;
	}
	r->q = RQ_QUEUED;
	r->q_time = now;
	r->again = false;
}

void engine_refresh_started(struct engine *e, struct engine_link *l, struct engine_target *t,
			    uint64_t now)
{
	struct engine_refresh_link *r;

	t->refresh_wait = false; /* this sequence refreshes at its own end */
	if (t->addr.family != AF_INET || !l->policy.directed_refresh || !(r = refresh_get(e, l, now)))
		return;
	switch (r->q) {
	case RQ_IDLE:
		query_queue(e, l, r, now);
		break;
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
static bool in_subnet(const struct engine_refresh_link *r, const struct engine_target *t,
		      uint32_t ip)
{
	uint32_t a = ntohl(t->addr.v4.s_addr);

	if (t->a.prefixlen < 32 && same_prefix(ip, a, t->a.prefixlen))
		return true;
	for (size_t i = 0; i < r->n_pfx; i++)
		if (same_prefix(a, r->pfx[i].net, r->pfx[i].len) &&
		    same_prefix(ip, r->pfx[i].net, r->pfx[i].len))
			return true;
	return false;
}

/* One directed refresh per neighbour of @t's link, now. */
static void refresh_send(struct engine *e, struct engine_link *l, struct engine_refresh_link *r,
			 struct engine_target *t, uint64_t now)
{
	struct engine_note n = { .type = ENGINE_NOTE_REFRESHED, .time = now,
				 .ifindex = t->ifindex, .addr = t->addr };
	uint32_t max = l->policy.refresh_neighbours_max;

	for (size_t i = 0; i < r->n_nb; i++) {
		const struct refresh_nb *nb = &r->nb[i];
		const struct engine_target *own;
		struct engine_pending p = {
			.f = { .kind = ENGINE_FRAME_REFRESH, .ifindex = t->ifindex, .addr = t->addr },
			.gen = t->gen,
		};

		struct garp_addr key = garp_addr_v4(nb->ip);

		if (nb->ip.s_addr == t->addr.v4.s_addr)
			continue;
		/* the configured ones and the gateways were named; the table's are filtered */
		if (!(nb->flags & (NB_CONFIGURED | NB_GATEWAY)) &&
		    !in_subnet(r, t, ntohl(nb->ip.s_addr)))
			continue;
		own = engine_target_find(e, t->ifindex, &key);
		if (own && own->configured)
			continue;
		if (n.count >= max) {
			n.capped++;
			continue;
		}
		if (pkt_build_directed_request(&p.f.frame, t->mac, t->addr.v4,
					       (nb->flags & NB_MAC) ? nb->mac : NULL, nb->ip,
					       PKT_VLAN_NONE) < 0)
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
		struct garp_addr *v = cap > SIZE_MAX / sizeof(*v) ? NULL :
				      realloc(r->wait, cap * sizeof(*v));

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
	/* IPv4 only for now: the IPv6 form (a unicast NS with SLLA) is to come */
	if (t->addr.family != AF_INET)
		return;
	if (!l || !l->policy.directed_refresh || !engine_target_can_send(e, t) ||
	    !(r = refresh_get(e, l, now)))
		return;
	t->refresh_gen = t->gen;
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
	uint32_t ip; /* host order, for sorting */
	uint8_t rank;
	uint8_t flags;
	uint8_t mac[PKT_ETH_ALEN];
	size_t idx; /* arrival order, to keep the sort stable */
};

static int cmp_ip(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
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

static bool nb_addr_ok(uint32_t h)
{
	/* unspecified, loopback, multicast, class E and broadcast are nobody's */
	return h != 0 && (h >> 24) != 127 && (h >> 28) < 0xe;
}

/*
 * The list for @l from one answer: candidates from the configuration, the
 * gateways and the table, merged by address (the flags and MAC of every
 * source, the best rank), in rank order.
 */
static int list_build(struct engine_link *l, struct engine_refresh_link *r,
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
		c[n++] = (struct cand){ .ip = ntohl(conf->v[i].s_addr), .rank = RANK_CONFIGURED,
					.flags = NB_CONFIGURED };
	for (size_t i = 0; i < n_hops; i++) {
		const struct gnl_route_hop *h = &hops[i];

		if (h->ifindex != l->l.ifindex)
			continue;
		if (h->has_gateway)
			c[n++] = (struct cand){ .ip = ntohl(h->gateway.s_addr), .rank = RANK_GATEWAY,
						.flags = NB_GATEWAY };
		else if (h->dst_len <= 32)
			pfx[n_pfx++] = (struct refresh_prefix){
				.net = ntohl(h->dst.s_addr) & mask(h->dst_len), .len = h->dst_len };
	}
	for (size_t i = 0; i < n_neigh; i++) {
		const struct gnl_neigh *x = &neigh[i];
		struct cand k;

		if (x->ifindex != l->l.ifindex || !gnl_neigh_usable(x))
			continue;
		k = (struct cand){ .ip = ntohl(x->ip.s_addr), .flags = NB_TABLE | NB_MAC,
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

		for (; j < n && c[j].ip == c[i].ip; j++) {
			if ((c[j].flags & NB_MAC) && !(c[i].flags & NB_MAC))
				memcpy(c[i].mac, c[j].mac, PKT_ETH_ALEN);
			c[i].flags |= c[j].flags;
		}
		if (nb_addr_ok(c[i].ip))
			c[w++] = c[i];
		i = j;
	}
	if (w)
		qsort(c, w, sizeof(*c), cmp_rank);
	for (size_t i = 0; i < w; i++) {
		nb[i] = (struct refresh_nb){ .ip.s_addr = htonl(c[i].ip), .flags = c[i].flags };
		memcpy(nb[i].mac, c[i].mac, PKT_ETH_ALEN);
	}
	free(c);
	free(r->nb);
	free(r->pfx);
	r->nb = nb;
	r->n_nb = w;
	r->pfx = pfx;
	r->n_pfx = n_pfx;
	return 0;
oom:
	free(c);
	free(nb);
	free(pfx);
	return -ENOMEM;
}

/* @t waits for a list: refresh it now if this one serves it. Return: whether it still waits. */
static bool refresh_waiting(struct engine *e, struct engine_link *l, struct engine_refresh_link *r,
			    struct engine_target *t, uint64_t now)
{
	if (t->gen != t->refresh_gen || !engine_target_can_send(e, t) ||
	    !l->policy.directed_refresh) {
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
	if (list_build(l, r, neigh, n_neigh, hops, n_hops) < 0) {
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
