/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event loop: one epoll over every source, one timerfd, one wakeup at
 * a time (loop_dispatch()). Each wakeup reads the clock once, feeds what
 * arrived (netlink events, received ARP and ND frames, signals, control
 * requests) to the engine with that `now`, runs what is due, hands the
 * engine's output on (drain_engine()) and re-arms the timer for the next
 * deadline. What the output becomes lives beside it: events in event.c,
 * frames in transmit.c, query answers in queries.c; setup.c opens and
 * closes it all.
 */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "engine.h"
#include "garp-nd.h"
#include "garp-netlink.h"
#include "garp-packet.h"
#include "garpd-build.h"
#include "log.h"
#include "log-burst.h"
#include "loop.h"
#include "sd-notify.h"
#include "util.h"

/* How much one source may do per wakeup before the others get their turn. */
#define RX_BATCH 64
/* In a burst, gnl_dispatch() batches read per wakeup before the others get their turn. */
#define NL_BURST_ROUNDS 8
/* Netlink events closer together than this are a burst (see nl_woke()). */
#define NL_BURST_GAP_NS GARP_NSEC_PER_MSEC

#define DAEMON_INIT                                                                                \
	{                                                                                          \
		.epfd = -1, .pkt_fd = -1, .timer_fd = -1, .signal_fd = -1, .nd_fd = -1,            \
		.armed = ENGINE_NO_DEADLINE, .nl_resume = ENGINE_NO_DEADLINE,                      \
	}

/* Arm the timerfd for the engine's next deadline or the end of a netlink burst window. */
static void arm_timer(struct daemon *d)
{
	uint64_t deadline = engine_next_deadline(d->engine);

	if (d->nl_resume < deadline)
		deadline = d->nl_resume;
	if (log_burst_next_deadline(d->burst) < deadline)
		deadline = log_burst_next_deadline(d->burst);
	if (control_next_deadline(d->control) < deadline)
		deadline = control_next_deadline(d->control);
	/*
	 * A timer that fired is not read: setting it again (a deadline, or
	 * none: disarmed) clears its expiry, so it is set again even for the
	 * same deadline. In a trickle of events every batch window is a
	 * timer wakeup, and the read was one system call of six.
	 */
	if (deadline != d->armed || d->timer_fired) {
		struct itimerspec its = { 0 };

		if (deadline != ENGINE_NO_DEADLINE) {
			/* An absolute time in the past fires at once; 0 would disarm. */
			uint64_t t = deadline ? deadline : 1;

			its.it_value.tv_sec = (time_t)(t / GARP_NSEC_PER_SEC);
			its.it_value.tv_nsec = (long)(t % GARP_NSEC_PER_SEC);
		}
		if (timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0) {
			d->armed = deadline;
		} else if (d->timer_fired) {
			uint64_t ticks;

			/* not cleared: read, or it wakes the loop at once again and again */
			(void)!read(d->timer_fd, &ticks, sizeof(ticks));
		}
		d->timer_fired = false;
	}
}

/* Hand the engine's notes and frames to the world. */
static void drain_output(struct daemon *d)
{
	struct engine_note n;
	bool want, want_nd;

	/* "announced" and "refreshed" are told once their frames are out; the rest before. */
	d->n_announced = 0;
	while (engine_pop_note(d->engine, &n) == 0) {
		if (n.type != ENGINE_NOTE_ANNOUNCED && n.type != ENGINE_NOTE_REFRESHED) {
			daemon_emit_note(d, &n);
		} else if (array_reserve(&d->announced, &d->cap_announced, d->n_announced + 1,
					 sizeof(*d->announced))) {
			d->announced[d->n_announced++] = n;
		}
	}
	daemon_outbox_take(d);
	/*
	 * The owner of an address answers a probe within about 100 µs: the
	 * receive filters must be in place before the first probe (ARP probe
	 * or IPv6 DAD solicitation) leaves, or the answer is dropped and a
	 * conflict is seen a probe late (or, with one probe, never). They stay
	 * while the engine listens (probing, and the pause after the last
	 * probe), and go only after this batch left.
	 */
	want = engine_wants_arp(d->engine);
	want_nd = engine_wants_nd(d->engine);
	if (want && !d->filter_arp && pkt_socket_set_filter(d->pkt_fd, PKT_FILTER_ARP) == 0)
		d->filter_arp = true;
	if (d->nd_fd >= 0 && want_nd && !d->filter_nd &&
	    pkt_socket_set_filter(d->nd_fd, PKT_FILTER_ND) == 0)
		d->filter_nd = true;
	daemon_outbox_flush(d);
	for (size_t i = 0; i < d->n_announced; i++)
		daemon_emit_note(d, &d->announced[i]);
	log_burst_flush(d->burst, d->now, false, daemon_burst_emit, d);
	if (!want && d->filter_arp && pkt_socket_set_filter(d->pkt_fd, PKT_FILTER_DROP_ALL) == 0)
		d->filter_arp = false;
	if (d->nd_fd >= 0 && !want_nd && d->filter_nd &&
	    pkt_socket_set_filter(d->nd_fd, PKT_FILTER_DROP_ALL) == 0)
		d->filter_nd = false;
}

