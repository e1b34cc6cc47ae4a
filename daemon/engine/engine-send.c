/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The announcement engine. Pure: no clocks, no sockets, no logging.
 *
 * Targets are (ifindex, family, address) triples, each with one state machine
 * and one timer in a min-heap. Links carry the policy and a token bucket
 * whose FIFO delays frames without reordering them. Every frame is checked
 * again when it leaves the bucket and when it is popped, so a frame for an
 * address that is no longer configured, or a link that is down, never
 * gets out (DESIGN.md: announcing an address we no longer own poisons
 * every cache on the segment).
 */

#include <assert.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

static const uint8_t mac_zero[PKT_ETH_ALEN];

/* ---- small helpers ---------------------------------------------------- */

static uint64_t rng_next(struct engine *e)
{
	/* splitmix64: tiny, seedable, good enough for timing jitter */
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint64_t rng_range(struct engine *e, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	if (hi - lo == UINT64_MAX)
		return rng_next(e);
	return lo + rng_next(e) % (hi - lo + 1);
}

/* ---- rings ------------------------------------------------------------ */

void engine_ring_init(struct engine_ring *r, size_t esz)
{
	*r = (struct engine_ring){ .esz = esz };
}

void engine_ring_free(struct engine_ring *r)
{
	free(r->v);
	r->v = NULL;
	r->head = r->n = r->cap = 0;
}

static void *ring_at(const struct engine_ring *r, size_t i)
{
	return (char *)r->v + ((r->head + i) % r->cap) * r->esz;
}

int engine_ring_push(struct engine_ring *r, const void *elem)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		char *v = malloc(cap * r->esz);

		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < r->n; i++)
			memcpy(v + i * r->esz, ring_at(r, i), r->esz);
		free(r->v);
		r->v = v;
		r->cap = cap;
		r->head = 0;
	}
	memcpy(ring_at(r, r->n), elem, r->esz);
	r->n++;
	return 0;
}

void *engine_ring_peek(const struct engine_ring *r)
{
	return r->n ? ring_at(r, 0) : NULL;
}

int engine_ring_pop(struct engine_ring *r, void *ret)
{
	if (!r->n)
		return -EAGAIN;
	if (ret)
		memcpy(ret, ring_at(r, 0), r->esz);
	r->head = (r->head + 1) % r->cap;
	r->n--;
	return 0;
}

/* ---- timer heap ------------------------------------------------------- */

static bool tnode_before(const struct engine_tnode *a, const struct engine_tnode *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_set(struct engine_heap *h, size_t i, struct engine_tnode *n)
{
	h->v[i] = n;
	n->idx = i;
}

static void heap_up(struct engine_heap *h, size_t i)
{
	struct engine_tnode *n = h->v[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!tnode_before(n, h->v[p]))
			break;
		heap_set(h, i, h->v[p]);
		i = p;
	}
	heap_set(h, i, n);
}

static void heap_down(struct engine_heap *h, size_t i)
{
	struct engine_tnode *n = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && tnode_before(h->v[c + 1], h->v[c]))
			c++;
		if (!tnode_before(h->v[c], n))
			break;
		heap_set(h, i, h->v[c]);
		i = c;
	}
	heap_set(h, i, n);
}

void engine_heap_remove(struct engine_heap *h, struct engine_tnode *n)
{
	size_t i = n->idx;
	struct engine_tnode *m;

	if (i == ENGINE_TNODE_NONE)
		return;
	assert(i < h->n && h->v[i] == n);
	n->idx = ENGINE_TNODE_NONE;
	h->n--;
	if (i == h->n)
		return;
	/* the last node fills the hole and moves whichever way it must */
	m = h->v[h->n];
	heap_set(h, i, m);
	heap_up(h, i);
	heap_down(h, m->idx);
}

