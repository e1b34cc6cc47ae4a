/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The log's burst summaries (daemon/garpd/log-burst.c), on a fake clock:
 * a lone event is logged as it is, a burst becomes one line per interface,
 * event and value, however many addresses it holds.
 */

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log-burst.h"

#define MS 1000000ull
#define S 1000000000ull
#define T0 (100 * S)

struct sink {
	int n;
	int ifindex[64];
	char lines[64][512];
};

static void emit(void *userdata, int ifindex, const char *fields, size_t len)
{
	struct sink *s = userdata;

	assert_true(s->n < 64);
	assert_int_equal(strlen(fields), len);
	s->ifindex[s->n] = ifindex;
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s", fields);
}

static struct garp_addr ip(uint32_t host)
{
	return garp_addr_v4((struct in_addr){ .s_addr = htonl(host) });
}

#define A(x) ip(0x0a000000u + (x)) /* 10.0.0.0 + x */

static void test_lone_event_is_logged_as_is(void **state)
{
	struct log_burst *b;
	struct garp_addr a = A(6);
	struct sink s = { 0 };

	assert_int_equal(log_burst_new(&b), 0);
	assert_true(log_burst_add(b, T0, 2, "announced", NULL, NULL, &a));
	assert_int_equal(log_burst_next_deadline(b), LOG_BURST_NO_DEADLINE);
	/* Another one more than the gap later: alone again. */
	assert_true(log_burst_add(b, T0 + LOG_BURST_GAP_NS, 2, "announced", NULL, NULL, &a));
	log_burst_flush(b, T0 + 10 * S, true, emit, &s);
	assert_int_equal(s.n, 0);
	log_burst_free(b);
}

static void test_burst_of_10000_is_one_line(void **state)
{
	struct log_burst *b;
	struct sink s = { 0 };
	uint64_t now = T0;
	int summarised = 0;

	assert_int_equal(log_burst_new(&b), 0);
	/* 10,000 addresses, 50 per 10 ms batch: 2 s of events. */
	for (uint32_t i = 1; i <= 10000; i++) {
		struct garp_addr a = A(i);

		if (i % 50 == 0)
			now += 10 * MS;
		if (!log_burst_add(b, now, 2, "sequence-started", "probes", "3", &a))
			summarised++;
		if (now >= log_burst_next_deadline(b))
			log_burst_flush(b, now, false, emit, &s);
	}
	assert_int_equal(summarised, 9999); /* the first was alone */
	log_burst_flush(b, log_burst_next_deadline(b), false, emit, &s);
	assert_int_equal(log_burst_next_deadline(b), LOG_BURST_NO_DEADLINE);
	/* 2 s of burst, one summary per second at most: 2 or 3 lines. */
	assert_in_range(s.n, 2, 3);
	{
		unsigned total = 0;

		for (int i = 0; i < s.n; i++) {
			unsigned c;

			assert_int_equal(s.ifindex[i], 2);
			assert_non_null(
			    strstr(s.lines[i], "event=sequence-started probes=3 count="));
			assert_int_equal(sscanf(strstr(s.lines[i], "count="), "count=%u", &c), 1);
			total += c;
		}
		assert_int_equal(total, 9999);
	}
	assert_non_null(strstr(s.lines[0], " range=10.0.0.2-"));
	assert_non_null(strstr(
	    s.lines[0], " addrs=10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.8,"
			"10.0.0.9,+"));
	assert_true(strlen(s.lines[0]) < 200);
	log_burst_free(b);
}

static void test_groups_split_by_interface_event_and_value(void **state)
{
	struct log_burst *b;
	struct sink s = { 0 };
	struct garp_addr a = A(1), c = A(2), e = A(3);

	assert_int_equal(log_burst_new(&b), 0);
	/* Each group's first is alone; the second of each is summarised. */
	for (int k = 0; k < 2; k++) {
		bool want = k == 0;

		assert_true(log_burst_add(b, T0 + k * MS, 2, "announced", NULL, NULL, &a) == want);
		assert_true(log_burst_add(b, T0 + k * MS, 3, "announced", NULL, NULL, &c) == want);
		assert_true(
		    log_burst_add(b, T0 + k * MS, 2, "cancelled", "reason", "removed", &e) == want);
		assert_true(log_burst_add(b, T0 + k * MS, 2, "cancelled", "reason", "link-down",
					  &e) == want);
	}
	/* Due a second after the first summarised event, not before. */
	assert_int_equal(log_burst_next_deadline(b), T0 + MS + LOG_BURST_HOLD_NS);
	log_burst_flush(b, T0 + MS + LOG_BURST_HOLD_NS - 1, false, emit, &s);
	assert_int_equal(s.n, 0);
	log_burst_flush(b, T0 + MS + LOG_BURST_HOLD_NS, false, emit, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.lines[0], "event=announced count=1 addrs=10.0.0.1");
	assert_int_equal(s.ifindex[1], 3);
	assert_string_equal(s.lines[1], "event=announced count=1 addrs=10.0.0.2");
	assert_string_equal(s.lines[2], "event=cancelled reason=removed count=1 addrs=10.0.0.3");
	assert_string_equal(s.lines[3], "event=cancelled reason=link-down count=1 addrs=10.0.0.3");
	log_burst_free(b);
}

