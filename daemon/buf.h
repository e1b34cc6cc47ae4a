/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A growable text buffer for replies; an allocation failure sticks (oom) and later appends are no-ops. */

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap;
	bool oom;
};

#define BUF_INIT {0}

void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_append(struct buf *b, const void *p, size_t n);
/* A JSON string literal, quotes included. */
void buf_json_string(struct buf *b, const char *s);
/* Drop the first @n bytes. */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
