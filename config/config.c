/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpd.conf: strict parsing of durations, sizes, and (below) the INI file.
 * Pure: no logging, no global state.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "garp-config.h"

/*
 * Parse a decimal unsigned integer at the start of @s: at least one digit,
 * no sign, no leading blanks. Sets *@ret_end past the digits.
 */
static int parse_u64_prefix(const char *s, uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	*ret_end = p;
	return 0;
}

static int mul_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	if (b != 0 && a > UINT64_MAX / b)
		return -ERANGE;
	*ret = a * b;
	return 0;
}

/**
 * cfg_parse_duration() - parse "250ms", "1s", "2m", "1h" or a bare number
 * @s: the text; a non-negative integer, then optionally ms, s, m or h
 * @ret_ns: the duration in nanoseconds
 *
 * A bare number means seconds ("0" is valid). Signs, blanks, decimals,
 * an empty string, an unknown unit and overflow are rejected.
 *
 * Return: 0, or -EINVAL (bad syntax) or -ERANGE (overflow); *@ret_ns is
 * untouched on failure.
 */
int cfg_parse_duration(const char *s, uint64_t *ret_ns)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", CFG_NSEC_PER_SEC },
		{ "ms", CFG_NSEC_PER_MSEC },
		{ "s", CFG_NSEC_PER_SEC },
		{ "m", 60 * CFG_NSEC_PER_SEC },
		{ "h", 3600 * CFG_NSEC_PER_SEC },
	};
	const char *end;
	uint64_t v, ns;
	int r;

	if (!s)
		return -EINVAL;
	r = parse_u64_prefix(s, &v, &end);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		r = mul_u64(v, units[i].mult, &ns);
		if (r < 0)
			return r;
		*ret_ns = ns;
		return 0;
	}
	return -EINVAL;
}

/**
 * cfg_parse_size() - parse a byte count: "65536", "64K", "4M", "1G"
 * @s: a non-negative integer, then optionally K, M or G (powers of 1024)
 * @ret: the size in bytes
 *
 * Return: 0, or -EINVAL (bad syntax) or -ERANGE (overflow); *@ret is
 * untouched on failure.
 */
int cfg_parse_size(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 },
		{ "K", 1024ull },
		{ "M", 1024ull * 1024 },
		{ "G", 1024ull * 1024 * 1024 },
	};
	const char *end;
	uint64_t v, b;
	int r;

	if (!s)
		return -EINVAL;
	r = parse_u64_prefix(s, &v, &end);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		r = mul_u64(v, units[i].mult, &b);
		if (r < 0)
			return r;
		*ret = b;
		return 0;
	}
	return -EINVAL;
}
