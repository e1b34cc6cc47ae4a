/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frames out: built for a target (engine_target_emit()), rate-limited per
 * link by a token bucket whose FIFO delays frames without reordering them,
 * queued for the event loop and popped (engine_pop_frame()). Every frame
 * is checked again when it leaves the bucket and when it is popped, so a
 * frame for an address no longer configured, a link that is down or a
 * superseded sequence never gets out. Pure, like engine.c.
 */

#include <errno.h>

#include "engine-private.h"

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
		r = pkt_build_probe(&p.f.frame, t->seq->mac, t->addr.v4, PKT_VLAN_NONE);
		break;
	case ENGINE_FRAME_ANNOUNCE_REQUEST:
		r = pkt_build_announce_request(
		    &p.f.frame, t->seq->mac, t->addr.v4,
		    t->seq->target_mac == CFG_THA_ZERO ? PKT_THA_ZERO : PKT_THA_BROADCAST,
		    PKT_VLAN_NONE);
		break;
	case ENGINE_FRAME_ANNOUNCE_REPLY:
		r = pkt_build_announce_reply(&p.f.frame, t->seq->mac, t->addr.v4, PKT_VLAN_NONE);
		break;
	case ENGINE_FRAME_NS_PROBE:
		r = pkt_build_dad_ns(&p.f.frame, t->seq->mac, &t->addr.v6, t->nonce, PKT_VLAN_NONE);
		break;
	case ENGINE_FRAME_NA:
		r = pkt_build_na(&p.f.frame, t->seq->mac, &t->addr.v6, t->router, PKT_VLAN_NONE);
		break;
	default:
		r = -EINVAL;
	}
	if (r >= 0)
		engine_frame_emit(e, now, &p, t);
}

/* ---- outputs ---------------------------------------------------------- */

int engine_pop_frame(struct engine *e, struct engine_frame *ret)
{
	const struct engine_pending *p;
	struct engine_target *t;

	/* copied once, from the queue to @ret */
	for (; (p = engine_ring_peek(&e->out)); engine_ring_pop(&e->out, NULL)) {
		/* checked again: an input since it was queued may have removed the address */
		if (!pending_valid(e, p, &t))
			continue;
		if (t && p->f.kind != ENGINE_FRAME_PROBE && p->f.kind != ENGINE_FRAME_NS_PROBE &&
		    p->f.kind != ENGINE_FRAME_REFRESH)
			t->sent_at = e->now + 1;
		switch (p->f.kind) {
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
		*ret = p->f;
		engine_ring_pop(&e->out, NULL);
		return 0;
	}
	return -EAGAIN;
}
