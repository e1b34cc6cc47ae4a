/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's target states (engine-private.h, enum engine_tstate): every
 * transition the explicit states name, seen from inside — the state, what
 * the target waits to start (want) and its deadline — and from outside:
 * the frames, the notes and the state status shows.
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "engine-private.h"

#define S(x) ((uint64_t)(x)*CFG_NSEC_PER_SEC)
#define MS(x) ((uint64_t)(x)*CFG_NSEC_PER_MSEC)

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#define OPER_UP 6
#define OPER_DOWN 2

#define IF 2

struct frame_rec {
	uint64_t t;
	enum engine_frame_kind kind;
};

struct st {
	struct engine *e;
	struct cfg_sequence pol;
	uint64_t now;
	struct gnl_link link;
	struct frame_rec f[64];
	size_t nf;
	struct engine_note notes[64];
	size_t nn;
};

static void policy_get(void *userdata, const char *ifname, struct cfg_sequence *ret)
{
	(void)ifname;
	*ret = ((const struct st *)userdata)->pol;
}

static void drain(struct st *x)
{
	struct engine_frame f;
	struct engine_note n;
	struct engine_query q;

	while (engine_pop_frame(x->e, &f) == 0)
		if (x->nf < sizeof(x->f) / sizeof(x->f[0]))
			x->f[x->nf++] = (struct frame_rec){ .t = x->now, .kind = f.kind };
	while (engine_pop_note(x->e, &n) == 0)
		if (x->nn < sizeof(x->notes) / sizeof(x->notes[0]))
			x->notes[x->nn++] = n;
	while (engine_pop_query(x->e, &q) == 0)
		;
}

/* Every deadline up to @t, one at a time, then @t. */
static void advance(struct st *x, uint64_t t)
{
	uint64_t d;

	while ((d = engine_next_deadline(x->e)) <= t) {
		x->now = d > x->now ? d : x->now;
		engine_run(x->e, x->now);
		drain(x);
	}
	x->now = t;
	engine_run(x->e, t);
	drain(x);
}

static void set_link(struct st *x, bool up)
{
	x->link.flags = IFF_UP | IFF_BROADCAST | (up ? IFF_RUNNING | IFF_LOWER_UP : 0);
	x->link.operstate = up ? OPER_UP : OPER_DOWN;
	engine_link(x->e, x->now, &x->link, 0);
	drain(x);
}

/* A link eth0 (up), the policy @pol with no directed refresh. */
static void init(struct st *x, const struct cfg_sequence *pol)
{
	struct engine_policy_source src = { .get = policy_get, .userdata = x };

	memset(x, 0, sizeof(*x));
	x->pol = *pol;
	x->pol.directed_refresh = false;
	assert_int_equal(engine_new(&x->e, &src, 42), 0);
	x->link = (struct gnl_link){
		.ifindex = IF, .mac = { 0x02, 0, 0, 0, 0, IF }, .mac_len = 6, .type = ARPHRD_ETHER
	};
	snprintf(x->link.name, sizeof(x->link.name), "eth0");
	set_link(x, true);
}

static struct gnl_addr mk_addr(const char *s)
{
	struct gnl_addr a = { .ifindex = IF, .scope = RT_SCOPE_UNIVERSE };

	if (inet_pton(AF_INET, s, &a.addr.v4) == 1) {
		a.family = AF_INET;
		a.prefixlen = 24;
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, &a.addr.v6), 1);
		a.family = AF_INET6;
		a.prefixlen = 64;
	}
	return a;
}

static void add(struct st *x, const char *s, bool is_new, uint32_t flags)
{
	struct gnl_addr a = mk_addr(s);

	a.flags = flags;
	engine_addr(x->e, x->now, &a, is_new);
	drain(x);
}

static void del(struct st *x, const char *s)
{
	struct gnl_addr a = mk_addr(s);

	engine_addr_del(x->e, x->now, &a);
	drain(x);
}

static struct garp_addr key(const char *s)
{
	struct garp_addr a;

	assert_int_equal(garp_addr_from_str(s, &a), 0);
	return a;
}

