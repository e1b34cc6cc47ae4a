/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The engine's internals, for engine*.c and its tests. Nothing here is
 * part of the contract with the event loop.
 */

#include <errno.h>
#include <string.h>

#include "engine.h"

#define ENGINE_NSEC GARP_NSEC_PER_SEC
#define ENGINE_TNODE_NONE UINT32_MAX
/* How deep the master chain / stacking is followed: a loop in bad input must not hang us. */
#define ENGINE_STACK_DEPTH 16
/* Notes nobody pops are not kept forever. */
#define ENGINE_NOTES_MAX 65536u

/* A growable ring of fixed-size elements: frame queues, notes, queries. */
struct engine_ring {
	void *v;
	size_t esz;
	size_t head, n, cap;
};

/* One entry of the timer queue, embedded in what it times. */
enum engine_tnode_type {
	ENGINE_TNODE_TARGET,
	ENGINE_TNODE_LINK,    /* the link's token bucket has a frame to release */
	ENGINE_TNODE_REFRESH, /* engine-refresh.c: a link's held neighbour query is due */
};

struct engine_tnode {
	uint64_t when;
	uint64_t seq; /* ties broken by arming order: deterministic, first armed first run */
	struct engine_tnode *prev, *next; /* in its run, in (when, seq) order */
	uint32_t idx; /* its run (struct engine_heap), ENGINE_TNODE_NONE when not armed */
	enum engine_tnode_type type;
};

/*
 * The timers run in (when, seq). They are kept in runs: FIFOs each in
 * (when, seq) order, because a node is only appended to a run whose last
 * deadline is not later than its own (its seq is the newest). A min-heap
 * orders the runs by their first node. Sequences step with fixed delays,
 * so the nodes of a delay go to one run: a step is an append, and the
 * heap holds a few runs, not a node per target.
 */
#define ENGINE_HEAP_OPEN 4 /* runs that take new nodes: the best fit of these, or a new one */

struct engine_trun {
	struct engine_tnode *head, *tail;
	/* position in the heap, ENGINE_TNODE_NONE while empty; free: the next free one plus one */
	uint32_t hidx;
	bool open; /* in engine_heap.open: kept while empty */
};

struct engine_heap {
	struct engine_trun *r; /* the runs, by index */
	uint32_t *v;	       /* the min-heap of run indices over their first node */
	uint32_t n;	       /* runs in the heap (not empty) */
	uint32_t cap, used;    /* runs allocated; handed out at least once */
	uint32_t free;	       /* the first free run plus one, 0: none */
	uint64_t seq;
	uint32_t open[ENGINE_HEAP_OPEN]; /* runs that take new nodes, plus one, 0: none */
	uint32_t open_next;		 /* the open slot a new run takes */
	uint32_t last;			 /* the run last appended to, plus one, 0: none */
};

/* A frame on its way out: in a link's bucket FIFO or in the output queue. */
struct engine_pending {
	struct engine_frame f;
	uint64_t gen; /* the target's generation when it was built; 0: relearn */
	bool last;    /* the last announcement frame of a sequence */
};

struct engine_target;

struct engine_link {
	struct gnl_link l;
	bool known; /* false: a placeholder for addresses reported before their link */
	/*
	 * engine_link_is_eligible() and engine_link_can_send(), answered when
	 * the link, its master or the policy changes (engine-link.c), not per
	 * frame.
	 */
	bool eligible, can_send;
	struct cfg_sequence policy;
	struct engine_link *hnext;	 /* hash chain by ifindex */
	struct engine_link *prev, *next; /* every link */
	struct engine_target *targets;	 /* the link's addresses */
	/* Token bucket: credit in frame-ns (a frame costs ENGINE_NSEC), refilled at rate per ns. */
	uint64_t credit;
	uint64_t credit_time;
	struct engine_ring fifo; /* struct engine_pending, delayed by the bucket, in order */
	struct engine_tnode timer;
	/*
	 * The failover to this active slave was handled: a further report of
	 * it (fail_over_mac=active reports one switch in two messages) is the
	 * same switch, until the active slave changes again.
	 */
	bool failover_handled;
	int failover_slave;
	/*
	 * When that failover was handled, plus one (0: never). A bond that
	 * leaves and comes back to the same slave within one instant (one
	 * wakeup's batch of messages: 4 -> none -> 4) has not moved: the
	 * failover already handled in that instant covers it.
	 */
	uint64_t failover_at;
	struct engine_refresh_link *refresh; /* engine-refresh.c; NULL until first used */
};

