/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <string.h>

#include "control-frame.h"

_Static_assert(CONTROL_LINE_MAX == 4096, "control_frame_error() names the limit");

enum control_frame control_frame_next(const char *data, size_t len, size_t *ret_len,
				      size_t *ret_used)
{
	size_t scan = len < CONTROL_INPUT_MAX ? len : CONTROL_INPUT_MAX;
	const char *nl = scan ? memchr(data, '\n', scan) : NULL;
	const char *cr;
	size_t n;

	if (!nl)
		return len >= CONTROL_INPUT_MAX ? CONTROL_FRAME_TOO_LONG : CONTROL_FRAME_MORE;
	n = (size_t)(nl - data);
	if (n > 0 && data[n - 1] == '\r')
		n--; /* CRLF ends a request as LF does */
	if (n > CONTROL_LINE_MAX)
		return CONTROL_FRAME_TOO_LONG;
	if (memchr(data, '\0', n))
		return CONTROL_FRAME_NUL;
	cr = memchr(data, '\r', n);
	if (cr)
		return CONTROL_FRAME_CR;
	*ret_len = n;
	*ret_used = (size_t)(nl - data) + 1;
	return CONTROL_FRAME_LINE;
}

const char *control_frame_error(enum control_frame f)
{
	switch (f) {
	case CONTROL_FRAME_TOO_LONG:
		return "request longer than 4096 bytes";
	case CONTROL_FRAME_NUL:
		return "request contains a NUL byte";
	case CONTROL_FRAME_CR:
		return "request contains a carriage return not followed by a newline";
	default:
		return "bad request";
	}
}
