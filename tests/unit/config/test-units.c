/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cfg_parse_duration() and cfg_parse_size(): good values, each bad class. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "garp-config.h"

static void test_duration_good(void **state)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} good[] = {
		{ "0", 0 },
		{ "0ms", 0 },
		{ "0s", 0 },
		{ "1", CFG_NSEC_PER_SEC },
		{ "250ms", 250 * CFG_NSEC_PER_MSEC },
		{ "1s", CFG_NSEC_PER_SEC },
		{ "2m", 120 * CFG_NSEC_PER_SEC },
		{ "1h", 3600 * CFG_NSEC_PER_SEC },
		{ "007s", 7 * CFG_NSEC_PER_SEC },
		{ "18446744073709ms", 18446744073709ull * CFG_NSEC_PER_MSEC },
		{ "18446744073s", 18446744073ull * CFG_NSEC_PER_SEC },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t ns = 12345;

		assert_int_equal(cfg_parse_duration(good[i].s, &ns), 0);
		assert_int_equal(ns, good[i].ns);
	}
}

static void test_duration_bad(void **state)
{
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{ "", -EINVAL },
		{ "s", -EINVAL },
		{ "ms", -EINVAL },
		{ "-1", -EINVAL },
		{ "-1s", -EINVAL },
		{ "+1s", -EINVAL },
		{ " 1s", -EINVAL },
		{ "1s ", -EINVAL },
		{ "1 s", -EINVAL },
		{ "1.5s", -EINVAL },
		{ "1x", -EINVAL },
		{ "1sec", -EINVAL },
		{ "1S", -EINVAL },
		{ "1ms1", -EINVAL },
		{ "fast", -EINVAL },
		{ "0x10", -EINVAL },
		{ "1d", -EINVAL },
		{ "1us", -EINVAL },
		/* 18446744074 s is just over UINT64_MAX ns */
		{ "18446744074s", -ERANGE },
		{ "18446744073710ms", -ERANGE },
		{ "5124096h", -ERANGE },
		{ "18446744073709551616", -ERANGE },
		{ "99999999999999999999999999999ms", -ERANGE },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t ns = 42;

		print_message("%s\n", bad[i].s);
		assert_int_equal(cfg_parse_duration(bad[i].s, &ns), bad[i].err);
		assert_int_equal(ns, 42);
	}
	assert_int_equal(cfg_parse_duration(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void test_size_good(void **state)
{
	static const struct {
		const char *s;
		uint64_t b;
	} good[] = {
		{ "0", 0 },	      { "65536", 65536 },   { "64K", 65536 },
		{ "4M", 4ull << 20 }, { "1G", 1ull << 30 }, { "16777215G", 16777215ull << 30 },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t b = 1;

		assert_int_equal(cfg_parse_size(good[i].s, &b), 0);
		assert_int_equal(b, good[i].b);
	}
}

static void test_size_bad(void **state)
{
	static const char *const bad[] = {
		"", "K", "-1", "+1", "4m", "4k", "4MB", "4 M", " 4M", "4M ", "1.5M", "4T", "0x10",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t b = 7;

		print_message("%s\n", bad[i]);
		assert_int_equal(cfg_parse_size(bad[i], &b), -EINVAL);
		assert_int_equal(b, 7);
	}
	assert_int_equal(cfg_parse_size("17179869184G", &(uint64_t){ 0 }), -ERANGE);
	assert_int_equal(cfg_parse_size("18446744073709551616", &(uint64_t){ 0 }), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_size_good),
		cmocka_unit_test(test_size_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
