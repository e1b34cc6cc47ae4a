/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The few macros every part of garpd needs: container_of, ARRAY_SIZE and
 * nanosecond constants. Macros only, no includes beyond <stddef.h>, no
 * functions: it stays pure, so the engine's purity check is unaffected.
 *
 * Why in packet/: it is the bottom of the library stack (packet/ depends on
 * nothing of ours) and the top-level include directory every library and
 * program is built with reaches it as "packet/garp-util.h", so netlink/,
 * config/ and daemon/ include it without a new dependency, as they reach
 * garp-addr.h next to it.
 */

#include <stddef.h>

#define GARP_NSEC_PER_USEC 1000ull
#define GARP_NSEC_PER_MSEC 1000000ull
#define GARP_NSEC_PER_SEC 1000000000ull

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