/*
 * What a trigger asks of a target. The engine's own, not config's: a
 * target wants the most any of its triggers asked for, by the explicit
 * rank below, never by the enum's numeric order.
 */
enum engine_action {
	ENGINE_ACTION_NONE,
	ENGINE_ACTION_ANNOUNCE, /* announcement(s) only */
	ENGINE_ACTION_SEQUENCE, /* probes, then announcement(s) */
};

static inline unsigned int engine_action_rank(enum engine_action a)
{
	switch (a) {
	case ENGINE_ACTION_SEQUENCE:
		return 2; /* a sequence announces too: it covers an announcement */
	case ENGINE_ACTION_ANNOUNCE:
		return 1;
	case ENGINE_ACTION_NONE:
		break;
	}
	return 0;
}

/* The larger of @a and @b by rank. */
static inline enum engine_action engine_action_max(enum engine_action a, enum engine_action b)
{
	return engine_action_rank(b) > engine_action_rank(a) ? b : a;
}

/* A configured on_link_up/on_mac_change/on_bond_failover as an engine action. */
static inline enum engine_action engine_action_from_cfg(enum cfg_action a)
{
	switch (a) {
	case CFG_ACTION_ANNOUNCE:
		return ENGINE_ACTION_ANNOUNCE;
	case CFG_ACTION_SEQUENCE:
		return ENGINE_ACTION_SEQUENCE;
	case CFG_ACTION_NONE:
		break;
	}
	return ENGINE_ACTION_NONE;
}

/*
 * Every condition a target can be in. Each state says what its deadline
 * means; target_set() (engine-target.c) is the only writer of a target's
 * state, of what it waits to start (want) and of its deadline. The public
 * enum engine_target_state (status) is a view of it: engine_tstate_public().
 */
enum engine_tstate {
	ENGINE_TS_IDLE,	     /* configured, nothing in flight; no deadline */
	ENGINE_TS_HELD_DOWN, /* re-added within the hold-down: `want` starts at the deadline */
	ENGINE_TS_PROBING,   /* a sequence probes: the next probe at the deadline */
	ENGINE_TS_WAITING,   /* the pause after the last probe: the announcements start at the
				deadline */
	/*
	 * on_conflict = announce: another host answered; no more probes, no
	 * more conflicts counted, the announcements start at the deadline
	 * (when the last probe's pause ends).
	 */
	ENGINE_TS_DEFENDED,
	ENGINE_TS_ANNOUNCING, /* an announcement (no probes asked): its next step at the deadline */
	ENGINE_TS_SEQ_ANNOUNCING, /* a sequence's announcements: the next step at the deadline */
	ENGINE_TS_DONE,	    /* announced; the periodic refresh at the deadline, if configured */
	ENGINE_TS_CONFLICT, /* another host has it (on_conflict = abort, or the kernel's DAD failed)
			     */
	ENGINE_TS_CANCELLED, /* what was in flight was withdrawn (removal, link down, MAC change...)
			      */
	ENGINE_TS_REMOVED,   /* no longer configured, kept so a quick re-add is held down; freed at
				the deadline */
	_ENGINE_TS_MAX,
};

const char *engine_tstate_to_string(enum engine_tstate s);
enum engine_target_state engine_tstate_public(enum engine_tstate s);

/* What @s has in flight: a sequence (probes, or a sequence's announcements), an announcement, or
 * nothing. */
static inline enum engine_action engine_tstate_running(enum engine_tstate s)
{
	switch (s) {
	case ENGINE_TS_PROBING:
	case ENGINE_TS_WAITING:
	case ENGINE_TS_DEFENDED:
	case ENGINE_TS_SEQ_ANNOUNCING:
		return ENGINE_ACTION_SEQUENCE;
	case ENGINE_TS_ANNOUNCING:
		return ENGINE_ACTION_ANNOUNCE;
	default:
		return ENGINE_ACTION_NONE;
	}
}

/* Whether @s counts as probing: the receive filters stay on (engine_wants_arp()/_nd()). */
static inline bool engine_tstate_probing(enum engine_tstate s)
{
	return s == ENGINE_TS_PROBING || s == ENGINE_TS_WAITING || s == ENGINE_TS_DEFENDED;
}

/*
 * What a target keeps of the address netlink reported: what decides
 * whether it may be announced, and the prefix (engine-refresh.c).
 */
