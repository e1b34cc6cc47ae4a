/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * garpctl: the one-shot sender (send) and the client of garpd's control
 * socket (status, announce, reload, monitor, metrics).
 *
 * Exit codes: 0 done, 1 runtime failure (a send failed, the interface went
 * away, no privileges), 2 usage or bad input.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "garp-config.h"

#define GARPCTL_EXIT_OK 0
#define GARPCTL_EXIT_FAILURE 1
#define GARPCTL_EXIT_USAGE 2

/* Must match control_socket's default in config/ (garpd.conf(5)). */
#define GARPCTL_DEFAULT_SOCKET "/run/garpd/control"

/* What every command gets besides its own arguments. */
struct garpctl_ctx {
	const char *socket_path; /* --socket, or GARPCTL_DEFAULT_SOCKET */
};

/* One command: argv[0] is the command's name; returns an exit code. */
struct garpctl_command {
	const char *name;
	int (*run)(const struct garpctl_ctx *ctx, int argc, char **argv);
	const char *args;    /* for usage: "-i IFACE [OPTION]... ADDRESS..." */
	const char *summary; /* one line */
};

int garpctl_send(const struct garpctl_ctx *ctx, int argc, char **argv);
/* Control-socket commands (garpctl-control.c). */
int garpctl_status(const struct garpctl_ctx *ctx, int argc, char **argv);
int garpctl_announce(const struct garpctl_ctx *ctx, int argc, char **argv);
int garpctl_reload(const struct garpctl_ctx *ctx, int argc, char **argv);
int garpctl_monitor(const struct garpctl_ctx *ctx, int argc, char **argv);
int garpctl_metrics(const struct garpctl_ctx *ctx, int argc, char **argv);

/* The frame kinds of one address's sequence. */
enum garpctl_frame {
	GARPCTL_FRAME_PROBE,
	GARPCTL_FRAME_REQUEST, /* announcement, request form */
	GARPCTL_FRAME_REPLY,   /* announcement, reply form */
	_GARPCTL_FRAME_MAX,
};

/* One frame of the merged schedule: when, for which address, what. */
struct garpctl_slot {
	uint64_t at_ns; /* offset from the start */
	size_t addr;    /* index into the addresses */
	enum garpctl_frame frame;
};

/* Upper bounds garpctl send accepts, so a schedule stays small. */
#define GARPCTL_PROBES_MAX 100
#define GARPCTL_ANNOUNCEMENTS_MAX 100
#define GARPCTL_DURATION_MAX (3600ull * CFG_NSEC_PER_SEC)

/**
 * garpctl_schedule_len() - how many frames @seq sends for one address
 */
size_t garpctl_schedule_len(const struct cfg_sequence *seq);

/**
 * garpctl_schedule() - the merged schedule of every address's sequence
 * @seq: probes, intervals, announcements, frames (jitter is not used)
 * @n_addrs: how many addresses run the sequence at the same time
 * @ret: room for garpctl_schedule_len(@seq) * @n_addrs slots
 * @n: the room in @ret
 *
 * Probe k goes at k * probe_interval; the first announcement
 * announce_delay after the last probe (at once without probes), the next
 * ones announce_interval apart; the reply form right after the request
 * form. The slots come out in time order, addresses interleaved.
 *
 * Return: the number of slots, or -ENOBUFS when @n is too small, -ERANGE
 * when a time overflows.
 */
int garpctl_schedule(const struct cfg_sequence *seq, size_t n_addrs, struct garpctl_slot *ret,
		     size_t n);

/* One RTM_GETADDR dump being read: what is asked, and what was found. */
struct garpctl_addr_dump {
	uint32_t portid;              /* our socket's netlink port id */
	uint32_t seq;                 /* our request's sequence number */
	int ifindex;                  /* the interface whose addresses count */
	const struct in_addr *addrs;  /* the addresses looked for */
	size_t n_addrs;
	bool *seen;                   /* seen[i]: addrs[i] is configured on ifindex */
	bool interrupted;             /* NLM_F_DUMP_INTR: the list changed while dumped */
};

/**
 * garpctl_addr_dump_parse() - read one part of an IPv4 RTM_GETADDR dump
 * @d: the dump; @d->seen and @d->interrupted are updated
 * @buf: what one recv() returned from the kernel (hostile)
 * @len: its length
 *
 * Marks each of @d->addrs found as an AF_INET address (IFA_LOCAL, or
 * IFA_ADDRESS when there is no IFA_LOCAL) of @d->ifindex; addresses of
 * other interfaces and families, and messages for another port or
 * sequence, are skipped. Every header and attribute is bounds-checked
 * before it is read; unknown attributes are skipped.
 *
 * Return: 0 when more parts are to come, 1 at the end of the dump,
 * -EBADMSG for a malformed message, -EPROTO for an unexpected
 * acknowledgement, or the negative errno the kernel answered with.
 */
int garpctl_addr_dump_parse(struct garpctl_addr_dump *d, const void *buf, size_t len);
