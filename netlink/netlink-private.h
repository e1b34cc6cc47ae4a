/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * netlink/ internals, shared by the library and its unit tests: the event
 * queue and the cache that turns rtnetlink messages into gnl_events.
 * Nothing here touches a socket.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "garp-netlink.h"

struct nlmsghdr;

/* A growable FIFO of events (ring buffer). */
struct gnl_evq {
	struct gnl_event *ev;
	size_t cap;  /* power of two, or 0 */
	size_t head; /* index of the oldest */
	size_t len;
};

#define GNL_EVQ_INIT ((struct gnl_evq){ 0 })

int gnl_evq_push(struct gnl_evq *q, const struct gnl_event *ev);
int gnl_evq_pop(struct gnl_evq *q, struct gnl_event *ret);
void gnl_evq_clear(struct gnl_evq *q);

/*
 * Intrusive doubly linked hash chain (like the kernel's hlist): O(1)
 * removal without walking the chain.
 */
struct gnl_hnode {
	struct gnl_hnode *next;
	struct gnl_hnode **pprev;
};

struct gnl_htab {
	struct gnl_hnode **b;
	size_t nb; /* power of two, or 0 */
	size_t n;
};

struct gnl_link_entry {
	struct gnl_hnode node; /* by ifindex */
	uint32_t gen;	       /* the sync generation that last saw it */
	uint32_t n_addrs;      /* cached addresses on it: a link's removal looks for them */
	struct gnl_link link;
};

/*
 * One cached address, a slot of an open-addressing table (linear probing):
 * its key (ifindex, family, prefixlen, address) and what decides whether a
 * repeated RTM_NEWADDR changed it (flags, scope). Nothing else: the events
 * carry what their message said; a removal the cache works out itself
 * (a sweep, a link gone) carries the key and these. A slot is the address
 * (4 or 16 bytes: one table per family) followed by this: 16 bytes an
 * IPv4 address, 28 an IPv6 one.
 */
struct gnl_addr_meta {
	int ifindex;
	uint32_t flags;
	uint8_t family; /* 0: the slot is empty */
	uint8_t prefixlen;
	uint8_t scope;
	/*
	 * The sync generation that last saw it, its low byte: a sync's
	 * beginning moves every address that has the new one's (seen 256
	 * generations ago) to the one before, so "not this one" stays exact.
	 */
	uint8_t gen;
};

struct gnl_addr_table {
	uint8_t *s; /* cap slots of alen + sizeof(struct gnl_addr_meta) bytes */
	size_t cap; /* power of two, or 0; at most 3/4 used */
	size_t n;
	uint8_t alen; /* 4 (IPv4) or 16 (IPv6) */
};

/*
 * The library's model of links and addresses.
 *
 * Every message (dump answer or event) is applied in the order it was read
 * and compared with what is cached, which yields the events. A re-dump is a
 * mark-and-sweep: gnl_cache_sync_begin() starts a new generation, every
 * entry seen by the dump or created/updated by an event after that is marked
 * with it, and gnl_cache_sync_end() removes (and reports) what was not.
 * Because dump answers and events share one socket, the kernel's ordering
 * makes "not seen since the dump began" mean "gone".
 */
struct gnl_cache {
	struct gnl_htab links;
	struct gnl_addr_table addrs4, addrs6;
	size_t n_orphans; /* addresses on an ifindex without a cached link */
	uint32_t gen;
	bool syncing;
};

#define GNL_CACHE_INIT                                                                             \
	((struct gnl_cache){ .gen = 1, .addrs4 = { .alen = 4 }, .addrs6 = { .alen = 16 } })

void gnl_cache_clear(struct gnl_cache *c);

/*
 * gnl_cache_apply() - apply one RTM_NEWLINK/DELLINK/NEWADDR/DELADDR message
 *
 * Return: 0 (applied, or a message of another kind/family that is ignored),
 * -EBADMSG when it does not validate (nothing changed), -ENOMEM.
 */
int gnl_cache_apply(struct gnl_cache *c, const struct nlmsghdr *nlh, struct gnl_evq *q);
void gnl_cache_sync_begin(struct gnl_cache *c);
/* Sweep what the sync did not see: ADDR_DEL/LINK_DEL events. */
int gnl_cache_sync_end(struct gnl_cache *c, struct gnl_evq *q);

const struct gnl_link *gnl_cache_link(const struct gnl_cache *c, int ifindex);
/* @a's key as cached: flags, scope and key into @ret (no label). Return: false when not cached. */
bool gnl_cache_addr(const struct gnl_cache *c, const struct gnl_addr *a, struct gnl_addr *ret);
size_t gnl_cache_n_links(const struct gnl_cache *c);
void gnl_cache_foreach_link(const struct gnl_cache *c,
			    void (*fn)(void *userdata, const struct gnl_link *link),
			    void *userdata);
size_t gnl_cache_n_addrs(const struct gnl_cache *c);

/* The GNL_CHANGE_* mask between two states of one link. */
unsigned int gnl_link_diff(const struct gnl_link *old, const struct gnl_link *new);

/*
 * Attribute stream well-formedness: every attribute header and length
 * within @len, nothing left over. libmnl's iterators stop silently at a
 * truncated attribute; this makes truncation an error.
 */
bool gnl_attrs_wellformed(const void *start, size_t len);

/*
 * gnl_msg_attrs_check() - the family header (@hdrlen bytes) fits in @nlh's
 * payload and the attributes after it are well formed.
 * Return: 0 or -EBADMSG.
 */
int gnl_msg_attrs_check(const struct nlmsghdr *nlh, size_t hdrlen);
