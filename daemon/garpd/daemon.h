/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The daemon's state, and what its files offer each other: the loop
 * (loop.c) dispatches; events (event.c), transmit (transmit.c), query
 * answers (queries.c) and setup (setup.c) do the work it hands them; the
 * control commands (commands.c) read it through status.h's snapshot.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "engine.h"
#include "garp-config.h"
#include "garp-netlink.h"
#include "loop.h"

/* epoll tags: which source woke the loop (loop.c dispatches on them). */
enum daemon_source {
	SRC_NETLINK, /* + index of the netlink fd */
	SRC_PACKET = 8,
	SRC_TIMER,
	SRC_SIGNAL,
	SRC_PACKET_ND,	   /* the IPv6 packet socket: NS/NA while our own DAD probes run */
	SRC_CONTROL = 100, /* and up: the control socket's listener and clients */
};

/* Per-interface frame counts for metrics; kept after the interface goes, so counters never drop. */
struct if_stats {
	int ifindex;
	char name[IFNAMSIZ + 12]; /* "if<index>" when the name was not known */
	uint64_t probes, announcements, replies, relearn, conflicts, send_errors;
	uint64_t refreshes, refresh_capped; /* directed refresh frames; neighbours over the cap */
	uint64_t na, ns_probes;		    /* IPv6 */
};

struct daemon {
	struct cfg cfg;
	const struct loop_options *opts;
	struct gnl *gnl;
	struct engine *engine;
	struct control *control;
	struct log_burst *burst; /* per-address lines of a burst, summarised at info */
	int epfd, pkt_fd, timer_fd, signal_fd;
	int nd_fd; /* IPv6 packet socket; -1 when the kernel has no IPv6 */
	int gnl_fds[2];
	int n_gnl_fds;

	uint64_t now;	  /* monotonic, read once per wakeup */
	uint64_t armed;	  /* deadline the timerfd is armed for */
	bool timer_fired; /* it woke us and was not read: arm_timer() clears it */

	/*
	 * Bursts of netlink events (see nl_listen() in loop.c): while one lasts
	 * the event socket is out of the epoll set and read at nl_resume and
	 * at every other wakeup.
	 */
	uint64_t nl_last;	   /* when the event socket last woke us */
	uint64_t nl_resume;	   /* ENGINE_NO_DEADLINE: not in a burst */
	uint64_t nl_window_events; /* events read since nl_resume was set */
	bool filter_arp;
	bool filter_nd;
	/* the last IPv6 forwarding lookup (Router flag), valid for one wakeup */
	int router_ifindex;
	uint64_t router_time;
	bool router_value;
	/* its sysctl file, open for the interface last asked about (router_open) */
	bool router_open;
	int router_fd;
	int router_fd_ifindex;
	char router_fd_name[IFNAMSIZ];
	bool pollout;
	bool synced;
	bool stop;

	struct fdb_query *queries; /* relearn: FDB+VLAN queries (queries.c) */
	size_t n_queries;
	struct nb_query *nb_queries; /* directed refresh: neighbour+route queries (queries.c) */
	size_t n_nb_queries;

	/* Frames the socket could not take yet, in order. */
	struct engine_frame *outbox;
	size_t out_head, out_n, out_cap;

	/* "announced" notes held back until their frames have left. */
	struct engine_note *announced;
	size_t n_announced, cap_announced;

	struct if_stats *stats;
	size_t n_stats, last_stats;
	uint64_t send_errors;
};

/* Something worth a line in the log and on every monitor. NULL fields are left out. */
struct daemon_event {
	const char *event;
	int ifindex; /* 0: no interface */
	const struct garp_addr *addr;
	const uint8_t *mac;
	const char *key1, *val1; /* one more field, e.g. reason=... */
	const char *key2, *val2;
};

/* event.c: events for the log and the monitors. */

/* One line in the log at @level (if enabled) and on every monitor (text and JSON). */
void daemon_emit(struct daemon *d, enum cfg_log_level level, const struct daemon_event *ev);
/* An engine note as its event; a per-address line of a burst goes to the burst summary. */
void daemon_emit_note(struct daemon *d, const struct engine_note *n);
/* The events of a link's change: link-up, link-down, mac-changed. */
void daemon_emit_link_change(struct daemon *d, const struct gnl_event *ev);
/* log-burst.h's emit: one burst summary line for an interface. */
void daemon_burst_emit(void *userdata, int ifindex, const char *fields, size_t len);
/* An interface's name, or "if<index>" when netlink does not know it. */
const char *daemon_ifname(const struct daemon *d, int ifindex, char buf[IFNAMSIZ + 12]);

/* transmit.c: the outbox, and the account of every frame sent or not. */

/* An interface's counters, made on first use; NULL when out of memory. */
struct if_stats *daemon_if_stats(struct daemon *d, int ifindex);
/* Pops every frame the engine released into the outbox (out of memory: counted, not sent). */
void daemon_outbox_take(struct daemon *d);
/* Drop the queued frames of an interface (@addr NULL) or of one address on it. */
void daemon_outbox_purge(struct daemon *d, int ifindex, const struct garp_addr *addr);
/* Send what the socket takes; the rest waits for EPOLLOUT. */
void daemon_outbox_flush(struct daemon *d);
/* A frame that cannot go: counted, and the send-failed event. */
void daemon_send_error(struct daemon *d, const struct engine_frame *f, int err);

/* queries.c: the answers to the engine's queries, collected and handed back. */

/* Ask netlink what @q asks for; a query that cannot be asked is answered empty or dropped. */
void daemon_query_start(struct daemon *d, const struct engine_query *q);
/* One event of a query's answer (GNL_EV_FDB, _PORT_VLAN, _NEIGH, _ROUTE_HOP, _QUERY_DONE). */
void daemon_query_answer(struct daemon *d, const struct gnl_event *ev);
/* Forget every query in flight. */
void daemon_queries_free(struct daemon *d);

/* setup.c: sockets, engine and privileges; the configuration's reload. */

/* Open everything, drop privileges, start the first dump. Return: 0, or a negative errno (logged).
 */
int daemon_setup(struct daemon *d);
/* Close and free whatever daemon_setup() and the loop made, and the configuration. */
void daemon_teardown(struct daemon *d);
/* Reload the configuration; on failure @ret_err (if not NULL) gets "file:line: message". */
int daemon_reload(struct daemon *d, struct buf *ret_err);

/* commands.c: the control requests. */

/* RFC 3339 UTC with microseconds: "2026-11-29T03:40:00.123456Z". */
const char *daemon_format_time(uint64_t epoch_ns, char buf[40]);
/* CLOCK_REALTIME in ns since the epoch. */
uint64_t daemon_wall_ns(void);
/* The control socket's request handler. */
enum control_reply daemon_control(void *userdata, const char *line, struct buf *payload,
				  struct control_job **ret_job);
