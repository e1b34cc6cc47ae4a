/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * garpctl: the one-shot sender (send) and the client of garpd's control
 * socket (status, announce, reload, monitor, metrics).
 *
 * Exit codes: 0 done, 1 runtime failure (a send failed, the interface went
 * away, no privileges), 2 usage or bad input, 3 (send) an address was held
 * back because another host answered its probe.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "garp-config.h"

#define GARPCTL_EXIT_OK 0
#define GARPCTL_EXIT_FAILURE 1
#define GARPCTL_EXIT_USAGE 2
#define GARPCTL_EXIT_CONFLICT 3

#include "control-proto.h"

#define GARPCTL_DEFAULT_SOCKET CONTROL_DEFAULT_SOCKET

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