/* Arms (or re-arms) @n for @when; ENGINE_NO_DEADLINE disarms. */
int engine_heap_arm(struct engine_heap *h, struct engine_tnode *n, uint64_t when)
{
	if (when == ENGINE_NO_DEADLINE) {
		engine_heap_remove(h, n);
		return 0;
	}
	if (n->idx != ENGINE_TNODE_NONE) {
		n->when = when;
		n->seq = ++h->seq;
		heap_up(h, n->idx);
		heap_down(h, n->idx);
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct engine_tnode **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	n->when = when;
	n->seq = ++h->seq;
	h->v[h->n] = n;
	n->idx = h->n++;
	heap_up(h, n->idx);
	return 0;
}

/* ---- notes, counters, conflicts --------------------------------------- */

void engine_note_push(struct engine *e, const struct engine_note *n)
{
	if (e->notes.n >= ENGINE_NOTES_MAX || engine_ring_push(&e->notes, n) < 0)
		e->counters.notes_dropped++;
}

void engine_note_target(struct engine *e, enum engine_note_type type, uint64_t now,
			const struct engine_target *t)
{
	struct engine_note n = { .type = type, .time = now, .ifindex = t->ifindex, .addr = t->addr };

	engine_note_push(e, &n);
}

/* The one way an input drops work for want of memory (engine.h, "No silent loss"). */
void engine_lost(struct engine *e, uint64_t now, int ifindex, const struct garp_addr *addr)
{
	struct engine_note n = { .type = ENGINE_NOTE_LOST, .time = now, .ifindex = ifindex };

	if (addr)
		n.addr = *addr;
	e->counters.lost++;
	engine_note_push(e, &n);
}

/* ---- links ------------------------------------------------------------ */

struct engine_link *engine_link_find(const struct engine *e, int ifindex)
{
	struct engine_link *l;

	if (ifindex <= 0 || !e->lhash_size)
		return NULL;
	for (l = e->lhash[engine_hash64((uint64_t)ifindex) & (e->lhash_size - 1)]; l; l = l->hnext)
		if (l->l.ifindex == ifindex)
			return l;
	return NULL;
}

int engine_link_hash_grow(struct engine *e)
{
	size_t size = e->lhash_size ? e->lhash_size * 2 : 64;
	struct engine_link **h = calloc(size, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (struct engine_link *l = e->links; l; l = l->next) {
		size_t b = engine_hash64((uint64_t)l->l.ifindex) & (size - 1);

		l->hnext = h[b];
		h[b] = l;
	}
	free(e->lhash);
	e->lhash = h;
	e->lhash_size = size;
	return 0;
}

static void link_policy_lookup(const struct engine *e, struct engine_link *l)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;

	if (e->has_policy)
		e->policy.get(e->policy.userdata, l->l.name, &p);
	l->policy = p;
	/* a lower rate must not leave a larger burst behind */
	if (p.max_frames_per_second && l->credit > (uint64_t)p.max_frames_per_second * ENGINE_NSEC)
		l->credit = (uint64_t)p.max_frames_per_second * ENGINE_NSEC;
}

struct engine_link *engine_link_get(struct engine *e, int ifindex)
{
	struct engine_link *l = engine_link_find(e, ifindex);
	size_t b;

	if (l)
		return l;
	if (ifindex <= 0)
		return NULL;
	if (e->n_links + 1 > e->lhash_size && engine_link_hash_grow(e) < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->l.ifindex = ifindex;
	l->timer = (struct engine_tnode){ .idx = ENGINE_TNODE_NONE, .type = ENGINE_TNODE_LINK };
	engine_ring_init(&l->fifo, sizeof(struct engine_pending));
	l->policy = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	l->credit = (uint64_t)l->policy.max_frames_per_second * ENGINE_NSEC;
	b = engine_hash64((uint64_t)ifindex) & (e->lhash_size - 1);
	l->hnext = e->lhash[b];
	e->lhash[b] = l;
	l->next = e->links;
	if (e->links)
		e->links->prev = l;
	e->links = l;
	e->n_links++;
	return l;
}

bool engine_link_sendable(const struct engine_link *l)
{
	return l && l->known && gnl_link_is_oper_up(&l->l);
}

static bool link_is_bond_slave(const struct engine *e, const struct engine_link *l)
{
	const struct engine_link *m;

	if (l->l.slave_kind == GNL_KIND_BOND)
		return true;
	m = engine_link_find(e, l->l.master);
	return m && m->known && m->l.kind == GNL_KIND_BOND;
}

bool engine_link_is_eligible(const struct engine *e, const struct engine_link *l)
{
	if (!l || !l->known)
		return false;
	if (l->l.type != ARPHRD_ETHER || l->l.mac_len != PKT_ETH_ALEN)
		return false;
	if (l->l.flags & (IFF_LOOPBACK | IFF_NOARP))
		return false;
	if (l->policy.ignore)
		return false;
	/* a bond's slave carries the bond's addresses' traffic; the bond announces them */
	return !link_is_bond_slave(e, l);
}

bool engine_link_can_send(const struct engine *e, const struct engine_link *l)
{
	return engine_link_is_eligible(e, l) && engine_link_sendable(l);
}

/* ---- targets ---------------------------------------------------------- */

/* The key of a gnl_addr: its family and address. */
static struct garp_addr addr_key(const struct gnl_addr *a)
{
	return a->family == AF_INET6 ? garp_addr_v6(&a->addr.v6) : garp_addr_v4(a->addr.v4);
}

static size_t target_bucket(const struct engine *e, int ifindex, const struct garp_addr *addr)
{
	uint64_t k = (uint64_t)(uint32_t)ifindex << 32;

	/* IPv4 keys hash as they always did; others fold their bytes in */
	if (addr->family == AF_INET)
		k |= addr->v4.s_addr;
	else
		k ^= garp_addr_hash(addr);
	return engine_hash64(k) & (e->thash_size - 1);
}

struct engine_target *engine_target_find(const struct engine *e, int ifindex,
					 const struct garp_addr *addr)
{
	if (!e->thash_size)
		return NULL;
	for (struct engine_target *t = e->thash[target_bucket(e, ifindex, addr)]; t; t = t->hnext)
		if (t->ifindex == ifindex && garp_addr_eq(&t->addr, addr))
			return t;
	return NULL;
}

int engine_target_hash_grow(struct engine *e)
{
	size_t size = e->thash_size ? e->thash_size * 2 : 256;
	struct engine_target **h = calloc(size, sizeof(*h));
	struct engine_target **old = e->thash;
	size_t old_size = e->thash_size;

	if (!h)
		return -ENOMEM;
	e->thash = h;
	e->thash_size = size;
	for (size_t i = 0; i < old_size; i++) {
		struct engine_target *t = old[i], *next;

		for (; t; t = next) {
			size_t b = target_bucket(e, t->ifindex, &t->addr);

			next = t->hnext;
			t->hnext = h[b];
			h[b] = t;
		}
	}
	free(old);
	return 0;
}

static bool target_is_v6(const struct engine_target *t)
{
	return t->addr.family == AF_INET6;
}

/* fe80::/10: advertised only when its MAC binding changes (MAC change, bond failover). */
bool engine_target_is_link_local(const struct engine_target *t)
{
	return target_is_v6(t) && t->addr.v6.s6_addr[0] == 0xfe &&
	       (t->addr.v6.s6_addr[1] & 0xc0) == 0x80;
}

/*
 * The address itself may be announced: not host-scope, not unspecified;
 * IPv6 also not multicast and usable (RFC 4862 §5.4: never while
 * tentative; RFC 4429 §3.3: never Override for an optimistic address;
 * never after DAD failed).
 */
static bool target_addr_eligible(const struct engine_target *t)
{
	if (t->a.scope == RT_SCOPE_HOST || garp_addr_is_unspecified(&t->addr))
		return false;
	if (t->addr.family == AF_INET)
		return true;
	if (t->addr.family != AF_INET6 || t->addr.v6.s6_addr[0] == 0xff)
		return false;
	return !(t->a.flags & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_DADFAILED));
}

static bool target_family_on(const struct engine_link *l, const struct engine_target *t)
{
	return target_is_v6(t) ? l->policy.ipv6 : l->policy.ipv4;
}

bool engine_target_can_send(const struct engine *e, const struct engine_target *t)
{
	const struct engine_link *l;

	if (!t->configured || !target_addr_eligible(t))
		return false;
	l = engine_link_find(e, t->ifindex);
	return engine_link_can_send(e, l) && target_family_on(l, t);
}

static bool target_in_flight(const struct engine_target *t)
{
	return engine_tstate_running(t->state) != ENGINE_ACTION_NONE;
}

/* Whether a frame from another host claiming @t's address is a conflict now (RFC 5227 §2.1.1). */
bool engine_target_listens(const struct engine_target *t)
{
	return t->state == ENGINE_TS_PROBING || t->state == ENGINE_TS_WAITING;
}

/*
 * What @t queued so far is void: frames carry the generation they were
 * built in, and one from another is dropped when it leaves the token
 * bucket or is popped.
 */
static void target_void_queued(struct engine *e, struct engine_target *t)
{
	t->gen = ++e->gen;
}

/* target_set()'s deadline: a time, none, or the one already armed. */
struct tdeadline {
	uint64_t when;
	bool keep;
};

static struct tdeadline deadline_at(uint64_t when)
{
	return (struct tdeadline){ .when = when };
}

#define DEADLINE_NONE deadline_at(ENGINE_NO_DEADLINE)
#define DEADLINE_KEEP ((struct tdeadline){ .keep = true })

/*
 * The one place a target's condition changes: its state, what it waits to
 * start, and its deadline (OpenBSD dhcpleased's state_transition()). The
 * probing count behind engine_wants_arp()/_nd() follows the state.
 */
static void target_set(struct engine *e, struct engine_target *t, enum engine_tstate state,
		       enum engine_action want, struct tdeadline d)
{
	size_t v6 = target_is_v6(t);

	assert(state < _ENGINE_TS_MAX);
	if (engine_tstate_probing(t->state) && !engine_tstate_probing(state)) {
		e->n_probing--;
		e->n_probing_v6 -= v6;
	} else if (!engine_tstate_probing(t->state) && engine_tstate_probing(state)) {
		e->n_probing++;
		e->n_probing_v6 += v6;
	}
	t->state = state;
	t->want = want;
	t->configured = state != ENGINE_TS_REMOVED;
	if (!d.keep && engine_heap_arm(&e->heap, &t->timer, d.when) < 0) {
		/* out of memory for the heap: do not leave a half-run sequence around */
		if (engine_tstate_probing(t->state)) {
			e->n_probing--;
			e->n_probing_v6 -= v6;
		}
		t->state = ENGINE_TS_CANCELLED;
		/* the note's time is when the lost step was due (never the far future here) */
		engine_lost(e, d.when, t->ifindex, &t->addr);
	}
}

/* @t waits, in its state, to start @kind too: when it can send, or the hold-down ends. */
static void target_want(struct engine *e, struct engine_target *t, enum engine_action kind)
{
	target_set(e, t, t->state, engine_action_max(t->want, kind), DEADLINE_KEEP);
}

/* What @t waited to start, handed to the caller, who triggers it now. */
enum engine_action engine_target_take_want(struct engine *e, struct engine_target *t)
{
	enum engine_action k = t->want;

	target_set(e, t, t->state, ENGINE_ACTION_NONE, DEADLINE_KEEP);
	return k;
}

static struct engine_target *target_new(struct engine *e, const struct gnl_addr *a)
{
	struct engine_link *l = engine_link_get(e, a->ifindex);
	struct engine_target *t;
	size_t b;

	if (!l)
		return NULL;
	if (e->n_targets + 1 > e->thash_size && engine_target_hash_grow(e) < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ifindex = a->ifindex;
	t->addr = addr_key(a);
	t->a = *a;
	/* not configured until engine_addr() says so */
	t->state = ENGINE_TS_REMOVED;
	t->timer = (struct engine_tnode){ .idx = ENGINE_TNODE_NONE, .type = ENGINE_TNODE_TARGET };
	b = target_bucket(e, t->ifindex, &t->addr);
	t->hnext = e->thash[b];
	e->thash[b] = t;
	t->lnext = l->targets;
	if (l->targets)
		l->targets->lprev = t;
	l->targets = t;
	e->n_targets++;
	return t;
}

void engine_target_free(struct engine *e, struct engine_target *t)
{
	struct engine_link *l = engine_link_find(e, t->ifindex);
	struct engine_target **p;

	target_set(e, t, ENGINE_TS_REMOVED, ENGINE_ACTION_NONE, DEADLINE_NONE);
	for (p = &e->thash[target_bucket(e, t->ifindex, &t->addr)]; *p; p = &(*p)->hnext)
		if (*p == t) {
			*p = t->hnext;
			break;
		}
	if (t->lprev)
		t->lprev->lnext = t->lnext;
	else if (l)
		l->targets = t->lnext;
	if (t->lnext)
		t->lnext->lprev = t->lprev;
	e->n_targets--;
	free(t);
}

/* ---- frames out: token bucket, FIFO, output queue --------------------- */

/* Whether a queued frame may still go out; *ret_target for address frames. */
static bool pending_valid(const struct engine *e, const struct engine_pending *p,
			  struct engine_target **ret_target)
{
	struct engine_target *t;

	*ret_target = NULL;
	if (p->f.kind == ENGINE_FRAME_RELEARN)
		return engine_link_sendable(engine_link_find(e, p->f.ifindex));
	t = engine_target_find(e, p->f.ifindex, &p->f.addr);
	if (!t || t->gen != p->gen || !engine_target_can_send(e, t))
		return false;
	*ret_target = t;
	return true;
}

/*
 * Queues @p for the wire if it is still valid. @t is the frame's target when
 * the caller holds it (a frame built this instant), which spares a hash
 * lookup per frame; NULL looks it up (frames that waited in a FIFO).
 */
static void out_push(struct engine *e, uint64_t now, const struct engine_pending *p,
		     struct engine_target *t)
{
	if (t) {
		if (t->gen != p->gen || !engine_target_can_send(e, t))
			return;
	} else if (!pending_valid(e, p, &t)) {
		return;
	}
	if (engine_ring_push(&e->out, p) < 0) {
		engine_lost(e, now, p->f.ifindex, p->f.addr.family ? &p->f.addr : NULL);
		return;
	}
	if (t && p->f.kind != ENGINE_FRAME_PROBE && p->f.kind != ENGINE_FRAME_NS_PROBE)
		t->last_frame_at = now + 1;
	if (p->last && t) {
		t->last_announced = now;
		engine_note_target(e, ENGINE_NOTE_ANNOUNCED, now, t);
	}
}

static void bucket_refill(struct engine_link *l, uint64_t now)
{
	uint64_t rate = l->policy.max_frames_per_second;
	uint64_t full = rate * ENGINE_NSEC;
	uint64_t dt = now > l->credit_time ? now - l->credit_time : 0;

	l->credit_time = now;
	if (dt >= ENGINE_NSEC || l->credit >= full || full - l->credit <= dt * rate)
		l->credit = full;
	else
		l->credit += dt * rate;
}

static uint64_t bucket_wait(const struct engine_link *l)
{
	uint64_t rate = l->policy.max_frames_per_second;

	if (!rate || l->credit >= ENGINE_NSEC)
		return 0;
	return (ENGINE_NSEC - l->credit + rate - 1) / rate;
}

/* No timer for @l's FIFO (out of memory): its frames would wait forever. */
static void link_fifo_lost(struct engine *e, struct engine_link *l, uint64_t now)
{
	struct engine_pending p;

	while (engine_ring_pop(&l->fifo, &p) == 0)
		engine_lost(e, now, p.f.ifindex, p.f.addr.family ? &p.f.addr : NULL);
}

/* Releases what the bucket allows at @now, in order. */
void engine_link_release(struct engine *e, struct engine_link *l, uint64_t now)
{
	struct engine_pending *p;
	struct engine_target *t;

	if (l->policy.max_frames_per_second)
		bucket_refill(l, now);
	while ((p = engine_ring_peek(&l->fifo))) {
		if (!pending_valid(e, p, &t)) {
			engine_ring_pop(&l->fifo, NULL);
			continue;
		}
		if (l->policy.max_frames_per_second) {
			if (l->credit < ENGINE_NSEC)
				break;
			l->credit -= ENGINE_NSEC;
		}
		out_push(e, now, p, t);
		engine_ring_pop(&l->fifo, NULL);
	}
	if (l->fifo.n && engine_heap_arm(&e->heap, &l->timer, now + bucket_wait(l)) < 0)
		link_fifo_lost(e, l, now);
	else if (!l->fifo.n)
		engine_heap_remove(&e->heap, &l->timer);
}

/*
 * Sends @p out of its link, now or, when the bucket is empty, later and in
 * order. @t: its target, held by the caller; NULL for relearn frames.
 */
void engine_frame_emit(struct engine *e, uint64_t now, const struct engine_pending *p,
		       struct engine_target *t)
{
	struct engine_link *l = engine_link_find(e, p->f.ifindex);

	if (!l)
		return;
	if (now < e->now)
		now = e->now; /* the bucket counts when frames really leave */
	if (!l->policy.max_frames_per_second && !l->fifo.n) {
		out_push(e, now, p, t);
		return;
	}
	if (l->policy.max_frames_per_second)
		bucket_refill(l, now);
	if (!l->fifo.n && (!l->policy.max_frames_per_second || l->credit >= ENGINE_NSEC)) {
		if (l->policy.max_frames_per_second)
			l->credit -= ENGINE_NSEC;
		out_push(e, now, p, t);
		return;
	}
	if (engine_ring_push(&l->fifo, p) < 0) {
		engine_lost(e, now, p->f.ifindex, p->f.addr.family ? &p->f.addr : NULL);
		return;
	}
	e->counters.rate_limited++;
	if (l->timer.idx == ENGINE_TNODE_NONE &&
	    engine_heap_arm(&e->heap, &l->timer, now + bucket_wait(l)) < 0)
		link_fifo_lost(e, l, now);
}

void engine_target_emit(struct engine *e, uint64_t now, struct engine_target *t,
			enum engine_frame_kind kind, bool last)
{
	struct engine_pending p = {
		.f = { .kind = kind, .ifindex = t->ifindex, .addr = t->addr },
		.gen = t->gen,
		.last = last,
	};
	int r;

	switch (kind) {
	case ENGINE_FRAME_PROBE:
		r = pkt_build_probe(&p.f.frame, t->mac, t->addr.v4, PKT_VLAN_NONE);
		break;
	case ENGINE_FRAME_ANNOUNCE_REQUEST:
		r = pkt_build_announce_request(&p.f.frame, t->mac, t->addr.v4,
					       t->seq.target_mac == CFG_THA_ZERO ? PKT_THA_ZERO
										 : PKT_THA_BROADCAST,
					       PKT_VLAN_NONE);
		break;
	case ENGINE_FRAME_ANNOUNCE_REPLY:
		r = pkt_build_announce_reply(&p.f.frame, t->mac, t->addr.v4, PKT_VLAN_NONE);
		break;
	case ENGINE_FRAME_NS_PROBE:
		r = pkt_build_dad_ns(&p.f.frame, t->mac, &t->addr.v6, t->nonce, PKT_VLAN_NONE);
		break;
	case ENGINE_FRAME_NA:
		r = pkt_build_na(&p.f.frame, t->mac, &t->addr.v6, t->router, PKT_VLAN_NONE);
		break;
	default:
		r = -EINVAL;
	}
	if (r >= 0)
		engine_frame_emit(e, now, &p, t);
}

/* ---- the state machine ------------------------------------------------ */

static uint64_t probe_interval(struct engine *e, const struct engine_target *t)
{
	/* RFC 5227 §2.1.1: PROBE_MIN..PROBE_MAX apart when jitter is configured */
	if (t->seq.probe_max_ns > t->seq.probe_interval_ns)
		return rng_range(e, t->seq.probe_interval_ns, t->seq.probe_max_ns);
	return t->seq.probe_interval_ns;
}

static void target_done(struct engine *e, struct engine_target *t, uint64_t due)
{
	if (!t->seq.announcements)
		engine_note_target(e, ENGINE_NOTE_ANNOUNCED, due, t);
	target_set(e, t, ENGINE_TS_DONE, t->want,
		   t->seq.refresh_interval_ns
		       ? deadline_at(engine_add_sat(due, t->seq.refresh_interval_ns))
		       : DEADLINE_NONE);
}

/*
 * Whether @kind with policy @seq starts with probes for @t. IPv6: the
 * kernel's DAD already checked the address, unless it was added with
 * nodad: then garpd probes itself, as for ARP.
 */
static bool target_would_probe(const struct engine_target *t, const struct cfg_sequence *seq,
			       enum engine_action kind)
{
	return kind == ENGINE_ACTION_SEQUENCE && seq->probes &&
	       (!target_is_v6(t) || (t->a.flags & IFA_F_NODAD));
}

/*
 * Starts @kind for @t now, with the link's policy and MAC. @covered: it
 * replaces, in this instant, a sequence whose announcement was already
 * handed out; its first announcement step, due in this same instant, is
 * satisfied by that frame (one announcement per instant; the probes run).
 */
static void target_start(struct engine *e, struct engine_target *t, enum engine_action kind,
			 uint64_t now, bool covered)
{
	struct engine_link *l = engine_link_find(e, t->ifindex);
	struct engine_note n = { .type = ENGINE_NOTE_STARTED, .time = now,
				 .ifindex = t->ifindex, .addr = t->addr };

	bool probe;

	assert(l && kind != ENGINE_ACTION_NONE);
	t->seq = l->policy;
	memcpy(t->mac, l->l.mac, PKT_ETH_ALEN);
	probe = target_would_probe(t, &t->seq, kind);
	if (target_is_v6(t)) {
		uint64_t r = rng_next(e);

		memcpy(t->nonce, &r, sizeof(t->nonce));
		t->router = e->policy.ipv6_router &&
			    e->policy.ipv6_router(e->policy.userdata, t->ifindex, l->l.name);
	}
	t->sent = 0;
	t->has_started = true;
	t->last_started = now;
	t->covered_at = covered ? now + 1 : 0;
	/* a sequence without probes is an announcement: what a duplicate would be */
	t->started_kind = kind == ENGINE_ACTION_SEQUENCE && !probe ? ENGINE_ACTION_ANNOUNCE : kind;
	e->counters.sequences++;
	engine_refresh_started(e, l, t, now);
	if (probe) {
		n.probes = t->seq.probes;
		t->total = t->seq.probes;
		engine_note_push(e, &n);
		/* RFC 5227 §2.1.1: wait PROBE_WAIT (random) before the first probe */
		target_set(e, t, ENGINE_TS_PROBING, ENGINE_ACTION_NONE,
			   deadline_at(now + (t->seq.probe_wait_ns ? rng_range(e, 0, t->seq.probe_wait_ns)
								   : 0)));
	} else {
		t->total = t->seq.announcements;
		engine_note_push(e, &n);
		target_set(e, t,
			   kind == ENGINE_ACTION_SEQUENCE ? ENGINE_TS_SEQ_ANNOUNCING : ENGINE_TS_ANNOUNCING,
			   ENGINE_ACTION_NONE, deadline_at(now));
	}
}

/* Stops what is in flight; remembers it in want for a later restart. */
bool engine_target_cancel(struct engine *e, struct engine_target *t,
			  enum engine_cancel_reason reason, uint64_t now)
{
	struct engine_note n = { .type = ENGINE_NOTE_CANCELLED, .time = now,
				 .ifindex = t->ifindex, .addr = t->addr, .reason = reason };

	target_void_queued(e, t);
	/* withdrawn: a new trigger is no duplicate */
	t->started_kind = ENGINE_ACTION_NONE;
	t->sent_at = 0;
	if (!target_in_flight(t))
		return false;
	target_set(e, t, ENGINE_TS_CANCELLED,
		   engine_action_max(t->want, engine_tstate_running(t->state)), DEADLINE_NONE);
	e->counters.cancellations++;
	engine_note_push(e, &n);
	return true;
}

/*
 * A trigger for @t. Starts @kind now if the target can send, restarting a
 * sequence in flight only when @kind asks for more; otherwise remembers it.
 * Return: 1 when a sequence started.
 */
static int target_trigger_any(struct engine *e, struct engine_target *t, enum engine_action kind,
			      uint64_t now)
{
	bool covered = false;

	if (kind == ENGINE_ACTION_NONE || t->state == ENGINE_TS_REMOVED)
		return 0;
	/* another host defended the address: probe again before any announcement */
	if (t->state == ENGINE_TS_CONFLICT)
		kind = ENGINE_ACTION_SEQUENCE;
	if (t->state == ENGINE_TS_HELD_DOWN || !engine_target_can_send(e, t)) {
		target_want(e, t, kind);
		return 0;
	}
	if (target_in_flight(t)) {
		const struct engine_link *l = engine_link_find(e, t->ifindex);

		if (engine_action_rank(kind) <= engine_action_rank(engine_tstate_running(t->state)))
			return 0;
		/*
		 * A sequence that will not probe (no probes configured, or an
		 * IPv6 address the kernel's DAD checked) is an announcement:
		 * one that started, or sent an announcement, at this very
		 * instant is not sent again.
		 */
		if (((t->has_started && t->last_started == now) || t->last_frame_at == now + 1) &&
		    l && !target_would_probe(t, &l->policy, kind))
			return 0;
		target_void_queued(e, t); /* what the lesser sequence queued is superseded */
		covered = t->sent_at == now + 1;
	} else if (t->started_kind != ENGINE_ACTION_NONE &&
		   ((t->has_started && t->last_started == now) || t->last_announced == now)) {
		/*
		 * Triggers that coincide coalesce: a sequence that started, or
		 * announced, at this very instant is not sent again (a MAC
		 * change and a failover reported for one switch; a request
		 * right as a sequence ends); a more thorough one replaces it,
		 * and what it queued is dropped.
		 */
		const struct engine_link *l = engine_link_find(e, t->ifindex);
		bool probes = l && target_would_probe(t, &l->policy, kind);

		if (engine_action_rank(probes ? ENGINE_ACTION_SEQUENCE : ENGINE_ACTION_ANNOUNCE) <=
		    engine_action_rank(t->started_kind))
			return 0;
		target_void_queued(e, t);
		covered = t->sent_at == now + 1;
	}
	/*
	 * What was not handed out yet went with the old generation; an
	 * announcement that already left in this instant covers the new
	 * sequence's first one if that falls in this instant too.
	 */
	target_start(e, t, kind, now, covered);
	return 1;
}

/*
 * A trigger that does not move the address's MAC binding (a new address,
 * carrier up, the refresh timer, announce everything): IPv6 link-local
 * addresses sit it out, so a booting host or a carrier flap does not
 * flood the segment with an NA for every interface's fe80:: address
 * nobody has cached yet.
 */
static int target_trigger(struct engine *e, struct engine_target *t, enum engine_action kind,
			  uint64_t now)
{
	if (engine_target_is_link_local(t))
		return 0;
	return target_trigger_any(e, t, kind, now);
}

/* A trigger that moves the MAC binding (MAC change, bond failover) or names the address. */
int engine_target_trigger_rebind(struct engine *e, struct engine_target *t, enum engine_action kind,
				 uint64_t now)
{
	return target_trigger_any(e, t, kind, now);
}

static void target_step_announce(struct engine *e, struct engine_target *t, uint64_t due)
{
	bool last = t->sent + 1 >= t->total;

	if (!t->sent && t->covered_at == due + 1) {
		/* satisfied by the announcement the replaced sequence sent this instant */
		if (last && t->last_announced != due) {
			t->last_announced = due;
			engine_note_target(e, ENGINE_NOTE_ANNOUNCED, due, t);
		}
	} else if (target_is_v6(t)) {
		engine_target_emit(e, due, t, ENGINE_FRAME_NA, last);
	} else {
		if (t->seq.frames != CFG_FRAMES_REPLY)
			engine_target_emit(e, due, t, ENGINE_FRAME_ANNOUNCE_REQUEST,
					   last && t->seq.frames == CFG_FRAMES_REQUEST);
		if (t->seq.frames != CFG_FRAMES_REQUEST)
			engine_target_emit(e, due, t, ENGINE_FRAME_ANNOUNCE_REPLY, last);
	}
	if (last)
		engine_refresh_announced(e, t, due);
	t->sent++;
	if (!last)
		target_set(e, t, t->state, t->want,
			   deadline_at(engine_add_sat(due, t->seq.announce_interval_ns)));
	else
		target_done(e, t, due);
}

void engine_target_timer(struct engine *e, struct engine_target *t, uint64_t due)
{
	enum engine_action k;

	switch (t->state) {
	case ENGINE_TS_REMOVED:
		/* the hold-down of a removed address is over */
		engine_target_free(e, t);
		return;
	case ENGINE_TS_HELD_DOWN:
		/* the hold-down is over: whatever is configured now gets its sequence */
		k = t->want;
		target_set(e, t, ENGINE_TS_IDLE, ENGINE_ACTION_NONE, DEADLINE_NONE);
		target_trigger(e, t, k, due);
		return;
	case ENGINE_TS_PROBING:
		engine_target_emit(e, due, t,
				   target_is_v6(t) ? ENGINE_FRAME_NS_PROBE : ENGINE_FRAME_PROBE, false);
		t->last_probe = due;
		t->sent++;
		if (t->sent < t->total)
			target_set(e, t, ENGINE_TS_PROBING, t->want,
				   deadline_at(engine_add_sat(due, probe_interval(e, t))));
		else if (t->seq.announcements)
			target_set(e, t, ENGINE_TS_WAITING, t->want,
				   deadline_at(engine_add_sat(due, t->seq.announce_delay_ns)));
		else
			target_done(e, t, due);
		return;
	case ENGINE_TS_WAITING:
	case ENGINE_TS_DEFENDED:
		t->sent = 0;
		t->total = t->seq.announcements;
		target_set(e, t, ENGINE_TS_SEQ_ANNOUNCING, t->want, DEADLINE_NONE);
		/* fall through */
	case ENGINE_TS_ANNOUNCING:
	case ENGINE_TS_SEQ_ANNOUNCING:
		if (!t->total) {
			target_done(e, t, due);
			return;
		}
		target_step_announce(e, t, due);
		return;
	case ENGINE_TS_DONE:
		/* periodic refresh: the announcement only */
		target_set(e, t, ENGINE_TS_DONE, t->want, DEADLINE_NONE);
		target_trigger(e, t, ENGINE_ACTION_ANNOUNCE, due);
		return;
	case ENGINE_TS_IDLE:
	case ENGINE_TS_CONFLICT:
	case ENGINE_TS_CANCELLED:
	case _ENGINE_TS_MAX:
		break;
	}
}

/* ---- conflicts -------------------------------------------------------- */

static void conflict_record(struct engine *e, const struct engine_target *t, const uint8_t *mac,
			    bool kernel_dad, uint64_t now)
{
	struct engine_conflict *c = &e->conflicts[e->conflicts_next];
	struct engine_note n = { .type = ENGINE_NOTE_CONFLICT, .time = now,
				 .ifindex = t->ifindex, .addr = t->addr, .kernel_dad = kernel_dad };

	*c = (struct engine_conflict){ .ifindex = t->ifindex, .addr = t->addr, .time = now,
				       .kernel_dad = kernel_dad };
	memcpy(c->mac, mac, PKT_ETH_ALEN);
	e->conflicts_next = (e->conflicts_next + 1) % ENGINE_CONFLICTS_KEPT;
	if (e->n_conflicts < ENGINE_CONFLICTS_KEPT)
		e->n_conflicts++;
	e->counters.conflicts++;
	memcpy(n.mac, mac, PKT_ETH_ALEN);
	engine_note_push(e, &n);
}

/*
 * The kernel's DAD failed for an IPv6 address: another node has it. A
 * conflict, and the address is never advertised (it is not usable either:
 * target_addr_eligible() refuses IFA_F_DADFAILED).
 */
static void target_dad_failed(struct engine *e, struct engine_target *t, uint64_t now)
{
	conflict_record(e, t, mac_zero, true, now);
	e->counters.dad_failures++;
	target_void_queued(e, t);
	target_set(e, t, ENGINE_TS_CONFLICT, ENGINE_ACTION_NONE, DEADLINE_NONE);
}

/* New flags (or lifetimes) for an address we know: DAD finished, failed, or restarted. */
static void target_addr_update(struct engine *e, struct engine_target *t,
			       const struct gnl_addr *a, uint64_t now)
{
	bool was = target_addr_eligible(t), failed = t->a.flags & IFA_F_DADFAILED;

	t->a = *a;
	if (target_is_v6(t) && !failed && (a->flags & IFA_F_DADFAILED)) {
		engine_target_cancel(e, t, ENGINE_CANCEL_NOT_ELIGIBLE, now);
		target_dad_failed(e, t, now);
	} else if (was && !target_addr_eligible(t)) {
		/* tentative again (the link came back and DAD runs again): wait for it */
		engine_target_cancel(e, t, ENGINE_CANCEL_NOT_ELIGIBLE, now);
	} else if (!was && target_addr_eligible(t)) {
		/* DAD finished: what waited for the address starts now */
		engine_target_trigger_rebind(e, t, engine_target_take_want(e, t), now);
	}
}

void engine_target_conflict(struct engine *e, struct engine_target *t, const uint8_t *mac,
			    uint64_t now)
{
	conflict_record(e, t, mac, false, now);

	if (t->seq.on_conflict == CFG_CONFLICT_ABORT) {
		target_void_queued(e, t); /* queued probes are moot too */
		target_set(e, t, ENGINE_TS_CONFLICT, t->want, DEADLINE_NONE);
		return;
	}
	/* on_conflict = announce: stop probing, announce when the last probe's pause ends */
	if (t->state == ENGINE_TS_PROBING) {
		uint64_t when =
		    t->sent ? engine_add_sat(t->last_probe, t->seq.announce_delay_ns) : now;

		target_set(e, t, ENGINE_TS_DEFENDED, t->want, deadline_at(when > now ? when : now));
	} else {
		/* in the pause already: it ends as it would have */
		target_set(e, t, ENGINE_TS_DEFENDED, t->want, DEADLINE_KEEP);
	}
}

/* ---- inputs ----------------------------------------------------------- */

int engine_new(struct engine **ret, const struct engine_policy_source *policy, uint64_t seed)
{
	struct engine *e;

	assert(ret);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (policy && policy->get) {
		e->policy = *policy;
		e->has_policy = true;
	}
	e->rng = seed;
	engine_ring_init(&e->out, sizeof(struct engine_pending));
	engine_ring_init(&e->notes, sizeof(struct engine_note));
	engine_ring_init(&e->queries, sizeof(struct engine_query));
	if (engine_link_hash_grow(e) < 0 || engine_target_hash_grow(e) < 0) {
		engine_free(e);
		return -ENOMEM;
	}
	*ret = e;
	return 0;
}

void engine_free(struct engine *e)
{
	struct engine_link *l, *next;

	if (!e)
		return;
	for (size_t i = 0; i < e->thash_size; i++) {
		struct engine_target *t = e->thash[i], *tn;

		for (; t; t = tn) {
			tn = t->hnext;
			free(t);
		}
	}
	for (l = e->links; l; l = next) {
		next = l->next;
		engine_ring_free(&l->fifo);
		engine_refresh_link_free(l);
		free(l);
	}
	free(e->thash);
	free(e->lhash);
	free(e->heap.v);
	engine_ring_free(&e->out);
	engine_ring_free(&e->notes);
	engine_ring_free(&e->queries);
	free(e->relearns);
	free(e);
}

void engine_reload_policy(struct engine *e)
{
	for (struct engine_link *l = e->links; l; l = l->next)
		if (l->known)
			link_policy_lookup(e, l);
}

void engine_run(struct engine *e, uint64_t now)
{
	if (now > e->now)
		e->now = now;
	/*
	 * What is due runs at @now, the next step counted from @now: after a
	 * late run (the machine stalled) a sequence's missed steps are not
	 * sent in one burst, its frames keep their spacing on the wire, and
	 * the token bucket counts the time they really leave.
	 */
	while (e->heap.n && e->heap.v[0]->when <= now) {
		struct engine_tnode *n = e->heap.v[0];

		engine_heap_remove(&e->heap, n);
		if (n->type == ENGINE_TNODE_TARGET)
			engine_target_timer(e, container_of(n, struct engine_target, timer), now);
		else
			engine_link_release(e, container_of(n, struct engine_link, timer), now);
	}
}

static bool kind_is_stacked(enum gnl_kind kind)
{
	return kind == GNL_KIND_VLAN || kind == GNL_KIND_MACVLAN || kind == GNL_KIND_MACVTAP ||
	       kind == GNL_KIND_IPVLAN;
}

static int stack_push(struct engine_link ***v, size_t *n, size_t *cap, struct engine_link *l)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct engine_link **nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = l;
	return 0;
}

static void relearn_queue(struct engine *e, const struct engine_relearn *r, uint64_t now)
{
	struct engine_query q = { .bridge = r->bridge };

	for (size_t i = 0; i < e->n_relearns; i++)
		if (e->relearns[i].bridge == r->bridge) {
			bool asked = e->relearns[i].asked;

			/*
			 * One relearn per bridge: a query not yet handed out serves
			 * this failover too. One already handed out is answered
			 * with the FDB as it was before the failover, or never: ask
			 * again, the first answer serves and a second finds nothing.
			 */
			e->relearns[i] = *r;
			if (asked && engine_ring_push(&e->queries, &q) < 0) {
				e->relearns[i].asked = true;
				engine_lost(e, now, r->bond, NULL);
			}
			return;
		}
	if (e->n_relearns == e->cap_relearns) {
		size_t cap = e->cap_relearns ? e->cap_relearns * 2 : 4;
		struct engine_relearn *v = realloc(e->relearns, cap * sizeof(*v));

		if (!v) {
			engine_lost(e, now, r->bond, NULL);
			return;
		}
		e->relearns = v;
		e->cap_relearns = cap;
	}
	if (engine_ring_push(&e->queries, &q) < 0) {
		engine_lost(e, now, r->bond, NULL);
		return;
	}
	e->relearns[e->n_relearns++] = *r;
}

/*
 * A bond switched its active slave: the switches learned our MACs on the
 * old port. Announce on the bond and everything stacked on it, and ask for
 * the FDB of every bridge above it, so the guests' MACs get relearned too
 * (the kernel does not pass the failover up to a bridge).
 */
void engine_bond_failover(struct engine *e, struct engine_link *bond, uint64_t now)
{
	struct engine_link **v = NULL;
	size_t n = 0, cap = 0;
	struct engine_note note = { .type = ENGINE_NOTE_FAILOVER, .time = now,
				    .ifindex = bond->l.ifindex, .slave = bond->l.bond_active_slave };

	engine_note_push(e, &note);
	if (stack_push(&v, &n, &cap, bond) < 0)
		goto oom;
	/* breadth first over "above": the bridge it is a port of, VLANs/macvlans on it */
	for (size_t i = 0; i < n && n < 64 * ENGINE_STACK_DEPTH; i++) {
		struct engine_link *x = v[i], *m = engine_link_find(e, x->l.master);

		if (m && m->known && m->l.kind == GNL_KIND_BRIDGE && !engine_links_have(v, n, m) &&
		    stack_push(&v, &n, &cap, m) < 0)
			goto oom;
		for (struct engine_link *y = e->links; y; y = y->next) {
			if (!y->known || y->l.link != x->l.ifindex || y == x ||
			    !kind_is_stacked(y->l.kind) || engine_links_have(v, n, y))
				continue;
			if (stack_push(&v, &n, &cap, y) < 0)
				goto oom;
		}
	}

	for (size_t i = 0; i < n; i++) {
		if (!engine_link_can_send(e, v[i]))
			continue;
		for (struct engine_target *t = v[i]->targets; t; t = t->lnext)
			engine_target_trigger_rebind(e, t, ENGINE_ACTION_ANNOUNCE, now);
	}

	if (!bond->policy.relearn_guests)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct engine_relearn r = { .bridge = v[i]->l.ifindex, .bond = bond->l.ifindex };

		if (v[i]->l.kind != GNL_KIND_BRIDGE)
			continue;
		for (size_t k = 0; k < n && r.n_ports < ENGINE_STACK_DEPTH; k++)
			if (v[k]->l.master == r.bridge) {
				if (!r.n_ports)
					r.out = v[k]->l.ifindex;
				r.ports[r.n_ports++] = v[k]->l.ifindex;
			}
		if (r.n_ports)
			relearn_queue(e, &r, now);
	}
out:
	free(v);
	return;
oom:
	engine_lost(e, now, bond->l.ifindex, NULL);
	goto out;
}

