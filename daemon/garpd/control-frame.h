/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Framing of control requests, without sockets: where the next request in
 * the bytes a client sent ends, and whether it is acceptable. A request is
 * a line of at most CONTROL_LINE_MAX bytes ended by LF or CRLF; a NUL byte
 * or a carriage return anywhere but just before the LF is refused.
 */

#include <stddef.h>

#include "control-proto.h" /* CONTROL_LINE_MAX */

/* A client's unframed input never exceeds this: the longest request and its CRLF. */
#define CONTROL_INPUT_MAX (CONTROL_LINE_MAX + 2)

enum control_frame {
	CONTROL_FRAME_MORE,	/* no complete line yet: read more */
	CONTROL_FRAME_LINE,	/* a request */
	CONTROL_FRAME_TOO_LONG, /* longer than CONTROL_LINE_MAX */
	CONTROL_FRAME_NUL,	/* contains a NUL byte */
	CONTROL_FRAME_CR,	/* a carriage return not followed by the LF */
};

/**
 * control_frame_next() - frame the first request in @data
 * @data: what the client sent and was not consumed yet
 * @len: its length
 * @ret_len: for CONTROL_FRAME_LINE, the request's length without its LF or CRLF
 * @ret_used: for CONTROL_FRAME_LINE, the bytes to consume, the terminator included
 *
 * Return: what the first line is; anything but MORE or LINE ends the connection.
 */
enum control_frame control_frame_next(const char *data, size_t len, size_t *ret_len,
				      size_t *ret_used);

/* A one-line reason for a refused frame ("request contains a NUL byte"). */
const char *control_frame_error(enum control_frame f);