/*
 * Hand everything the engine produced to the world, then re-arm the
 * timer. The queries last: the kernel runs a dump within its request (a
 * neighbour dump walks the host's whole table, every namespace's
 * entries: 55 ms was seen on a busy host), and the frames that are due,
 * a sequence's first probe among them, must not wait for it. A query
 * that cannot be asked is answered at once (empty); what that brings
 * goes out too.
 */
static void drain_engine(struct daemon *d)
{
	struct engine_query q;
	bool asked = false;

	drain_output(d);
	while (engine_pop_query(d->engine, &q) == 0) {
		daemon_query_start(d, &q);
		asked = true;
	}
	if (asked)
		drain_output(d);
	arm_timer(d);
}

static void handle_gnl_event(struct daemon *d, const struct gnl_event *ev)
{
	switch (ev->type) {
	case GNL_EV_LINK_NEW:
		daemon_emit(d, CFG_LOG_DEBUG,
			    &(struct daemon_event){
				.event = "link-new",
				.ifindex = ev->link.ifindex,
				.key1 = "kind",
				.val1 = ev->link.kind_name[0] ? ev->link.kind_name : "-",
			    });
		engine_link(d->engine, d->now, &ev->link, 0);
		break;
	case GNL_EV_LINK_CHANGED:
		daemon_emit_link_change(d, ev);
		if (ev->changes & (GNL_CHANGE_CARRIER_DOWN | GNL_CHANGE_MAC))
			daemon_outbox_purge(d, ev->link.ifindex, NULL);
		engine_link(d->engine, d->now, &ev->link, ev->changes);
		break;
	case GNL_EV_LINK_DEL:
		daemon_emit(
		    d, CFG_LOG_INFO,
		    &(struct daemon_event){ .event = "link-removed", .ifindex = ev->link.ifindex });
		daemon_outbox_purge(d, ev->link.ifindex, NULL);
		engine_link_del(d->engine, d->now, ev->link.ifindex);
		break;
	case GNL_EV_ADDR_NEW:
	case GNL_EV_ADDR_CHANGED:
		if (ev->addr.family != AF_INET && ev->addr.family != AF_INET6)
			break;
		/*
		 * Addresses found by the first dump were there before us: the
		 * engine learns them without announcing (announce_on_start
		 * decides that once the dump is reconciled).
		 */
		engine_addr(d->engine, d->now, &ev->addr, ev->type == GNL_EV_ADDR_NEW && d->synced);
		break;
	case GNL_EV_ADDR_DEL: {
		struct garp_addr key;

		if (ev->addr.family == AF_INET)
			key = garp_addr_v4(ev->addr.addr.v4);
		else if (ev->addr.family == AF_INET6)
			key = garp_addr_v6(&ev->addr.addr.v6);
		else
			break;
		daemon_outbox_purge(d, ev->addr.ifindex, &key);
		engine_addr_del(d->engine, d->now, &ev->addr);
		break;
	}
	case GNL_EV_FDB:
	case GNL_EV_PORT_VLAN:
	case GNL_EV_NEIGH:
	case GNL_EV_ROUTE_HOP:
	case GNL_EV_QUERY_DONE:
		daemon_query_answer(d, ev);
		break;
	case GNL_EV_RESYNC:
		daemon_emit(d, CFG_LOG_WARNING,
			    &(struct daemon_event){ .event = "netlink-overflow" });
		break;
	case GNL_EV_SYNCED:
		if (!d->synced) {
			d->synced = true;
			daemon_emit(d, CFG_LOG_INFO, &(struct daemon_event){ .event = "ready" });
			if (d->cfg.daemon.announce_on_start)
				(void)engine_announce(d->engine, d->now, 0, NULL,
						      ENGINE_ANNOUNCE_ONLY);
			sd_notify(0, "READY=1");
			control_set_ready(d->control); /* requests held until now run */
		} else {
			daemon_emit(d, CFG_LOG_INFO, &(struct daemon_event){ .event = "resynced" });
		}
		break;
	}
}