void engine_link(struct engine *e, uint64_t now, const struct gnl_link *link,
		 unsigned int changes)
{
	struct engine_link *l;
	struct gnl_link old;
	bool is_new, old_ok, new_ok, mac_changed, failover;

	assert(e && link);
	l = engine_link_get(e, link->ifindex);
	if (!l) {
		if (link->ifindex > 0)
			engine_lost(e, now, link->ifindex, NULL);
		return;
	}
	is_new = !l->known;
	old = l->l;
	old_ok = engine_link_can_send(e, l);
	l->l = *link;
	l->known = true;
	if (is_new || strcmp(old.name, link->name))
		link_policy_lookup(e, l);
	new_ok = engine_link_can_send(e, l);
	mac_changed = !is_new && !engine_mac_eq(old.mac, link->mac);

	if (!new_ok) {
		enum engine_cancel_reason reason = engine_link_is_eligible(e, l)
						       ? ENGINE_CANCEL_LINK_DOWN
						       : ENGINE_CANCEL_NOT_ELIGIBLE;

		for (struct engine_target *t = l->targets; t; t = t->lnext)
			engine_target_cancel(e, t, reason, now);
	} else if (!old_ok) {
		/* carrier up (or eligible again): on_link_up, plus what was waiting for it */
		for (struct engine_target *t = l->targets; t; t = t->lnext) {
			enum engine_action k;

			/*
			 * A sequence can still be in flight here (another link's
			 * change, e.g. its master becoming a bond, made this one
			 * ineligible): with a new MAC it must not go on with the old.
			 */
			if (mac_changed)
				engine_target_cancel(e, t, ENGINE_CANCEL_MAC_CHANGED, now);
			k = engine_target_take_want(e, t);
			/* link-local: only what a MAC change or failover left waiting */
			if (!is_new && !engine_target_is_link_local(t))
				k = engine_action_max(engine_action_from_cfg(l->policy.on_link_up), k);
			engine_target_trigger_rebind(e, t, k, now);
		}
	} else if (mac_changed) {
		for (struct engine_target *t = l->targets; t; t = t->lnext) {
			enum engine_action k = engine_action_from_cfg(l->policy.on_mac_change);

			/* frames with the old MAC must not go out: restart with the new one */
			if (engine_target_cancel(e, t, ENGINE_CANCEL_MAC_CHANGED, now))
				k = engine_action_max(k, engine_target_take_want(e, t));
			engine_target_trigger_rebind(e, t, k, now);
		}
	}

	failover = link->kind == GNL_KIND_BOND &&
		   ((changes & (GNL_CHANGE_FAILOVER | GNL_CHANGE_ACTIVE_SLAVE)) ||
		    (!is_new && old.bond_active_slave != link->bond_active_slave)) &&
		   (link->bond_active_slave || (changes & GNL_CHANGE_FAILOVER));
	if (!is_new && old.bond_active_slave != link->bond_active_slave)
		l->failover_handled = false; /* another switch */
	if (failover && l->failover_slave == link->bond_active_slave && l->failover_at == now + 1)
		l->failover_handled = true; /* back, in the same instant, to the slave just handled */
	if (failover && l->failover_handled && l->failover_slave == link->bond_active_slave)
		failover = false; /* the same switch, reported again: one failover */
	if (failover && engine_link_sendable(l) && !l->policy.ignore &&
	    l->policy.on_bond_failover != CFG_ACTION_NONE) {
		l->failover_handled = true;
		l->failover_slave = link->bond_active_slave;
		l->failover_at = now + 1;
		engine_bond_failover(e, l, now);
	}

	engine_run(e, now);
}

