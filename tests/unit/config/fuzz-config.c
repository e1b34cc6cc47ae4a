/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A deterministic fuzz loop over cfg_parse_buffer(): every prefix of a full
 * configuration, then random byte flips, insertions, deletions and splices,
 * each in a buffer of exactly its size so ASan sees any read past the end.
 * Every input must give 0 or -EINVAL with a message and a plausible line.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "garp-config.h"

static const char seed[] = "[daemon]\n"
			   "control_socket = /run/garpd/control\n"
			   "user =                      # empty: stay root\n"
			   "log_level = info\n"
			   "announce_on_start = no\n"
			   "netlink_rcvbuf = 4M\n"
			   "\n"
			   "[sequence]                  # defaults for every interface\n"
			   "profile = rfc5227 ; preset\n"
			   "probes = 3\n"
			   "probe_interval = 1s\n"
			   "announce_delay = 1s\n"
			   "announcements = 1\n"
			   "announce_interval = 250ms\n"
			   "frames = both\n"
			   "target_mac = zero\n"
			   "refresh_interval = 0\n"
			   "on_conflict = abort\n"
			   "max_frames_per_second = 1000\n"
			   "on_link_up = sequence\n"
			   "on_mac_change = announce\n"
			   "on_bond_failover = none\n"
			   "relearn_guests = yes\n"
			   "relearn_frame = arp\n"
			   "directed_refresh = yes\n"
			   "refresh_neighbours_max = 8\n"
			   "\n"
			   "[interface eth*]\n"
			   "ignore = no\n"
			   "refresh_neighbours = 10.0.0.1, 10.0.0.20\n"
			   "refresh_neighbours = 10.0.0.3 fe80::1, 2001:db8::20\n"
			   "profile = immediate\n"
			   "[interface bond[0-9]]\n"
			   "probes = 0\n";

static const char *const tokens[] = { "[",
				      "]",
				      "=",
				      "#",
				      ";",
				      "\n",
				      " ",
				      "\t",
				      "\0",
				      "\r",
				      "[interface ",
				      "[daemon]",
				      "probes",
				      "1s",
				      "4M",
				      "yes",
				      "\xef\xbb\xbf",
				      "\xff",
				      "999999999999999999999",
				      "*" };

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible across runs, no clock. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static unsigned long n_ok, n_err;

static void run_one(const char *data, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct cfg c;
	struct cfg_error e;
	unsigned int lines = 1;
	int r;

	assert_non_null(copy);
	if (len)
		memcpy(copy, data, len);
	for (size_t i = 0; i < len; i++)
		lines += copy[i] == '\n';

	r = cfg_parse_buffer(&c, copy, len, "fuzz.conf", &e);
	if (r == 0) {
		struct cfg_sequence s;

		n_ok++;
		cfg_sequence_for(&c, "eth0", &s);
		cfg_sequence_for(&c, "bond1", &s);
		cfg_sequence_for(&c, "", &s);
		cfg_free(&c);
	} else {
		n_err++;
		assert_int_equal(r, -EINVAL);
		assert_true(e.message[0] != '\0');
		assert_true(e.line >= 1 && e.line <= lines);
		assert_string_equal(e.file, "fuzz.conf");
		assert_null(c.interfaces);
	}
	free(copy);
}

static void test_prefixes(void **state)
{
	for (size_t n = 0; n <= sizeof(seed) - 1; n++)
		run_one(seed, n);
	/* The whole seed is valid. */
	{
		struct cfg c;

		assert_int_equal(cfg_parse_buffer(&c, seed, sizeof(seed) - 1, "x", NULL), 0);
		cfg_free(&c);
	}
}

static void test_mutations(void **state)
{
	enum { ITER = 20000, MAX = 4096 };
	char *buf = malloc(MAX);
	size_t len;

	assert_non_null(buf);
	for (int it = 0; it < ITER; it++) {
		int muts = 1 + (int)(rnd() % 8);

		len = sizeof(seed) - 1;
		memcpy(buf, seed, len);
		for (int m = 0; m < muts; m++) {
			size_t pos = len ? rnd() % len : 0;

			switch (rnd() % 5) {
			case 0: /* flip a byte */
				if (len)
					buf[pos] = (char)rnd();
				break;
			case 1: /* delete a run */ {
				size_t k = rnd() % 16;

				if (pos + k > len)
					k = len - pos;
				memmove(buf + pos, buf + pos + k, len - pos - k);
				len -= k;
				break;
			}
			case 2: /* insert a token */ {
				const char *t =
				    tokens[rnd() % (sizeof(tokens) / sizeof(tokens[0]))];
				size_t k = t[0] ? strlen(t) : 1;

				if (len + k > MAX)
					break;
				memmove(buf + pos + k, buf + pos, len - pos);
				memcpy(buf + pos, t, k);
				len += k;
				break;
			}
			case 3: /* duplicate a run (splice) */ {
				size_t from = len ? rnd() % len : 0;
				size_t k = rnd() % 64;

				if (from + k > len)
					k = len - from;
				if (len + k > MAX)
					break;
				memmove(buf + pos + k, buf + pos, len - pos);
				memmove(buf + pos, buf + (from >= pos ? from + k : from), k);
				len += k;
				break;
			}
			case 4: /* truncate */
				len = pos;
				break;
			}
		}
		run_one(buf, len);
	}
	/* Pure random buffers. */
	for (int it = 0; it < 2000; it++) {
		len = rnd() % 512;
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)rnd();
		run_one(buf, len);
	}
	print_message("fuzz: %lu accepted, %lu rejected\n", n_ok, n_err);
	/* The loop exercises both outcomes, or it tests little. */
	assert_true(n_ok > 100);
	assert_true(n_err > 100);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
