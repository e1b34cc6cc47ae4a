/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status snapshot (status.h): everything the control requests show,
 * gathered in one call, sorted, with what each interface's lines need
 * worked out once (its state, why it is ignored, its policy, its bond's
 * active slave, which addresses are its).
 */

#include <errno.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "garp-packet.h"
#include "status.h"

struct take {
	struct daemon_status *s;
	size_t cap_links, cap_targets;
	bool oom;
};

static void take_link(void *userdata, const struct gnl_link *link)
{
	struct take *t = userdata;
	struct daemon_status *s = t->s;

	if (!array_reserve(&s->links, &t->cap_links, s->n_links + 1, sizeof(*s->links))) {
		t->oom = true;
		return;
	}
	s->links[s->n_links++] = (struct status_link){ .link = *link };
}

static void take_target(void *userdata, const struct engine_target_info *info)
{
	struct take *t = userdata;
	struct daemon_status *s = t->s;

	if (!array_reserve(&s->targets, &t->cap_targets, s->n_targets + 1, sizeof(*s->targets))) {
		t->oom = true;
		return;
	}
	s->targets[s->n_targets++] = *info;
}

static int cmp_link(const void *a, const void *b)
{
	const struct status_link *x = a, *y = b;

	return (x->link.ifindex > y->link.ifindex) - (x->link.ifindex < y->link.ifindex);
}

static int cmp_target(const void *a, const void *b)
{
	const struct engine_target_info *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	/* IPv4 first, then IPv6; numerically within a family */
	return garp_addr_cmp(&x->addr, &y->addr);
}

static const char *link_state(const struct gnl_link *l)
{
	if (!(l->flags & IFF_UP))
		return "down";
	return gnl_link_is_oper_up(l) ? "up" : "no-carrier";
}

/* Why the engine does not consider an interface; NULL when it does. */
static const char *link_ignored_reason(struct daemon *d, const struct daemon_status *s,
				       const struct gnl_link *l)
{
	struct cfg_sequence seq;
	const struct status_link *master = l->master ? daemon_status_link(s, l->master) : NULL;

	if (engine_link_eligible(d->engine, l->ifindex))
		return NULL;
	if (l->flags & IFF_LOOPBACK)
		return "loopback";
	if (l->type != ARPHRD_ETHER || l->mac_len != PKT_ETH_ALEN)
		return "not-ethernet";
	if (l->flags & IFF_NOARP)
		return "noarp";
	cfg_sequence_for(&d->cfg, l->name, &seq);
	if (seq.ignore)
		return "ignored-by-config";
	if (l->slave_kind == GNL_KIND_BOND || (master && master->link.kind == GNL_KIND_BOND))
		return "bond-slave";
	return "unknown";
}

int daemon_status_take(struct daemon *d, struct daemon_status *ret)
{
	struct take t = { .s = ret };
	size_t k = 0;

	*ret = (struct daemon_status){ .now = d->now, .send_errors = d->send_errors };
	gnl_foreach_link(d->gnl, take_link, &t);
	engine_foreach_target(d->engine, take_target, &t);
	if (d->n_stats) {
		ret->if_stats = malloc(d->n_stats * sizeof(*ret->if_stats));
		if (ret->if_stats) {
			memcpy(ret->if_stats, d->stats, d->n_stats * sizeof(*ret->if_stats));
			ret->n_if_stats = d->n_stats;
		} else {
			t.oom = true;
		}
	}
	if (t.oom)
		return -ENOMEM;
	if (ret->n_links)
		qsort(ret->links, ret->n_links, sizeof(*ret->links), cmp_link);
	if (ret->n_targets)
		qsort(ret->targets, ret->n_targets, sizeof(*ret->targets), cmp_target);

	for (size_t i = 0; i < ret->n_links; i++) {
		struct status_link *sl = &ret->links[i];
		const struct gnl_link *l = &sl->link;
		char b[IFNAMSIZ + 12];

		sl->state = link_state(l);
		sl->ignored = link_ignored_reason(d, ret, l);
		if (!sl->ignored)
			cfg_sequence_for(&d->cfg, l->name, &sl->policy);
		if (l->kind == GNL_KIND_BOND && l->bond_active_slave)
			snprintf(sl->active_slave, sizeof(sl->active_slave), "%s",
				 daemon_status_ifname(ret, l->bond_active_slave, b));
		while (k < ret->n_targets && ret->targets[k].ifindex < l->ifindex)
			k++;
		sl->target = k;
		while (k < ret->n_targets && ret->targets[k].ifindex == l->ifindex)
			k++;
		sl->n_targets = k - sl->target;
	}

	engine_get_counters(d->engine, &ret->engine);
	gnl_get_counters(d->gnl, &ret->netlink);
	ret->n_conflicts = engine_get_conflicts(d->engine, ret->conflicts, ENGINE_CONFLICTS_KEPT);
	return 0;
}

void daemon_status_free(struct daemon_status *s)
{
	free(s->links);
	free(s->targets);
	free(s->if_stats);
	*s = (struct daemon_status){ 0 };
}

const struct status_link *daemon_status_link(const struct daemon_status *s, int ifindex)
{
	const struct status_link key = { .link.ifindex = ifindex };

	if (!s->n_links)
		return NULL;
	return bsearch(&key, s->links, s->n_links, sizeof(*s->links), cmp_link);
}

const struct status_link *daemon_status_link_by_name(const struct daemon_status *s,
						     const char *name)
{
	for (size_t i = 0; i < s->n_links; i++)
		if (strcmp(s->links[i].link.name, name) == 0)
			return &s->links[i];
	return NULL;
}

const char *daemon_status_ifname(const struct daemon_status *s, int ifindex,
				 char buf[IFNAMSIZ + 12])
{
	const struct status_link *l = daemon_status_link(s, ifindex);

	if (l)
		return l->link.name;
	snprintf(buf, IFNAMSIZ + 12, "if%d", ifindex);
	return buf;
}
