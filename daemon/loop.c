/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event loop. Reads the clock once per wakeup, feeds netlink events and
 * received ARP frames to the engine, sends what the engine queues, and
 * sleeps until the kernel or the engine's next deadline has something.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "garp-netlink.h"
#include "garp-packet.h"
#include "garpd-build.h"
#include "log.h"
#include "loop.h"
#include "privs.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#else
static int sd_notify(int unset_environment, const char *state)
{
	(void)unset_environment;
	(void)state;
	return 0;
}
#endif

enum source {
	SRC_NETLINK, /* + index of the netlink fd */
	SRC_PACKET = 8,
	SRC_TIMER,
	SRC_SIGNAL,
};

/* How much one source may do per wakeup before the others get their turn. */
#define RX_BATCH 64
#define TX_BATCH 64

/* An FDB query in flight: its answer is collected, then handed over at once. */
struct fdb_query {
	uint32_t id;
	int bridge;
	struct gnl_fdb *entries;
	size_t n, cap;
};

struct daemon {
	struct cfg cfg;
	const struct loop_options *opts;
	struct gnl *gnl;
	struct engine *engine;
	int epfd, pkt_fd, timer_fd, signal_fd;
	int gnl_fds[2];
	int n_gnl_fds;

	uint64_t now;
	uint64_t armed; /* deadline the timerfd is armed for */
	bool filter_arp;
	bool pollout;
	bool synced;
	bool stop;

	struct fdb_query *queries;
	size_t n_queries;

	/* Frames the socket could not take yet, in order. */
	struct engine_frame *outbox;
	size_t out_head, out_n, out_cap;

	uint64_t send_errors;
};

#define DAEMON_INIT                                                                                \
	{                                                                                          \
		.epfd = -1, .pkt_fd = -1, .timer_fd = -1, .signal_fd = -1,                         \
		.armed = ENGINE_NO_DEADLINE,                                                       \
	}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *ifname(const struct daemon *d, int ifindex, char buf[IFNAMSIZ + 12])
{
	const struct gnl_link *l = gnl_link_get(d->gnl, ifindex);

	if (l)
		return l->name;
	snprintf(buf, IFNAMSIZ + 12, "if%d", ifindex);
	return buf;
}

static void policy_get(void *userdata, const char *name, struct cfg_sequence *ret)
{
	const struct daemon *d = userdata;

	cfg_sequence_for(&d->cfg, name, ret);
}

static int epoll_add(struct daemon *d, int fd, uint64_t tag, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Outbox: frames the engine released but the socket has not taken yet. */

static int outbox_push(struct daemon *d, const struct engine_frame *f)
{
	if (d->out_head > 0 && d->out_head == d->out_n) {
		d->out_head = 0;
		d->out_n = 0;
	}
	if (d->out_n == d->out_cap) {
		size_t cap = d->out_cap ? d->out_cap * 2 : 256;
		struct engine_frame *p = realloc(d->outbox, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		d->outbox = p;
		d->out_cap = cap;
	}
	d->outbox[d->out_n++] = *f;
	return 0;
}

/*
 * Before anything is sent for an address that just went away, forget it:
 * an announcement must never leave for an address we no longer own.
 */
static void outbox_purge(struct daemon *d, int ifindex, const struct in_addr *addr)
{
	size_t w = d->out_head;

	for (size_t r = d->out_head; r < d->out_n; r++) {
		const struct engine_frame *f = &d->outbox[r];

		if (f->ifindex == ifindex && (!addr || f->addr.s_addr == addr->s_addr))
			continue;
		d->outbox[w++] = *f;
	}
	d->out_n = w;
}

static void set_pollout(struct daemon *d, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u64 = SRC_PACKET};

	if (d->pollout == on)
		return;
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->pkt_fd, &ev) == 0)
		d->pollout = on;
}

static void log_send_error(struct daemon *d, const struct engine_frame *f, int err)
{
	char b[IFNAMSIZ + 12];

	d->send_errors++;
	log_warning("iface=%s event=send-failed error=\"%s\"", ifname(d, f->ifindex, b),
		    strerror(-err));
}

