/* SPDX-License-Identifier: GPL-2.0-or-later */
/* struct garp_addr: one key for both families. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "garp-addr.h"

static struct garp_addr ga(const char *s)
{
	struct garp_addr a;

	assert_int_equal(garp_addr_from_str(s, &a), 0);
	return a;
}

static void test_parse_format(void **state)
{
	static const char *const ok[] = {
		"0.0.0.0",
		"192.0.2.1",
		"255.255.255.255",
		"::",
		"::1",
		"2001:db8::10",
		"fe80::1:2ff:fe03:405",
		"2001:db8:1:2:3:4:5:6",
		"::ffff:192.0.2.1",
	};
	char buf[GARP_ADDR_STRLEN];
	struct garp_addr a;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		a = ga(ok[i]);
		assert_string_equal(garp_addr_to_str(&a, buf), ok[i]);
	}
	a = ga("2001:DB8:0:0:0:0:0:10");
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(garp_addr_to_str(&a, buf), "2001:db8::10");
	a = ga("10.1.2.3");
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.v4.s_addr, htonl(0x0a010203));

	static const char *const bad[] = {
		"",
		"1.2.3",
		"1.2.3.4.5",
		"256.1.1.1",
		"10.0.0.1/24",
		"2001:db8::1/64",
		"fe80::1%eth0",
		":::",
		"2001:db8::g",
		" 10.0.0.1",
		"10.0.0.1 ",
		"eth0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(garp_addr_from_str(bad[i], &a), -EINVAL);

	/* the longest text form fits */
	a = ga("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	assert_true(strlen(garp_addr_to_str(&a, buf)) < GARP_ADDR_STRLEN);

	memset(&a, 0, sizeof(a));
	assert_string_equal(garp_addr_to_str(&a, buf), "-");
}

static void test_eq_hash_cmp(void **state)
{
	struct garp_addr v4 = ga("10.0.0.1"), v4b = ga("10.0.0.2"), v6 = ga("::a00:1"),
			 v6b = ga("::a00:2"), none;
	struct in6_addr x;

	memset(&none, 0, sizeof(none));
	/* 10.0.0.1 and ::a00:1 share their first four bytes' worth of value: not equal */
	assert_true(garp_addr_eq(&v4, &v4));
	assert_false(garp_addr_eq(&v4, &v6));
	assert_false(garp_addr_eq(&v4, &v4b));
	assert_false(garp_addr_eq(&v6, &v6b));
	assert_true(garp_addr_eq(&none, &none));
	assert_false(garp_addr_eq(&none, &v4));
	assert_int_not_equal(garp_addr_hash(&v4), garp_addr_hash(&v6));
	assert_int_not_equal(garp_addr_hash(&v4), garp_addr_hash(&v4b));

	/* eq and hash read only the family's bytes: junk past an IPv4 address is ignored */
	memset(&x, 0xa5, sizeof(x));
	v4b.v6 = x;
	v4b.v4 = v4.v4;
	assert_true(garp_addr_eq(&v4, &v4b));
	assert_int_equal(garp_addr_hash(&v4), garp_addr_hash(&v4b));

	/* numeric order within a family, IPv4 before IPv6 */
	assert_true(garp_addr_cmp(&v4, &v6) < 0);
	assert_true(garp_addr_cmp(&v6, &v4) > 0);
	assert_true(garp_addr_cmp(&v4, &v4) == 0);
	v4 = ga("9.255.255.255");
	v4b = ga("10.0.0.0");
	assert_true(garp_addr_cmp(&v4, &v4b) < 0);
	v6 = ga("2001:db8::ff");
	v6b = ga("2001:db8::100");
	assert_true(garp_addr_cmp(&v6, &v6b) < 0);

	assert_true(garp_addr_is_unspecified(&none));
	v4 = ga("0.0.0.0");
	assert_true(garp_addr_is_unspecified(&v4));
	v6 = ga("::");
	assert_true(garp_addr_is_unspecified(&v6));
	v6 = ga("::1");
	assert_false(garp_addr_is_unspecified(&v6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_eq_hash_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
