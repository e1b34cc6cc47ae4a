/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control requests framed from raw bytes: LF, CRLF, a lone CR, NUL, length limits, pipelining. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control-frame.h"

static enum control_frame frame(const char *data, size_t len, size_t *ret_len, size_t *ret_used)
{
	*ret_len = *ret_used = (size_t)-1;
	return control_frame_next(data, len, ret_len, ret_used);
}

static void test_lf(void **state)
{
	size_t n, used;

	(void)state;
	assert_int_equal(frame("status\n", 7, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(n, 6);
	assert_int_equal(used, 7);
}

static void test_crlf(void **state)
{
	size_t n, used;

	(void)state;
	assert_int_equal(frame("status\r\n", 8, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(n, 6); /* the CR is not part of the request */
	assert_int_equal(used, 8);
	/* Empty lines are framed (the handler answers them). */
	assert_int_equal(frame("\r\n", 2, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(n, 0);
	assert_int_equal(used, 2);
	assert_int_equal(frame("\n", 1, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(n, 0);
	assert_int_equal(used, 1);
}

static void test_incomplete(void **state)
{
	size_t n, used;

	(void)state;
	assert_int_equal(frame("", 0, &n, &used), CONTROL_FRAME_MORE);
	assert_int_equal(frame(NULL, 0, &n, &used), CONTROL_FRAME_MORE);
	assert_int_equal(frame("status", 6, &n, &used), CONTROL_FRAME_MORE);
	/* A CR at the end may be the first half of a CRLF: wait for the rest. */
	assert_int_equal(frame("status\r", 7, &n, &used), CONTROL_FRAME_MORE);
	/* A NUL is only judged once the line is complete. */
	assert_int_equal(frame("sta\0", 4, &n, &used), CONTROL_FRAME_MORE);
}

static void test_lone_cr_refused(void **state)
{
	size_t n, used;

	(void)state;
	assert_int_equal(frame("status\rjson\n", 12, &n, &used), CONTROL_FRAME_CR);
	assert_int_equal(frame("\rstatus\n", 8, &n, &used), CONTROL_FRAME_CR);
	assert_int_equal(frame("status\r\r\n", 9, &n, &used), CONTROL_FRAME_CR);
	assert_non_null(strstr(control_frame_error(CONTROL_FRAME_CR), "carriage return"));
}

static void test_nul_refused(void **state)
{
	size_t n, used;

	(void)state;
	assert_int_equal(frame("sta\0tus\n", 8, &n, &used), CONTROL_FRAME_NUL);
	assert_int_equal(frame("\0\n", 2, &n, &used), CONTROL_FRAME_NUL);
	assert_int_equal(frame("status\0\r\n", 9, &n, &used), CONTROL_FRAME_NUL);
	assert_non_null(strstr(control_frame_error(CONTROL_FRAME_NUL), "NUL"));
}

static void test_pipelined(void **state)
{
	static const char in[] = "status\r\nhelp\nmetrics\r\nmon";
	size_t off = 0, n, used;

	(void)state;
	assert_int_equal(frame(in + off, sizeof(in) - 1 - off, &n, &used), CONTROL_FRAME_LINE);
	assert_memory_equal(in + off, "status", n);
	off += used;
	assert_int_equal(frame(in + off, sizeof(in) - 1 - off, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(n, 4);
	assert_memory_equal(in + off, "help", n);
	off += used;
	assert_int_equal(frame(in + off, sizeof(in) - 1 - off, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(n, 7);
	off += used;
	assert_int_equal(frame(in + off, sizeof(in) - 1 - off, &n, &used), CONTROL_FRAME_MORE);
	/* Only the first line is judged: a bad second line does not spoil the first. */
	assert_int_equal(frame("help\nx\0y\n", 9, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(used, 5);
}

static void test_lengths(void **state)
{
	char *b = malloc(CONTROL_INPUT_MAX + 16);
	size_t n, used;

	(void)state;
	assert_non_null(b);
	memset(b, 'x', CONTROL_INPUT_MAX + 16);
	/* Exactly the limit, with LF and with CRLF. */
	b[CONTROL_LINE_MAX] = '\n';
	assert_int_equal(frame(b, CONTROL_LINE_MAX + 1, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(n, CONTROL_LINE_MAX);
	b[CONTROL_LINE_MAX] = '\r';
	b[CONTROL_LINE_MAX + 1] = '\n';
	assert_int_equal(frame(b, CONTROL_LINE_MAX + 2, &n, &used), CONTROL_FRAME_LINE);
	assert_int_equal(n, CONTROL_LINE_MAX);
	assert_int_equal(used, CONTROL_LINE_MAX + 2);
	/* One more byte, with LF or CRLF. */
	memset(b, 'x', CONTROL_INPUT_MAX + 16);
	b[CONTROL_LINE_MAX + 1] = '\n';
	assert_int_equal(frame(b, CONTROL_LINE_MAX + 2, &n, &used), CONTROL_FRAME_TOO_LONG);
	b[CONTROL_LINE_MAX + 1] = '\r';
	b[CONTROL_LINE_MAX + 2] = '\n';
	assert_int_equal(frame(b, CONTROL_LINE_MAX + 3, &n, &used), CONTROL_FRAME_TOO_LONG);
	/* No newline: more is wanted until the limit, then it is too long. */
	memset(b, 'x', CONTROL_INPUT_MAX + 16);
	assert_int_equal(frame(b, CONTROL_INPUT_MAX - 1, &n, &used), CONTROL_FRAME_MORE);
	assert_int_equal(frame(b, CONTROL_INPUT_MAX, &n, &used), CONTROL_FRAME_TOO_LONG);
	/* A newline past the limit is never looked for. */
	b[CONTROL_INPUT_MAX + 4] = '\n';
	assert_int_equal(frame(b, CONTROL_INPUT_MAX + 5, &n, &used), CONTROL_FRAME_TOO_LONG);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lf),	    cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_incomplete),  cmocka_unit_test(test_lone_cr_refused),
		cmocka_unit_test(test_nul_refused), cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
