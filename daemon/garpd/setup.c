/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Setup and reload: open every socket and the engine, then drop root
 * (privs.c) before the first event; close it all at the end; reload the
 * configuration on SIGHUP or `garpctl reload`. The engine's policy source
 * (the configuration's sequence for an interface, and its IPv6 Router flag)
 * lives here too.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "config-access.h"
#include "daemon.h"
#include "engine.h"
#include "garp-netlink.h"
#include "garp-packet.h"
#include "log.h"
#include "log-burst.h"
#include "privs.h"
#include "sd-notify.h"
#include "util.h"

static void policy_get(void *userdata, const char *name, struct cfg_sequence *ret)
{
	const struct daemon *d = userdata;

	cfg_sequence_for(&d->cfg, name, ret);
}

/*
 * The Router flag of an interface's NAs: whether it forwards IPv6, read
 * when a sequence starts (a sysctl change sends no RTM_NEWLINK). The file
 * is world-readable, so this works after privileges are dropped.
 */
static bool ipv6_router(void *userdata, int ifindex, const char *ifname)
{
	struct daemon *d = userdata;
	char path[64 + IFNAMSIZ], c = '0';
	int fd;

	/* a burst starts many sequences on one interface in one wakeup: read once */
	if (d->router_ifindex == ifindex && d->router_time == d->now)
		return d->router_value;
	d->router_ifindex = ifindex;
	d->router_time = d->now;
	d->router_value = false;
	if (!ifname[0] || strchr(ifname, '/') || !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return false;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/forwarding", ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	d->router_value = c != '0';
	return d->router_value;
}

static int epoll_add(struct daemon *d, int fd, uint64_t tag, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int daemon_reload(struct daemon *d, struct buf *ret_err)
{
	struct cfg_error err;
	struct cfg next;
	struct buf msg = BUF_INIT;
	int r;

	sd_notify(0, "RELOADING=1");
	r = garpd_config_load(&next, d->opts->config_path, d->opts->config_missing_ok, &err);
	if (r < 0) {
		if (err.line)
			buf_printf(&msg, "%s:%u: %s", err.file, err.line, err.message);
		else
			buf_printf(&msg, "%s: %s", err.file, err.message);
		{
			struct buf q = BUF_INIT;

			/* key=value like every other line: the message quoted, " and \ escaped */
			for (size_t i = 0; msg.data && i < msg.len; i++)
				buf_printf(&q, "%s%c",
					   msg.data[i] == '"' || msg.data[i] == '\\' ? "\\" : "",
					   msg.data[i]);
			log_error("event=reload-failed config=%s error=\"%s\"",
				  d->opts->config_path, q.data ? q.data : "");
			buf_free(&q);
		}
		if (ret_err)
			buf_append(ret_err, msg.data ? msg.data : "", msg.len);
		buf_free(&msg);
	} else {
		cfg_free(&d->cfg);
		d->cfg = next;
		if (!d->opts->log_level_forced)
			log_set_level(d->cfg.daemon.log_level);
		engine_reload_policy(d->engine);
		daemon_emit(d, CFG_LOG_INFO,
			    &(struct daemon_event){ .event = "reloaded",
						    .key1 = "config",
						    .val1 = d->opts->config_path });
	}
	sd_notify(0, "READY=1");
	return r;
}

int daemon_setup(struct daemon *d)
{
	struct gnl_options gopts = { .rcvbuf = (int)d->cfg.daemon.netlink_rcvbuf };
	struct engine_policy_source policy = { .get = policy_get,
					       .userdata = d,
					       .ipv6_router = ipv6_router };
	sigset_t mask;
	const char *what, *path;
	int r;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		r = -errno;
		log_error("event=start-failed step=epoll error=\"%s\"", strerror(-r));
		return r;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->signal_fd < 0 || d->timer_fd < 0) {
		r = -errno;
		log_error("event=start-failed step=signalfd/timerfd error=\"%s\"", strerror(-r));
		return r;
	}

	r = pkt_socket_open(&d->pkt_fd);
	if (r < 0) {
		log_error("event=start-failed step=packet-socket error=\"%s\"%s", strerror(-r),
			  r == -EPERM ? " hint=\"needs CAP_NET_RAW\"" : "");
		return r;
	}
	/* IPv6 may be off in this kernel: then there is nothing to listen to, and no NAs */
	r = pkt_socket_open_nd(&d->nd_fd);
	if (r < 0 && r != -EAFNOSUPPORT && r != -EPROTONOSUPPORT) {
		log_error("event=start-failed step=packet-socket-ipv6 error=\"%s\"", strerror(-r));
		return r;
	}
	r = gnl_new(&d->gnl, &gopts);
	if (r < 0) {
		log_error("event=start-failed step=netlink error=\"%s\"", strerror(-r));
		return r;
	}
	r = engine_new(&d->engine, &policy, (uint64_t)util_now_ns() ^ (uint64_t)getpid());
	if (r < 0) {
		log_error("event=start-failed step=engine error=\"%s\"", strerror(-r));
		return r;
	}
	r = log_burst_new(&d->burst);
	if (r < 0) {
		log_error("event=start-failed step=log error=\"%s\"", strerror(-r));
		return r;
	}

	path = d->opts->control_socket ? d->opts->control_socket : d->cfg.daemon.control_socket;
	if (path[0]) {
		struct control_owner owner;

		/* The socket is garpd's user's, its group the operators' (control_group). */
		r = privs_lookup(d->cfg.daemon.user, d->cfg.daemon.control_group, &owner.uid,
				 &owner.gid, &what);
		if (r < 0) {
			log_error("event=start-failed step=control-socket what=\"%s\" error=\"%s\"",
				  what, r == -ESRCH ? "not found" : strerror(-r));
			return r;
		}
		r = control_open(&d->control, path, &owner, d->epfd, SRC_CONTROL, daemon_control,
				 d);
		if (r < 0) {
			log_error("event=start-failed step=control-socket path=%s error=\"%s\"",
				  path,
				  r == -EADDRINUSE ? "in use by another garpd" : strerror(-r));
			return r;
		}
	}

	/* Every socket is open: root is no longer needed. */
	r = privs_drop(d->cfg.daemon.user, &what);
	if (r < 0) {
		log_error("event=start-failed step=drop-privileges what=\"%s\" error=\"%s\"", what,
			  strerror(-r));
		return r;
	}

	d->n_gnl_fds = gnl_get_fds(d->gnl, d->gnl_fds);
	for (int i = 0; i < d->n_gnl_fds; i++) {
		r = epoll_add(d, d->gnl_fds[i], SRC_NETLINK + (uint64_t)i, EPOLLIN);
		if (r < 0)
			return r;
	}
	if ((r = epoll_add(d, d->pkt_fd, SRC_PACKET, EPOLLIN)) < 0 ||
	    (r = epoll_add(d, d->timer_fd, SRC_TIMER, EPOLLIN)) < 0 ||
	    (r = epoll_add(d, d->signal_fd, SRC_SIGNAL, EPOLLIN)) < 0)
		return r;
	if (d->nd_fd >= 0 && (r = epoll_add(d, d->nd_fd, SRC_PACKET_ND, EPOLLIN)) < 0)
		return r;

	r = gnl_start(d->gnl);
	if (r < 0) {
		log_error("event=start-failed step=netlink-dump error=\"%s\"", strerror(-r));
		return r;
	}
	return 0;
}

void daemon_teardown(struct daemon *d)
{
	daemon_queries_free(d);
	free(d->outbox);
	free(d->stats);
	free(d->announced);
	control_close(d->control);
	log_burst_free(d->burst);
	engine_free(d->engine);
	gnl_free(d->gnl);
	if (d->pkt_fd >= 0)
		close(d->pkt_fd);
	if (d->nd_fd >= 0)
		close(d->nd_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	if (d->epfd >= 0)
		close(d->epfd);
	cfg_free(&d->cfg);
}
