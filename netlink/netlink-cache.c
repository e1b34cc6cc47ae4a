/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link/address cache: rtnetlink messages in, gnl_events out.
 *
 * The kernel repeats RTM_NEWADDR for lifetime and flag updates and sends
 * RTM_NEWLINK for any link change; comparing with the cached state is what
 * turns that stream into "appeared once", "these things changed", "gone".
 * Hash tables keep every operation O(1) at 100,000 addresses. Addresses,
 * the many, sit in open-addressing tables (one per family) whose slots keep
 * only what tells new from changed (struct gnl_addr_meta): 16 bytes an IPv4
 * address, 26 bytes each at 10,000 addresses (16,384 slots), where an
 * allocated entry with its label and two hash chains took 101.
 */

#include "garp-netlink.h"

#include <errno.h>
#include <stddef.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "netlink-private.h"
#include "packet/garp-util.h"

/* ---- event queue ---- */

int gnl_evq_push(struct gnl_evq *q, const struct gnl_event *ev)
{
	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64;
		struct gnl_event *n = calloc(ncap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < q->len; i++)
			n[i] = q->ev[(q->head + i) & (q->cap - 1)];
		free(q->ev);
		q->ev = n;
		q->cap = ncap;
		q->head = 0;
	}
	q->ev[(q->head + q->len) & (q->cap - 1)] = *ev;
	q->len++;
	return 0;
}

int gnl_evq_pop(struct gnl_evq *q, struct gnl_event *ret)
{
	if (q->len == 0)
		return -EAGAIN;
	*ret = q->ev[q->head];
	q->head = (q->head + 1) & (q->cap - 1);
	q->len--;
	return 0;
}

void gnl_evq_clear(struct gnl_evq *q)
{
	free(q->ev);
	*q = GNL_EVQ_INIT;
}

/* ---- hash tables ---- */

/*
 * Word-at-a-time mixing with murmur3's finaliser, so the low bits (the
 * bucket) depend on every word: sequential addresses spread evenly. The
 * byte-at-a-time FNV-1a this replaces was a tenth of the instructions
 * garpd spent per address added.
 */
static uint32_t hash_mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

