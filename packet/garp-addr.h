/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One address type for both families: what the engine's targets, frames,
 * notes, conflicts and status are keyed by, beside the interface.
 *
 * Always build one with garp_addr_v4()/garp_addr_v6() (or zero it first):
 * garp_addr_eq() and garp_addr_hash() read only the bytes of the family,
 * but a zeroed struct keeps memcmp() and hashing of whole structs honest.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

struct garp_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 (AF_UNSPEC): no address */
	union {
		struct in_addr v4; /* network byte order */
		struct in6_addr v6;
	};
};

/* Longest text form, NUL included: an IPv6 address with an IPv4 tail. */
#define GARP_ADDR_STRLEN 46

static inline struct garp_addr garp_addr_v4(struct in_addr a)
{
	struct garp_addr r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.v4 = a;
	return r;
}

static inline struct garp_addr garp_addr_v6(const struct in6_addr *a)
{
	struct garp_addr r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.v6 = *a;
	return r;
}

/* Same family and same address. Two empty addresses are equal. */
bool garp_addr_eq(const struct garp_addr *a, const struct garp_addr *b);

/*
 * Orders by family (IPv4 first), then numerically (network byte order
 * compared bytewise): for sorted listings. Returns <0, 0 or >0.
 */
int garp_addr_cmp(const struct garp_addr *a, const struct garp_addr *b);

/* A 64-bit mix of the family and the address bytes, for hash tables. */
uint64_t garp_addr_hash(const struct garp_addr *a);

/* No address, 0.0.0.0 or :: */
bool garp_addr_is_unspecified(const struct garp_addr *a);

/*
 * The text inet_ntop() gives ("192.0.2.1", "2001:db8::1"); "-" for no
 * address. IPv4 is formatted without stdio (the log's hot path). Returns @buf.
 */
char *garp_addr_to_str(const struct garp_addr *a, char buf[GARP_ADDR_STRLEN]);

/*
 * Parses an IPv4 or IPv6 address (inet_pton() syntax, no prefix, no zone).
 * Return: 0, or -EINVAL.
 */
int garp_addr_from_str(const char *s, struct garp_addr *ret);