struct engine_target_addr {
	uint32_t flags; /* IFA_F_* */
	uint8_t prefixlen;
	uint8_t scope;	   /* RT_SCOPE_* */
} __attribute__((packed)); /* 6 bytes, in a target's tail */

/*
 * The part of a link's policy a sequence runs by, and the link's MAC,
 * taken when it starts: shared (refcounted) by every target that started
 * with the same ones, so 10,000 addresses hold one copy, not 10,000
 * (seq_get() in engine-target.c).
 */
struct engine_seq {
	uint64_t probe_interval_ns, probe_max_ns, probe_wait_ns;
	uint64_t announce_delay_ns, announce_interval_ns, refresh_interval_ns;
	/* config allows 0..100; more than UINT16_MAX is taken as UINT16_MAX (a target counts in
	 * 16 bits) */
	uint16_t probes, announcements;
	uint8_t frames;		   /* enum cfg_frames */
	uint8_t target_mac;	   /* enum cfg_tha */
	uint8_t on_conflict;	   /* enum cfg_on_conflict */
	uint8_t mac[PKT_ETH_ALEN]; /* the link's when the sequence started: its frames' */
	uint32_t refs;		   /* targets holding it; 0 for the one of a target never started */
	struct engine_seq *next;   /* struct engine's seqs */
};

/*
 * One address. Laid out small (10,000 of them is the design point):
 * pointers and times first, the enums as bytes, the flags as bits.
 */
struct engine_target {
	struct engine_target *hnext;
	struct engine_target *lprev, *lnext; /* on the link */
	/* the policy of the sequence in flight (or the last one); engine_seq_none before any */
	struct engine_seq *seq;
	struct engine_tnode timer; /* the state's deadline */

	uint64_t last_probe;
	uint64_t gen; /* frames queued under another generation are void */
	/*
	 * What happened when: coinciding triggers coalesce against it (one
	 * instant, one sequence), the hold-down counts from last_started.
	 */
	uint64_t last_started;
	uint64_t last_announced;
	uint64_t last_frame_at; /* when an announcement frame (not a probe) left, plus one */
	/* when an announcement frame was handed out (engine_pop_frame()), plus one */
	uint64_t sent_at;

	int ifindex;
	struct garp_addr addr; /* the key, with ifindex */
	struct engine_target_addr a;
	uint8_t nonce[PKT_ND_NONCE_LEN]; /* IPv6: the nonce of this sequence's DAD probes */
	uint16_t sent; /* of this sequence's probes, or announcements: engine_target_total() */

	/* The condition: written by target_set() alone. */
	unsigned int state : 4; /* enum engine_tstate */
	/* enum engine_action: to start when the link can send / the address is usable / the
	 * hold-down ends */
	unsigned int want : 2;
	/* enum engine_action: what started at last_started, until cancelled: coinciding
	 * triggers coalesce into it */
	unsigned int started_kind : 2;
	bool configured : 1;  /* state != ENGINE_TS_REMOVED (for engine-refresh.c) */
	bool router : 1;      /* IPv6: the Router flag of this sequence's advertisements */
	bool has_started : 1; /* last_started is set */
	/*
	 * This sequence replaced, in the instant it started (last_started),
	 * one whose announcement was already handed out. Its first
	 * announcement step, when due in that very instant, is satisfied by
	 * that frame.
	 */
	bool covered : 1;
	/* engine-refresh.c's: announced; its directed refresh waits for the neighbour list */
	bool refresh_wait : 1;
	/*
	 * engine-refresh.c's: what it queued was voided (gen moved on) since
	 * it was announced: a cancel voids the refresh.
	 */
	bool refresh_void : 1;
	/* sent counts probes (of seq->probes), else announcements (of seq->announcements) */
	bool counts_probes : 1;
};

/* How many probes, or announcements, the sequence sends (status: sent of total). */
static inline uint16_t engine_target_total(const struct engine_target *t)
{
	return t->counts_probes ? t->seq->probes : t->seq->announcements;
}

_Static_assert(_ENGINE_TS_MAX <= 16 && ENGINE_ACTION_SEQUENCE <= 3,
	       "struct engine_target's state and actions fit their bits");

/* A relearn waiting for its FDB answer. */
struct engine_relearn {
	int bridge;
	int bond;
	int out; /* the bridge's port that leads to the bond: frames go out here */
	int ports[ENGINE_STACK_DEPTH]; /* the bridge's ports that are the bond or stacked on it */
	size_t n_ports;
	bool asked; /* its query was handed out by engine_pop_query() */
};