static struct engine_target *target(struct st *x, const char *s)
{
	struct garp_addr a = key(s);

	return engine_target_find(x->e, IF, &a);
}

static uint64_t deadline(const struct engine_target *t)
{
	return t->timer.idx == ENGINE_TNODE_NONE ? ENGINE_NO_DEADLINE : t->timer.when;
}

/* @s's state, want and deadline, and what status shows for it. */
static void expect_state(struct st *x, const char *s, enum engine_tstate state,
			 enum engine_action want, uint64_t when)
{
	struct engine_target *t = target(x, s);

	assert_non_null(t);
	if (t->state != state)
		fail_msg("%s: state %s, want %s", s, engine_tstate_to_string(t->state),
			 engine_tstate_to_string(state));
	assert_int_equal(t->want, want);
	assert_int_equal(deadline(t), when);
	assert_int_equal(t->configured, state != ENGINE_TS_REMOVED);
}

static void shown(void *userdata, const struct engine_target_info *info)
{
	*(enum engine_target_state *)userdata = info->state;
}

/* What status shows for the only target; -1 when it shows none. */
static int status_of(struct st *x)
{
	enum engine_target_state s = (enum engine_target_state) - 1;

	engine_foreach_target(x->e, shown, &s);
	return (int)s;
}

static void expect_frames(struct st *x, size_t n, ...)
{
	va_list ap;

	if (x->nf != n) {
		for (size_t i = 0; i < x->nf; i++)
			print_message("frame %zu: t=%llu kind=%d\n", i,
				      (unsigned long long)x->f[i].t, x->f[i].kind);
		fail_msg("%zu frames, want %zu", x->nf, n);
	}
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		uint64_t t = va_arg(ap, uint64_t);
		enum engine_frame_kind kind = va_arg(ap, enum engine_frame_kind);

		assert_int_equal(x->f[i].t, t);
		assert_int_equal(x->f[i].kind, kind);
	}
	va_end(ap);
	x->nf = 0;
}

static size_t count_notes(const struct st *x, enum engine_note_type type)
{
	size_t c = 0;

	for (size_t i = 0; i < x->nn; i++)
		c += x->notes[i].type == type;
	return c;
}

static struct pkt_arp other_claims(const char *s)
{
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	struct pkt_arp a = { .op = PKT_ARPOP_REPLY };

	assert_int_equal(inet_pton(AF_INET, s, &a.spa), 1);
	a.tpa = a.spa;
	memset(a.eth_dst, 0xff, 6);
	memcpy(a.eth_src, other, 6);
	memcpy(a.sha, other, 6);
	return a;
}

static void fini(struct st *x)
{
	engine_free(x->e);
}

/* ---- tests --------------------------------------------------------------- */

/* Every state has a name of its own, and status shows each as one of its seven. */
static void test_names(void **state)
{
	(void)state;
	for (int s = 0; s < _ENGINE_TS_MAX; s++) {
		assert_string_not_equal(engine_tstate_to_string((enum engine_tstate)s), "unknown");
		for (int o = 0; o < s; o++)
			assert_string_not_equal(engine_tstate_to_string((enum engine_tstate)s),
						engine_tstate_to_string((enum engine_tstate)o));
	}
	assert_string_equal(engine_tstate_to_string(_ENGINE_TS_MAX), "unknown");
	assert_int_equal(engine_tstate_public(ENGINE_TS_HELD_DOWN), ENGINE_TARGET_IDLE);
	assert_int_equal(engine_tstate_public(ENGINE_TS_DEFENDED), ENGINE_TARGET_WAITING);
	assert_int_equal(engine_tstate_public(ENGINE_TS_SEQ_ANNOUNCING), ENGINE_TARGET_ANNOUNCING);
	assert_int_equal(engine_tstate_public(ENGINE_TS_REMOVED), ENGINE_TARGET_IDLE);
	assert_int_equal(engine_tstate_running(ENGINE_TS_DEFENDED), ENGINE_ACTION_SEQUENCE);
	assert_int_equal(engine_tstate_running(ENGINE_TS_SEQ_ANNOUNCING), ENGINE_ACTION_SEQUENCE);
	assert_int_equal(engine_tstate_running(ENGINE_TS_ANNOUNCING), ENGINE_ACTION_ANNOUNCE);
	assert_int_equal(engine_tstate_running(ENGINE_TS_HELD_DOWN), ENGINE_ACTION_NONE);
	assert_true(engine_tstate_probing(ENGINE_TS_DEFENDED));
	assert_false(engine_tstate_probing(ENGINE_TS_SEQ_ANNOUNCING));
}