static void flush_outbox(struct daemon *d)
{
	struct pkt_out batch[TX_BATCH];

	while (d->out_head < d->out_n) {
		size_t k = d->out_n - d->out_head;
		int r;

		if (k > TX_BATCH)
			k = TX_BATCH;
		for (size_t i = 0; i < k; i++) {
			batch[i].ifindex = d->outbox[d->out_head + i].ifindex;
			batch[i].frame = d->outbox[d->out_head + i].frame;
		}
		r = pkt_send_batch(d->pkt_fd, batch, k);
		if (r == -EAGAIN || r == -ENOBUFS || r == -EWOULDBLOCK) {
			set_pollout(d, true);
			return;
		}
		if (r < 0) {
			/* This frame cannot go (interface gone, down): drop it, keep the rest. */
			log_send_error(d, &d->outbox[d->out_head], r);
			d->out_head++;
			continue;
		}
		d->out_head += (size_t)r;
	}
	d->out_head = d->out_n = 0;
	set_pollout(d, false);
}

static const char *addr_str(const struct in_addr *a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN);
}

static void log_note(struct daemon *d, const struct engine_note *n)
{
	char b[IFNAMSIZ + 12], b2[IFNAMSIZ + 12], a[INET_ADDRSTRLEN], m[PKT_MAC_STRLEN];
	const char *name = ifname(d, n->ifindex, b);

	switch (n->type) {
	case ENGINE_NOTE_STARTED:
		log_info("iface=%s addr=%s event=sequence-started probes=%u", name,
			 addr_str(&n->addr, a), n->probes);
		break;
	case ENGINE_NOTE_ANNOUNCED:
		log_info("iface=%s addr=%s event=announced", name, addr_str(&n->addr, a));
		break;
	case ENGINE_NOTE_CONFLICT:
		log_warning("iface=%s addr=%s event=conflict mac=%s", name, addr_str(&n->addr, a),
			    pkt_mac_to_str(n->mac, m));
		break;
	case ENGINE_NOTE_CANCELLED:
		log_info("iface=%s addr=%s event=cancelled reason=%s", name, addr_str(&n->addr, a),
			 engine_cancel_reason_to_string(n->reason));
		break;
	case ENGINE_NOTE_FAILOVER:
		log_notice("iface=%s event=bond-failover active_slave=%s", name,
			   ifname(d, n->slave, b2));
		break;
	case ENGINE_NOTE_RELEARN:
		log_info("iface=%s bridge=%s event=relearn guests=%u", name, ifname(d, n->bridge, b2),
			 n->count);
		break;
	case ENGINE_NOTE_DEFERRED:
		log_debug("iface=%s addr=%s event=held-down", name, addr_str(&n->addr, a));
		break;
	}
}

static struct fdb_query *query_find(struct daemon *d, uint32_t id)
{
	for (size_t i = 0; i < d->n_queries; i++)
		if (d->queries[i].id == id)
			return &d->queries[i];
	return NULL;
}

static void query_remove(struct daemon *d, struct fdb_query *q)
{
	free(q->entries);
	*q = d->queries[--d->n_queries];
}

static void start_query(struct daemon *d, int bridge)
{
	struct fdb_query *p;
	uint32_t id;
	int r;

	r = gnl_query_fdb(d->gnl, bridge, &id);
	if (r < 0) {
		char b[IFNAMSIZ + 12];

		log_warning("iface=%s event=fdb-query-failed error=\"%s\"", ifname(d, bridge, b),
			    strerror(-r));
		return;
	}
	p = realloc(d->queries, (d->n_queries + 1) * sizeof(*p));
	if (!p)
		return;
	d->queries = p;
	d->queries[d->n_queries++] = (struct fdb_query){.id = id, .bridge = bridge};
}

static void fdb_entry(struct daemon *d, uint32_t id, const struct gnl_fdb *e)
{
	struct fdb_query *q = query_find(d, id);

	if (!q)
		return;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct gnl_fdb *p = realloc(q->entries, cap * sizeof(*p));

		if (!p)
			return;
		q->entries = p;
		q->cap = cap;
	}
	q->entries[q->n++] = *e;
}