/* Return: 0 when @fd is drained, 1 when more is pending, or a negative errno (fatal). */
static int handle_netlink(struct daemon *d, int fd)
{
	struct gnl_event ev;
	int r;

	r = gnl_dispatch(d->gnl, fd);
	while (gnl_pop_event(d->gnl, &ev) == 0) {
		d->nl_window_events++;
		handle_gnl_event(d, &ev);
	}
	if (r < 0) {
		log_error("event=netlink-failed error=\"%s\"", strerror(-r));
		return r;
	}
	return r;
}

/*
 * Bursts. An `ip -batch` or a cluster manager moving many addresses makes
 * the kernel send one message per change, often faster than one per 100 µs;
 * waking up for each costs far more than the frame we then send (timer and
 * wakeup in the kernel, and one sendmmsg() per address instead of one per
 * batch). So when the event socket wakes us less than NL_BURST_GAP_NS after
 * it last did, it leaves the epoll set, and is read once per batch_window
 * and at every other wakeup, which is before any frame leaves: a removal
 * read in time still stops its address's frames. Everything read in one
 * wakeup shares `now`, so the sequences it starts keep stepping together.
 * A window that brings nothing ends the burst. The first event of a burst
 * is handled at once, so a lone change never waits.
 */
static bool nl_poll(struct daemon *d, int i, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0,
				  .data.u64 = SRC_NETLINK + (uint64_t)i };

	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->gnl_fds[i], &ev) == 0;
}

/*
 * The query socket leaves the set with the event socket: a dump is
 * answered within its request, so every answer woke us at once, and that
 * wakeup read the event socket again and asked again; with the directed
 * refresh asking once per batch, a burst ran on query round trips instead
 * of batch windows (10,000 addresses: four times the wakeups). Its answers
 * are read with the events, at the window.
 */
static void nl_listen(struct daemon *d, bool on)
{
	bool ok = true;

	for (int i = 0; i < d->n_gnl_fds; i++)
		ok = nl_poll(d, i, on) && ok;
	if (!ok && !on) {
		/* cannot leave the set: we are woken as before */
		for (int i = 0; i < d->n_gnl_fds; i++)
			(void)nl_poll(d, i, true);
		on = true;
	}
	d->nl_resume = on ? ENGINE_NO_DEADLINE : d->now + d->cfg.daemon.batch_window_ns;
	d->nl_window_events = 0;
}

static void nl_woke(struct daemon *d)
{
	bool burst = d->now - d->nl_last < NL_BURST_GAP_NS;

	d->nl_last = d->now;
	if (burst && d->cfg.daemon.batch_window_ns && d->nl_resume == ENGINE_NO_DEADLINE)
		nl_listen(d, false);
}

static int nl_read_burst(struct daemon *d)
{
	uint64_t events;
	int r = 0, q = 0;

	for (int i = 0; i < NL_BURST_ROUNDS; i++) {
		r = handle_netlink(d, d->gnl_fds[0]);
		if (r <= 0)
			break;
	}
	if (r < 0)
		return r;
	/*
	 * Query answers do not keep a burst going: only the events count.
	 * The query socket carries only the answers to our queries: with
	 * none in flight there is nothing to read (a stray datagram waits
	 * until the socket is back in the epoll set), and a trickle of
	 * events found it empty at every window.
	 */
	events = d->nl_window_events;
	for (int i = 1; i < d->n_gnl_fds && q >= 0 && (d->n_queries || d->n_nb_queries); i++)
		q = handle_netlink(d, d->gnl_fds[i]);
	d->nl_window_events = events;
	if (q < 0)
		return q;
	if (q > 0)
		r = 1;
	if (r > 0) {
		d->nl_resume = d->now; /* more is waiting: again right after the others */
	} else if (d->now >= d->nl_resume || !d->cfg.daemon.batch_window_ns) {
		if (d->nl_window_events && d->cfg.daemon.batch_window_ns) {
			d->nl_resume = d->now + d->cfg.daemon.batch_window_ns;
			d->nl_window_events = 0;
		} else {
			nl_listen(d, true);
		}
	}
	return 0;
}

/* Another VLAN's frame is no conflict for the interface it came in on. */
static bool rx_other_vlan(const struct daemon *d, const uint8_t *eth_dst, bool tagged,
			  uint16_t vlan, const struct pkt_rx *rx)
{
	const struct gnl_link *l = gnl_link_get(d->gnl, rx->ifindex);

	return l && !pkt_rx_same_vlan(eth_dst, tagged, vlan, rx, l->mac,
				      l->kind == GNL_KIND_VLAN ? l->vlan_id : 0);
}