void engine_link_del(struct engine *e, uint64_t now, int ifindex)
{
	struct engine_link *l = engine_link_find(e, ifindex), **p;

	if (!l)
		goto out;
	while (l->targets) {
		engine_target_cancel(e, l->targets, ENGINE_CANCEL_LINK_REMOVED, now);
		engine_target_free(e, l->targets);
	}
	engine_heap_remove(&e->heap, &l->timer);
	for (p = &e->lhash[engine_hash64((uint64_t)ifindex) & (e->lhash_size - 1)]; *p;
	     p = &(*p)->hnext)
		if (*p == l) {
			*p = l->hnext;
			break;
		}
	if (l->prev)
		l->prev->next = l->next;
	else
		e->links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	e->n_links--;
	engine_ring_free(&l->fifo);
	engine_refresh_link_free(l);
	free(l);
out:
	engine_run(e, now);
}

void engine_addr(struct engine *e, uint64_t now, const struct gnl_addr *addr, bool is_new)
{
	struct engine_target *t;
	struct engine_link *l;
	struct garp_addr key;
	uint64_t end;

	assert(e && addr);
	if ((addr->family != AF_INET && addr->family != AF_INET6) || addr->ifindex <= 0)
		goto out;
	key = addr_key(addr);
	t = engine_target_find(e, addr->ifindex, &key);
	if (t && t->configured) {
		/* a lifetime or flag update of an address we know: no restart, but DAD news */
		target_addr_update(e, t, addr, now);
		goto out;
	}
	if (!t) {
		t = target_new(e, addr);
		if (!t) {
			engine_lost(e, now, addr->ifindex, &key);
			goto out;
		}
	}
	t->a = *addr;
	target_void_queued(e, t);
	if (!is_new) {
		/*
		 * There before us: announce_on_start decides. But an IPv6 address
		 * still in DAD appears, for everyone else, when DAD finishes.
		 */
		bool dad = target_is_v6(t) && !engine_target_is_link_local(t) &&
			   (addr->flags & IFA_F_TENTATIVE) && !(addr->flags & IFA_F_DADFAILED);

		target_set(e, t, ENGINE_TS_IDLE, dad ? ENGINE_ACTION_SEQUENCE : ENGINE_ACTION_NONE,
			   DEADLINE_NONE);
		goto out;
	}
	if (target_is_v6(t) && (addr->flags & IFA_F_DADFAILED)) {
		target_dad_failed(e, t, now);
		goto out;
	}
	l = engine_link_find(e, t->ifindex);
	end = t->has_started && l ? engine_add_sat(t->last_started, l->policy.hold_down_ns) : 0;
	if (end > now) {
		/* flapping: one sequence per hold-down, for whatever is configured at its end */
		struct engine_note n = { .type = ENGINE_NOTE_DEFERRED, .time = now,
					 .ifindex = t->ifindex, .addr = t->addr, .when = end };

		target_set(e, t, ENGINE_TS_HELD_DOWN, ENGINE_ACTION_SEQUENCE, deadline_at(end));
		engine_note_push(e, &n);
		goto out;
	}
	target_set(e, t, ENGINE_TS_IDLE, ENGINE_ACTION_NONE, DEADLINE_NONE);
	target_trigger(e, t, ENGINE_ACTION_SEQUENCE, now);
out:
	engine_run(e, now);
}

