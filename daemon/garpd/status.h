/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The daemon's state as the control requests read it: one snapshot, taken
 * at once from the engine, netlink's link table, the configuration and the
 * daemon's counters, then read without the daemon. `status` (text and
 * JSON), `metrics` and `announce` (commands.c) read it and nothing else;
 * a reply built in slices over several wakeups shows the state as it was
 * when asked.
 */

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "engine.h"
#include "garp-config.h"
#include "garp-netlink.h"

/* One interface, as netlink reports it and as garpd treats it. */
struct status_link {
	struct gnl_link link;
	const char *state; /* "up", "down" (not IFF_UP), "no-carrier" */
	/* why garpd does not announce on it ("loopback", ...); NULL when it does */
	const char *ignored;
	struct cfg_sequence policy;	  /* what its new sequences get; set when not ignored */
	char active_slave[IFNAMSIZ + 12]; /* GNL_KIND_BOND: the active slave's name; "" for none */
	size_t target, n_targets;	  /* its addresses: targets[target .. target + n_targets) */
};

struct daemon_status {
	uint64_t now;		   /* the daemon's, when taken */
	struct status_link *links; /* by ifindex */
	size_t n_links;
	struct engine_target_info *targets; /* by ifindex, then IPv4 before IPv6, by address */
	size_t n_targets;
	struct engine_counters engine;
	struct gnl_counters netlink;
	uint64_t send_errors; /* frames the socket refused (transmit.c) */
	struct engine_conflict conflicts[ENGINE_CONFLICTS_KEPT]; /* as the engine keeps them */
	size_t n_conflicts;
	struct if_stats *if_stats; /* per interface, kept after it went (metrics) */
	size_t n_if_stats;
};

/**
 * daemon_status_take() - snapshot the state the control requests read
 * @d: the daemon
 * @ret: the snapshot; free it with daemon_status_free(), also on failure
 *
 * Return: 0, or -ENOMEM.
 */
int daemon_status_take(struct daemon *d, struct daemon_status *ret);

void daemon_status_free(struct daemon_status *s);

/* The interface of @ifindex in @s, or NULL. */
const struct status_link *daemon_status_link(const struct daemon_status *s, int ifindex);

/* The interface named @name in @s, or NULL. */
const struct status_link *daemon_status_link_by_name(const struct daemon_status *s,
						     const char *name);

/* An interface's name, or "if<index>" when @s does not know it. */
const char *daemon_status_ifname(const struct daemon_status *s, int ifindex,
				 char buf[IFNAMSIZ + 12]);