/* Hand everything the engine produced to the world, then re-arm the timer. */
static void drain_engine(struct daemon *d)
{
	struct engine_frame f;
	struct engine_query q;
	struct engine_note n;
	uint64_t deadline;
	bool want;

	while (engine_pop_query(d->engine, &q) == 0)
		start_query(d, q.bridge);
	while (engine_pop_note(d->engine, &n) == 0)
		log_note(d, &n);
	while (engine_pop_frame(d->engine, &f) == 0)
		if (outbox_push(d, &f) < 0)
			log_send_error(d, &f, -ENOMEM);
	flush_outbox(d);

	want = engine_wants_arp(d->engine);
	if (want != d->filter_arp) {
		if (pkt_socket_set_filter(d->pkt_fd, want ? PKT_FILTER_ARP : PKT_FILTER_DROP_ALL) ==
		    0)
			d->filter_arp = want;
	}

	deadline = engine_next_deadline(d->engine);
	if (deadline != d->armed) {
		struct itimerspec its = {0};

		if (deadline != ENGINE_NO_DEADLINE) {
			/* An absolute time in the past fires at once; 0 would disarm. */
			uint64_t t = deadline ? deadline : 1;

			its.it_value.tv_sec = (time_t)(t / 1000000000ull);
			its.it_value.tv_nsec = (long)(t % 1000000000ull);
		}
		if (timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
			d->armed = deadline;
	}
}

static void log_link_change(struct daemon *d, const struct gnl_event *ev)
{
	const struct gnl_link *l = &ev->link;
	char m[PKT_MAC_STRLEN], o[PKT_MAC_STRLEN];

	if (ev->changes & GNL_CHANGE_CARRIER_UP)
		log_info("iface=%s event=link-up", l->name);
	if (ev->changes & GNL_CHANGE_CARRIER_DOWN)
		log_info("iface=%s event=link-down", l->name);
	if (ev->changes & GNL_CHANGE_MAC)
		log_notice("iface=%s event=mac-changed old=%s new=%s", l->name,
			   pkt_mac_to_str(ev->old.mac, o), pkt_mac_to_str(l->mac, m));
}

static void handle_gnl_event(struct daemon *d, const struct gnl_event *ev)
{
	switch (ev->type) {
	case GNL_EV_LINK_NEW:
		log_debug("iface=%s ifindex=%d kind=%s event=link-new", ev->link.name,
			  ev->link.ifindex, ev->link.kind[0] ? ev->link.kind : "-");
		engine_link(d->engine, d->now, &ev->link, 0);
		break;
	case GNL_EV_LINK_CHANGED:
		log_link_change(d, ev);
		if (ev->changes & (GNL_CHANGE_CARRIER_DOWN | GNL_CHANGE_MAC))
			outbox_purge(d, ev->link.ifindex, NULL);
		engine_link(d->engine, d->now, &ev->link, ev->changes);
		break;
	case GNL_EV_LINK_DEL:
		log_info("iface=%s event=link-removed", ev->link.name);
		outbox_purge(d, ev->link.ifindex, NULL);
		engine_link_del(d->engine, d->now, ev->link.ifindex);
		break;
	case GNL_EV_ADDR_NEW:
	case GNL_EV_ADDR_CHANGED:
		if (ev->addr.family != AF_INET)
			break;
		/*
		 * Addresses found by the first dump were there before us: the
		 * engine learns them without announcing (announce_on_start
		 * decides that once the dump is reconciled).
		 */
		engine_addr(d->engine, d->now, &ev->addr, ev->type == GNL_EV_ADDR_NEW && d->synced);
		break;
	case GNL_EV_ADDR_DEL:
		if (ev->addr.family != AF_INET)
			break;
		outbox_purge(d, ev->addr.ifindex, &ev->addr.addr.v4);
		engine_addr_del(d->engine, d->now, &ev->addr);
		break;
	case GNL_EV_FDB:
		fdb_entry(d, ev->query, &ev->fdb);
		break;
	case GNL_EV_NEIGH:
		break;
	case GNL_EV_QUERY_DONE: {
		struct fdb_query *q = query_find(d, ev->query);

		if (!q)
			break;
		if (ev->error == 0)
			engine_fdb(d->engine, d->now, q->bridge, q->entries, q->n);
		query_remove(d, q);
		break;
	}
	case GNL_EV_RESYNC:
		log_warning("event=netlink-overflow action=resync");
		break;
	case GNL_EV_SYNCED:
		if (!d->synced) {
			d->synced = true;
			log_info("event=ready");
			if (d->cfg.daemon.announce_on_start)
				(void)engine_announce(d->engine, d->now, 0, NULL,
						      ENGINE_ANNOUNCE_ONLY);
			sd_notify(0, "READY=1");
		} else {
			log_info("event=resynced");
		}
		break;
	}
}

static int handle_netlink(struct daemon *d, int fd)
{
	struct gnl_event ev;
	int r;

	r = gnl_dispatch(d->gnl, fd);
	while (gnl_pop_event(d->gnl, &ev) == 0)
		handle_gnl_event(d, &ev);
	if (r < 0) {
		log_error("event=netlink-failed error=\"%s\"", strerror(-r));
		return r;
	}
	return 0;
}

static void handle_packet(struct daemon *d)
{
	uint8_t buf[256];

	for (int i = 0; i < RX_BATCH; i++) {
		struct pkt_arp arp;
		size_t len;
		int ifindex;

		if (pkt_recv(d->pkt_fd, buf, sizeof(buf), &len, &ifindex) < 0)
			return;
		if (pkt_parse_arp(buf, len, &arp) < 0)
			continue;
		engine_arp(d->engine, d->now, ifindex, &arp);
	}
}

static void reload(struct daemon *d)
{
	struct cfg_error err;
	struct cfg next;
	int r;

	sd_notify(0, "RELOADING=1");
	r = cfg_load(&next, d->opts->config_path, d->opts->config_missing_ok, &err);
	if (r < 0) {
		if (err.line)
			log_error("event=reload-failed error: %s:%u: %s", err.file, err.line,
				  err.message);
		else
			log_error("event=reload-failed error: %s: %s", err.file, err.message);
	} else {
		cfg_free(&d->cfg);
		d->cfg = next;
		if (!d->opts->log_level_forced)
			log_set_level(d->cfg.daemon.log_level);
		engine_reload_policy(d->engine);
		log_info("event=reloaded config=%s", d->opts->config_path);
	}
	sd_notify(0, "READY=1");
}

static void handle_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			d->stop = true;
	}
}