static uint32_t hash_final(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

static uint32_t hash_ifindex(int ifindex)
{
	return hash_final(hash_mix(0, (uint32_t)ifindex));
}

static void hnode_add(struct gnl_hnode **head, struct gnl_hnode *n)
{
	n->next = *head;
	if (*head)
		(*head)->pprev = &n->next;
	*head = n;
	n->pprev = head;
}

static void hnode_del(struct gnl_hnode *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

typedef uint32_t (*hash_fn)(const struct gnl_hnode *n);

/* Grow so that @keys distinct keys keep chains short (load factor <= 1). */
static int htab_reserve_keys(struct gnl_htab *t, size_t keys, hash_fn fn)
{
	struct gnl_hnode **nb;
	size_t nn;

	if (keys < t->nb)
		return 0;
	nn = t->nb ? t->nb * 2 : 64;
	nb = calloc(nn, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i < t->nb; i++) {
		struct gnl_hnode *n = t->b[i];

		while (n) {
			struct gnl_hnode *next = n->next;

			hnode_add(&nb[fn(n) & (nn - 1)], n);
			n = next;
		}
	}
	free(t->b);
	t->b = nb;
	t->nb = nn;
	return 0;
}

static int htab_reserve(struct gnl_htab *t, hash_fn fn)
{
	return htab_reserve_keys(t, t->n, fn);
}

static void htab_add(struct gnl_htab *t, struct gnl_hnode *n, uint32_t h)
{
	hnode_add(&t->b[h & (t->nb - 1)], n);
	t->n++;
}

static void htab_del(struct gnl_htab *t, struct gnl_hnode *n)
{
	hnode_del(n);
	t->n--;
}

static uint32_t link_hash(const struct gnl_hnode *n)
{
	return hash_ifindex(container_of(n, struct gnl_link_entry, node)->link.ifindex);
}

/* An address's key: ifindex, family, prefixlen and the address (4 or 16 bytes). */
static size_t family_len(uint8_t family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static uint32_t key_hash(int ifindex, uint8_t family, uint8_t prefixlen, const void *addr)
{
	uint32_t w[4] = { 0 }, h;

	memcpy(w, addr, family_len(family));
	h = hash_mix(0, (uint32_t)ifindex);
	h = hash_mix(h, (uint32_t)family << 8 | prefixlen);
	for (size_t i = 0; i < family_len(family) / sizeof(w[0]); i++)
		h = hash_mix(h, w[i]);
	return hash_final(h);
}

static uint32_t addr_key_hash(const struct gnl_addr *a)
{
	return key_hash(a->ifindex, a->family, a->prefixlen, &a->addr);
}

/* ---- the address tables ---- */

static size_t slot_size(const struct gnl_addr_table *t)
{
	return t->alen + sizeof(struct gnl_addr_meta);
}

static uint8_t *slot_at(const struct gnl_addr_table *t, size_t i)
{
	return t->s + i * slot_size(t);
}

static struct gnl_addr_meta *slot_meta(const struct gnl_addr_table *t, size_t i)
{
	return (struct gnl_addr_meta *)(void *)(slot_at(t, i) + t->alen);
}

static bool slot_used(const struct gnl_addr_table *t, size_t i)
{
	return slot_meta(t, i)->family != 0;
}

static uint32_t slot_hash(const struct gnl_addr_table *t, size_t i)
{
	const struct gnl_addr_meta *m = slot_meta(t, i);

	return key_hash(m->ifindex, m->family, m->prefixlen, slot_at(t, i));
}

static bool slot_is(const struct gnl_addr_table *t, size_t i, const struct gnl_addr *a)
{
	const struct gnl_addr_meta *m = slot_meta(t, i);

	return m->ifindex == a->ifindex && m->family == a->family && m->prefixlen == a->prefixlen &&
	       memcmp(slot_at(t, i), &a->addr, t->alen) == 0;
}

/* What the cache knows of an address, as the events carry it (no label). */
static void slot_to_addr(const struct gnl_addr_table *t, size_t i, struct gnl_addr *ret)
{
	const struct gnl_addr_meta *m = slot_meta(t, i);

	memset(ret, 0, sizeof(*ret));
	ret->family = m->family;
	ret->ifindex = m->ifindex;
	memcpy(&ret->addr, slot_at(t, i), t->alen);
	ret->prefixlen = m->prefixlen;
	ret->scope = m->scope;
	ret->flags = m->flags;
}

static struct gnl_addr_table *addr_table(struct gnl_cache *c, uint8_t family)
{
	return family == AF_INET ? &c->addrs4 : &c->addrs6;
}

#define SLOT_NONE SIZE_MAX

/* @a's slot (@h its key's hash), SLOT_NONE when it is not cached. */
static size_t addr_find(const struct gnl_addr_table *t, const struct gnl_addr *a, uint32_t h)
{
	if (!t->cap)
		return SLOT_NONE;
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!slot_used(t, i))
			return SLOT_NONE;
		if (slot_is(t, i, a))
			return i;
	}
}

/* The empty slot where a key hashing to @h goes (there is one: at most 3/4 are used). */
static size_t addr_free_slot(const struct gnl_addr_table *t, uint32_t h)
{
	size_t i = h & (t->cap - 1);

	while (slot_used(t, i))
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* Room for one more address. */
static int addr_reserve(struct gnl_addr_table *t)
{
	struct gnl_addr_table old = *t;

	if ((t->n + 1) * 4 <= t->cap * 3)
		return 0;
	t->cap = t->cap ? t->cap * 2 : 64;
	t->s = calloc(t->cap, slot_size(t));
	if (!t->s) {
		*t = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < old.cap; i++)
		if (slot_used(&old, i))
			memcpy(slot_at(t, addr_free_slot(t, slot_hash(&old, i))), slot_at(&old, i),
			       slot_size(t));
	free(old.s);
	return 0;
}

/*
 * Empties slot @i, moving back what probed past it (no tombstones): a slot
 * after @i (cyclically) may end up at @i, so a scan looks at @i again.
 */
static void addr_slot_clear(struct gnl_addr_table *t, size_t i)
{
	size_t mask = t->cap - 1;

	slot_meta(t, i)->family = 0;
	for (size_t j = (i + 1) & mask; slot_used(t, j); j = (j + 1) & mask) {
		size_t k = slot_hash(t, j) & mask;

		/* j stays when its home k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		memcpy(slot_at(t, i), slot_at(t, j), slot_size(t));
		slot_meta(t, j)->family = 0;
		i = j;
	}
	t->n--;
}

static struct gnl_link_entry *link_find(const struct gnl_cache *c, int ifindex)
{
	if (!c->links.nb)
		return NULL;
	for (struct gnl_hnode *n = c->links.b[hash_ifindex(ifindex) & (c->links.nb - 1)]; n;
	     n = n->next) {
		struct gnl_link_entry *e = container_of(n, struct gnl_link_entry, node);

		if (e->link.ifindex == ifindex)
			return e;
	}
	return NULL;
}

/* ---- diff ---- */

unsigned int gnl_link_diff(const struct gnl_link *o, const struct gnl_link *n)
{
	unsigned int ch = 0;
	bool up_o = gnl_link_is_oper_up(o), up_n = gnl_link_is_oper_up(n);

	if (o->mac_len != n->mac_len || memcmp(o->mac, n->mac, sizeof(o->mac)) != 0)
		ch |= GNL_CHANGE_MAC;
	if (!up_o && up_n)
		ch |= GNL_CHANGE_CARRIER_UP;
	if (up_o && !up_n)
		ch |= GNL_CHANGE_CARRIER_DOWN;
	if (o->bond_active_slave != n->bond_active_slave)
		ch |= GNL_CHANGE_ACTIVE_SLAVE;
	if (n->event == IFLA_EVENT_BONDING_FAILOVER)
		ch |= GNL_CHANGE_FAILOVER;
	if (o->master != n->master)
		ch |= GNL_CHANGE_MASTER;
	if (strcmp(o->name, n->name) != 0)
		ch |= GNL_CHANGE_NAME;
	if (o->flags != n->flags)
		ch |= GNL_CHANGE_FLAGS;
	if (o->type != n->type || o->operstate != n->operstate || o->link != n->link ||
	    o->vlan_id != n->vlan_id || o->kind != n->kind || o->slave_kind != n->slave_kind ||
	    o->has_bond_slave_state != n->has_bond_slave_state ||
	    o->bond_slave_state != n->bond_slave_state)
		ch |= GNL_CHANGE_OTHER;
	return ch;
}

/* ---- apply ---- */

/* The count an address on @ifindex is in: its link's, or the orphans'. */
static void addr_count(struct gnl_cache *c, int ifindex, int d)
{
	struct gnl_link_entry *l = link_find(c, ifindex);

	if (l)
		l->n_addrs += (uint32_t)d;
	else
		c->n_orphans += (size_t)d;
}

/* Reports the address in slot @i of @t gone and empties the slot. */
static int addr_remove(struct gnl_cache *c, struct gnl_addr_table *t, size_t i, struct gnl_evq *q)
{
	struct gnl_event ev = { .type = GNL_EV_ADDR_DEL };
	int r;

	slot_to_addr(t, i, &ev.addr);
	r = gnl_evq_push(q, &ev);
	if (r < 0)
		return r;
	addr_count(c, ev.addr.ifindex, -1);
	addr_slot_clear(t, i);
	return 0;
}

/* Drop what is left of a link's addresses (the kernel normally deleted them first). */
static int addrs_remove_ifindex(struct gnl_cache *c, struct gnl_link_entry *e, struct gnl_evq *q)
{
	struct gnl_addr_table *tables[] = { &c->addrs4, &c->addrs6 };

	for (size_t k = 0; k < 2; k++) {
		struct gnl_addr_table *t = tables[k];

		for (size_t i = 0; e->n_addrs && i < t->cap; i++) {
			/* a removal may move another address into slot i: look again */
			while (slot_used(t, i) && slot_meta(t, i)->ifindex == e->link.ifindex) {
				int r = addr_remove(c, t, i, q);

				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

static int link_remove(struct gnl_cache *c, struct gnl_link_entry *e, struct gnl_evq *q)
{
	struct gnl_event ev = { .type = GNL_EV_LINK_DEL, .link = e->link };
	int r;

	r = addrs_remove_ifindex(c, e, q);
	if (r < 0)
		return r;
	r = gnl_evq_push(q, &ev);
	if (r < 0)
		return r;
	htab_del(&c->links, &e->node);
	free(e);
	return 0;
}

/* A new link's addresses cached before it: counted as its own from now on. */
static void addrs_adopt(struct gnl_cache *c, struct gnl_link_entry *e)
{
	const struct gnl_addr_table *tables[] = { &c->addrs4, &c->addrs6 };

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; c->n_orphans && i < tables[k]->cap; i++)
			if (slot_used(tables[k], i) &&
			    slot_meta(tables[k], i)->ifindex == e->link.ifindex) {
				e->n_addrs++;
				c->n_orphans--;
			}
}

static int apply_link(struct gnl_cache *c, const struct nlmsghdr *nlh, struct gnl_evq *q)
{
	struct gnl_link l;
	struct gnl_link_entry *e;
	struct gnl_event ev = { 0 };
	int r;

	r = gnl_parse_link(nlh, &l);
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		return 0;

	e = link_find(c, l.ifindex);
	if (nlh->nlmsg_type == RTM_DELLINK)
		return e ? link_remove(c, e, q) : 0;

	if (!e) {
		r = htab_reserve(&c->links, link_hash);
		if (r < 0)
			return r;
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		ev.type = GNL_EV_LINK_NEW;
		ev.link = l;
		r = gnl_evq_push(q, &ev);
		if (r < 0) {
			free(e);
			return r;
		}
		e->link = l;
		e->link.event = 0; /* an event belongs to its message, not to the state */
		e->gen = c->gen;
		htab_add(&c->links, &e->node, hash_ifindex(l.ifindex));
		addrs_adopt(c, e);
		return 0;
	}

	ev.changes = gnl_link_diff(&e->link, &l);
	if (ev.changes) {
		ev.type = GNL_EV_LINK_CHANGED;
		ev.link = l;
		ev.old = e->link;
		r = gnl_evq_push(q, &ev);
		if (r < 0)
			return r;
	}
	e->link = l;
	e->link.event = 0;
	e->gen = c->gen;
	return 0;
}

static int apply_addr(struct gnl_cache *c, const struct nlmsghdr *nlh, struct gnl_evq *q)
{
	struct gnl_event ev = { 0 };
	struct gnl_addr_table *t;
	struct gnl_addr_meta *m;
	uint32_t h;
	size_t i;
	int r;

	r = gnl_parse_addr(nlh, &ev.addr);
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		return 0;

	t = addr_table(c, ev.addr.family);
	h = addr_key_hash(&ev.addr);
	i = addr_find(t, &ev.addr, h);
	if (nlh->nlmsg_type == RTM_DELADDR)
		return i != SLOT_NONE ? addr_remove(c, t, i, q) : 0;

	if (i == SLOT_NONE) {
		r = addr_reserve(t);
		if (r < 0)
			return r;
		ev.type = GNL_EV_ADDR_NEW;
		r = gnl_evq_push(q, &ev);
		if (r < 0)
			return r;
		i = addr_free_slot(t, h);
		memcpy(slot_at(t, i), &ev.addr.addr, t->alen);
		*slot_meta(t, i) = (struct gnl_addr_meta){ .ifindex = ev.addr.ifindex,
							   .flags = ev.addr.flags,
							   .family = ev.addr.family,
							   .prefixlen = ev.addr.prefixlen,
							   .scope = ev.addr.scope,
							   .gen = (uint8_t)c->gen };
		t->n++;
		addr_count(c, ev.addr.ifindex, 1);
		return 0;
	}

	/* Lifetime updates repeat RTM_NEWADDR: only flags or scope matter. */
	m = slot_meta(t, i);
	if (m->flags != ev.addr.flags || m->scope != ev.addr.scope) {
		ev.type = GNL_EV_ADDR_CHANGED;
		r = gnl_evq_push(q, &ev);
		if (r < 0)
			return r;
	}
	m->flags = ev.addr.flags;
	m->scope = ev.addr.scope;
	m->gen = (uint8_t)c->gen;
	return 0;
}

int gnl_cache_apply(struct gnl_cache *c, const struct nlmsghdr *nlh, struct gnl_evq *q)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return apply_link(c, nlh, q);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return apply_addr(c, nlh, q);
	default:
		return 0;
	}
}

void gnl_cache_sync_begin(struct gnl_cache *c)
{
	struct gnl_addr_table *tables[] = { &c->addrs4, &c->addrs6 };

	c->gen++;
	c->syncing = true;
	/*
	 * An address keeps its generation's low byte: one last seen 256
	 * generations ago (syncs begun again and again without an end) would
	 * pass for seen. It becomes the generation before, so it is swept.
	 * A dump costs as much as this pass.
	 */
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < tables[k]->cap; i++)
			if (slot_meta(tables[k], i)->gen == (uint8_t)c->gen)
				slot_meta(tables[k], i)->gen = (uint8_t)(c->gen - 1);
}

int gnl_cache_sync_end(struct gnl_cache *c, struct gnl_evq *q)
{
	int r;

	c->syncing = false;
	/* Addresses first, so no ADDR_DEL follows its link's LINK_DEL. */
	for (size_t k = 0; k < 2; k++) {
		struct gnl_addr_table *t = k ? &c->addrs6 : &c->addrs4;

		for (size_t i = 0; i < t->cap; i++) {
			/* a removal may move another address into slot i: look again */
			while (slot_used(t, i) && slot_meta(t, i)->gen != (uint8_t)c->gen) {
				r = addr_remove(c, t, i, q);
				if (r < 0)
					return r;
			}
		}
	}
	for (size_t i = 0; i < c->links.nb; i++) {
		struct gnl_hnode *n, *next;

		for (n = c->links.b[i]; n; n = next) {
			struct gnl_link_entry *e = container_of(n, struct gnl_link_entry, node);

			next = n->next;
			if (e->gen == c->gen)
				continue;
			r = link_remove(c, e, q);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

void gnl_cache_clear(struct gnl_cache *c)
{
	for (size_t i = 0; i < c->links.nb; i++) {
		struct gnl_hnode *n = c->links.b[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(container_of(n, struct gnl_link_entry, node));
		}
	}
	free(c->addrs4.s);
	free(c->addrs6.s);
	free(c->links.b);
	*c = GNL_CACHE_INIT;
}

const struct gnl_link *gnl_cache_link(const struct gnl_cache *c, int ifindex)
{
	const struct gnl_link_entry *e = link_find(c, ifindex);

	return e ? &e->link : NULL;
}

bool gnl_cache_addr(const struct gnl_cache *c, const struct gnl_addr *a, struct gnl_addr *ret)
{
	const struct gnl_addr_table *t = a->family == AF_INET ? &c->addrs4 : &c->addrs6;
	size_t i;

	if (a->family != AF_INET && a->family != AF_INET6)
		return false;
	i = addr_find(t, a, addr_key_hash(a));
	if (i == SLOT_NONE)
		return false;
	slot_to_addr(t, i, ret);
	return true;
}

void gnl_cache_foreach_link(const struct gnl_cache *c,
			    void (*fn)(void *userdata, const struct gnl_link *link), void *userdata)
{
	for (size_t i = 0; i < c->links.nb; i++) {
		for (const struct gnl_hnode *n = c->links.b[i]; n; n = n->next) {
			const struct gnl_link_entry *e =
			    (const struct gnl_link_entry *)((const char *)n -
							    offsetof(struct gnl_link_entry, node));

			fn(userdata, &e->link);
		}
	}
}

size_t gnl_cache_n_links(const struct gnl_cache *c)
{
	return c->links.n;
}

size_t gnl_cache_n_addrs(const struct gnl_cache *c)
{
	return c->addrs4.n + c->addrs6.n;
}
