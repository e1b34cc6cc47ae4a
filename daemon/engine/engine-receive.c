/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frames received: which ARP and neighbour-discovery frames are a
 * conflict for a target that probes (RFC 5227 §2.1.1, RFC 4862 §5.4.3-4).
 * What a conflict does to the target is engine-target.c's. Pure, like
 * engine.c.
 */

#include <assert.h>
#include <string.h>

#include "engine-private.h"

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
			/* our own MACs never conflict: the target's, and every link the frame
			 * climbed */
			for (size_t k = 0; k < n && !own; k++)
				own = engine_mac_eq(chain[k]->l.mac, arp->sha) ||
				      engine_mac_eq(chain[k]->l.mac, arp->eth_src);
			own = own || engine_mac_eq(t->seq->mac, arp->sha) ||
			      engine_mac_eq(t->seq->mac, arp->eth_src);
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
		own = own || engine_mac_eq(t->seq->mac, nd->eth_src) ||
		      (nd->has_lladdr && engine_mac_eq(t->seq->mac, nd->lladdr));
		if (own)
			continue;
		if (nd->type == PKT_ICMPV6_NS) {
			/* only another node's DAD for the address (RFC 4862 §5.4.3), not resolution
			 */
			if (!garp_addr_is_unspecified(
				&(struct garp_addr){ .family = AF_INET6, .v6 = nd->src }))
				continue;
			/* RFC 7527: our own probe looped back (a reflecting switch) */
			if (nd->has_nonce && !memcmp(nd->nonce, t->nonce, PKT_ND_NONCE_LEN))
				continue;
		}
		/* RFC 4862 §5.4.4: an NA for the target, from another node, while we probe */
		engine_target_conflict(
		    e, t, nd->type == PKT_ICMPV6_NA && nd->has_lladdr ? nd->lladdr : nd->eth_src,
		    now);
	}
out:
	engine_run(e, now);
}