struct engine {
	struct engine_policy_source policy;
	bool has_policy;
	uint64_t rng;
	uint64_t gen;
	/* the latest `now` seen: a late timer's frame leaves at this time, the bucket counts it so
	 */
	uint64_t now;

	struct engine_heap heap;

	struct engine_link **lhash;
	size_t lhash_size, n_links;
	struct engine_link *links;

	struct engine_target **thash;
	size_t thash_size, n_targets;
	struct engine_seq *seqs; /* the policies sequences started with, still held by a target */
	/* the targets' storage: chunks of ENGINE_TARGET_CHUNK, freed slots listed by hnext */
	struct engine_target_chunk *tchunks;
	struct engine_target *tfree;

	size_t n_probing;    /* targets PROBING or WAITING */
	size_t n_probing_v6; /* of which IPv6 (own DAD for nodad addresses) */

	struct engine_ring out;	    /* struct engine_pending */
	struct engine_ring notes;   /* struct engine_note */
	struct engine_ring queries; /* struct engine_query */
	struct engine_relearn *relearns;
	size_t n_relearns, cap_relearns;

	struct engine_counters counters;
	struct engine_conflict conflicts[ENGINE_CONFLICTS_KEPT];
	size_t conflicts_next, n_conflicts;
};

/* Small helpers. */

/* @a + @b, saturated short of ENGINE_NO_DEADLINE. */
static inline uint64_t engine_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX - 1 : a + b;
}

static inline uint64_t engine_hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline bool engine_mac_eq(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, PKT_ETH_ALEN);
}

/* Whether @l is among the @n links of @v. */
static inline bool engine_links_have(struct engine_link *const *v, size_t n,
				     const struct engine_link *l)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == l)
			return true;
	return false;
}

/* The containers: rings, and the timer heap (ENGINE_NO_DEADLINE disarms). */
void engine_ring_init(struct engine_ring *r, size_t esz);
void engine_ring_free(struct engine_ring *r);
int engine_ring_push(struct engine_ring *r, const void *elem);

/* The oldest element, NULL when empty. */
static inline void *engine_ring_peek(const struct engine_ring *r)
{
	return r->n ? (char *)r->v + r->head * r->esz : NULL;
}

/* Takes the oldest element (into @ret unless NULL). Return: 0, or -EAGAIN when empty. */
static inline int engine_ring_pop(struct engine_ring *r, void *ret)
{
	if (!r->n)
		return -EAGAIN;
	if (ret)
		memcpy(ret, (char *)r->v + r->head * r->esz, r->esz);
	r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
	r->n--;
	return 0;
}
int engine_heap_arm_at(struct engine_heap *h, struct engine_tnode *n, uint64_t when);
void engine_heap_remove(struct engine_heap *h, struct engine_tnode *n);
void engine_heap_free(struct engine_heap *h);

/* Arms (or re-arms) @n for @when, after every node armed before; ENGINE_NO_DEADLINE disarms. */
static inline int engine_heap_arm(struct engine_heap *h, struct engine_tnode *n, uint64_t when)
{
	if (when != ENGINE_NO_DEADLINE)
		return engine_heap_arm_at(h, n, when);
	if (n->idx != ENGINE_TNODE_NONE)
		engine_heap_remove(h, n);
	return 0;
}

/* The first timer to run, NULL when none is armed. */
static inline struct engine_tnode *engine_heap_first(const struct engine_heap *h)
{
	return h->n ? h->r[h->v[0]].head : NULL;
}

/* Notes and queries out. */
void engine_note_push(struct engine *e, const struct engine_note *n);
void engine_note_target(struct engine *e, enum engine_note_type type, uint64_t now,
			const struct engine_target *t);
/* Out of memory: counts the dropped work and notes it (engine.h, "No silent loss"). */
void engine_lost(struct engine *e, uint64_t now, int ifindex, const struct garp_addr *addr);
int engine_query_push(struct engine *e, const struct engine_query *q);

/* Links: the table and who may send. */
static inline size_t engine_link_bucket(const struct engine *e, int ifindex)
{
	/* the kernel numbers links from 1 up: as good a spread as a hash, and cheaper */
	return (size_t)(unsigned int)ifindex & (e->lhash_size - 1);
}

static inline struct engine_link *engine_link_find(const struct engine *e, int ifindex)
{
	struct engine_link *l;

	if (ifindex <= 0 || !e->lhash_size)
		return NULL;
	for (l = e->lhash[engine_link_bucket(e, ifindex)]; l; l = l->hnext)
		if (l->l.ifindex == ifindex)
			return l;
	return NULL;
}