void engine_addr_del(struct engine *e, uint64_t now, const struct gnl_addr *addr)
{
	struct engine_target *t;
	struct engine_link *l;
	struct garp_addr key;
	uint64_t end;

	assert(e && addr);
	if (addr->family != AF_INET && addr->family != AF_INET6)
		goto out;
	key = addr_key(addr);
	t = engine_target_find(e, addr->ifindex, &key);
	if (!t || !t->configured)
		goto out;
	engine_target_cancel(e, t, ENGINE_CANCEL_ADDR_REMOVED, now);
	l = engine_link_find(e, t->ifindex);
	end = t->has_started && l ? engine_add_sat(t->last_started, l->policy.hold_down_ns) : 0;
	if (end > now)
		/* kept until the hold-down ends, so a quick re-add is held down */
		target_set(e, t, ENGINE_TS_REMOVED, ENGINE_ACTION_NONE, deadline_at(end));
	else
		engine_target_free(e, t);
out:
	engine_run(e, now);
}

/*
 * @ifindex and every master above it, at most ENGINE_STACK_DEPTH, into
 * @chain. An unbound packet socket sees a frame on a bridge port and again
 * on the bridge: a received frame counts for targets on any of them.
 */
static size_t link_chain_up(struct engine *e, int ifindex,
			    const struct engine_link *chain[ENGINE_STACK_DEPTH])
{
	size_t n = 0;

	for (const struct engine_link *l = engine_link_find(e, ifindex);
	     l && n < ENGINE_STACK_DEPTH; l = engine_link_find(e, l->l.master)) {
		if (engine_links_have((struct engine_link *const *)chain, n, l))
			break;
		chain[n++] = l;
	}
	return n;
}

