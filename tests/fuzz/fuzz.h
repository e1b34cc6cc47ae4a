/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One libFuzzer harness per file in tests/fuzz/. Built two ways:
 * - scripts/fuzz: with clang and -fsanitize=fuzzer, libFuzzer drives it;
 * - meson test: with replay.c's main(), every file of its seed corpus
 *   (tests/fuzz/corpus/NAME/) runs through it once, under the test build's
 *   sanitizers, so each harness and its oracle is exercised by scripts/test.
 * A finding aborts (FUZZ_CHECK), which both drivers report.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Reads input bytes in order; past the end every read gives 0. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}
