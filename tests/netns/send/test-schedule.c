/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpctl send's schedule, without sockets or clocks: the offsets, the
 * order of frames, several addresses merged, and the bounds.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "garpctl.h"

#define MS CFG_NSEC_PER_MSEC
#define S CFG_NSEC_PER_SEC

static void test_default_is_win8(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garpctl_slot s[8];
	const uint64_t at[] = {0, 1 * S, 2 * S, 3 * S};

	assert_int_equal(garpctl_schedule_len(&seq), 4);
	assert_int_equal(garpctl_schedule(&seq, 1, s, 8), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(s[i].at_ns, at[i]);
		assert_int_equal(s[i].addr, 0);
		assert_int_equal(s[i].frame, i < 3 ? GARPCTL_FRAME_PROBE : GARPCTL_FRAME_REQUEST);
	}
}

static void test_both_and_intervals(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garpctl_slot s[16];

	seq.probes = 2;
	seq.probe_interval_ns = 100 * MS;
	seq.announce_delay_ns = 250 * MS;
	seq.announcements = 2;
	seq.announce_interval_ns = 500 * MS;
	seq.frames = CFG_FRAMES_BOTH;
	assert_int_equal(garpctl_schedule(&seq, 1, s, 16), 6);
	assert_int_equal(s[1].at_ns, 100 * MS);
	assert_int_equal(s[2].at_ns, 350 * MS);
	assert_int_equal(s[2].frame, GARPCTL_FRAME_REQUEST);
	assert_int_equal(s[3].at_ns, 350 * MS);
	assert_int_equal(s[3].frame, GARPCTL_FRAME_REPLY);
	assert_int_equal(s[4].at_ns, 850 * MS);
	assert_int_equal(s[5].frame, GARPCTL_FRAME_REPLY);

	seq.frames = CFG_FRAMES_REPLY;
	assert_int_equal(garpctl_schedule(&seq, 1, s, 16), 4);
	assert_int_equal(s[2].frame, GARPCTL_FRAME_REPLY);
}

static void test_no_probes_announces_at_once(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garpctl_slot s[4];

	seq.probes = 0;
	seq.announce_delay_ns = 5 * S;
	assert_int_equal(garpctl_schedule(&seq, 1, s, 4), 1);
	assert_int_equal(s[0].at_ns, 0);
	assert_int_equal(s[0].frame, GARPCTL_FRAME_REQUEST);
}

static void test_addresses_interleaved(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garpctl_slot s[12];

	/* Three addresses take one sequence's time, not three. */
	assert_int_equal(garpctl_schedule(&seq, 3, s, 12), 12);
	for (size_t i = 0; i < 12; i++) {
		assert_int_equal(s[i].addr, i % 3);
		assert_int_equal(s[i].at_ns, (i / 3) * S);
	}
	assert_int_equal(s[11].at_ns, 3 * S);
}

static void test_bounds(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garpctl_slot s[8];

	assert_int_equal(garpctl_schedule(&seq, 2, s, 7), -ENOBUFS);
	seq.probes = 3;
	seq.probe_interval_ns = UINT64_MAX / 2;
	assert_int_equal(garpctl_schedule(&seq, 1, s, 8), -ERANGE);
	seq.probes = 0;
	seq.announcements = 0;
	assert_int_equal(garpctl_schedule(&seq, 1, s, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_win8),
		cmocka_unit_test(test_both_and_intervals),
		cmocka_unit_test(test_no_probes_announces_at_once),
		cmocka_unit_test(test_addresses_interleaved),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