/*
 * PROBING -> REMOVED (deadline: the hold-down's end) -> HELD_DOWN on a
 * re-add (want: a sequence; shown idle) -> a trigger only raises want ->
 * PROBING when the hold-down ends.
 */
static void test_held_down(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct garp_addr a = key("10.0.0.1");
	struct st x;

	(void)state;
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	advance(&x, MS(500));
	expect_state(&x, "10.0.0.1", ENGINE_TS_PROBING, ENGINE_ACTION_NONE, S(1));
	expect_frames(&x, 1, (uint64_t)0, ENGINE_FRAME_PROBE);

	del(&x, "10.0.0.1");
	expect_state(&x, "10.0.0.1", ENGINE_TS_REMOVED, ENGINE_ACTION_NONE, S(1));
	assert_int_equal(status_of(&x), -1);
	assert_false(engine_wants_arp(x.e));

	advance(&x, MS(600));
	x.nn = 0;
	add(&x, "10.0.0.1", true, 0);
	expect_state(&x, "10.0.0.1", ENGINE_TS_HELD_DOWN, ENGINE_ACTION_SEQUENCE, S(1));
	assert_int_equal(count_notes(&x, ENGINE_NOTE_DEFERRED), 1);
	assert_int_equal(x.notes[0].when, S(1));
	assert_int_equal(status_of(&x), ENGINE_TARGET_IDLE);

	advance(&x, MS(700));
	assert_int_equal(engine_announce_now(x.e, x.now, IF, &a, ENGINE_ANNOUNCE_ONLY, false),
			 ENGINE_NOW_WAITING);
	assert_int_equal(engine_announce(x.e, x.now, IF, &a, ENGINE_ANNOUNCE_ONLY), 0);
	expect_state(&x, "10.0.0.1", ENGINE_TS_HELD_DOWN, ENGINE_ACTION_SEQUENCE, S(1));

	advance(&x, S(1));
	expect_state(&x, "10.0.0.1", ENGINE_TS_PROBING, ENGINE_ACTION_NONE, S(2));
	expect_frames(&x, 1, S(1), ENGINE_FRAME_PROBE);
	fini(&x);
}

/* HELD_DOWN -> REMOVED when removed again -> freed when the hold-down ends; nothing sent. */
static void test_held_down_removed(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct st x;

	(void)state;
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	advance(&x, MS(100));
	del(&x, "10.0.0.1");
	advance(&x, MS(200));
	add(&x, "10.0.0.1", true, 0);
	expect_state(&x, "10.0.0.1", ENGINE_TS_HELD_DOWN, ENGINE_ACTION_SEQUENCE, S(1));
	advance(&x, MS(300));
	del(&x, "10.0.0.1");
	expect_state(&x, "10.0.0.1", ENGINE_TS_REMOVED, ENGINE_ACTION_NONE, S(1));
	advance(&x, S(1));
	assert_null(target(&x, "10.0.0.1"));
	assert_int_equal(engine_next_deadline(x.e), ENGINE_NO_DEADLINE);
	advance(&x, S(10));
	expect_frames(&x, 1, (uint64_t)0, ENGINE_FRAME_PROBE);
	fini(&x);
}

/*
 * REMOVED -> IDLE when a dump reports it again (there before us: no
 * sequence, no deadline); an IPv6 address still in DAD waits for it
 * (IDLE, want: a sequence) -> SEQ_ANNOUNCING when DAD is done.
 */
