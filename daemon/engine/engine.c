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
 *
 * This file: the engine itself (new, free, run), notes, queries and the
 * outputs. The rest, by concern: engine-queue.c (rings, timer heap),
 * engine-link.c (links, eligibility, link events), engine-failover.c (bond
 * failover, guests' relearn), engine-target.c (targets, their states and
 * sequences, address events, announce requests), engine-receive.c (frames
 * received: conflicts), engine-send.c (frames out: token bucket, output
 * queue), engine-refresh.c (the directed refresh).
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "engine-private.h"

/* ---- notes, counters, conflicts --------------------------------------- */

void engine_note_push(struct engine *e, const struct engine_note *n)
{
	if (e->notes.n >= ENGINE_NOTES_MAX || engine_ring_push(&e->notes, n) < 0)
		e->counters.notes_dropped++;
}

void engine_note_target(struct engine *e, enum engine_note_type type, uint64_t now,
			const struct engine_target *t)
{
	struct engine_note n = {
		.type = type, .time = now, .ifindex = t->ifindex, .addr = t->addr
	};

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
	for (l = e->links; l; l = next) {
		next = l->next;
		engine_ring_free(&l->fifo);
		engine_refresh_link_free(l);
		free(l);
	}
	engine_targets_release(e); /* the targets with their storage */
	free(e->thash);
	free(e->lhash);
	engine_heap_free(&e->heap);
	engine_ring_free(&e->out);
	engine_ring_free(&e->notes);
	engine_ring_free(&e->queries);
	free(e->relearns);
	free(e);
}

void engine_run(struct engine *e, uint64_t now)
{
	struct engine_tnode *n;

	if (now > e->now)
		e->now = now;
	/*
	 * What is due runs at @now, the next step counted from @now: after a
	 * late run (the machine stalled) a sequence's missed steps are not
	 * sent in one burst, its frames keep their spacing on the wire, and
	 * the token bucket counts the time they really leave.
	 */
	while ((n = engine_heap_first(&e->heap)) && n->when <= now) {
		engine_heap_remove(&e->heap, n);
		if (n->type == ENGINE_TNODE_TARGET)
			engine_target_timer(e, container_of(n, struct engine_target, timer), now);
		else if (n->type == ENGINE_TNODE_LINK)
			engine_link_release(e, container_of(n, struct engine_link, timer), now);
		else
			engine_refresh_timer(e, n, now);
	}
}

/* ---- outputs ---------------------------------------------------------- */

uint64_t engine_next_deadline(const struct engine *e)
{
	const struct engine_tnode *n = engine_heap_first(&e->heap);

	return n ? n->when : ENGINE_NO_DEADLINE;
}

bool engine_wants_arp(const struct engine *e)
{
	return e->n_probing > e->n_probing_v6;
}

bool engine_wants_nd(const struct engine *e)
{
	return e->n_probing_v6 > 0;
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
		[ENGINE_NOTE_STARTED] = "started",   [ENGINE_NOTE_ANNOUNCED] = "announced",
		[ENGINE_NOTE_CONFLICT] = "conflict", [ENGINE_NOTE_CANCELLED] = "cancelled",
		[ENGINE_NOTE_FAILOVER] = "failover", [ENGINE_NOTE_RELEARN] = "relearn",
		[ENGINE_NOTE_DEFERRED] = "deferred", [ENGINE_NOTE_REFRESHED] = "refreshed",
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

int engine_query_push(struct engine *e, const struct engine_query *q)
{
	return engine_ring_push(&e->queries, q);
}
