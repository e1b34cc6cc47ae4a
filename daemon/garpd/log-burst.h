/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The log at scale. journald keeps at most 10,000 messages per service per
 * 30 s by default; one line per address and event would lose half of a
 * 10,000-address burst. So at info, the per-address events of a burst
 * (sequence-started, announced, cancelled) are summarised: one line per
 * interface, event, value (probes=3, reason=...) and address family, with
 * the count and the addresses (the first few; for IPv4 also the range).
 * Each address's own line is at debug; at debug the daemon logs those and
 * does not summarise. Conflicts, send errors and everything else are never
 * summarised.
 *
 * The rule, per group (interface, event, value):
 * - an event after LOG_BURST_GAP_NS of silence, with nothing pending, is
 *   alone: the caller logs it at info as it is (no delay, the usual line);
 * - any other event is added to the group's pending summary, which is
 *   written LOG_BURST_HOLD_NS after its first event.
 * Summaries of a group cover disjoint spans of at least LOG_BURST_HOLD_NS,
 * and a lone line needs LOG_BURST_GAP_NS of silence before it: over T
 * seconds a group writes at most 2 * (T + 1) lines, however many addresses
 * it holds (one lone line and T + 1 summaries for one burst).
 *
 * Pure: the caller passes `now` and gets the next deadline; lines go out
 * through a callback.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "garp-addr.h"
#include "garp-util.h"

#define LOG_BURST_GAP_NS GARP_NSEC_PER_SEC /* silence after which an event is alone */
#define LOG_BURST_HOLD_NS                                                                          \
	GARP_NSEC_PER_SEC /* a summary is written this long after its first event */
#define LOG_BURST_LIST 8  /* addresses named in a summary */
#define LOG_BURST_NO_DEADLINE UINT64_MAX

struct log_burst;

/* Writes one summary: @fields is "event=announced count=... addrs=..." (no iface). */
typedef void (*log_burst_emit_fn)(void *userdata, int ifindex, const char *fields, size_t len);

int log_burst_new(struct log_burst **ret);
void log_burst_free(struct log_burst *b);

/**
 * log_burst_add() - one per-address event at @now
 * @event: "announced"; a string that outlives the summary (a literal)
 * @key, @val: one more field that splits groups ("probes", "3"), or NULL
 *
 * Return: true when the event is alone and the caller logs it at info
 * itself; false when it went into a summary (the caller logs it at debug).
 * On allocation failure, true (better a line too many than none).
 */
bool log_burst_add(struct log_burst *b, uint64_t now, int ifindex, const char *event,
		   const char *key, const char *val, const struct garp_addr *addr);

/* The earliest time a pending summary is due, or LOG_BURST_NO_DEADLINE. */
uint64_t log_burst_next_deadline(const struct log_burst *b);

/* Writes the summaries due at @now (every pending one when @all). */
void log_burst_flush(struct log_burst *b, uint64_t now, bool all, log_burst_emit_fn emit,
		     void *userdata);