static void test_removed_then_dump(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct st x;

	(void)state;
	p.probes = 0;
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	advance(&x, MS(100));
	del(&x, "10.0.0.1");
	expect_state(&x, "10.0.0.1", ENGINE_TS_REMOVED, ENGINE_ACTION_NONE, S(1));
	add(&x, "10.0.0.1", false, 0);
	expect_state(&x, "10.0.0.1", ENGINE_TS_IDLE, ENGINE_ACTION_NONE, ENGINE_NO_DEADLINE);
	assert_int_equal(status_of(&x), ENGINE_TARGET_IDLE);
	advance(&x, S(5));
	expect_frames(&x, 1, (uint64_t)0, ENGINE_FRAME_ANNOUNCE_REQUEST);

	add(&x, "2001:db8::1", false, IFA_F_TENTATIVE);
	expect_state(&x, "2001:db8::1", ENGINE_TS_IDLE, ENGINE_ACTION_SEQUENCE, ENGINE_NO_DEADLINE);
	x.pol.announcements = 2;
	engine_reload_policy(x.e);
	add(&x, "2001:db8::1", false, 0);
	/* the kernel's DAD checked it: no probes, a sequence's announcements */
	expect_state(&x, "2001:db8::1", ENGINE_TS_SEQ_ANNOUNCING, ENGINE_ACTION_NONE, S(6));
	expect_frames(&x, 1, S(5), ENGINE_FRAME_NA);
	fini(&x);
}

/*
 * on_conflict = announce: PROBING -> DEFENDED (deadline: the last probe's
 * pause; shown waiting; further claims not counted; the receive filter
 * stays) -> SEQ_ANNOUNCING -> DONE.
 */
static void test_defended(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct pkt_arp arp = other_claims("10.0.0.1");
	struct engine_counters c;
	struct st x;

	(void)state;
	p.on_conflict = CFG_CONFLICT_ANNOUNCE;
	p.announcements = 2;
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	advance(&x, MS(500));
	engine_arp(x.e, x.now, IF, &arp);
	drain(&x);
	expect_state(&x, "10.0.0.1", ENGINE_TS_DEFENDED, ENGINE_ACTION_NONE, S(1));
	assert_int_equal(status_of(&x), ENGINE_TARGET_WAITING);
	assert_true(engine_wants_arp(x.e));
	advance(&x, MS(600));
	engine_arp(x.e, x.now, IF, &arp);
	drain(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);

	advance(&x, S(1));
	expect_state(&x, "10.0.0.1", ENGINE_TS_SEQ_ANNOUNCING, ENGINE_ACTION_NONE, S(2));
	assert_false(engine_wants_arp(x.e));
	advance(&x, S(2));
	expect_state(&x, "10.0.0.1", ENGINE_TS_DONE, ENGINE_ACTION_NONE, ENGINE_NO_DEADLINE);
	expect_frames(&x, 3, (uint64_t)0, ENGINE_FRAME_PROBE, S(1), ENGINE_FRAME_ANNOUNCE_REQUEST,
		      S(2), ENGINE_FRAME_ANNOUNCE_REQUEST);
	fini(&x);
}

/* WAITING -> DEFENDED: a claim in the pause after the last probe leaves the pause as it was. */
static void test_defended_in_pause(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct pkt_arp arp = other_claims("10.0.0.1");
	struct st x;

	(void)state;
	p.on_conflict = CFG_CONFLICT_ANNOUNCE;
	p.probes = 1;
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	advance(&x, MS(500));
	expect_state(&x, "10.0.0.1", ENGINE_TS_WAITING, ENGINE_ACTION_NONE, S(1));
	engine_arp(x.e, x.now, IF, &arp);
	drain(&x);
	expect_state(&x, "10.0.0.1", ENGINE_TS_DEFENDED, ENGINE_ACTION_NONE, S(1));
	advance(&x, S(5));
	expect_state(&x, "10.0.0.1", ENGINE_TS_DONE, ENGINE_ACTION_NONE, ENGINE_NO_DEADLINE);
	expect_frames(&x, 2, (uint64_t)0, ENGINE_FRAME_PROBE, S(1), ENGINE_FRAME_ANNOUNCE_REQUEST);
	fini(&x);
}

