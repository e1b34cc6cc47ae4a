/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Query answers. The engine asks for a bridge's FDB and its ports' VLANs
 * (relearn after a bond failover) and for an interface's neighbours and
 * routes (directed refresh); netlink answers entry by entry. The entries
 * are collected here, per query, and handed to the engine at once when
 * the query is done.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"
#include "garp-netlink.h"

/* An FDB query in flight: its answer is collected, then handed over at once. */
struct fdb_query {
	uint32_t id;
	int bridge;
	struct gnl_fdb *entries;
	size_t n, cap;
	struct gnl_port_vlan *vlans; /* the bridge ports' VLAN tables, in runs */
	size_t n_vlans, cap_vlans;
};

static struct fdb_query *query_find(struct daemon *d, uint32_t id)
{
	for (size_t i = 0; i < d->n_queries; i++)
		if (d->queries[i].id == id)
			return &d->queries[i];
	return NULL;
}

static void query_remove(struct daemon *d, struct fdb_query *q)
{
	free(q->entries);
	free(q->vlans);
	*q = d->queries[--d->n_queries];
}

static void start_query(struct daemon *d, int bridge)
{
	struct fdb_query *p;
	uint32_t id;
	int r;

	r = gnl_query_fdb_vlans(d->gnl, bridge, &id);
	if (r < 0) {
		const struct daemon_event ev = {
			.event = "fdb-query-failed",
			.ifindex = bridge,
			.key1 = "error",
			.val1 = strerrorname_np(-r) ? strerrorname_np(-r) : "unknown",
		};

		daemon_emit(d, CFG_LOG_WARNING, &ev);
		return;
	}
	p = realloc(d->queries, (d->n_queries + 1) * sizeof(*p));
	if (!p)
		return;
	d->queries = p;
	d->queries[d->n_queries++] = (struct fdb_query){ .id = id, .bridge = bridge };
}

/*
 * Directed refresh: the neighbour table and routes of one interface, asked
 * for by the engine, collected here and handed over at once.
 */
struct nb_query {
	uint32_t id;
	int ifindex;
	struct gnl_neigh *neigh;
	size_t n_neigh, cap_neigh;
	struct gnl_route_hop *hops;
	size_t n_hops, cap_hops;
};

static struct nb_query *nb_query_find(struct daemon *d, uint32_t id)
{
	for (size_t i = 0; i < d->n_nb_queries; i++)
		if (d->nb_queries[i].id == id)
			return &d->nb_queries[i];
	return NULL;
}

static void nb_query_remove(struct daemon *d, struct nb_query *q)
{
	free(q->neigh);
	free(q->hops);
	*q = d->nb_queries[--d->n_nb_queries];
}

static void nb_query_failed(struct daemon *d, int ifindex, int err)
{
	const struct daemon_event ev = {
		.event = "neighbour-query-failed",
		.ifindex = ifindex,
		.key1 = "error",
		.val1 = strerrorname_np(-err) ? strerrorname_np(-err) : "unknown",
	};

	daemon_emit(d, CFG_LOG_WARNING, &ev);
}

static void start_nb_query(struct daemon *d, int ifindex)
{
	struct nb_query *p;
	uint32_t id;
	int r;

	r = gnl_query_refresh(d->gnl, ifindex, &id);
	if (r == 0) {
		p = realloc(d->nb_queries, (d->n_nb_queries + 1) * sizeof(*p));
		if (p) {
			d->nb_queries = p;
			d->nb_queries[d->n_nb_queries++] =
			    (struct nb_query){ .id = id, .ifindex = ifindex };
			return;
		}
		r = -ENOMEM; /* its answer will find nobody waiting: dropped */
	}
	/* The engine must hear back: the configured neighbours go all the same. */
	nb_query_failed(d, ifindex, r);
	engine_neighbours(d->engine, d->now, ifindex, NULL, 0, NULL, 0);
}

static void nb_entry(struct daemon *d, const struct gnl_event *ev)
{
	struct nb_query *q = nb_query_find(d, ev->query);

	if (!q)
		return;
	if (ev->type == GNL_EV_NEIGH) {
		if (array_reserve(&q->neigh, &q->cap_neigh, q->n_neigh + 1, sizeof(*q->neigh)))
			q->neigh[q->n_neigh++] = ev->neigh;
	} else if (array_reserve(&q->hops, &q->cap_hops, q->n_hops + 1, sizeof(*q->hops))) {
		q->hops[q->n_hops++] = ev->hop;
	}
}

static bool nb_query_done(struct daemon *d, const struct gnl_event *ev)
{
	struct nb_query *q = nb_query_find(d, ev->query);

	if (!q)
		return false;
	if (ev->error)
		nb_query_failed(d, q->ifindex, ev->error);
	/* What came is usable even when a part failed: each refresh stands alone. */
	engine_neighbours(d->engine, d->now, q->ifindex, q->neigh, q->n_neigh, q->hops, q->n_hops);
	nb_query_remove(d, q);
	return true;
}

static void fdb_entry(struct daemon *d, uint32_t id, const struct gnl_fdb *e)
{
	struct fdb_query *q = query_find(d, id);

	if (!q)
		return;
	if (!array_reserve(&q->entries, &q->cap, q->n + 1, sizeof(*q->entries)))
		return;
	q->entries[q->n++] = *e;
}

static void fdb_vlan_entry(struct daemon *d, uint32_t id, const struct gnl_port_vlan *v)
{
	struct fdb_query *q = query_find(d, id);

	if (!q)
		return;
	if (!array_reserve(&q->vlans, &q->cap_vlans, q->n_vlans + 1, sizeof(*q->vlans)))
		return;
	q->vlans[q->n_vlans++] = *v;
}

void daemon_query_start(struct daemon *d, const struct engine_query *q)
{
	if (q->kind == ENGINE_QUERY_NEIGHBOURS)
		start_nb_query(d, q->ifindex);
	else
		start_query(d, q->bridge);
}

void daemon_query_answer(struct daemon *d, const struct gnl_event *ev)
{
	switch (ev->type) {
	case GNL_EV_FDB:
		fdb_entry(d, ev->query, &ev->fdb);
		break;
	case GNL_EV_PORT_VLAN:
		fdb_vlan_entry(d, ev->query, &ev->port_vlan);
		break;
	case GNL_EV_NEIGH:
	case GNL_EV_ROUTE_HOP:
		nb_entry(d, ev);
		break;
	case GNL_EV_QUERY_DONE: {
		struct fdb_query *q = query_find(d, ev->query);

		if (!q) {
			nb_query_done(d, ev);
			break;
		}
		/* Once per query; a failed query answers with nothing (the next failover asks
		 * again). */
		engine_fdb_vlans(d->engine, d->now, q->bridge, ev->error ? NULL : q->entries,
				 ev->error ? 0 : q->n, ev->error ? NULL : q->vlans,
				 ev->error ? 0 : q->n_vlans);
		query_remove(d, q);
		break;
	}
	default:
		break;
	}
}

void daemon_queries_free(struct daemon *d)
{
	for (size_t i = 0; i < d->n_queries; i++) {
		free(d->queries[i].entries);
		free(d->queries[i].vlans);
	}
	free(d->queries);
	for (size_t i = 0; i < d->n_nb_queries; i++) {
		free(d->nb_queries[i].neigh);
		free(d->nb_queries[i].hops);
	}
	free(d->nb_queries);
}