void engine_arp(struct engine *e, uint64_t now, int ifindex, const struct pkt_arp *arp)
{
	const struct engine_link *chain[ENGINE_STACK_DEPTH];
	size_t n = 0;
	bool probe;

	assert(e && arp);
	if (!engine_wants_arp(e))
		goto out;
	n = link_chain_up(e, ifindex, chain);
	probe = pkt_is_probe(arp);
	for (size_t i = 0; i < n; i++) {
		struct garp_addr cand[2] = { garp_addr_v4(arp->spa), garp_addr_v4(arp->tpa) };

		for (size_t c = 0; c < 2; c++) {
			struct engine_target *t;
			bool own = false;

			if (garp_addr_is_unspecified(&cand[c]) || (c == 1 && !probe))
				continue;
			t = engine_target_find(e, chain[i]->l.ifindex, &cand[c]);
			if (!t || !engine_target_listens(t))
				continue;
			/* our own MACs never conflict: the target's, and every link the frame climbed */
			for (size_t k = 0; k < n && !own; k++)
				own = engine_mac_eq(chain[k]->l.mac, arp->sha) ||
				      engine_mac_eq(chain[k]->l.mac, arp->eth_src);
			own = own || engine_mac_eq(t->mac, arp->sha) ||
			      engine_mac_eq(t->mac, arp->eth_src);
			if (own)
				continue;
			/*
			 * RFC 5227 §2.1.1: while probing, any ARP with SPA = our
			 * address, or a probe (SPA 0) for it from another host.
			 */
			engine_target_conflict(e, t, arp->sha, now);
		}
	}
out:
	engine_run(e, now);
}