/*
 * ANNOUNCING (an announcement) gives way to a sequence asked for later ->
 * PROBING; SEQ_ANNOUNCING (a sequence without probes) is already one: a
 * sequence asked for leaves it alone.
 */
static void test_announcing_kinds(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct garp_addr a = key("10.0.0.1");
	struct st x;

	(void)state;
	p.probes = 0;
	p.announcements = 3;
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	expect_state(&x, "10.0.0.1", ENGINE_TS_SEQ_ANNOUNCING, ENGINE_ACTION_NONE, S(1));
	advance(&x, MS(500));
	assert_int_equal(engine_announce(x.e, x.now, IF, &a, ENGINE_ANNOUNCE_SEQUENCE), 0);
	expect_state(&x, "10.0.0.1", ENGINE_TS_SEQ_ANNOUNCING, ENGINE_ACTION_NONE, S(1));
	advance(&x, S(5));
	expect_state(&x, "10.0.0.1", ENGINE_TS_DONE, ENGINE_ACTION_NONE, ENGINE_NO_DEADLINE);
	expect_frames(&x, 3, (uint64_t)0, ENGINE_FRAME_ANNOUNCE_REQUEST, S(1),
		      ENGINE_FRAME_ANNOUNCE_REQUEST, S(2), ENGINE_FRAME_ANNOUNCE_REQUEST);

	x.pol.probes = 2;
	engine_reload_policy(x.e);
	assert_int_equal(engine_announce(x.e, x.now, IF, &a, ENGINE_ANNOUNCE_ONLY), 1);
	drain(&x);
	expect_state(&x, "10.0.0.1", ENGINE_TS_ANNOUNCING, ENGINE_ACTION_NONE, S(6));
	advance(&x, MS(5500));
	assert_int_equal(engine_announce(x.e, x.now, IF, &a, ENGINE_ANNOUNCE_SEQUENCE), 1);
	drain(&x);
	expect_state(&x, "10.0.0.1", ENGINE_TS_PROBING, ENGINE_ACTION_NONE, MS(6500));
	expect_frames(&x, 2, S(5), ENGINE_FRAME_ANNOUNCE_REQUEST, MS(5500), ENGINE_FRAME_PROBE);
	fini(&x);
}

/*
 * Link down: PROBING -> CANCELLED, want: the sequence it was running (no
 * deadline; shown cancelled); a request only raises want -> PROBING when
 * the link is up again.
 */
static void test_cancelled_wants(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct garp_addr a = key("10.0.0.1");
	struct st x;

	(void)state;
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	advance(&x, MS(500));
	set_link(&x, false);
	expect_state(&x, "10.0.0.1", ENGINE_TS_CANCELLED, ENGINE_ACTION_SEQUENCE,
		     ENGINE_NO_DEADLINE);
	assert_int_equal(status_of(&x), ENGINE_TARGET_CANCELLED);
	assert_false(engine_wants_arp(x.e));
	assert_int_equal(engine_announce_now(x.e, x.now, IF, &a, ENGINE_ANNOUNCE_ONLY, false),
			 ENGINE_NOW_WAITING);
	expect_state(&x, "10.0.0.1", ENGINE_TS_CANCELLED, ENGINE_ACTION_SEQUENCE,
		     ENGINE_NO_DEADLINE);
	advance(&x, S(2));
	set_link(&x, true);
	expect_state(&x, "10.0.0.1", ENGINE_TS_PROBING, ENGINE_ACTION_NONE, S(3));
	expect_frames(&x, 2, (uint64_t)0, ENGINE_FRAME_PROBE, S(2), ENGINE_FRAME_PROBE);
	fini(&x);
}

