/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bond's failover: announcements on the bond and on everything stacked
 * on it (the bridge it is a port of, VLANs, macvlans), and the relearn of
 * the guests behind the bridge: one FDB query per bridge, answered by
 * engine_fdb()/engine_fdb_vlans(), one relearn frame per guest MAC out of
 * the bridge's port that leads to the bond. Pure, like engine.c.
 */

#include <assert.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

static const uint8_t mac_zero[PKT_ETH_ALEN];

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
	struct engine_note note = { .type = ENGINE_NOTE_FAILOVER,
				    .time = now,
				    .ifindex = bond->l.ifindex,
				    .slave = bond->l.bond_active_slave };

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

/* ---- the FDB answer --------------------------------------------------- */

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

void engine_fdb(struct engine *e, uint64_t now, int bridge, const struct gnl_fdb *entries, size_t n)
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
		struct engine_pending p = { .f = { .kind = ENGINE_FRAME_RELEARN,
						   .ifindex = r.out } };
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