static void handle_packet_nd(struct daemon *d)
{
	uint8_t buf[1536];

	for (int i = 0; i < RX_BATCH; i++) {
		struct pkt_nd nd;
		struct pkt_rx rx;
		size_t len;

		if (pkt_recv_rx(d->nd_fd, buf, sizeof(buf), &len, &rx) < 0)
			return;
		if (pkt_parse_nd(buf, len, &nd) < 0 ||
		    rx_other_vlan(d, nd.eth_dst, nd.tagged, nd.vlan, &rx))
			continue;
		engine_nd(d->engine, d->now, rx.ifindex, &nd);
	}
}

static void handle_packet(struct daemon *d)
{
	uint8_t buf[256];

	for (int i = 0; i < RX_BATCH; i++) {
		struct pkt_arp arp;
		struct pkt_rx rx;
		size_t len;

		if (pkt_recv_rx(d->pkt_fd, buf, sizeof(buf), &len, &rx) < 0)
			return;
		if (pkt_parse_arp(buf, len, &arp) < 0 ||
		    rx_other_vlan(d, arp.eth_dst, arp.tagged, arp.vlan, &rx))
			continue;
		engine_arp(d->engine, d->now, rx.ifindex, &arp);
	}
}

static void handle_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			daemon_reload(d, NULL);
		else
			d->stop = true;
	}
}

/*
 * One wakeup: wait for a source, read the clock, handle what woke us, run
 * what is due and hand it on. Return: 0, or EX_OSERR when the loop cannot
 * go on (then d->stop is set).
 */
static int loop_dispatch(struct daemon *d)
{
	struct epoll_event evs[16];
	int n, status = 0;

	/* Replies still being built: look at the sockets, do not sleep. */
	n = epoll_wait(d->epfd, evs, 16, control_busy(d->control) ? 0 : -1);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		log_error("event=epoll-failed error=\"%s\"", strerror(errno));
		d->stop = true;
		return EX_OSERR;
	}
	d->now = util_now_ns();
	for (int i = 0; i < n && !d->stop; i++) {
		uint64_t tag = evs[i].data.u64;

		if (tag < SRC_PACKET) {
			if (handle_netlink(d, d->gnl_fds[tag]) < 0) {
				status = EX_OSERR;
				d->stop = true;
			}
			if (tag == SRC_NETLINK)
				nl_woke(d);
		} else if (tag == SRC_PACKET) {
			if (evs[i].events & EPOLLIN)
				handle_packet(d);
		} else if (tag == SRC_TIMER) {
			/* read (cleared) by the next arm_timer(), which sets it again */
			d->timer_fired = true;
			d->armed = ENGINE_NO_DEADLINE;
		} else if (tag == SRC_SIGNAL) {
			handle_signal(d);
		} else if (tag == SRC_PACKET_ND) {
			handle_packet_nd(d);
		} else if (tag >= SRC_CONTROL) {
			control_dispatch(d->control, tag, evs[i].events, d->now);
		}
	}
	if (!d->stop && d->nl_resume != ENGINE_NO_DEADLINE && nl_read_burst(d) < 0) {
		status = EX_OSERR;
		d->stop = true;
	}
	if (d->stop)
		return status;
	engine_run(d->engine, d->now);
	drain_engine(d);
	/* Requests after the frames that were due; what they ask for (announce) leaves now. */
	if (control_run(d->control, d->now)) {
		engine_run(d->engine, d->now);
		drain_engine(d);
	} else {
		arm_timer(d); /* a client's deadline may have moved */
	}
	control_flush(d->control); /* the monitors learn of it once the frames are out */
	log_flush();
	return 0;
}

int loop_run(struct cfg *cfg, const struct loop_options *opts)
{
	struct daemon d = DAEMON_INIT;
	int status = 0;

	d.cfg = *cfg;
	d.opts = opts;
	if (daemon_setup(&d) < 0) {
		daemon_teardown(&d);
		return EX_OSERR;
	}
	if (opts->started)
		opts->started(opts->started_userdata);
	log_info("event=started version=%s", GARPD_VERSION);
	log_set_buffered(true);

	while (!d.stop)
		status = loop_dispatch(&d);

	/* Whatever is half-way through a sequence stays unsent: nothing half-built leaves. */
	sd_notify(0, "STOPPING=1");
	if (d.burst)
		log_burst_flush(d.burst, d.now, true, daemon_burst_emit, &d);
	log_set_buffered(false);
	log_info("event=stopped");
	daemon_teardown(&d);
	return status;
}
