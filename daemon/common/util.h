/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Small helpers for the programs in daemon/ (garpctl, garpd): strict
 * number parsing, interface lookups, the monotonic clock. Nothing here
 * logs; every function returns 0 or a negative errno.
 */

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../packet/garp-util.h"

#define UTIL_NSEC_PER_SEC GARP_NSEC_PER_SEC

/**
 * util_parse_uint() - parse a decimal unsigned integer, strictly
 * @s: the text: digits only (no sign, blanks, base prefix or suffix)
 * @max: the largest value accepted
 * @ret: the value, written only on success
 *
 * Return: 0, -EINVAL for bad syntax, -ERANGE above @max.
 */
int util_parse_uint(const char *s, uint64_t max, uint64_t *ret);

/**
 * util_parse_ipv4() - parse a dotted-quad IPv4 address, strictly
 * @s: "a.b.c.d", nothing else
 * @ret: the address (network byte order), written only on success
 *
 * Return: 0, -EAFNOSUPPORT when @s is an IPv6 address, -EINVAL otherwise.
 */
int util_parse_ipv4(const char *s, struct in_addr *ret);

/* What the kernel says about one interface. */
struct util_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned int flags;  /* IFF_* */
	unsigned short type; /* ARPHRD_* */
	uint8_t mac[6];
};

/**
 * util_link_get() - look an interface up by name (ioctl, no privileges)
 * @ifname: the name
 * @ret: index, flags, hardware type and address
 *
 * Return: 0, -ENODEV when there is no such interface, -EINVAL for a name
 * that cannot be one (empty, too long), or another negative errno.
 */
int util_link_get(const char *ifname, struct util_link *ret);

/**
 * util_link_why_not_arp() - why gratuitous ARP must not go out of @link
 * @link: the interface
 *
 * DESIGN.md: never announced on loopback, IFF_NOARP devices (an LVS-DR
 * real server's VIP device) or non-Ethernet links; and nothing can go out
 * of a link that is administratively down.
 *
 * Return: NULL when ARP may be sent, else the reason ("is down", ...),
 * worded to follow the interface name.
 */
const char *util_link_why_not_arp(const struct util_link *link);

/**
 * util_now_ns() - CLOCK_MONOTONIC in nanoseconds
 */
uint64_t util_now_ns(void);

/**
 * util_sleep_until_ns() - sleep until CLOCK_MONOTONIC reaches @deadline_ns
 *
 * Absolute (TIMER_ABSTIME), so delays do not add up over a schedule;
 * resumes after signals.
 *
 * Return: 0 or a negative errno.
 */
int util_sleep_until_ns(uint64_t deadline_ns);