/* IDLE, want: a sequence, while the link is down -> PROBING when it comes up. */
static void test_idle_wants_link(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct st x;

	(void)state;
	p.on_link_up = CFG_ACTION_NONE;
	init(&x, &p);
	set_link(&x, false);
	add(&x, "10.0.0.1", true, 0);
	expect_state(&x, "10.0.0.1", ENGINE_TS_IDLE, ENGINE_ACTION_SEQUENCE, ENGINE_NO_DEADLINE);
	advance(&x, S(1));
	set_link(&x, true);
	expect_state(&x, "10.0.0.1", ENGINE_TS_PROBING, ENGINE_ACTION_NONE, S(2));
	expect_frames(&x, 1, S(1), ENGINE_FRAME_PROBE);
	fini(&x);
}

/* DONE (deadline: the periodic refresh) -> ANNOUNCING at the refresh -> DONE. */
static void test_done_refresh(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct st x;

	(void)state;
	p.probes = 0;
	p.announcements = 2;
	p.refresh_interval_ns = S(10);
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	advance(&x, S(5));
	expect_state(&x, "10.0.0.1", ENGINE_TS_DONE, ENGINE_ACTION_NONE, S(11));
	advance(&x, S(11));
	expect_state(&x, "10.0.0.1", ENGINE_TS_ANNOUNCING, ENGINE_ACTION_NONE, S(12));
	advance(&x, S(12));
	expect_state(&x, "10.0.0.1", ENGINE_TS_DONE, ENGINE_ACTION_NONE, S(22));
	expect_frames(&x, 4, (uint64_t)0, ENGINE_FRAME_ANNOUNCE_REQUEST, S(1),
		      ENGINE_FRAME_ANNOUNCE_REQUEST, S(11), ENGINE_FRAME_ANNOUNCE_REQUEST, S(12),
		      ENGINE_FRAME_ANNOUNCE_REQUEST);
	fini(&x);
}

/*
 * on_conflict = abort: PROBING -> CONFLICT (no deadline); any trigger asks
 * for a sequence: while the link is down it waits (want), then PROBING.
 */
static void test_conflict_then_trigger(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct pkt_arp arp = other_claims("10.0.0.1");
	struct garp_addr a = key("10.0.0.1");
	struct st x;

	(void)state;
	p.on_link_up = CFG_ACTION_NONE;
	init(&x, &p);
	add(&x, "10.0.0.1", true, 0);
	advance(&x, MS(500));
	engine_arp(x.e, x.now, IF, &arp);
	drain(&x);
	expect_state(&x, "10.0.0.1", ENGINE_TS_CONFLICT, ENGINE_ACTION_NONE, ENGINE_NO_DEADLINE);
	assert_int_equal(status_of(&x), ENGINE_TARGET_CONFLICT);
	assert_int_equal(engine_announce_now(x.e, x.now, IF, &a, ENGINE_ANNOUNCE_ONLY, false),
			 ENGINE_NOW_CONFLICT);
	set_link(&x, false);
	engine_announce(x.e, x.now, 0, NULL, ENGINE_ANNOUNCE_ONLY);
	assert_int_equal(engine_announce_now(x.e, x.now, IF, &a, ENGINE_ANNOUNCE_SEQUENCE, false),
			 ENGINE_NOW_WAITING);
	expect_state(&x, "10.0.0.1", ENGINE_TS_CONFLICT, ENGINE_ACTION_SEQUENCE,
		     ENGINE_NO_DEADLINE);
	advance(&x, S(3));
	set_link(&x, true);
	expect_state(&x, "10.0.0.1", ENGINE_TS_PROBING, ENGINE_ACTION_NONE, S(4));
	expect_frames(&x, 2, (uint64_t)0, ENGINE_FRAME_PROBE, S(3), ENGINE_FRAME_PROBE);
	fini(&x);
}

static size_t n_seqs(const struct st *x)
{
	size_t n = 0;

	for (const struct engine_seq *q = x->e->seqs; q; q = q->next)
		n++;
	return n;
}

/*
 * The policy a sequence runs by is shared by the targets that started with
 * the same one, kept while one holds it (a reload does not change it under
 * a sequence in flight), freed with the last: a target holds a pointer, not
 * a copy.
 */