static void test_a_summary_is_held_at_most_a_second(void **state)
{
	struct log_burst *b;
	struct sink s = { 0 };
	uint64_t now = T0;

	assert_int_equal(log_burst_new(&b), 0);
	/* One event every 50 ms for 5 s: never idle, so the hold time rules. */
	for (int i = 0; i < 100; i++, now += 50 * MS) {
		struct garp_addr a = A((uint32_t)i);

		(void)log_burst_add(b, now, 2, "announced", NULL, NULL, &a);
		if (now >= log_burst_next_deadline(b))
			log_burst_flush(b, now, false, emit, &s);
	}
	log_burst_flush(b, now, true, emit, &s);
	/* The first alone; then 1 s holds (21 events: 50 ms apart, both ends); 5 s in all. */
	assert_in_range(s.n, 5, 6);
	assert_non_null(strstr(s.lines[0], "count=21 range=10.0.0.1-10.0.0.21"));
	log_burst_free(b);
}

static void test_after_a_burst_silence_makes_the_next_lone(void **state)
{
	struct log_burst *b;
	struct sink s = { 0 };
	struct garp_addr a = A(1);

	assert_int_equal(log_burst_new(&b), 0);
	assert_true(log_burst_add(b, T0, 2, "announced", NULL, NULL, &a));
	assert_false(log_burst_add(b, T0 + MS, 2, "announced", NULL, NULL, &a));
	log_burst_flush(b, T0 + MS + LOG_BURST_HOLD_NS, false, emit, &s);
	assert_int_equal(s.n, 1);
	/* Less than the gap after the last event: still part of the burst. */
	assert_false(log_burst_add(b, T0 + 900 * MS, 2, "announced", NULL, NULL, &a));
	log_burst_flush(b, T0 + 1900 * MS, false, emit, &s);
	assert_int_equal(s.n, 2);
	assert_false(
	    log_burst_add(b, T0 + 900 * MS + LOG_BURST_GAP_NS - 1, 2, "announced", NULL, NULL, &a));
	log_burst_flush(b, T0 + 10 * S, true, emit, &s);
	assert_true(
	    log_burst_add(b, T0 + 900 * MS + 2 * LOG_BURST_GAP_NS, 2, "announced", NULL, NULL, &a));
	log_burst_free(b);
}

static void test_many_interfaces_do_not_grow_without_bound(void **state)
{
	struct log_burst *b;
	struct sink s = { 0 };

	assert_int_equal(log_burst_new(&b), 0);
	/* 100,000 interfaces, one lone event each, a gap apart in groups of 10. */
	for (int i = 0; i < 100000; i++) {
		struct garp_addr a = A(1);

		assert_true(log_burst_add(b, T0 + (uint64_t)(i / 10) * 2 * S, i + 1, "announced",
					  NULL, NULL, &a));
	}
	log_burst_flush(b, T0 + 1000000 * S, true, emit, &s);
	assert_int_equal(s.n, 0);
	log_burst_free(b);
}

static void test_ipv6_is_its_own_group_without_a_range(void **state)
{
	struct log_burst *b;
	struct sink s = { 0 };
	struct in6_addr x;
	struct garp_addr v4 = A(1), v6;

	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &x), 1);
	v6 = garp_addr_v6(&x);
	assert_int_equal(log_burst_new(&b), 0);
	assert_true(log_burst_add(b, T0, 2, "announced", NULL, NULL, &v4));
	assert_true(log_burst_add(b, T0, 2, "announced", NULL, NULL, &v6));
	for (int i = 0; i < 20; i++) {
		assert_false(log_burst_add(b, T0 + MS, 2, "announced", NULL, NULL, &v4));
		assert_false(log_burst_add(b, T0 + MS, 2, "announced", NULL, NULL, &v6));
	}
	log_burst_flush(b, T0 + MS + LOG_BURST_HOLD_NS, false, emit, &s);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(s.lines[0], "count=20 range=10.0.0.1-10.0.0.1 addrs=10.0.0.1,"));
	assert_string_equal(s.lines[1],
			    "event=announced count=20 addrs=2001:db8::1,2001:db8::1,"
			    "2001:db8::1,2001:db8::1,2001:db8::1,2001:db8::1,2001:db8::1,"
			    "2001:db8::1,+12");
	log_burst_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lone_event_is_logged_as_is),
		cmocka_unit_test(test_burst_of_10000_is_one_line),
		cmocka_unit_test(test_groups_split_by_interface_event_and_value),
		cmocka_unit_test(test_a_summary_is_held_at_most_a_second),
		cmocka_unit_test(test_after_a_burst_silence_makes_the_next_lone),
		cmocka_unit_test(test_many_interfaces_do_not_grow_without_bound),
		cmocka_unit_test(test_ipv6_is_its_own_group_without_a_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
