/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may send is answered per link when something it depends on changes
 * (engine-link.c), not per frame: these timelines change only another
 * link (its master), the master's removal, or the policy, and check that
 * the answer (engine_link_eligible(), engine_announce(), the frames) moves
 * with them.
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
#include <string.h>

#include <cmocka.h>
#include <linux/rtnetlink.h>

#include "engine.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#define OPER_UP 6
#define S(x) ((uint64_t)(x)*CFG_NSEC_PER_SEC)

#define SLAVE 3
#define MASTER 5

static bool ignore_slave;

static void policy_get(void *userdata, const char *ifname, struct cfg_sequence *ret)
{
	(void)userdata;
	*ret = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	/* immediate: one announcement, no probes */
	ret->probes = 0;
	ret->announce_delay_ns = 0;
	ret->hold_down_ns = 0;
	ret->directed_refresh = false;
	ret->ignore = ignore_slave && !strcmp(ifname, "eth3");
}

static struct gnl_link mk_link(int ifindex, const char *name, enum gnl_kind kind, int master)
{
	struct gnl_link l = {
		.ifindex = ifindex,
		.mac = { 0x02, 0, 0, 0, 0, (uint8_t)ifindex },
		.mac_len = 6,
		.type = ARPHRD_ETHER,
		.flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_LOWER_UP,
		.operstate = OPER_UP,
		.kind = kind,
		.master = master,
	};

	snprintf(l.name, sizeof(l.name), "%s", name);
	return l;
}

/* Frames popped for @ifindex. */
static int frames(struct engine *e, int ifindex)
{
	struct engine_frame f;
	struct engine_note n;
	int k = 0;

	while (engine_pop_frame(e, &f) == 0)
		k += f.ifindex == ifindex;
	while (engine_pop_note(e, &n) == 0)
		;
	return k;
}

static int announce(struct engine *e, uint64_t now)
{
	int r = engine_announce(e, now, SLAVE, NULL, ENGINE_ANNOUNCE_ONLY);

	return r < 0 ? r : frames(e, SLAVE);
}

static void test_master_and_policy_move_the_answer(void **state)
{
	struct engine_policy_source src = { .get = policy_get };
	struct gnl_link slave = mk_link(SLAVE, "eth3", GNL_KIND_NONE, MASTER);
	struct gnl_link bridge = mk_link(MASTER, "br5", GNL_KIND_BRIDGE, 0);
	struct gnl_link bond = mk_link(MASTER, "br5", GNL_KIND_BOND, 0);
	struct gnl_addr a = { .family = AF_INET, .ifindex = SLAVE, .prefixlen = 24 };
	struct engine *e;
	uint64_t now = S(10);

	(void)state;
	ignore_slave = false;
	inet_pton(AF_INET, "192.0.2.3", &a.addr.v4);
	assert_int_equal(engine_new(&e, &src, 1), 0);

	/* its master not known yet: eligible, and the address is announced */
	engine_link(e, now, &slave, 0);
	assert_true(engine_link_eligible(e, SLAVE));
	engine_addr(e, now, &a, true);
	assert_int_equal(frames(e, SLAVE), 1);

	/* the master becomes known as a bridge: no change */
	now += S(1);
	engine_link(e, now, &bridge, 0);
	assert_true(engine_link_eligible(e, SLAVE));
	assert_int_equal(announce(e, now), 1);

	/* the same master, now a bond: the slave's answer changes without an event of its own */
	now += S(1);
	engine_link(e, now, &bond, 0);
	assert_false(engine_link_eligible(e, SLAVE));
	assert_int_equal(engine_announce(e, now, SLAVE, NULL, ENGINE_ANNOUNCE_ONLY), -ENODEV);
	assert_int_equal(frames(e, SLAVE), 0);

	/* the bond goes away: eligible again */
	now += S(1);
	engine_link_del(e, now, MASTER);
	assert_true(engine_link_eligible(e, SLAVE));
	assert_int_equal(announce(e, now), 1);

	/* the policy ignores it from the next reload on, and not after */
	now += S(1);
	ignore_slave = true;
	assert_true(engine_link_eligible(e, SLAVE));
	engine_reload_policy(e);
	assert_false(engine_link_eligible(e, SLAVE));
	assert_int_equal(engine_announce(e, now, SLAVE, NULL, ENGINE_ANNOUNCE_ONLY), -ENODEV);
	ignore_slave = false;
	engine_reload_policy(e);
	assert_true(engine_link_eligible(e, SLAVE));

	/* its own event: NOARP */
	now += S(1);
	slave.flags |= IFF_NOARP;
	engine_link(e, now, &slave, 0);
	assert_false(engine_link_eligible(e, SLAVE));
	slave.flags &= ~(uint32_t)IFF_NOARP;
	engine_link(e, now, &slave, 0);
	assert_true(engine_link_eligible(e, SLAVE));
	frames(e, SLAVE);

	/* down: eligible, not sendable; a queued announcement waits for carrier */
	now += S(1);
	slave.flags &= ~(uint32_t)IFF_LOWER_UP;
	engine_link(e, now, &slave, 0);
	assert_true(engine_link_eligible(e, SLAVE));
	assert_int_equal(engine_announce(e, now, SLAVE, NULL, ENGINE_ANNOUNCE_ONLY), -ENETDOWN);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_and_policy_move_the_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
