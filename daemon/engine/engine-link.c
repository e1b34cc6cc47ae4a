/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Links: the table by ifindex, the policy each one gets, who is eligible
 * (Ethernet, not loopback, NOARP, ignored or a bond's slave) and who may
 * send (eligible and operationally up, netlink's rule), and what a link's
 * change means for its targets: carrier up, MAC change, going away, a bond
 * switching its active slave (engine-failover.c). Pure, like engine.c.
 */

#include <assert.h>
#include <errno.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

int engine_link_hash_grow(struct engine *e)
{
	size_t size = e->lhash_size ? e->lhash_size * 2 : 64;
	struct engine_link **h = calloc(size, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (struct engine_link *l = e->links; l; l = l->next) {
		size_t b = (size_t)(unsigned int)l->l.ifindex & (size - 1);

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
	b = engine_link_bucket(e, ifindex);
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

static bool link_is_eligible(const struct engine *e, const struct engine_link *l)
{
	if (!l->known)
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

/* @l's answers for engine_link_is_eligible() and engine_link_can_send(), again. */
static void link_answer(const struct engine *e, struct engine_link *l)
{
	l->eligible = link_is_eligible(e, l);
	l->can_send = l->eligible && engine_link_sendable(l);
}

/*
 * The links whose master is @ifindex: their answers depend on whether it
 * is a known bond (link_is_bond_slave()). Called when that changes only:
 * a walk of every link per link event would cost a host with thousands
 * of VLANs millions of steps at start.
 */
static void link_answer_slaves(const struct engine *e, int ifindex)
{
	for (struct engine_link *m = e->links; m; m = m->next)
		if (m->l.master == ifindex)
			link_answer(e, m);
}

/* ---- inputs ----------------------------------------------------------- */

void engine_reload_policy(struct engine *e)
{
	for (struct engine_link *l = e->links; l; l = l->next)
		if (l->known)
			link_policy_lookup(e, l);
	for (struct engine_link *l = e->links; l; l = l->next)
		link_answer(e, l);
}

void engine_link(struct engine *e, uint64_t now, const struct gnl_link *link, unsigned int changes)
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
	link_answer(e, l);
	if ((!is_new && old.kind == GNL_KIND_BOND) != (link->kind == GNL_KIND_BOND))
		link_answer_slaves(e, l->l.ifindex);
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
				k = engine_action_max(engine_action_from_cfg(l->policy.on_link_up),
						      k);
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
		l->failover_handled =
		    true; /* back, in the same instant, to the slave just handled */
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
	bool bond;

	if (!l)
		goto out;
	bond = l->known && l->l.kind == GNL_KIND_BOND;
	while (l->targets) {
		engine_target_cancel(e, l->targets, ENGINE_CANCEL_LINK_REMOVED, now);
		engine_target_free(e, l->targets);
	}
	engine_heap_remove(&e->heap, &l->timer);
	engine_refresh_link_del(e, l);
	for (p = &e->lhash[engine_link_bucket(e, ifindex)]; *p; p = &(*p)->hnext)
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
	if (bond)
		link_answer_slaves(e, ifindex);
out:
	engine_run(e, now);
}

bool engine_link_eligible(const struct engine *e, int ifindex)
{
	return engine_link_is_eligible(e, engine_link_find(e, ifindex));
}
