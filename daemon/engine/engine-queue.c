/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's containers: growable rings of fixed-size elements (frame
 * queues, notes, queries) and the timer heap, a min-heap over (when, seq)
 * whose nodes are embedded in what they time. Pure, like engine.c.
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
