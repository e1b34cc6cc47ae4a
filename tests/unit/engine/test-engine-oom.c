/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * No silent loss (engine.h): the engine runs with an allocator that fails
 * the Nth allocation, for every N a timeline makes. Whatever an input
 * drops for want of memory is counted in engine_counters.lost and noted
 * (ENGINE_NOTE_LOST), or, for a note, counted in notes_dropped. Linked
 * with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc: only the engine's
 * and this file's allocations go through the wrappers.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "engine.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#define OPER_UP 6
#define S(x) ((uint64_t)(x)*CFG_NSEC_PER_SEC)
#define MS(x) ((uint64_t)(x)*CFG_NSEC_PER_MSEC)

/* ---- the failing allocator -------------------------------------------- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static long fail_in; /* 0: never fail; N: fail the Nth allocation from now */
static long allocs;  /* allocations since armed */
static long failed;

static bool should_fail(void)
{
	allocs++;
	if (fail_in && allocs == fail_in) {
		failed++;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t size)
{
	return should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return should_fail() ? NULL : __real_realloc(p, size);
}

static void arm(long n)
{
	fail_in = n;
	allocs = 0;
	failed = 0;
}

/* ---- a small timeline -------------------------------------------------- */

#define N_ADDRS 6

struct run {
	struct engine *e;
	struct cfg_sequence seq;
	uint64_t now;
	uint32_t frames[N_ADDRS]; /* per address */
	uint32_t relearn;
	uint32_t lost_notes;
	long allocs; /* allocations the timeline made after engine_new() */
	long failed;
	struct engine_counters c;
};

static void policy_get(void *userdata, const char *ifname, struct cfg_sequence *ret)
{
	(void)ifname;
	*ret = ((struct run *)userdata)->seq;
}

static struct gnl_link mk_link(int ifindex, const char *name)
{
	struct gnl_link l = {
		.ifindex = ifindex,
		.mac = { 0x02, 0, 0, 0, 0, (uint8_t)ifindex },
		.mac_len = 6,
		.type = ARPHRD_ETHER,
		.flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP,
		.operstate = OPER_UP,
	};

	snprintf(l.name, sizeof(l.name), "%s", name);
	return l;
}

static struct gnl_addr mk_addr(int i)
{
	struct gnl_addr a = {
		.family = AF_INET,
		.ifindex = 2,
		.prefixlen = 24,
		.scope = RT_SCOPE_UNIVERSE,
	};

	a.addr.v4.s_addr = htonl(0x0a000001u + (uint32_t)i);
	return a;
}

static void drain(struct run *r)
{
	struct engine_frame f;
	struct engine_note n;

	while (engine_pop_frame(r->e, &f) == 0) {
		if (f.kind == ENGINE_FRAME_RELEARN) {
			r->relearn++;
			continue;
		}
		uint32_t i = ntohl(f.addr.v4.s_addr) - 0x0a000001u;

		assert_true(i < N_ADDRS);
		r->frames[i]++;
	}
	while (engine_pop_note(r->e, &n) == 0)
		if (n.type == ENGINE_NOTE_LOST)
			r->lost_notes++;
}

static void advance(struct run *r, uint64_t t)
{
	uint64_t d;

	while ((d = engine_next_deadline(r->e)) <= t) {
		r->now = d;
		engine_run(r->e, d);
		drain(r);
	}
	r->now = t;
	engine_run(r->e, t);
	drain(r);
}

/*
 * One link, N_ADDRS addresses announced through a rate limit of 2 frames
 * a second (the per-link FIFO and its timer), then `announce` for all.
 * The allocator is armed to fail its @fail_at-th allocation after the
 * engine exists (0: none).
 */
static void timeline(struct run *r, long fail_at)
{
	struct engine_policy_source src = { .get = policy_get, .userdata = r };
	struct gnl_link l = mk_link(2, "eth0");

	memset(r, 0, sizeof(*r));
	r->seq = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	r->seq.probes = 0;
	r->seq.max_frames_per_second = 2;
	r->seq.directed_refresh = false;
	arm(0);
	assert_int_equal(engine_new(&r->e, &src, 42), 0);
	arm(fail_at);
	engine_link(r->e, r->now, &l, 0);
	drain(r);
	for (int i = 0; i < N_ADDRS; i++) {
		struct gnl_addr a = mk_addr(i);

		r->now = MS(10 * i);
		engine_addr(r->e, r->now, &a, true);
		drain(r);
	}
	advance(r, S(30));
	/* an error here (no link: it was lost) is the caller's to report */
	(void)engine_announce(r->e, r->now, 2, NULL, ENGINE_ANNOUNCE_ONLY);
	drain(r);
	advance(r, S(60));
	r->allocs = allocs;
	r->failed = failed;
	arm(0);
	engine_get_counters(r->e, &r->c);
	engine_free(r->e);
}

/* Answer every neighbour query with one neighbour, until none is asked. */
static void answer_queries(struct run *r)
{
	struct gnl_neigh nb = { .family = AF_INET,
				.ifindex = 2,
				.has_mac = true,
				.state = NUD_REACHABLE,
				.mac = { 0x52, 0x54, 0, 0, 0, 0x0a } };
	struct engine_query q;

	nb.ip.s_addr = htonl(0x0a0000feu);
	while (engine_pop_query(r->e, &q) == 0) {
		r->now += MS(1);
		engine_neighbours(r->e, r->now, q.ifindex, &nb, 1, NULL, 0);
		drain(r);
	}
}

/*
 * The directed refresh in a burst: N_ADDRS addresses announced at once
 * (immediate), their refreshes waiting for the neighbour list, which is
 * answered after the last one started.
 */
static void timeline_refresh(struct run *r, long fail_at)
{
	struct engine_policy_source src = { .get = policy_get, .userdata = r };
	struct gnl_link l = mk_link(2, "eth0");

	memset(r, 0, sizeof(*r));
	r->seq = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	r->seq.probes = 0;
	arm(0);
	assert_int_equal(engine_new(&r->e, &src, 42), 0);
	arm(fail_at);
	engine_link(r->e, r->now, &l, 0);
	drain(r);
	for (int i = 0; i < N_ADDRS; i++) {
		struct gnl_addr a = mk_addr(i);

		r->now = MS(10 * i);
		engine_addr(r->e, r->now, &a, true);
		drain(r);
	}
	answer_queries(r);
	advance(r, S(30));
	answer_queries(r);
	r->allocs = allocs;
	r->failed = failed;
	arm(0);
	engine_get_counters(r->e, &r->c);
	engine_free(r->e);
}

/* ---- tests ------------------------------------------------------------- */

/* Failing each allocation in turn: every frame missing is counted and noted. */
static void test_every_allocation_fails_once(void **state)
{
	struct run base, r;
	long total;

	(void)state;
	timeline(&base, 0);
	assert_int_equal(base.c.lost, 0);
	assert_int_equal(base.lost_notes, 0);
	for (int i = 0; i < N_ADDRS; i++)
		assert_true(base.frames[i] > 0);
	/* how many allocations the timeline makes */
	timeline(&r, 0);
	total = r.allocs;
	assert_true(total > 3);

	for (long n = 1; n <= total; n++) {
		bool short_of = false;

		timeline(&r, n);
		assert_int_equal(r.failed, 1);
		for (int i = 0; i < N_ADDRS; i++)
			if (r.frames[i] < base.frames[i])
				short_of = true;
		if (short_of && !r.c.lost)
			fail_msg("allocation %ld of %ld failed: frames missing, nothing counted", n,
				 total);
		/* what is counted is also noted, unless the note itself was dropped */
		if (r.c.lost && r.lost_notes != r.c.lost && !r.c.notes_dropped)
			fail_msg("allocation %ld: %llu lost, %u noted", n,
				 (unsigned long long)r.c.lost, r.lost_notes);
		/* never more frames than asked for */
		for (int i = 0; i < N_ADDRS; i++)
			assert_true(r.frames[i] <= base.frames[i]);
	}
}

/* The same for the directed refresh of a burst: a refresh missing is counted. */
static void test_refresh_allocation_fails_once(void **state)
{
	struct run base, r;
	long total;

	(void)state;
	timeline_refresh(&base, 0);
	assert_int_equal(base.c.lost, 0);
	for (int i = 0; i < N_ADDRS; i++)
		assert_int_equal(base.frames[i], 2); /* the announcement and one refresh */
	assert_int_equal(base.c.refreshes, N_ADDRS);
	total = base.allocs;
	assert_true(total > 3);

	for (long n = 1; n <= total; n++) {
		bool short_of = false;

		timeline_refresh(&r, n);
		assert_int_equal(r.failed, 1);
		for (int i = 0; i < N_ADDRS; i++) {
			if (r.frames[i] < base.frames[i])
				short_of = true;
			assert_true(r.frames[i] <= base.frames[i]);
		}
		if (short_of && !r.c.lost)
			fail_msg("allocation %ld of %ld failed: frames missing, nothing counted", n,
				 total);
	}
}

/* A target that cannot be created: its address is counted and named. */
static void test_target_creation_fails(void **state)
{
	struct run r = { 0 };
	struct engine_policy_source src = { .get = policy_get, .userdata = &r };
	struct gnl_link l = mk_link(2, "eth0");
	struct gnl_addr a = mk_addr(0);
	struct engine_counters c;
	struct engine_frame f;
	struct engine_note n;
	bool noted = false;

	(void)state;
	r.seq = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	r.seq.probes = 0;
	r.seq.directed_refresh = false;
	arm(0);
	assert_int_equal(engine_new(&r.e, &src, 42), 0);
	engine_link(r.e, 0, &l, 0);
	while (engine_pop_note(r.e, &n) == 0)
		;
	arm(1); /* the target's own calloc (the hashes are sized at engine_new) */
	engine_addr(r.e, MS(5), &a, true);
	assert_int_equal(failed, 1);
	arm(0);
	assert_int_equal(engine_pop_frame(r.e, &f), -EAGAIN);
	engine_get_counters(r.e, &c);
	assert_int_equal(c.lost, 1);
	while (engine_pop_note(r.e, &n) == 0) {
		if (n.type != ENGINE_NOTE_LOST)
			continue;
		noted = true;
		assert_int_equal(n.ifindex, 2);
		assert_int_equal(n.addr.family, AF_INET);
		assert_int_equal(n.addr.v4.s_addr, a.addr.v4.s_addr);
		assert_int_equal(n.time, MS(5));
		assert_string_equal(engine_note_type_to_string(n.type), "lost");
	}
	assert_true(noted);
	/* the next report of the address brings it back */
	engine_addr(r.e, MS(10), &a, false);
	assert_int_equal(engine_announce(r.e, MS(10), 2, NULL, ENGINE_ANNOUNCE_ONLY), 1);
	assert_int_equal(engine_pop_frame(r.e, &f), 0);
	engine_free(r.e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_creation_fails),
		cmocka_unit_test(test_every_allocation_fails_once),
		cmocka_unit_test(test_refresh_allocation_fails_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