static void test_seq_shared(void **state)
{
	struct cfg_sequence p = CFG_SEQUENCE_INIT;
	struct engine_target *t1, *t2, *t3, *t4;
	struct st x;

	(void)state;
	p.probes = 0;
	p.announcements = 2;
	p.announce_interval_ns = S(1);
	init(&x, &p);
	add(&x, "10.0.0.4", false, 0); /* there before us: nothing started */
	t4 = target(&x, "10.0.0.4");
	assert_int_equal(t4->seq->refs, 0);
	assert_int_equal(n_seqs(&x), 0);
	add(&x, "10.0.0.1", true, 0);
	add(&x, "10.0.0.2", true, 0);
	t1 = target(&x, "10.0.0.1");
	t2 = target(&x, "10.0.0.2");
	assert_ptr_equal(t1->seq, t2->seq);
	assert_int_equal(t1->seq->refs, 2);
	assert_int_equal(n_seqs(&x), 1);

	x.pol.announce_interval_ns = S(2);
	engine_reload_policy(x.e);
	add(&x, "10.0.0.3", true, 0);
	t3 = target(&x, "10.0.0.3");
	assert_ptr_not_equal(t3->seq, t1->seq);
	assert_int_equal(t1->seq->announce_interval_ns, S(1));
	assert_int_equal(t3->seq->announce_interval_ns, S(2));
	assert_int_equal(n_seqs(&x), 2);
	expect_frames(&x, 3, (uint64_t)0, ENGINE_FRAME_ANNOUNCE_REQUEST, (uint64_t)0,
		      ENGINE_FRAME_ANNOUNCE_REQUEST, (uint64_t)0, ENGINE_FRAME_ANNOUNCE_REQUEST);
	advance(&x, S(1));
	expect_frames(&x, 2, S(1), ENGINE_FRAME_ANNOUNCE_REQUEST, S(1),
		      ENGINE_FRAME_ANNOUNCE_REQUEST);

	/* the old policy goes with the last target holding it (the hold-down is over) */
	del(&x, "10.0.0.1");
	assert_int_equal(n_seqs(&x), 2);
	assert_int_equal(t2->seq->refs, 1);
	del(&x, "10.0.0.2");
	assert_null(target(&x, "10.0.0.1"));
	assert_null(target(&x, "10.0.0.2"));
	assert_int_equal(n_seqs(&x), 1);
	assert_int_equal(x.e->seqs->refs, 1);
	assert_ptr_equal(x.e->seqs, t3->seq);

	/* the same policy again: the one held is shared, not a second copy */
	engine_announce(x.e, x.now, IF, NULL, ENGINE_ANNOUNCE_ONLY);
	drain(&x);
	assert_int_equal(n_seqs(&x), 1);
	assert_ptr_equal(t4->seq, t3->seq);
	assert_int_equal(t3->seq->refs, 2);

	/* the MAC a sequence sends from is part of it: a new MAC, a new one for what restarts */
	advance(&x, S(10));
	x.nf = 0;
	x.link.mac[5] = 0x77;
	engine_link(x.e, x.now, &x.link, GNL_CHANGE_MAC);
	drain(&x);
	assert_int_equal(x.e->seqs->mac[5], 0x77);
	assert_ptr_equal(t3->seq, x.e->seqs);
	assert_ptr_equal(t4->seq, x.e->seqs);
	assert_int_equal(n_seqs(&x), 1);
	assert_true(x.nf > 0);
	fini(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_held_down),
		cmocka_unit_test(test_held_down_removed),
		cmocka_unit_test(test_removed_then_dump),
		cmocka_unit_test(test_defended),
		cmocka_unit_test(test_defended_in_pause),
		cmocka_unit_test(test_announcing_kinds),
		cmocka_unit_test(test_cancelled_wants),
		cmocka_unit_test(test_idle_wants_link),
		cmocka_unit_test(test_done_refresh),
		cmocka_unit_test(test_conflict_then_trigger),
		cmocka_unit_test(test_seq_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