static int setup(struct daemon *d)
{
	struct gnl_options gopts = {.rcvbuf = (int)d->cfg.daemon.netlink_rcvbuf};
	struct engine_policy_source policy = {.get = policy_get, .userdata = d};
	sigset_t mask;
	const char *what;
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
	r = gnl_new(&d->gnl, &gopts);
	if (r < 0) {
		log_error("event=start-failed step=netlink error=\"%s\"", strerror(-r));
		return r;
	}
	r = engine_new(&d->engine, &policy, (uint64_t)now_ns() ^ (uint64_t)getpid());
	if (r < 0) {
		log_error("event=start-failed step=engine error=\"%s\"", strerror(-r));
		return r;
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

	r = gnl_start(d->gnl);
	if (r < 0) {
		log_error("event=start-failed step=netlink-dump error=\"%s\"", strerror(-r));
		return r;
	}
	return 0;
}

static void teardown(struct daemon *d)
{
	for (size_t i = 0; i < d->n_queries; i++)
		free(d->queries[i].entries);
	free(d->queries);
	free(d->outbox);
	engine_free(d->engine);
	gnl_free(d->gnl);
	if (d->pkt_fd >= 0)
		close(d->pkt_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	if (d->epfd >= 0)
		close(d->epfd);
	cfg_free(&d->cfg);
}

int loop_run(struct cfg *cfg, const struct loop_options *opts)
{
	struct daemon d = DAEMON_INIT;
	int status = 0;

	d.cfg = *cfg;
	d.opts = opts;
	if (setup(&d) < 0) {
		teardown(&d);
		return EX_OSERR;
	}
	log_info("event=started version=%s", GARPD_VERSION);

	while (!d.stop) {
		struct epoll_event evs[16];
		int n;

		n = epoll_wait(d.epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("event=epoll-failed error=\"%s\"", strerror(errno));
			status = EX_OSERR;
			break;
		}
		d.now = now_ns();
		for (int i = 0; i < n && !d.stop; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag < SRC_PACKET) {
				if (handle_netlink(&d, d.gnl_fds[tag]) < 0) {
					status = EX_OSERR;
					d.stop = true;
				}
			} else if (tag == SRC_PACKET) {
				if (evs[i].events & EPOLLIN)
					handle_packet(&d);
			} else if (tag == SRC_TIMER) {
				uint64_t ticks;

				(void)!read(d.timer_fd, &ticks, sizeof(ticks));
				d.armed = ENGINE_NO_DEADLINE;
			} else if (tag == SRC_SIGNAL) {
				handle_signal(&d);
			}
		}
		if (d.stop)
			break;
		engine_run(d.engine, d.now);
		drain_engine(&d);
	}

	/* Whatever is half-way through a sequence stays unsent: nothing half-built leaves. */
	sd_notify(0, "STOPPING=1");
	log_info("event=stopped");
	teardown(&d);
	return status;
}