int engine_link_hash_grow(struct engine *e);
/* @ifindex's link, a placeholder (not known) when it is new; NULL: out of memory. */
struct engine_link *engine_link_get(struct engine *e, int ifindex);
/* Known and operationally up (netlink's rule). */
bool engine_link_sendable(const struct engine_link *l);
/* Considered at all: Ethernet, not loopback, NOARP, ignored or a bond's slave. */
static inline bool engine_link_is_eligible(const struct engine *e, const struct engine_link *l)
{
	(void)e;
	return l && l->eligible;
}

/* Eligible and sendable. */
static inline bool engine_link_can_send(const struct engine *e, const struct engine_link *l)
{
	(void)e;
	return l && l->can_send;
}

/* A bond switched its active slave: announce on it and above it, relearn the guests. */
void engine_bond_failover(struct engine *e, struct engine_link *bond, uint64_t now);

/* Targets: the table, the triggers and the state machine. */
int engine_target_hash_grow(struct engine *e);
struct engine_target *engine_target_find(const struct engine *e, int ifindex,
					 const struct garp_addr *addr);
bool engine_target_is_link_local(const struct engine_target *t);
/* Configured, usable, on a link that can send, its family on: a frame may go. */
bool engine_target_can_send(const struct engine *e, const struct engine_target *t);
/* Probing or in the pause after: a claim from another host is a conflict. */
bool engine_target_listens(const struct engine_target *t);
enum engine_action engine_target_take_want(struct engine *e, struct engine_target *t);
void engine_target_free(struct engine *e, struct engine_target *t);
/* Frees what engine_free() leaves of the targets' storage (their targets freed already). */
void engine_targets_release(struct engine *e);
/* Stops what is in flight (return: true) and keeps it in want; voids what is queued. */
bool engine_target_cancel(struct engine *e, struct engine_target *t,
			  enum engine_cancel_reason reason, uint64_t now);
/* A trigger that moves the MAC binding (MAC change, failover) or names the address. */
int engine_target_trigger_rebind(struct engine *e, struct engine_target *t, enum engine_action kind,
				 uint64_t now);
/* @t's deadline came. */
void engine_target_timer(struct engine *e, struct engine_target *t, uint64_t due);
/* Another host claims @t's address (RFC 5227 §2.1.1, RFC 4862 §5.4.3-4). */
void engine_target_conflict(struct engine *e, struct engine_target *t, const uint8_t *mac,
			    uint64_t now);

/* Frames out: the token bucket, its FIFO, the output queue. */
/* @l's bucket has credit again: release what waited, in order. */
void engine_link_release(struct engine *e, struct engine_link *l, uint64_t now);
/* Sends @p now or, rate-limited, later in order; @t: its target, NULL for relearn frames. */
void engine_frame_emit(struct engine *e, uint64_t now, const struct engine_pending *p,
		       struct engine_target *t);
void engine_target_emit(struct engine *e, uint64_t now, struct engine_target *t,
			enum engine_frame_kind kind, bool last);

/* engine-refresh.c: the directed refresh. */
struct engine_refresh_link;
/* @t started a sequence on @l: make sure a neighbour list read from now on comes. */
void engine_refresh_started(struct engine *e, struct engine_link *l, struct engine_target *t,
			    uint64_t now);
/* @t's last announcement frame was just emitted at @now. */
void engine_refresh_announced(struct engine *e, struct engine_target *t, uint64_t now);
/* A neighbour query for @ifindex was handed out by engine_pop_query(). */
void engine_refresh_asked(struct engine *e, int ifindex);
/*
 * The link goes (engine_link_del()): its held query's timer leaves the
 * heap. Not in engine_refresh_link_free(), which engine_free() calls too,
 * after the targets (heap nodes) were freed.
 */
void engine_refresh_link_del(struct engine *e, struct engine_link *l);
void engine_refresh_link_free(struct engine_link *l);
/*
 * A link's neighbour queries are queued at most once per this gap (the
 * first at once); sequences that start meanwhile share the next one.
 */
#define ENGINE_REFRESH_QUERY_GAP_NS (100 * GARP_NSEC_PER_MSEC)
/* An ENGINE_TNODE_REFRESH node is due. */
void engine_refresh_timer(struct engine *e, struct engine_tnode *n, uint64_t now);
