/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's timers (engine-queue.c) run in exactly (deadline, arming
 * order), whatever the grouping by deadline does inside: a seeded random
 * walk of arms, re-arms, disarms and runs is checked, after every step,
 * against a plain model that keeps every node's (when, seq) and takes the
 * least. Ties, deadlines armed out of order (more runs than are open),
 * runs emptied from the middle and re-armed nodes all occur.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine-private.h"

#define NODES 300

struct model {
	bool armed[NODES];
	uint64_t when[NODES];
	uint64_t seq[NODES];
	uint64_t next_seq;
};

static struct engine_tnode nodes[NODES];

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* The model's first node, -1 when none is armed. */
static int model_first(const struct model *m)
{
	int best = -1;

	for (int i = 0; i < NODES; i++) {
		if (!m->armed[i])
			continue;
		if (best < 0 || m->when[i] < m->when[best] ||
		    (m->when[i] == m->when[best] && m->seq[i] < m->seq[best]))
			best = i;
	}
	return best;
}

static void check(const struct engine_heap *h, const struct model *m)
{
	int want = model_first(m);
	const struct engine_tnode *got = engine_heap_first(h);

	if (want < 0) {
		assert_null(got);
		return;
	}
	assert_ptr_equal(got, &nodes[want]);
	assert_int_equal(got->when, m->when[want]);
	for (int i = 0; i < NODES; i++)
		assert_int_equal(nodes[i].idx != ENGINE_TNODE_NONE, m->armed[i]);
}

static void arm(struct engine_heap *h, struct model *m, int i, uint64_t when)
{
	assert_int_equal(engine_heap_arm(h, &nodes[i], when), 0);
	m->armed[i] = when != ENGINE_NO_DEADLINE;
	m->when[i] = when;
	m->seq[i] = ++m->next_seq;
}

/* One walk; @spread: how many distinct deadlines near `now` (few: many ties). */
static void walk(uint64_t spread, unsigned int steps)
{
	struct engine_heap h = { 0 };
	struct model m = { 0 };
	uint64_t now = 1000;

	for (int i = 0; i < NODES; i++)
		nodes[i] = (struct engine_tnode){ .idx = ENGINE_TNODE_NONE };
	for (unsigned int s = 0; s < steps; s++) {
		uint64_t r = rnd(100);
		int i = (int)rnd(NODES);

		if (r < 55) {
			/* a step: armed for now + a delay (mostly ahead, sometimes behind) */
			uint64_t d = rnd(spread) * 1000000000ull;

			arm(&h, &m, i, r < 5 && now > d ? now - d : now + d);
		} else if (r < 65) {
			arm(&h, &m, i, ENGINE_NO_DEADLINE);
		} else if (r < 70) {
			engine_heap_remove(&h, &nodes[i]);
			m.armed[i] = false;
		} else if (r < 90) {
			/* run what is due, as engine_run() does; some re-arm at once */
			struct engine_tnode *n;

			now += rnd(spread + 1) * 1000000000ull;
			while ((n = engine_heap_first(&h)) && n->when <= now) {
				int k = (int)(n - nodes);

				assert_int_equal(k, model_first(&m));
				engine_heap_remove(&h, n);
				m.armed[k] = false;
				if (rnd(2))
					arm(&h, &m, k, now + rnd(spread) * 1000000000ull);
				check(&h, &m);
			}
		} else {
			now += rnd(3);
		}
		check(&h, &m);
	}
	engine_heap_free(&h);
}

static void test_order_many_ties(void **state)
{
	(void)state;
	walk(2, 20000);
}

static void test_order_some_ties(void **state)
{
	(void)state;
	walk(8, 20000);
}

static void test_order_spread(void **state)
{
	(void)state;
	/* deadlines all over: runs closed while not empty */
	walk(4 * ENGINE_HEAP_OPEN, 20000);
}

/*
 * Sequences as a burst starts them: each armed for `now` and run at once,
 * then armed for its next step a fixed delay later, while earlier ones
 * step at their deadlines. They share a run or two, and run in order.
 */
static void test_steps_share_runs(void **state)
{
	struct engine_heap h = { 0 };
	struct model m = { 0 };
	uint64_t now = 5;
	int started = 0, steps[NODES] = { 0 };

	(void)state;
	for (int i = 0; i < NODES; i++)
		nodes[i] = (struct engine_tnode){ .idx = ENGINE_TNODE_NONE };
	while (started < NODES || engine_heap_first(&h)) {
		struct engine_tnode *n;

		now += 7;
		for (int k = 0; k < 3 && started < NODES; k++, started++) {
			arm(&h, &m, started, now);
			assert_ptr_equal(engine_heap_first(&h), &nodes[started]);
			engine_heap_remove(&h, &nodes[started]);
			m.armed[started] = false;
			arm(&h, &m, started, now + 1000);
			check(&h, &m);
		}
		/* a step: three more, 1000 apart */
		while ((n = engine_heap_first(&h)) && n->when <= now) {
			int k = (int)(n - nodes);

			assert_int_equal(k, model_first(&m));
			engine_heap_remove(&h, n);
			m.armed[k] = false;
			if (++steps[k] < 3)
				arm(&h, &m, k, now + 1000);
			assert_true(h.n <= 2); /* a run, not a heap entry per node */
			check(&h, &m);
		}
	}
	assert_null(engine_heap_first(&h));
	assert_int_equal(h.n, 0);
	engine_heap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_many_ties),
		cmocka_unit_test(test_order_some_ties),
		cmocka_unit_test(test_order_spread),
		cmocka_unit_test(test_steps_share_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
