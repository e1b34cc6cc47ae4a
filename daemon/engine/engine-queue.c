/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's containers: growable rings of fixed-size elements (frame
 * queues, notes, queries) and the timers: nodes embedded in what they
 * time, in runs (FIFOs in deadline order) merged by a min-heap.
 * Pure, like engine.c.
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

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

/* ---- timers ----------------------------------------------------------- */

static bool tnode_before(const struct engine_tnode *a, const struct engine_tnode *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static bool run_before(const struct engine_heap *h, uint32_t a, uint32_t b)
{
	return tnode_before(h->r[a].head, h->r[b].head);
}

static void heap_set(struct engine_heap *h, uint32_t i, uint32_t ri)
{
	h->v[i] = ri;
	h->r[ri].hidx = i;
}

static void heap_up(struct engine_heap *h, uint32_t i)
{
	uint32_t ri = h->v[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!run_before(h, ri, h->v[p]))
			break;
		heap_set(h, i, h->v[p]);
		i = p;
	}
	heap_set(h, i, ri);
}

static void heap_down(struct engine_heap *h, uint32_t i)
{
	uint32_t ri = h->v[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && run_before(h, h->v[c + 1], h->v[c]))
			c++;
		if (!run_before(h, h->v[c], ri))
			break;
		heap_set(h, i, h->v[c]);
		i = c;
	}
	heap_set(h, i, ri);
}

/* A run that became empty leaves the heap. */
static void heap_take(struct engine_heap *h, uint32_t ri)
{
	uint32_t i = h->r[ri].hidx, last;

	assert(i < h->n && h->v[i] == ri);
	h->r[ri].hidx = ENGINE_TNODE_NONE;
	h->n--;
	if (i == h->n)
		return;
	/* the last run fills the hole and moves whichever way it must */
	last = h->v[h->n];
	heap_set(h, i, last);
	heap_up(h, i);
	heap_down(h, h->r[last].hidx);
}

static void run_free(struct engine_heap *h, uint32_t ri)
{
	h->r[ri].hidx = h->free;
	h->free = ri + 1;
}

/* A new, empty run, open in the slot of the oldest; ENGINE_TNODE_NONE: out of memory. */
static uint32_t run_new(struct engine_heap *h)
{
	uint32_t ri, old;

	if (h->free) {
		ri = h->free - 1;
		h->free = h->r[ri].hidx;
	} else {
		if (h->used == h->cap) {
			uint32_t cap = h->cap ? h->cap * 2 : 16;
			struct engine_trun *r;
			uint32_t *v;

			if (cap >= ENGINE_TNODE_NONE)
				return ENGINE_TNODE_NONE;
			/* the heap never holds more runs than there are */
			v = realloc(h->v, cap * sizeof(*v));
			if (!v)
				return ENGINE_TNODE_NONE;
			h->v = v;
			r = realloc(h->r, cap * sizeof(*r));
			if (!r)
				return ENGINE_TNODE_NONE;
			h->r = r;
			h->cap = cap;
		}
		ri = h->used++;
	}
	h->r[ri] = (struct engine_trun){ .hidx = ENGINE_TNODE_NONE, .open = true };
	old = h->open[h->open_next];
	if (old) {
		/* closed: it runs out, takes nothing new, and goes when empty */
		h->r[old - 1].open = false;
		if (!h->r[old - 1].head)
			run_free(h, old - 1);
	}
	h->open[h->open_next] = ri + 1;
	h->open_next = (h->open_next + 1) % ENGINE_HEAP_OPEN;
	return ri;
}

/*
 * The open run @when may be appended to: the one whose last deadline is
 * the latest not after @when (it keeps the others for earlier deadlines),
 * else an empty one; ENGINE_TNODE_NONE: none.
 */
static uint32_t run_fit(const struct engine_heap *h, uint64_t when)
{
	uint32_t best = ENGINE_TNODE_NONE, empty = ENGINE_TNODE_NONE;

	for (size_t k = 0; k < ENGINE_HEAP_OPEN; k++) {
		const struct engine_trun *r;
		uint32_t ri = h->open[k];

		if (!ri--)
			continue;
		r = &h->r[ri];
		if (!r->tail)
			empty = ri;
		else if (r->tail->when <= when &&
			 (best == ENGINE_TNODE_NONE || r->tail->when > h->r[best].tail->when))
			best = ri;
	}
	return best != ENGINE_TNODE_NONE ? best : empty;
}

void engine_heap_remove(struct engine_heap *h, struct engine_tnode *n)
{
	struct engine_trun *r;
	uint32_t ri = n->idx;
	bool first = !n->prev;

	if (ri == ENGINE_TNODE_NONE)
		return;
	r = &h->r[ri];
	if (n->prev)
		n->prev->next = n->next;
	else
		r->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		r->tail = n->prev;
	n->prev = n->next = NULL;
	n->idx = ENGINE_TNODE_NONE;
	if (!r->head) {
		heap_take(h, ri);
		if (!r->open)
			run_free(h, ri);
	} else if (first) {
		/* its first node went: the run's place comes from the next one, later */
		heap_down(h, r->hidx);
	}
}

/* engine_heap_arm() for a deadline. */
int engine_heap_arm_at(struct engine_heap *h, struct engine_tnode *n, uint64_t when)
{
	struct engine_trun *r;
	uint32_t ri;

	if (n->idx != ENGINE_TNODE_NONE)
		engine_heap_remove(h, n);
	ri = h->last - 1;
	/* a burst arms one deadline after another: the run it went to fits best */
	if (!h->last || !h->r[ri].open || !h->r[ri].tail || h->r[ri].tail->when != when)
		ri = run_fit(h, when);
	if (ri == ENGINE_TNODE_NONE) {
		ri = run_new(h);
		if (ri == ENGINE_TNODE_NONE)
			return -ENOMEM;
	}
	h->last = ri + 1;
	r = &h->r[ri];
	n->when = when;
	n->seq = ++h->seq;
	n->idx = ri;
	n->next = NULL;
	n->prev = r->tail;
	r->tail = n;
	if (n->prev) {
		n->prev->next = n;
		return 0;
	}
	r->head = n;
	h->v[h->n] = ri;
	r->hidx = h->n++;
	if (r->hidx)
		heap_up(h, r->hidx);
	return 0;
}

void engine_heap_free(struct engine_heap *h)
{
	free(h->r);
	free(h->v);
	*h = (struct engine_heap){ 0 };
}
