/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_sequence_set(): one [sequence] key from its text, by the file's own
 * table. Each value is also parsed as a file; both must agree, value and
 * message alike (garpctl send's options rely on it).
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "garp-config.h"

static void agree(const char *key, const char *value)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct cfg_error err, ferr;
	struct cfg c;
	char text[256];
	int r, fr;

	snprintf(text, sizeof(text), "[sequence]\n%s = %s\n", key, value);
	r = cfg_sequence_set(&seq, key, value, &err);
	fr = cfg_parse_buffer(&c, text, strlen(text), "t.conf", &ferr);
	assert_int_equal(r, fr);
	if (r < 0) {
		assert_string_equal(err.message, ferr.message);
		return;
	}
	assert_int_equal(seq.probes, c.sequence.probes);
	assert_int_equal(seq.probe_interval_ns, c.sequence.probe_interval_ns);
	assert_int_equal(seq.announce_delay_ns, c.sequence.announce_delay_ns);
	assert_int_equal(seq.announcements, c.sequence.announcements);
	assert_int_equal(seq.announce_interval_ns, c.sequence.announce_interval_ns);
	assert_int_equal(seq.frames, c.sequence.frames);
	assert_int_equal(seq.target_mac, c.sequence.target_mac);
	cfg_free(&c);
}

static void test_agrees_with_the_file(void **state)
{
	static const struct {
		const char *key;
		const char *values[8];
	} cases[] = {
		{ "probes", { "0", "3", "100", "101", "x", "-1", "1k" } },
		{ "probe_interval", { "0", "1ms", "250ms", "1h", "2h", "fast", "1.5s" } },
		{ "announce_delay", { "0", "1ms", "1h", "61m" } },
		{ "announcements", { "0", "1", "100", "101", "100000" } },
		{ "announce_interval", { "0", "1ms", "3600s", "3601s" } },
		{ "frames", { "request", "reply", "both", "all" } },
		{ "target_mac", { "broadcast", "zero", "multicast" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t k = 0; k < 8 && cases[i].values[k]; k++)
			agree(cases[i].key, cases[i].values[k]);
}

static void test_refusals(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct cfg_error err;

	(void)state;
	assert_int_equal(cfg_sequence_set(&seq, "announcements", "0", &err), -EINVAL);
	assert_string_equal(err.message,
			    "announcements: expected an integer from 1 to 100, got \"0\"");
	assert_int_equal(cfg_sequence_set(&seq, "probe_interval", "0", &err), -EINVAL);
	/* daemon keys, internal ones and [interface]-only ones are not sequence keys */
	assert_int_equal(cfg_sequence_set(&seq, "user", "nobody", &err), -ENOENT);
	assert_int_equal(cfg_sequence_set(&seq, "(probe_max)", "1s", &err), -ENOENT);
	assert_int_equal(cfg_sequence_set(&seq, "ignore", "yes", &err), -ENOENT);
	assert_int_equal(cfg_sequence_set(&seq, "nosuchkey", "1", NULL), -ENOENT);
	/* nothing changed by a refusal */
	assert_int_equal(seq.announcements, 1);
	assert_int_equal(cfg_sequence_set(&seq, "probes", "7", NULL), 0);
	assert_int_equal(seq.probes, 7);
}

static void test_bounds(void **state)
{
	uint64_t lo, hi;

	(void)state;
	assert_int_equal(cfg_sequence_key_bounds("probes", &lo, &hi), 0);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 100);
	assert_int_equal(cfg_sequence_key_bounds("announcements", &lo, &hi), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(cfg_sequence_key_bounds("probe_interval", &lo, &hi), 0);
	assert_int_equal(lo, CFG_NSEC_PER_MSEC);
	assert_int_equal(hi, 3600 * CFG_NSEC_PER_SEC);
	assert_int_equal(cfg_sequence_key_bounds("frames", &lo, &hi), -ENOENT);
	assert_int_equal(cfg_sequence_key_bounds("control_socket", &lo, &hi), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agrees_with_the_file),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