void engine_nd(struct engine *e, uint64_t now, int ifindex, const struct pkt_nd *nd)
{
	const struct engine_link *chain[ENGINE_STACK_DEPTH];
	struct garp_addr key;
	size_t n = 0;

	assert(e && nd);
	if (!engine_wants_nd(e))
		goto out;
	n = link_chain_up(e, ifindex, chain);
	key = garp_addr_v6(&nd->target);
	for (size_t i = 0; i < n; i++) {
		struct engine_target *t = engine_target_find(e, chain[i]->l.ifindex, &key);
		bool own = false;

		if (!t || !engine_target_listens(t))
			continue;
		for (size_t k = 0; k < n && !own; k++)
			own = engine_mac_eq(chain[k]->l.mac, nd->eth_src) ||
			      (nd->has_lladdr && engine_mac_eq(chain[k]->l.mac, nd->lladdr));
		own = own || engine_mac_eq(t->mac, nd->eth_src) ||
		      (nd->has_lladdr && engine_mac_eq(t->mac, nd->lladdr));
		if (own)
			continue;
		if (nd->type == PKT_ICMPV6_NS) {
			/* only another node's DAD for the address (RFC 4862 §5.4.3), not resolution */
			if (!garp_addr_is_unspecified(&(struct garp_addr){ .family = AF_INET6,
									    .v6 = nd->src }))
				continue;
			/* RFC 7527: our own probe looped back (a reflecting switch) */
			if (nd->has_nonce && !memcmp(nd->nonce, t->nonce, PKT_ND_NONCE_LEN))
				continue;
		}
		/* RFC 4862 §5.4.4: an NA for the target, from another node, while we probe */
		engine_target_conflict(e, t,
				       nd->type == PKT_ICMPV6_NA && nd->has_lladdr ? nd->lladdr
										   : nd->eth_src,
				       now);
	}
out:
	engine_run(e, now);
}

static size_t relearn_take(struct engine *e, int bridge, struct engine_relearn *ret)
{
	for (size_t i = 0; i < e->n_relearns; i++)
		if (e->relearns[i].bridge == bridge) {
			*ret = e->relearns[i];
			memmove(&e->relearns[i], &e->relearns[i + 1],
				(e->n_relearns - i - 1) * sizeof(*e->relearns));
			e->n_relearns--;
			return 1;
		}
	return 0;
}

/* The VLANs the bridge sends out of @port untagged, from its table's runs. */
static void port_untagged(int bridge, int port, const struct gnl_port_vlan *vlans, size_t n,
			  uint64_t ret[64])
{
	memset(ret, 0, 64 * sizeof(*ret));
	for (size_t i = 0; i < n; i++) {
		const struct gnl_port_vlan *v = &vlans[i];

		if (v->ifindex != port || v->master != bridge || !(v->flags & GNL_VLAN_UNTAGGED))
			continue;
		for (unsigned int vid = v->vid; vid <= v->vid_end && vid <= GNL_VLAN_MAX; vid++)
			ret[vid / 64] |= UINT64_C(1) << (vid % 64);
	}
}

void engine_fdb(struct engine *e, uint64_t now, int bridge, const struct gnl_fdb *entries,
		size_t n)
{
	engine_fdb_vlans(e, now, bridge, entries, n, NULL, 0);
}

void engine_fdb_vlans(struct engine *e, uint64_t now, int bridge, const struct gnl_fdb *entries,
		      size_t n, const struct gnl_port_vlan *vlans, size_t n_vlans)
{
	uint64_t untagged[64];
	struct engine_relearn r;
	struct engine_link *br, *bond, *out;
	struct engine_note note = { .type = ENGINE_NOTE_RELEARN, .time = now, .bridge = bridge };
	enum pkt_relearn kind;

	assert(e && (entries || !n) && (vlans || !n_vlans));
	if (!relearn_take(e, bridge, &r))
		goto done;
	br = engine_link_find(e, bridge);
	bond = engine_link_find(e, r.bond);
	out = engine_link_find(e, r.out);
	if (!br || !bond || !engine_link_sendable(out))
		goto done;
	kind = bond->policy.relearn_frame == CFG_RELEARN_ARP ? PKT_RELEARN_ARP : PKT_RELEARN_RARP;
	port_untagged(bridge, r.out, vlans, n_vlans, untagged);
	for (size_t i = 0; i < n; i++) {
		const struct gnl_fdb *f = &entries[i];
		struct engine_pending p = { .f = { .kind = ENGINE_FRAME_RELEARN, .ifindex = r.out } };
		uint16_t vlan = f->vlan;
		bool skip = false;

		/* local/static entries are the bridge's own, not guests' */
		if (f->state & NUD_PERMANENT)
			continue;
		if (f->master && f->master != bridge)
			continue;
		if (f->ifindex == bridge || engine_mac_eq(f->mac, br->l.mac) ||
		    engine_mac_eq(f->mac, mac_zero) || (f->mac[0] & 1))
			continue;
		/* learned behind the bond: the switch has it right already */
		for (size_t k = 0; k < r.n_ports && !skip; k++)
			skip = f->ifindex == r.ports[k];
		if (skip)
			continue;
		/*
		 * The switch must learn the guest where the bridge's own frames
		 * for it arrive: a VLAN that leaves the bond's port untagged
		 * (the PVID, "egress untagged") arrives without a tag.
		 */
		if (vlan <= GNL_VLAN_MAX && (untagged[vlan / 64] >> (vlan % 64) & 1))
			vlan = PKT_VLAN_NONE;
		if (pkt_build_relearn(&p.f.frame, f->mac, kind, vlan) < 0)
			continue;
		engine_frame_emit(e, now, &p, NULL);
		note.count++;
	}
	note.ifindex = r.bond;
	engine_note_push(e, &note);
done:
	engine_run(e, now);
}

int engine_announce(struct engine *e, uint64_t now, int ifindex, const struct garp_addr *addr,
		    enum engine_announce_kind kind)
{
	enum engine_action k = kind == ENGINE_ANNOUNCE_SEQUENCE ? ENGINE_ACTION_SEQUENCE : ENGINE_ACTION_ANNOUNCE;
	struct engine_link *l;
	struct engine_target *t = NULL;
	int started = 0;
	bool found = false;

	assert(e);
	if (ifindex) {
		l = engine_link_find(e, ifindex);
		if (!engine_link_is_eligible(e, l))
			return -ENODEV;
		if (addr) {
			t = engine_target_find(e, ifindex, addr);
			if (!t || !t->configured)
				return -ENOENT;
		}
		if (!engine_link_sendable(l))
			return -ENETDOWN;
		if (addr) {
			started = engine_target_trigger_rebind(e, t, k, now);
		} else {
			for (t = l->targets; t; t = t->lnext)
				if (engine_target_can_send(e, t))
					started += target_trigger(e, t, k, now);
		}
		engine_run(e, now);
		return started;
	}
	for (l = e->links; l; l = l->next) {
		if (addr) {
			t = engine_target_find(e, l->l.ifindex, addr);
			if (!t || !t->configured)
				continue;
			found = true;
			if (engine_target_can_send(e, t))
				started += engine_target_trigger_rebind(e, t, k, now);
			continue;
		}
		if (!engine_link_can_send(e, l))
			continue;
		for (t = l->targets; t; t = t->lnext)
			if (engine_target_can_send(e, t))
				started += target_trigger(e, t, k, now);
	}
	if (addr && !found)
		return -ENOENT;
	engine_run(e, now);
	return started;
}

int engine_announce_now(struct engine *e, uint64_t now, int ifindex, const struct garp_addr *addr,
			enum engine_announce_kind kind, bool force)
{
	struct engine_link *l = engine_link_find(e, ifindex);
	struct engine_target *t;
	enum engine_tstate was;
	int r;

