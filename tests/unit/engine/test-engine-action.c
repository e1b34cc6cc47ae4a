/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's actions: their own enum, ranked explicitly (a sequence
 * covers an announcement, an announcement covers nothing), and the
 * mapping from config's on_link_up/on_mac_change/on_bond_failover.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine-private.h"

static const enum engine_action all[] = { ENGINE_ACTION_NONE, ENGINE_ACTION_ANNOUNCE,
					  ENGINE_ACTION_SEQUENCE };

static void test_rank_order(void **state)
{
	(void)state;
	assert_true(engine_action_rank(ENGINE_ACTION_NONE) <
		    engine_action_rank(ENGINE_ACTION_ANNOUNCE));
	assert_true(engine_action_rank(ENGINE_ACTION_ANNOUNCE) <
		    engine_action_rank(ENGINE_ACTION_SEQUENCE));
}

static void test_max(void **state)
{
	(void)state;
	assert_int_equal(engine_action_max(ENGINE_ACTION_SEQUENCE, ENGINE_ACTION_ANNOUNCE),
			 ENGINE_ACTION_SEQUENCE);
	assert_int_equal(engine_action_max(ENGINE_ACTION_ANNOUNCE, ENGINE_ACTION_SEQUENCE),
			 ENGINE_ACTION_SEQUENCE);
	assert_int_equal(engine_action_max(ENGINE_ACTION_NONE, ENGINE_ACTION_ANNOUNCE),
			 ENGINE_ACTION_ANNOUNCE);
	assert_int_equal(engine_action_max(ENGINE_ACTION_ANNOUNCE, ENGINE_ACTION_NONE),
			 ENGINE_ACTION_ANNOUNCE);
	/* for every pair: commutative, the higher rank, idempotent */
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		for (size_t j = 0; j < sizeof(all) / sizeof(all[0]); j++) {
			enum engine_action m = engine_action_max(all[i], all[j]);

			assert_int_equal(m, engine_action_max(all[j], all[i]));
			assert_int_equal(engine_action_rank(m), i > j ? engine_action_rank(all[i])
								      : engine_action_rank(all[j]));
			assert_int_equal(engine_action_max(m, m), m);
		}
}

static void test_from_cfg(void **state)
{
	(void)state;
	assert_int_equal(engine_action_from_cfg(CFG_ACTION_NONE), ENGINE_ACTION_NONE);
	assert_int_equal(engine_action_from_cfg(CFG_ACTION_ANNOUNCE), ENGINE_ACTION_ANNOUNCE);
	assert_int_equal(engine_action_from_cfg(CFG_ACTION_SEQUENCE), ENGINE_ACTION_SEQUENCE);
	/* a value config does not know asks for nothing */
	assert_int_equal(engine_action_from_cfg((enum cfg_action)99), ENGINE_ACTION_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_order),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_from_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
