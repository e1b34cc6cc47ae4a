/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Targets: (ifindex, family, address), each with one state machine
 * (enum engine_tstate) and one timer. target_set() is the only writer of
 * a target's state, of what it waits to start and of its deadline; the
 * triggers (address added, link events, failover, refresh, announce
 * requests) coalesce here, and the sequences step here: probes, the
 * pause, the announcements, the periodic refresh, the hold-down, the
 * conflicts. Frames go out through engine-send.c. Pure, like engine.c.
 */

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

static const uint8_t mac_zero[PKT_ETH_ALEN];

/* ---- small helpers ---------------------------------------------------- */

static uint64_t rng_next(struct engine *e)
{
	/* splitmix64: tiny, seedable, good enough for timing jitter */
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint64_t rng_range(struct engine *e, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	if (hi - lo == UINT64_MAX)
		return rng_next(e);
	return lo + rng_next(e) % (hi - lo + 1);
}

/* ---- the policies sequences run by -------------------------------------- */

/* What a target that never started holds: nothing to count, nothing to free. */
static struct engine_seq seq_none;

static struct engine_seq seq_of(const struct cfg_sequence *c, const uint8_t *mac)
{
	struct engine_seq s = {
		.probe_interval_ns = c->probe_interval_ns,
		.probe_max_ns = c->probe_max_ns,
		.probe_wait_ns = c->probe_wait_ns,
		.announce_delay_ns = c->announce_delay_ns,
		.announce_interval_ns = c->announce_interval_ns,
		.refresh_interval_ns = c->refresh_interval_ns,
		.probes = c->probes < UINT16_MAX ? (uint16_t)c->probes : UINT16_MAX,
		.announcements =
		    c->announcements < UINT16_MAX ? (uint16_t)c->announcements : UINT16_MAX,
		.frames = (uint8_t)c->frames,
		.target_mac = (uint8_t)c->target_mac,
		.on_conflict = (uint8_t)c->on_conflict,
	};

	memcpy(s.mac, mac, PKT_ETH_ALEN);
	return s;
}

static bool seq_eq(const struct engine_seq *x, const struct engine_seq *y)
{
	return x->probe_interval_ns == y->probe_interval_ns && x->probe_max_ns == y->probe_max_ns &&
	       x->probe_wait_ns == y->probe_wait_ns &&
	       x->announce_delay_ns == y->announce_delay_ns &&
	       x->announce_interval_ns == y->announce_interval_ns &&
	       x->refresh_interval_ns == y->refresh_interval_ns && x->probes == y->probes &&
	       x->announcements == y->announcements && x->frames == y->frames &&
	       x->target_mac == y->target_mac && x->on_conflict == y->on_conflict &&
	       engine_mac_eq(x->mac, y->mac);
}

/*
 * @policy's sequence part with @mac, shared: the one already held by a
 * target when there is one (few distinct ones exist: a policy per
 * interface section, a MAC per link at most), else a new one. The most
 * recently used is found first: the targets of one link start together.
 * Return: a reference (seq_put() drops it), NULL when out of memory.
 */
static struct engine_seq *seq_get(struct engine *e, const struct cfg_sequence *policy,
				  const uint8_t *mac)
{
	struct engine_seq want = seq_of(policy, mac), *s, **p;

	for (p = &e->seqs; (s = *p); p = &s->next)
		if (seq_eq(s, &want)) {
			*p = s->next; /* to the front */
			break;
		}
	if (!s) {
		s = malloc(sizeof(*s));
		if (!s)
			return NULL;
		*s = want;
	}
	s->next = e->seqs;
	e->seqs = s;
	s->refs++;
	return s;
}

static void seq_put(struct engine *e, struct engine_seq *s)
{
	if (s == &seq_none || --s->refs)
		return;
	for (struct engine_seq **p = &e->seqs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free(s);
}

/* ---- the targets' storage ---------------------------------------------- */

/*
 * Targets come from chunks, not one malloc() each: no allocator header per
 * target, and 10,000 of them lie together. A freed slot is reused by the
 * next target; the chunks go with the engine (engine_targets_release()).
 */
#define ENGINE_TARGET_CHUNK 64

struct engine_target_chunk {
	struct engine_target_chunk *next;
	struct engine_target t[ENGINE_TARGET_CHUNK];
};

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* A free slot is poisoned but for its link (hnext, the first field): a use after free is
 * caught. */
#define SLOT_POISON(t)                                                                             \
	ASAN_POISON_MEMORY_REGION((char *)(t) + sizeof((t)->hnext),                                \
				  sizeof(*(t)) - sizeof((t)->hnext))
#define SLOT_UNPOISON(t) ASAN_UNPOISON_MEMORY_REGION((t), sizeof(*(t)))
#else
#define SLOT_POISON(t) ((void)(t))
#define SLOT_UNPOISON(t) ((void)(t))
#endif

_Static_assert(offsetof(struct engine_target, hnext) == 0, "a free slot's link comes first");

static struct engine_target *target_alloc(struct engine *e)
{
	struct engine_target *t;

	if (!e->tfree) {
		struct engine_target_chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = e->tchunks;
		e->tchunks = c;
		for (size_t i = ENGINE_TARGET_CHUNK; i-- > 0;) {
			c->t[i].hnext = e->tfree;
			e->tfree = &c->t[i];
			SLOT_POISON(&c->t[i]);
		}
	}
	t = e->tfree;
	e->tfree = t->hnext;
	SLOT_UNPOISON(t);
	memset(t, 0, sizeof(*t));
	return t;
}

static void target_release(struct engine *e, struct engine_target *t)
{
	t->hnext = e->tfree;
	e->tfree = t;
	SLOT_POISON(t);
}

/* ---- targets ---------------------------------------------------------- */

static struct engine_target_addr target_addr_of(const struct gnl_addr *a)
{
	return (struct engine_target_addr){ .flags = a->flags,
					    .prefixlen = a->prefixlen,
					    .scope = a->scope };
}

/* The key of a gnl_addr: its family and address. */
static struct garp_addr addr_key(const struct gnl_addr *a)
{
	return a->family == AF_INET6 ? garp_addr_v6(&a->addr.v6) : garp_addr_v4(a->addr.v4);
}

static size_t target_bucket(const struct engine *e, int ifindex, const struct garp_addr *addr)
{
	uint64_t k = (uint64_t)(uint32_t)ifindex << 32;

	/* IPv4 keys hash as they always did; others fold their bytes in */
	if (addr->family == AF_INET)
		k |= addr->v4.s_addr;
	else
		k ^= garp_addr_hash(addr);
	return engine_hash64(k) & (e->thash_size - 1);
}

struct engine_target *engine_target_find(const struct engine *e, int ifindex,
					 const struct garp_addr *addr)
{
	if (!e->thash_size)
		return NULL;
	for (struct engine_target *t = e->thash[target_bucket(e, ifindex, addr)]; t; t = t->hnext)
		if (t->ifindex == ifindex && garp_addr_eq(&t->addr, addr))
			return t;
	return NULL;
}

int engine_target_hash_grow(struct engine *e)
{
	size_t size = e->thash_size ? e->thash_size * 2 : 256;
	struct engine_target **h = calloc(size, sizeof(*h));
	struct engine_target **old = e->thash;
	size_t old_size = e->thash_size;

	if (!h)
		return -ENOMEM;
	e->thash = h;
	e->thash_size = size;
	for (size_t i = 0; i < old_size; i++) {
		struct engine_target *t = old[i], *next;

		for (; t; t = next) {
			size_t b = target_bucket(e, t->ifindex, &t->addr);

			next = t->hnext;
			t->hnext = h[b];
			h[b] = t;
		}
	}
	free(old);
	return 0;
}

static bool target_is_v6(const struct engine_target *t)
{
	return t->addr.family == AF_INET6;
}

/* fe80::/10: advertised only when its MAC binding changes (MAC change, bond failover). */
bool engine_target_is_link_local(const struct engine_target *t)
{
	return target_is_v6(t) && t->addr.v6.s6_addr[0] == 0xfe &&
	       (t->addr.v6.s6_addr[1] & 0xc0) == 0x80;
}

/*
 * The address itself may be announced: not host-scope, not unspecified;
 * IPv6 also not multicast and usable (RFC 4862 §5.4: never while
 * tentative; RFC 4429 §3.3: never Override for an optimistic address;
 * never after DAD failed).
 */
static bool target_addr_eligible(const struct engine_target *t)
{
	if (t->a.scope == RT_SCOPE_HOST || garp_addr_is_unspecified(&t->addr))
		return false;
	if (t->addr.family == AF_INET)
		return true;
	if (t->addr.family != AF_INET6 || t->addr.v6.s6_addr[0] == 0xff)
		return false;
	return !(t->a.flags & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_DADFAILED));
}

static bool target_family_on(const struct engine_link *l, const struct engine_target *t)
{
	return target_is_v6(t) ? l->policy.ipv6 : l->policy.ipv4;
}

bool engine_target_can_send(const struct engine *e, const struct engine_target *t)
{
	const struct engine_link *l;

	if (!t->configured || !target_addr_eligible(t))
		return false;
	l = engine_link_find(e, t->ifindex);
	return engine_link_can_send(e, l) && target_family_on(l, t);
}

static bool target_in_flight(const struct engine_target *t)
{
	return engine_tstate_running(t->state) != ENGINE_ACTION_NONE;
}

/* Whether a frame from another host claiming @t's address is a conflict now (RFC 5227 §2.1.1). */
bool engine_target_listens(const struct engine_target *t)
{
	return t->state == ENGINE_TS_PROBING || t->state == ENGINE_TS_WAITING;
}

/*
 * What @t queued so far is void: frames carry the generation they were
 * built in, and one from another is dropped when it leaves the token
 * bucket or is popped.
 */
static void target_void_queued(struct engine *e, struct engine_target *t)
{
	t->gen = ++e->gen;
	t->refresh_void = true;
}

/* target_set()'s deadline: a time, none, or the one already armed. */
struct tdeadline {
	uint64_t when;
	bool keep;
};

static struct tdeadline deadline_at(uint64_t when)
{
	return (struct tdeadline){ .when = when };
}

#define DEADLINE_NONE deadline_at(ENGINE_NO_DEADLINE)

#define DEADLINE_KEEP ((struct tdeadline){ .keep = true })

/*
 * The one place a target's condition changes: its state, what it waits to
 * start, and its deadline (OpenBSD dhcpleased's state_transition()). The
 * probing count behind engine_wants_arp()/_nd() follows the state.
 */
static void target_set(struct engine *e, struct engine_target *t, enum engine_tstate state,
		       enum engine_action want, struct tdeadline d)
{
	size_t v6 = target_is_v6(t);

	assert(state < _ENGINE_TS_MAX);
	if (engine_tstate_probing(t->state) && !engine_tstate_probing(state)) {
		e->n_probing--;
		e->n_probing_v6 -= v6;
	} else if (!engine_tstate_probing(t->state) && engine_tstate_probing(state)) {
		e->n_probing++;
		e->n_probing_v6 += v6;
	}
	t->state = state;
	t->want = want;
	t->configured = state != ENGINE_TS_REMOVED;
	if (!d.keep && engine_heap_arm(&e->heap, &t->timer, d.when) < 0) {
		/* out of memory for the heap: do not leave a half-run sequence around */
		if (engine_tstate_probing(t->state)) {
			e->n_probing--;
			e->n_probing_v6 -= v6;
		}
		t->state = ENGINE_TS_CANCELLED;
		/* the note's time is when the lost step was due (never the far future here) */
		engine_lost(e, d.when, t->ifindex, &t->addr);
	}
}

/* @t waits, in its state, to start @kind too: when it can send, or the hold-down ends. */
static void target_want(struct engine *e, struct engine_target *t, enum engine_action kind)
{
	target_set(e, t, t->state, engine_action_max(t->want, kind), DEADLINE_KEEP);
}

/* What @t waited to start, handed to the caller, who triggers it now. */
enum engine_action engine_target_take_want(struct engine *e, struct engine_target *t)
{
	enum engine_action k = t->want;

	target_set(e, t, t->state, ENGINE_ACTION_NONE, DEADLINE_KEEP);
	return k;
}

static struct engine_target *target_new(struct engine *e, const struct gnl_addr *a)
{
	struct engine_link *l = engine_link_get(e, a->ifindex);
	struct engine_target *t;
	size_t b;

	if (!l)
		return NULL;
	/* two targets a chain on average at most: the table is 8 bytes a bucket */
	if (e->n_targets + 1 > 2 * e->thash_size && engine_target_hash_grow(e) < 0)
		return NULL;
	t = target_alloc(e);
	if (!t)
		return NULL;
	t->ifindex = a->ifindex;
	t->addr = addr_key(a);
	t->a = target_addr_of(a);
	t->seq = &seq_none;
	/* not configured until engine_addr() says so */
	t->state = ENGINE_TS_REMOVED;
	t->timer = (struct engine_tnode){ .idx = ENGINE_TNODE_NONE, .type = ENGINE_TNODE_TARGET };
	b = target_bucket(e, t->ifindex, &t->addr);
	t->hnext = e->thash[b];
	e->thash[b] = t;
	t->lnext = l->targets;
	if (l->targets)
		l->targets->lprev = t;
	l->targets = t;
	e->n_targets++;
	return t;
}

void engine_target_free(struct engine *e, struct engine_target *t)
{
	struct engine_link *l = engine_link_find(e, t->ifindex);
	struct engine_target **p;

	target_set(e, t, ENGINE_TS_REMOVED, ENGINE_ACTION_NONE, DEADLINE_NONE);
	for (p = &e->thash[target_bucket(e, t->ifindex, &t->addr)]; *p; p = &(*p)->hnext)
		if (*p == t) {
			*p = t->hnext;
			break;
		}
	if (t->lprev)
		t->lprev->lnext = t->lnext;
	else if (l)
		l->targets = t->lnext;
	if (t->lnext)
		t->lnext->lprev = t->lprev;
	e->n_targets--;
	seq_put(e, t->seq);
	target_release(e, t);
}

void engine_targets_release(struct engine *e)
{
	struct engine_seq *s, *next;

	for (s = e->seqs; s; s = next) {
		next = s->next;
		free(s);
	}
	e->seqs = NULL;
	while (e->tchunks) {
		struct engine_target_chunk *c = e->tchunks;

		e->tchunks = c->next;
		for (size_t i = 0; i < ENGINE_TARGET_CHUNK; i++)
			SLOT_UNPOISON(&c->t[i]);
		free(c);
	}
	e->tfree = NULL;
}

/* ---- the state machine ------------------------------------------------ */

static uint64_t probe_interval(struct engine *e, const struct engine_target *t)
{
	/* RFC 5227 §2.1.1: PROBE_MIN..PROBE_MAX apart when jitter is configured */
	if (t->seq->probe_max_ns > t->seq->probe_interval_ns)
		return rng_range(e, t->seq->probe_interval_ns, t->seq->probe_max_ns);
	return t->seq->probe_interval_ns;
}

static void target_done(struct engine *e, struct engine_target *t, uint64_t due)
{
	if (!t->seq->announcements)
		engine_note_target(e, ENGINE_NOTE_ANNOUNCED, due, t);
	target_set(e, t, ENGINE_TS_DONE, t->want,
		   t->seq->refresh_interval_ns
		       ? deadline_at(engine_add_sat(due, t->seq->refresh_interval_ns))
		       : DEADLINE_NONE);
}

/*
 * Whether @kind with policy @seq starts with probes for @t. IPv6: the
 * kernel's DAD already checked the address, unless it was added with
 * nodad: then garpd probes itself, as for ARP.
 */
static bool target_would_probe(const struct engine_target *t, uint32_t probes,
			       enum engine_action kind)
{
	return kind == ENGINE_ACTION_SEQUENCE && probes &&
	       (!target_is_v6(t) || (t->a.flags & IFA_F_NODAD));
}

/*
 * Starts @kind for @t now, with the link's policy and MAC. @covered: it
 * replaces, in this instant, a sequence whose announcement was already
 * handed out; its first announcement step, due in this same instant, is
 * satisfied by that frame (one announcement per instant; the probes run).
 */
static void target_start(struct engine *e, struct engine_target *t, enum engine_action kind,
			 uint64_t now, bool covered)
{
	struct engine_link *l = engine_link_find(e, t->ifindex);
	struct engine_note n = {
		.type = ENGINE_NOTE_STARTED, .time = now, .ifindex = t->ifindex, .addr = t->addr
	};

	struct engine_seq *seq;
	bool probe;

	assert(l && kind != ENGINE_ACTION_NONE);
	seq = seq_get(e, &l->policy, l->l.mac);
	if (!seq) {
		/* out of memory: nothing starts, and that is noted, as for the timer heap */
		target_set(e, t, ENGINE_TS_CANCELLED, t->want, DEADLINE_NONE);
		engine_lost(e, now, t->ifindex, &t->addr);
		return;
	}
	seq_put(e, t->seq);
	t->seq = seq;
	probe = target_would_probe(t, t->seq->probes, kind);
	if (target_is_v6(t)) {
		uint64_t r = rng_next(e);

		memcpy(t->nonce, &r, sizeof(t->nonce));
		t->router = e->policy.ipv6_router &&
			    e->policy.ipv6_router(e->policy.userdata, t->ifindex, l->l.name);
	}
	t->sent = 0;
	t->has_started = true;
	t->last_started = now;
	t->covered = covered;
	/* a sequence without probes is an announcement: what a duplicate would be */
	t->started_kind = kind == ENGINE_ACTION_SEQUENCE && !probe ? ENGINE_ACTION_ANNOUNCE : kind;
	e->counters.sequences++;
	engine_refresh_started(e, l, t, now);
	if (probe) {
		n.probes = t->seq->probes;
		t->counts_probes = true;
		engine_note_push(e, &n);
		/* RFC 5227 §2.1.1: wait PROBE_WAIT (random) before the first probe */
		target_set(e, t, ENGINE_TS_PROBING, ENGINE_ACTION_NONE,
			   deadline_at(now + (t->seq->probe_wait_ns
						  ? rng_range(e, 0, t->seq->probe_wait_ns)
						  : 0)));
	} else {
		t->counts_probes = false;
		engine_note_push(e, &n);
		target_set(e, t,
			   kind == ENGINE_ACTION_SEQUENCE ? ENGINE_TS_SEQ_ANNOUNCING
							  : ENGINE_TS_ANNOUNCING,
			   ENGINE_ACTION_NONE, deadline_at(now));
	}
}

/* Stops what is in flight; remembers it in want for a later restart. */
bool engine_target_cancel(struct engine *e, struct engine_target *t,
			  enum engine_cancel_reason reason, uint64_t now)
{
	struct engine_note n = { .type = ENGINE_NOTE_CANCELLED,
				 .time = now,
				 .ifindex = t->ifindex,
				 .addr = t->addr,
				 .reason = reason };

	target_void_queued(e, t);
	/* withdrawn: a new trigger is no duplicate */
	t->started_kind = ENGINE_ACTION_NONE;
	t->sent_at = 0;
	if (!target_in_flight(t))
		return false;
	target_set(e, t, ENGINE_TS_CANCELLED,
		   engine_action_max(t->want, engine_tstate_running(t->state)), DEADLINE_NONE);
	e->counters.cancellations++;
	engine_note_push(e, &n);
	return true;
}

/*
 * A trigger for @t. Starts @kind now if the target can send, restarting a
 * sequence in flight only when @kind asks for more; otherwise remembers it.
 * Return: 1 when a sequence started.
 */
static int target_trigger_any(struct engine *e, struct engine_target *t, enum engine_action kind,
			      uint64_t now)
{
	bool covered = false;

	if (kind == ENGINE_ACTION_NONE || t->state == ENGINE_TS_REMOVED)
		return 0;
	/* another host defended the address: probe again before any announcement */
	if (t->state == ENGINE_TS_CONFLICT)
		kind = ENGINE_ACTION_SEQUENCE;
	if (t->state == ENGINE_TS_HELD_DOWN || !engine_target_can_send(e, t)) {
		target_want(e, t, kind);
		return 0;
	}
	if (target_in_flight(t)) {
		const struct engine_link *l = engine_link_find(e, t->ifindex);

		if (engine_action_rank(kind) <= engine_action_rank(engine_tstate_running(t->state)))
			return 0;
		/*
		 * A sequence that will not probe (no probes configured, or an
		 * IPv6 address the kernel's DAD checked) is an announcement:
		 * one that started, or sent an announcement, at this very
		 * instant is not sent again.
		 */
		if (((t->has_started && t->last_started == now) || t->last_frame_at == now + 1) &&
		    l && !target_would_probe(t, l->policy.probes, kind))
			return 0;
		target_void_queued(e, t); /* what the lesser sequence queued is superseded */
		covered = t->sent_at == now + 1;
	} else if (t->started_kind != ENGINE_ACTION_NONE &&
		   ((t->has_started && t->last_started == now) || t->last_announced == now)) {
		/*
		 * Triggers that coincide coalesce: a sequence that started, or
		 * announced, at this very instant is not sent again (a MAC
		 * change and a failover reported for one switch; a request
		 * right as a sequence ends); a more thorough one replaces it,
		 * and what it queued is dropped.
		 */
		const struct engine_link *l = engine_link_find(e, t->ifindex);
		bool probes = l && target_would_probe(t, l->policy.probes, kind);

		if (engine_action_rank(probes ? ENGINE_ACTION_SEQUENCE : ENGINE_ACTION_ANNOUNCE) <=
		    engine_action_rank(t->started_kind))
			return 0;
		target_void_queued(e, t);
		covered = t->sent_at == now + 1;
	}
	/*
	 * What was not handed out yet went with the old generation; an
	 * announcement that already left in this instant covers the new
	 * sequence's first one if that falls in this instant too.
	 */
	target_start(e, t, kind, now, covered);
	return 1;
}

/*
 * A trigger that does not move the address's MAC binding (a new address,
 * carrier up, the refresh timer, announce everything): IPv6 link-local
 * addresses sit it out, so a booting host or a carrier flap does not
 * flood the segment with an NA for every interface's fe80:: address
 * nobody has cached yet.
 */
static int target_trigger(struct engine *e, struct engine_target *t, enum engine_action kind,
			  uint64_t now)
{
	if (engine_target_is_link_local(t))
		return 0;
	return target_trigger_any(e, t, kind, now);
}

/* A trigger that moves the MAC binding (MAC change, bond failover) or names the address. */
int engine_target_trigger_rebind(struct engine *e, struct engine_target *t, enum engine_action kind,
				 uint64_t now)
{
	return target_trigger_any(e, t, kind, now);
}

static void target_step_announce(struct engine *e, struct engine_target *t, uint64_t due)
{
	bool last = t->sent + 1 >= engine_target_total(t);

	if (!t->sent && t->covered && t->last_started == due) {
		/* satisfied by the announcement the replaced sequence sent this instant */
		if (last && t->last_announced != due) {
			t->last_announced = due;
			engine_note_target(e, ENGINE_NOTE_ANNOUNCED, due, t);
		}
	} else if (target_is_v6(t)) {
		engine_target_emit(e, due, t, ENGINE_FRAME_NA, last);
	} else {
		if (t->seq->frames != CFG_FRAMES_REPLY)
			engine_target_emit(e, due, t, ENGINE_FRAME_ANNOUNCE_REQUEST,
					   last && t->seq->frames == CFG_FRAMES_REQUEST);
		if (t->seq->frames != CFG_FRAMES_REQUEST)
			engine_target_emit(e, due, t, ENGINE_FRAME_ANNOUNCE_REPLY, last);
	}
	if (last)
		engine_refresh_announced(e, t, due);
	t->sent++;
	if (!last)
		target_set(e, t, t->state, t->want,
			   deadline_at(engine_add_sat(due, t->seq->announce_interval_ns)));
	else
		target_done(e, t, due);
}

void engine_target_timer(struct engine *e, struct engine_target *t, uint64_t due)
{
	enum engine_action k;

	switch (t->state) {
	case ENGINE_TS_REMOVED:
		/* the hold-down of a removed address is over */
		engine_target_free(e, t);
		return;
	case ENGINE_TS_HELD_DOWN:
		/* the hold-down is over: whatever is configured now gets its sequence */
		k = t->want;
		target_set(e, t, ENGINE_TS_IDLE, ENGINE_ACTION_NONE, DEADLINE_NONE);
		target_trigger(e, t, k, due);
		return;
	case ENGINE_TS_PROBING:
		engine_target_emit(
		    e, due, t, target_is_v6(t) ? ENGINE_FRAME_NS_PROBE : ENGINE_FRAME_PROBE, false);
		t->last_probe = due;
		t->sent++;
		if (t->sent < engine_target_total(t))
			target_set(e, t, ENGINE_TS_PROBING, t->want,
				   deadline_at(engine_add_sat(due, probe_interval(e, t))));
		else if (t->seq->announcements)
			target_set(e, t, ENGINE_TS_WAITING, t->want,
				   deadline_at(engine_add_sat(due, t->seq->announce_delay_ns)));
		else
			target_done(e, t, due);
		return;
	case ENGINE_TS_WAITING:
	case ENGINE_TS_DEFENDED:
		t->sent = 0;
		t->counts_probes = false;
		target_set(e, t, ENGINE_TS_SEQ_ANNOUNCING, t->want, DEADLINE_NONE);
		/* fall through */
	case ENGINE_TS_ANNOUNCING:
	case ENGINE_TS_SEQ_ANNOUNCING:
		if (!engine_target_total(t)) {
			target_done(e, t, due);
			return;
		}
		target_step_announce(e, t, due);
		return;
	case ENGINE_TS_DONE:
		/* periodic refresh: the announcement only */
		target_set(e, t, ENGINE_TS_DONE, t->want, DEADLINE_NONE);
		target_trigger(e, t, ENGINE_ACTION_ANNOUNCE, due);
		return;
	case ENGINE_TS_IDLE:
	case ENGINE_TS_CONFLICT:
	case ENGINE_TS_CANCELLED:
	case _ENGINE_TS_MAX:
		break;
	}
}

/* ---- conflicts -------------------------------------------------------- */

static void conflict_record(struct engine *e, const struct engine_target *t, const uint8_t *mac,
			    bool kernel_dad, uint64_t now)
{
	struct engine_conflict *c = &e->conflicts[e->conflicts_next];
	struct engine_note n = { .type = ENGINE_NOTE_CONFLICT,
				 .time = now,
				 .ifindex = t->ifindex,
				 .addr = t->addr,
				 .kernel_dad = kernel_dad };

	*c = (struct engine_conflict){
		.ifindex = t->ifindex, .addr = t->addr, .time = now, .kernel_dad = kernel_dad
	};
	memcpy(c->mac, mac, PKT_ETH_ALEN);
	e->conflicts_next = (e->conflicts_next + 1) % ENGINE_CONFLICTS_KEPT;
	if (e->n_conflicts < ENGINE_CONFLICTS_KEPT)
		e->n_conflicts++;
	e->counters.conflicts++;
	memcpy(n.mac, mac, PKT_ETH_ALEN);
	engine_note_push(e, &n);
}

/*
 * The kernel's DAD failed for an IPv6 address: another node has it. A
 * conflict, and the address is never advertised (it is not usable either:
 * target_addr_eligible() refuses IFA_F_DADFAILED).
 */
static void target_dad_failed(struct engine *e, struct engine_target *t, uint64_t now)
{
	conflict_record(e, t, mac_zero, true, now);
	e->counters.dad_failures++;
	target_void_queued(e, t);
	target_set(e, t, ENGINE_TS_CONFLICT, ENGINE_ACTION_NONE, DEADLINE_NONE);
}

/* New flags (or lifetimes) for an address we know: DAD finished, failed, or restarted. */
static void target_addr_update(struct engine *e, struct engine_target *t, const struct gnl_addr *a,
			       uint64_t now)
{
	bool was = target_addr_eligible(t), failed = t->a.flags & IFA_F_DADFAILED;

	t->a = target_addr_of(a);
	if (target_is_v6(t) && !failed && (a->flags & IFA_F_DADFAILED)) {
		engine_target_cancel(e, t, ENGINE_CANCEL_NOT_ELIGIBLE, now);
		target_dad_failed(e, t, now);
	} else if (was && !target_addr_eligible(t)) {
		/* tentative again (the link came back and DAD runs again): wait for it */
		engine_target_cancel(e, t, ENGINE_CANCEL_NOT_ELIGIBLE, now);
	} else if (!was && target_addr_eligible(t)) {
		/* DAD finished: what waited for the address starts now */
		engine_target_trigger_rebind(e, t, engine_target_take_want(e, t), now);
	}
}

void engine_target_conflict(struct engine *e, struct engine_target *t, const uint8_t *mac,
			    uint64_t now)
{
	conflict_record(e, t, mac, false, now);

	if (t->seq->on_conflict == CFG_CONFLICT_ABORT) {
		target_void_queued(e, t); /* queued probes are moot too */
		target_set(e, t, ENGINE_TS_CONFLICT, t->want, DEADLINE_NONE);
		return;
	}
	/* on_conflict = announce: stop probing, announce when the last probe's pause ends */
	if (t->state == ENGINE_TS_PROBING) {
		uint64_t when =
		    t->sent ? engine_add_sat(t->last_probe, t->seq->announce_delay_ns) : now;

		target_set(e, t, ENGINE_TS_DEFENDED, t->want, deadline_at(when > now ? when : now));
	} else {
		/* in the pause already: it ends as it would have */
		target_set(e, t, ENGINE_TS_DEFENDED, t->want, DEADLINE_KEEP);
	}
}

/* ---- inputs ----------------------------------------------------------- */

void engine_addr(struct engine *e, uint64_t now, const struct gnl_addr *addr, bool is_new)
{
	struct engine_target *t;
	struct engine_link *l;
	struct garp_addr key;
	uint64_t end;

	assert(e && addr);
	if ((addr->family != AF_INET && addr->family != AF_INET6) || addr->ifindex <= 0)
		goto out;
	key = addr_key(addr);
	t = engine_target_find(e, addr->ifindex, &key);
	if (t && t->configured) {
		/* a lifetime or flag update of an address we know: no restart, but DAD news */
		target_addr_update(e, t, addr, now);
		goto out;
	}
	if (!t) {
		t = target_new(e, addr);
		if (!t) {
			engine_lost(e, now, addr->ifindex, &key);
			goto out;
		}
	}
	t->a = target_addr_of(addr);
	target_void_queued(e, t);
	if (!is_new) {
		/*
		 * There before us: announce_on_start decides. But an IPv6 address
		 * still in DAD appears, for everyone else, when DAD finishes.
		 */
		bool dad = target_is_v6(t) && !engine_target_is_link_local(t) &&
			   (addr->flags & IFA_F_TENTATIVE) && !(addr->flags & IFA_F_DADFAILED);

		target_set(e, t, ENGINE_TS_IDLE, dad ? ENGINE_ACTION_SEQUENCE : ENGINE_ACTION_NONE,
			   DEADLINE_NONE);
		goto out;
	}
	if (target_is_v6(t) && (addr->flags & IFA_F_DADFAILED)) {
		target_dad_failed(e, t, now);
		goto out;
	}
	l = engine_link_find(e, t->ifindex);
	end = t->has_started && l ? engine_add_sat(t->last_started, l->policy.hold_down_ns) : 0;
	if (end > now) {
		/* flapping: one sequence per hold-down, for whatever is configured at its end */
		struct engine_note n = { .type = ENGINE_NOTE_DEFERRED,
					 .time = now,
					 .ifindex = t->ifindex,
					 .addr = t->addr,
					 .when = end };

		target_set(e, t, ENGINE_TS_HELD_DOWN, ENGINE_ACTION_SEQUENCE, deadline_at(end));
		engine_note_push(e, &n);
		goto out;
	}
	target_set(e, t, ENGINE_TS_IDLE, ENGINE_ACTION_NONE, DEADLINE_NONE);
	target_trigger(e, t, ENGINE_ACTION_SEQUENCE, now);
out:
	engine_run(e, now);
}

void engine_addr_del(struct engine *e, uint64_t now, const struct gnl_addr *addr)
{
	struct engine_target *t;
	struct engine_link *l;
	struct garp_addr key;
	uint64_t end;

	assert(e && addr);
	if (addr->family != AF_INET && addr->family != AF_INET6)
		goto out;
	key = addr_key(addr);
	t = engine_target_find(e, addr->ifindex, &key);
	if (!t || !t->configured)
		goto out;
	engine_target_cancel(e, t, ENGINE_CANCEL_ADDR_REMOVED, now);
	l = engine_link_find(e, t->ifindex);
	end = t->has_started && l ? engine_add_sat(t->last_started, l->policy.hold_down_ns) : 0;
	if (end > now)
		/* kept until the hold-down ends, so a quick re-add is held down */
		target_set(e, t, ENGINE_TS_REMOVED, ENGINE_ACTION_NONE, deadline_at(end));
	else
		engine_target_free(e, t);
out:
	engine_run(e, now);
}

int engine_announce(struct engine *e, uint64_t now, int ifindex, const struct garp_addr *addr,
		    enum engine_announce_kind kind)
{
	enum engine_action k =
	    kind == ENGINE_ANNOUNCE_SEQUENCE ? ENGINE_ACTION_SEQUENCE : ENGINE_ACTION_ANNOUNCE;
	struct engine_link *l;
	struct engine_target *t = NULL;
	int started = 0;
	bool found = false;

	assert(e);
	if (ifindex) {
		l = engine_link_find(e, ifindex);
		if (!engine_link_is_eligible(e, l))
			return -ENODEV;
		if (addr) {
			t = engine_target_find(e, ifindex, addr);
			if (!t || !t->configured)
				return -ENOENT;
		}
		if (!engine_link_sendable(l))
			return -ENETDOWN;
		if (addr) {
			started = engine_target_trigger_rebind(e, t, k, now);
		} else {
			for (t = l->targets; t; t = t->lnext)
				if (engine_target_can_send(e, t))
					started += target_trigger(e, t, k, now);
		}
		engine_run(e, now);
		return started;
	}
	for (l = e->links; l; l = l->next) {
		if (addr) {
			t = engine_target_find(e, l->l.ifindex, addr);
			if (!t || !t->configured)
				continue;
			found = true;
			if (engine_target_can_send(e, t))
				started += engine_target_trigger_rebind(e, t, k, now);
			continue;
		}
		if (!engine_link_can_send(e, l))
			continue;
		for (t = l->targets; t; t = t->lnext)
			if (engine_target_can_send(e, t))
				started += target_trigger(e, t, k, now);
	}
	if (addr && !found)
		return -ENOENT;
	engine_run(e, now);
	return started;
}

int engine_announce_now(struct engine *e, uint64_t now, int ifindex, const struct garp_addr *addr,
			enum engine_announce_kind kind, bool force)
{
	struct engine_link *l = engine_link_find(e, ifindex);
	struct engine_target *t;
	enum engine_tstate was;
	int r;

	assert(e && addr);
	if (!engine_link_is_eligible(e, l))
		return -ENODEV;
	t = engine_target_find(e, ifindex, addr);
	if (!t || !t->configured)
		return -ENOENT;
	was = t->state;
	if (was == ENGINE_TS_CONFLICT && !force && kind == ENGINE_ANNOUNCE_ONLY)
		return ENGINE_NOW_CONFLICT;
	if (was == ENGINE_TS_HELD_DOWN || !engine_target_can_send(e, t)) {
		target_want(e, t,
			    kind == ENGINE_ANNOUNCE_SEQUENCE ? ENGINE_ACTION_SEQUENCE
							     : ENGINE_ACTION_ANNOUNCE);
		return ENGINE_NOW_WAITING;
	}
	if (kind == ENGINE_ANNOUNCE_SEQUENCE) {
		r = engine_target_trigger_rebind(e, t, ENGINE_ACTION_SEQUENCE, now)
			? ENGINE_NOW_STARTED
			: ENGINE_NOW_RUNNING;
	} else {
		/* the operator has decided: whatever is in flight gives way to the announcement */
		if (target_in_flight(t))
			target_void_queued(e, t);
		target_start(e, t, ENGINE_ACTION_ANNOUNCE, now, false);
		r = engine_tstate_probing(was)				    ? ENGINE_NOW_CUT_SHORT
		    : engine_tstate_public(was) == ENGINE_TARGET_ANNOUNCING ? ENGINE_NOW_RESTARTED
									    : ENGINE_NOW_STARTED;
	}
	engine_run(e, now);
	return r;
}

/* ---- outputs ---------------------------------------------------------- */

static const struct {
	const char *name;
	enum engine_target_state shown; /* in status */
} tstates[] = {
	[ENGINE_TS_IDLE] = { "idle", ENGINE_TARGET_IDLE },
	[ENGINE_TS_HELD_DOWN] = { "held-down", ENGINE_TARGET_IDLE },
	[ENGINE_TS_PROBING] = { "probing", ENGINE_TARGET_PROBING },
	[ENGINE_TS_WAITING] = { "waiting", ENGINE_TARGET_WAITING },
	[ENGINE_TS_DEFENDED] = { "defended", ENGINE_TARGET_WAITING },
	[ENGINE_TS_ANNOUNCING] = { "announcing", ENGINE_TARGET_ANNOUNCING },
	[ENGINE_TS_SEQ_ANNOUNCING] = { "sequence-announcing", ENGINE_TARGET_ANNOUNCING },
	[ENGINE_TS_DONE] = { "done", ENGINE_TARGET_DONE },
	[ENGINE_TS_CONFLICT] = { "conflict", ENGINE_TARGET_CONFLICT },
	[ENGINE_TS_CANCELLED] = { "cancelled", ENGINE_TARGET_CANCELLED },
	[ENGINE_TS_REMOVED] = { "removed", ENGINE_TARGET_IDLE },
};

_Static_assert(sizeof(tstates) / sizeof(tstates[0]) == _ENGINE_TS_MAX, "a name for every state");

const char *engine_tstate_to_string(enum engine_tstate s)
{
	return (size_t)s < sizeof(tstates) / sizeof(tstates[0]) ? tstates[s].name : "unknown";
}

enum engine_target_state engine_tstate_public(enum engine_tstate s)
{
	return (size_t)s < sizeof(tstates) / sizeof(tstates[0]) ? tstates[s].shown
								: ENGINE_TARGET_IDLE;
}

const char *engine_target_state_to_string(enum engine_target_state s)
{
	static const char *const names[] = {
		[ENGINE_TARGET_IDLE] = "idle",		 [ENGINE_TARGET_PROBING] = "probing",
		[ENGINE_TARGET_WAITING] = "waiting",	 [ENGINE_TARGET_ANNOUNCING] = "announcing",
		[ENGINE_TARGET_DONE] = "done",		 [ENGINE_TARGET_CONFLICT] = "conflict",
		[ENGINE_TARGET_CANCELLED] = "cancelled",
	};

	return (size_t)s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "unknown";
}

void engine_foreach_target(const struct engine *e,
			   void (*fn)(void *userdata, const struct engine_target_info *info),
			   void *userdata)
{
	for (size_t i = 0; i < e->thash_size; i++)
		for (const struct engine_target *t = e->thash[i]; t; t = t->hnext) {
			struct engine_target_info info = {
				.ifindex = t->ifindex,
				.addr = t->addr,
				.state = engine_tstate_public(t->state),
				.sent = t->sent,
				.total = engine_target_total(t),
				.last_announced = t->last_announced,
				.addr_flags = t->a.flags,
			};

			if (t->configured)
				fn(userdata, &info);
		}
}
