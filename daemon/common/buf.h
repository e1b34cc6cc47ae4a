/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A growable text buffer for replies; an allocation failure sticks (oom) and later appends are
 * no-ops. */

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap;
	bool oom;
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		0                                                                                  \
	}

void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_append(struct buf *b, const void *p, size_t n);
/* A JSON string literal, quotes included. */
void buf_json_string(struct buf *b, const char *s);
/* Drop the first @n bytes. */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/*
 * array_reserve() - make room for @need elements of @size bytes in *@arr
 * (capacity *@cap, doubled as needed). Returns false, leaving the array as
 * it was, when memory runs out.
 */
bool array_reserve(void *arr, size_t *cap, size_t need, size_t size);
