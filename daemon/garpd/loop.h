/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The event loop. One epoll over the netlink sockets, the packet sockets,
 * one timerfd armed for the engine's next deadline, a signalfd and the
 * control socket; the daemon's files around it (daemon.h) are, with
 * garpctl, the only code that touches clocks and sockets.
 */

#include <stdbool.h>

#include "garp-config.h"

struct loop_options {
	const char *config_path;    /* for reloads */
	bool config_missing_ok;	    /* the default path may be absent */
	const char *control_socket; /* --control-socket, or NULL for the config's */
	bool log_level_forced;	    /* --log-level given: reloads keep it */
	/* Called once every socket is open and privileges are dropped, before the first event. */
	void (*started)(void *userdata);
	void *started_userdata;
};

/**
 * loop_run() - open the sockets, drop privileges, run until SIGTERM/SIGINT
 * @cfg: the configuration in force at start; the loop takes ownership
 * @opts: how to reload and where the control socket goes
 *
 * Return: the process exit status (0 on a clean stop).
 */
int loop_run(struct cfg *cfg, const struct loop_options *opts);