	assert(e && addr);
	if (!engine_link_is_eligible(e, l))
		return -ENODEV;
	t = engine_target_find(e, ifindex, addr);
	if (!t || !t->configured)
		return -ENOENT;
	was = t->state;
	if (was == ENGINE_TS_CONFLICT && !force && kind == ENGINE_ANNOUNCE_ONLY)
		return ENGINE_NOW_CONFLICT;
	if (was == ENGINE_TS_HELD_DOWN || !engine_target_can_send(e, t)) {
		target_want(e, t, kind == ENGINE_ANNOUNCE_SEQUENCE ? ENGINE_ACTION_SEQUENCE
								   : ENGINE_ACTION_ANNOUNCE);
		return ENGINE_NOW_WAITING;
	}
	if (kind == ENGINE_ANNOUNCE_SEQUENCE) {
		r = engine_target_trigger_rebind(e, t, ENGINE_ACTION_SEQUENCE, now)
			? ENGINE_NOW_STARTED
			: ENGINE_NOW_RUNNING;
	} else {
		/* the operator has decided: whatever is in flight gives way to the announcement */
		if (target_in_flight(t))
			target_void_queued(e, t);
		target_start(e, t, ENGINE_ACTION_ANNOUNCE, now, false);
		r = engine_tstate_probing(was)					? ENGINE_NOW_CUT_SHORT
		    : engine_tstate_public(was) == ENGINE_TARGET_ANNOUNCING ? ENGINE_NOW_RESTARTED
									    : ENGINE_NOW_STARTED;
	}
	engine_run(e, now);
	return r;
}

/* ---- outputs ---------------------------------------------------------- */

uint64_t engine_next_deadline(const struct engine *e)
{
	return e->heap.n ? e->heap.v[0]->when : ENGINE_NO_DEADLINE;
}

bool engine_wants_arp(const struct engine *e)
{
	return e->n_probing > e->n_probing_v6;
}

bool engine_wants_nd(const struct engine *e)
{
	return e->n_probing_v6 > 0;
}

int engine_pop_frame(struct engine *e, struct engine_frame *ret)
{
	struct engine_pending p;
	struct engine_target *t;

	while (engine_ring_pop(&e->out, &p) == 0) {
		/* checked again: an input since it was queued may have removed the address */
		if (!pending_valid(e, &p, &t))
			continue;
		if (t && p.f.kind != ENGINE_FRAME_PROBE && p.f.kind != ENGINE_FRAME_NS_PROBE &&
		    p.f.kind != ENGINE_FRAME_REFRESH)
			t->sent_at = e->now + 1;
		switch (p.f.kind) {
		case ENGINE_FRAME_PROBE:
			e->counters.probes++;
			break;
		case ENGINE_FRAME_ANNOUNCE_REPLY:
			e->counters.replies++;
			/* fall through */
		case ENGINE_FRAME_ANNOUNCE_REQUEST:
			e->counters.announcements++;
			break;
		case ENGINE_FRAME_RELEARN:
			e->counters.relearn++;
			break;
		case ENGINE_FRAME_REFRESH:
			e->counters.refreshes++;
			break;
		case ENGINE_FRAME_NS_PROBE:
			e->counters.ns_probes++;
			break;
		case ENGINE_FRAME_NA:
			e->counters.na++;
			break;
		}
		*ret = p.f;
		return 0;
	}
	return -EAGAIN;
}

int engine_pop_query(struct engine *e, struct engine_query *ret)
{
	int r = engine_ring_pop(&e->queries, ret);

	if (r == 0 && ret->kind == ENGINE_QUERY_NEIGHBOURS)
		engine_refresh_asked(e, ret->ifindex);
	else if (r == 0)
		for (size_t i = 0; i < e->n_relearns; i++)
			if (e->relearns[i].bridge == ret->bridge)
				e->relearns[i].asked = true;
	return r;
}

int engine_pop_note(struct engine *e, struct engine_note *ret)
{
	return engine_ring_pop(&e->notes, ret);
}

const char *engine_note_type_to_string(enum engine_note_type t)
{
	static const char *const names[] = {
		[ENGINE_NOTE_STARTED] = "started",     [ENGINE_NOTE_ANNOUNCED] = "announced",
		[ENGINE_NOTE_CONFLICT] = "conflict",   [ENGINE_NOTE_CANCELLED] = "cancelled",
		[ENGINE_NOTE_FAILOVER] = "failover",   [ENGINE_NOTE_RELEARN] = "relearn",
		[ENGINE_NOTE_DEFERRED] = "deferred",   [ENGINE_NOTE_REFRESHED] = "refreshed",
		[ENGINE_NOTE_LOST] = "lost",
	};

	return (size_t)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "unknown";
}

const char *engine_cancel_reason_to_string(enum engine_cancel_reason r)
{
	static const char *const names[] = {
		[ENGINE_CANCEL_ADDR_REMOVED] = "address-removed",
		[ENGINE_CANCEL_LINK_DOWN] = "link-down",
		[ENGINE_CANCEL_LINK_REMOVED] = "link-removed",
		[ENGINE_CANCEL_MAC_CHANGED] = "mac-changed",
		[ENGINE_CANCEL_NOT_ELIGIBLE] = "not-eligible",
	};

	return (size_t)r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : "unknown";
}

static const struct {
	const char *name;
	enum engine_target_state shown; /* in status */
} tstates[] = {
	[ENGINE_TS_IDLE] = { "idle", ENGINE_TARGET_IDLE },
	[ENGINE_TS_HELD_DOWN] = { "held-down", ENGINE_TARGET_IDLE },
	[ENGINE_TS_PROBING] = { "probing", ENGINE_TARGET_PROBING },
	[ENGINE_TS_WAITING] = { "waiting", ENGINE_TARGET_WAITING },
	[ENGINE_TS_DEFENDED] = { "defended", ENGINE_TARGET_WAITING },
	[ENGINE_TS_ANNOUNCING] = { "announcing", ENGINE_TARGET_ANNOUNCING },
	[ENGINE_TS_SEQ_ANNOUNCING] = { "sequence-announcing", ENGINE_TARGET_ANNOUNCING },
	[ENGINE_TS_DONE] = { "done", ENGINE_TARGET_DONE },
	[ENGINE_TS_CONFLICT] = { "conflict", ENGINE_TARGET_CONFLICT },
	[ENGINE_TS_CANCELLED] = { "cancelled", ENGINE_TARGET_CANCELLED },
	[ENGINE_TS_REMOVED] = { "removed", ENGINE_TARGET_IDLE },
};

_Static_assert(sizeof(tstates) / sizeof(tstates[0]) == _ENGINE_TS_MAX, "a name for every state");

const char *engine_tstate_to_string(enum engine_tstate s)
{
	return (size_t)s < sizeof(tstates) / sizeof(tstates[0]) ? tstates[s].name : "unknown";
}

enum engine_target_state engine_tstate_public(enum engine_tstate s)
{
	return (size_t)s < sizeof(tstates) / sizeof(tstates[0]) ? tstates[s].shown
								 : ENGINE_TARGET_IDLE;
}

const char *engine_target_state_to_string(enum engine_target_state s)
{
	static const char *const names[] = {
		[ENGINE_TARGET_IDLE] = "idle",           [ENGINE_TARGET_PROBING] = "probing",
		[ENGINE_TARGET_WAITING] = "waiting",     [ENGINE_TARGET_ANNOUNCING] = "announcing",
		[ENGINE_TARGET_DONE] = "done",           [ENGINE_TARGET_CONFLICT] = "conflict",
		[ENGINE_TARGET_CANCELLED] = "cancelled",
	};

	return (size_t)s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "unknown";
}

void engine_get_counters(const struct engine *e, struct engine_counters *ret)
{
	*ret = e->counters;
}

size_t engine_get_conflicts(const struct engine *e, struct engine_conflict *ret, size_t max)
{
	size_t n = e->n_conflicts < max ? e->n_conflicts : max;
	/* the oldest of the newest n */
	size_t start = (e->conflicts_next + ENGINE_CONFLICTS_KEPT - n) % ENGINE_CONFLICTS_KEPT;

	for (size_t i = 0; i < n; i++)
		ret[i] = e->conflicts[(start + i) % ENGINE_CONFLICTS_KEPT];
	return n;
}

void engine_foreach_target(const struct engine *e,
			   void (*fn)(void *userdata, const struct engine_target_info *info),
			   void *userdata)
{
	for (size_t i = 0; i < e->thash_size; i++)
		for (const struct engine_target *t = e->thash[i]; t; t = t->hnext) {
			struct engine_target_info info = {
				.ifindex = t->ifindex, .addr = t->addr,
				.state = engine_tstate_public(t->state),
				.sent = t->sent, .total = t->total,
				.last_announced = t->last_announced,
				.addr_flags = t->a.flags,
			};

			if (t->configured)
				fn(userdata, &info);
		}
}

bool engine_link_eligible(const struct engine *e, int ifindex)
{
	return engine_link_is_eligible(e, engine_link_find(e, ifindex));
}

int engine_query_push(struct engine *e, const struct engine_query *q)
{
	return engine_ring_push(&e->queries, q);
}
