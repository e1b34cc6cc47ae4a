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

#include <fcntl.h>

#include "engine.h"
#include "garp-nd.h"
#include "garp-netlink.h"
#include "garp-packet.h"
#include "garpd-build.h"
#include "config-access.h"
#include "log.h"
#include "log-burst.h"
#include "daemon.h"
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
	SRC_PACKET_ND, /* the IPv6 packet socket: NS/NA while our own DAD probes run */
	SRC_CONTROL = 100, /* and up: the control socket's listener and clients */
};

/* How much one source may do per wakeup before the others get their turn. */
#define RX_BATCH 64
#define TX_BATCH 64
/* In a burst, gnl_dispatch() batches read per wakeup before the others get their turn. */
#define NL_BURST_ROUNDS 8
/* Netlink events closer together than this are a burst (see nl_woke()). */
#define NL_BURST_GAP_NS GARP_NSEC_PER_MSEC

#define DAEMON_INIT                                                                                \
	{                                                                                          \
		.epfd = -1, .pkt_fd = -1, .timer_fd = -1, .signal_fd = -1, .nd_fd = -1,            \
		.armed = ENGINE_NO_DEADLINE, .nl_resume = ENGINE_NO_DEADLINE,                      \
	}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * GARP_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

const char *daemon_ifname(const struct daemon *d, int ifindex, char buf[IFNAMSIZ + 12])
{
	const struct gnl_link *l = gnl_link_get(d->gnl, ifindex);

	if (l)
		return l->name;
	snprintf(buf, IFNAMSIZ + 12, "if%d", ifindex);
	return buf;
}

struct if_stats *daemon_if_stats(struct daemon *d, int ifindex)
{
	char b[IFNAMSIZ + 12];
	struct if_stats *p;

	/* Frames come in runs for one interface: try the last one first. */
	if (d->last_stats < d->n_stats && d->stats[d->last_stats].ifindex == ifindex)
		return &d->stats[d->last_stats];
	for (size_t i = 0; i < d->n_stats; i++) {
		if (d->stats[i].ifindex == ifindex) {
			d->last_stats = i;
			return &d->stats[i];
		}
	}
	p = realloc(d->stats, (d->n_stats + 1) * sizeof(*p));
	if (!p)
		return NULL;
	d->stats = p;
	p = &d->stats[d->n_stats];
	*p = (struct if_stats){.ifindex = ifindex};
	snprintf(p->name, sizeof(p->name), "%s", daemon_ifname(d, ifindex, b));
	d->last_stats = d->n_stats++;
	return p;
}

/* One "key=value key=value" line, cut (never overrun) at its capacity. */
struct kv_line {
	size_t len;
	char s[768];
};

static void kv_add(struct kv_line *l, const char *key, const char *val)
{
	const char *parts[] = {l->len ? " " : "", key, "=", val};

	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(parts[i]);

		if (n > sizeof(l->s) - 1 - l->len)
			n = sizeof(l->s) - 1 - l->len; /* room for the NUL the monitors need */
		memcpy(l->s + l->len, parts[i], n);
		l->len += n;
	}
}

/* key=value for the log and `garpctl monitor`; {"key":"value",...} for `monitor --json`. */
void daemon_emit(struct daemon *d, enum cfg_log_level level, const struct daemon_event *ev)
{
	char b[IFNAMSIZ + 12], a[GARP_ADDR_STRLEN], m[PKT_MAC_STRLEN];
	const char *keys[6], *vals[6];
	struct kv_line text;
	size_t n = 0;
	bool mon = control_has_monitors(d->control);

	if (!mon && !log_enabled(level))
		return;
	if (ev->ifindex) {
		keys[n] = "iface";
		vals[n++] = daemon_ifname(d, ev->ifindex, b);
	}
	if (ev->addr) {
		keys[n] = "addr";
		vals[n++] = garp_addr_to_str(ev->addr, a);
	}
	keys[n] = "event";
	vals[n++] = ev->event;
	if (ev->mac) {
		keys[n] = "mac";
		vals[n++] = pkt_mac_to_str(ev->mac, m);
	}
	if (ev->key1) {
		keys[n] = ev->key1;
		vals[n++] = ev->val1;
	}
	if (ev->key2) {
		keys[n] = ev->key2;
		vals[n++] = ev->val2;
	}
	text.len = 0;
	for (size_t i = 0; i < n; i++)
		kv_add(&text, keys[i], vals[i]);
	log_line(level, text.s, text.len);
	if (mon) {
		struct buf json = BUF_INIT, line = BUF_INIT;
		char when[40];
		uint64_t wall = daemon_wall_ns();

		/* monitors get the wall-clock time: "[RFC 3339] key=value ..." and "time", "time_ns" */
		daemon_format_time(wall, when);
		text.s[text.len] = '\0';
		buf_printf(&line, "[%s] %s", when, text.s);
		buf_printf(&json, "{\"time\":\"%s\",\"time_ns\":%llu", when,
			   (unsigned long long)wall);
		for (size_t i = 0; i < n; i++) {
			buf_printf(&json, ",\"%s\":", keys[i]);
			if (daemon_key_is_number(keys[i]))
				buf_printf(&json, "%s", vals[i]);
			else
				buf_json_string(&json, vals[i]);
		}
		buf_append(&json, "}", 1);
		if (!json.oom && !line.oom)
			control_broadcast(d->control, line.data, json.data);
		buf_free(&json);
		buf_free(&line);
	}
}

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
	if (!array_reserve(&d->outbox, &d->out_cap, d->out_n + 1, sizeof(*d->outbox)))
		return -ENOMEM;
	d->outbox[d->out_n++] = *f;
	return 0;
}

/*
 * Before anything is sent for an address that just went away, forget it:
 * an announcement must never leave for an address we no longer own.
 */
static void outbox_purge(struct daemon *d, int ifindex, const struct garp_addr *addr)
{
	size_t w = d->out_head;

	for (size_t r = d->out_head; r < d->out_n; r++) {
		const struct engine_frame *f = &d->outbox[r];

		if (f->ifindex == ifindex && (!addr || garp_addr_eq(&f->addr, addr)))
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
	struct if_stats *st = daemon_if_stats(d, f->ifindex);
	const struct daemon_event ev = {
		.event = "send-failed",
		.ifindex = f->ifindex,
		.addr = f->addr.family ? &f->addr : NULL,
		.key1 = "error",
		.val1 = strerrorname_np(-err) ? strerrorname_np(-err) : "unknown",
	};

	d->send_errors++;
	if (st)
		st->send_errors++;
	/*
	 * ENETDOWN: the link went down in the same instant, and the event that
	 * says so is not read yet (it cancels the rest). Expected on every
	 * link flap: counted, logged for debugging only.
	 */
	daemon_emit(d, err == -ENETDOWN ? CFG_LOG_DEBUG : CFG_LOG_WARNING, &ev);
}

/* Count a frame that left, and tell the monitors. */
static void frame_sent(struct daemon *d, const struct engine_frame *f)
{
	static const char *const names[] = {
		[ENGINE_FRAME_PROBE] = "probe-sent",
		[ENGINE_FRAME_ANNOUNCE_REQUEST] = "announcement-sent",
		[ENGINE_FRAME_ANNOUNCE_REPLY] = "reply-sent",
		[ENGINE_FRAME_RELEARN] = "relearn-sent",
		[ENGINE_FRAME_REFRESH] = "refresh-sent",
		[ENGINE_FRAME_NS_PROBE] = "ns-probe-sent",
		[ENGINE_FRAME_NA] = "na-sent",
	};
	char nbuf[PKT_IPV4_STRLEN], nbuf6[GARP_ADDR_STRLEN];
	struct if_stats *st = daemon_if_stats(d, f->ifindex);
	struct daemon_event ev = {.event = names[f->kind], .ifindex = f->ifindex};

	if (st) {
		switch (f->kind) {
		case ENGINE_FRAME_PROBE:
			st->probes++;
			break;
		case ENGINE_FRAME_ANNOUNCE_REPLY:
			st->replies++;
			st->announcements++; /* a reply is an announcement too */
			break;
		case ENGINE_FRAME_ANNOUNCE_REQUEST:
			st->announcements++;
			break;
		case ENGINE_FRAME_RELEARN:
			st->relearn++;
			break;
		case ENGINE_FRAME_REFRESH:
			st->refreshes++;
			break;
		case ENGINE_FRAME_NS_PROBE:
			st->ns_probes++;
			break;
		case ENGINE_FRAME_NA:
			st->na++;
			break;
		}
	}
	if (f->kind == ENGINE_FRAME_RELEARN)
		ev.mac = f->frame.data + PKT_ETH_ALEN; /* the guest's MAC: Ethernet source */
	else
		ev.addr = &f->addr;
	if (f->kind == ENGINE_FRAME_REFRESH) {
		struct pkt_arp arp;
		struct pkt_nd nd;

		/*
		 * to whom: the neighbour's address (TPA, or the NS's target) and
		 * MAC (Ethernet destination: a solicited-node group's when unknown)
		 */
		ev.mac = f->frame.data;
		if (f->addr.family == AF_INET6) {
			if (pkt_parse_nd(f->frame.data, f->frame.len, &nd) == 0) {
				struct garp_addr t = garp_addr_v6(&nd.target);

				ev.key1 = "neighbour";
				ev.val1 = garp_addr_to_str(&t, nbuf6);
			}
		} else if (pkt_parse_arp(f->frame.data, f->frame.len, &arp) == 0) {
			ev.key1 = "neighbour";
			ev.val1 = pkt_ipv4_to_str(&arp.tpa, nbuf);
		}
	}
	daemon_emit(d, CFG_LOG_DEBUG, &ev);
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
		for (int i = 0; i < r; i++)
			frame_sent(d, &d->outbox[d->out_head + (size_t)i]);
		d->out_head += (size_t)r;
	}
	d->out_head = d->out_n = 0;
	set_pollout(d, false);
}

/* Decimal, without stdio: "probes=3" is written once per address. */
static const char *u32_str(uint32_t v, char buf[11])
{
	char *p = buf + 10;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

static void emit_note(struct daemon *d, const struct engine_note *n)
{
	char b[IFNAMSIZ + 12], num[16];
	struct daemon_event ev = {.ifindex = n->ifindex, .addr = &n->addr};
	enum cfg_log_level level = CFG_LOG_INFO;
	struct if_stats *st;

	switch (n->type) {
	case ENGINE_NOTE_STARTED:
		ev.event = "sequence-started";
		ev.key1 = "probes";
		ev.val1 = u32_str(n->probes, num);
		break;
	case ENGINE_NOTE_ANNOUNCED:
		ev.event = "announced";
		break;
	case ENGINE_NOTE_CONFLICT:
		ev.event = "conflict";
		if (n->kernel_dad) {
			/* the kernel's duplicate address detection failed: no MAC to show */
			ev.key1 = "detected";
			ev.val1 = "kernel-dad";
		} else {
			ev.mac = n->mac;
		}
		level = CFG_LOG_WARNING;
		st = daemon_if_stats(d, n->ifindex);
		if (st)
			st->conflicts++;
		break;
	case ENGINE_NOTE_CANCELLED:
		ev.event = "cancelled";
		ev.key1 = "reason";
		ev.val1 = engine_cancel_reason_to_string(n->reason);
		break;
	case ENGINE_NOTE_FAILOVER:
		ev.event = "bond-failover";
		ev.addr = NULL;
		ev.key1 = "active_slave";
		ev.val1 = daemon_ifname(d, n->slave, b);
		level = CFG_LOG_NOTICE;
		break;
	case ENGINE_NOTE_RELEARN:
		ev.event = "relearn";
		ev.addr = NULL;
		ev.key1 = "bridge";
		ev.val1 = daemon_ifname(d, n->bridge, b);
		ev.key2 = "guests";
		ev.val2 = u32_str(n->count, num);
		break;
	case ENGINE_NOTE_DEFERRED:
		ev.event = "held-down";
		level = CFG_LOG_DEBUG;
		break;
	case ENGINE_NOTE_LOST:
		/* out of memory: counted in status and metrics too (engine.h) */
		ev.event = "lost";
		if (!n->addr.family)
			ev.addr = NULL;
		ev.key1 = "reason";
		ev.val1 = "out-of-memory";
		daemon_emit(d, CFG_LOG_WARNING, &ev);
		return;
	case ENGINE_NOTE_REFRESHED: {
		char capped[16];

		/* one line per address, not one per neighbour */
		ev.event = "refreshed";
		ev.key1 = "neighbours";
		ev.val1 = u32_str(n->count, num);
		ev.key2 = "capped";
		ev.val2 = u32_str(n->capped, capped);
		st = daemon_if_stats(d, n->ifindex);
		if (st)
			st->refresh_capped += n->capped;
		if (!n->count && !n->capped)
			level = CFG_LOG_DEBUG;
		daemon_emit(d, level, &ev);
		return;
	}
	default:
		return;
	}
	/*
	 * A per-address line is debug. At info, a burst's lines become one
	 * summary (log-burst.h); at debug every line is there, no summary.
	 */
	if (level == CFG_LOG_INFO && n->type != ENGINE_NOTE_RELEARN) {
		if (log_enabled(CFG_LOG_DEBUG))
			level = CFG_LOG_DEBUG;
		else if (log_enabled(CFG_LOG_INFO) &&
			 !log_burst_add(d->burst, d->now, n->ifindex, ev.event, ev.key1, ev.val1,
					&n->addr))
			level = CFG_LOG_DEBUG;
	}
	daemon_emit(d, level, &ev);
}

static void burst_emit(void *userdata, int ifindex, const char *fields, size_t len)
{
	struct daemon *d = userdata;
	char b[IFNAMSIZ + 12];
	struct kv_line text = {0};

	kv_add(&text, "iface", daemon_ifname(d, ifindex, b));
	if (len > sizeof(text.s) - 2 - text.len)
		len = sizeof(text.s) - 2 - text.len;
	text.s[text.len++] = ' ';
	memcpy(text.s + text.len, fields, len);
	text.len += len;
	log_line(CFG_LOG_INFO, text.s, text.len);
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
	free(q->vlans);
	*q = d->queries[--d->n_queries];
}

static void start_query(struct daemon *d, int bridge)
{
	struct fdb_query *p;
	uint32_t id;
	int r;

	r = gnl_query_fdb_vlans(d->gnl, bridge, &id);
	if (r < 0) {
		const struct daemon_event ev = {
			.event = "fdb-query-failed",
			.ifindex = bridge,
			.key1 = "error",
			.val1 = strerrorname_np(-r) ? strerrorname_np(-r) : "unknown",
		};

		daemon_emit(d, CFG_LOG_WARNING, &ev);
		return;
	}
	p = realloc(d->queries, (d->n_queries + 1) * sizeof(*p));
	if (!p)
		return;
	d->queries = p;
	d->queries[d->n_queries++] = (struct fdb_query){.id = id, .bridge = bridge};
}

/*
 * Directed refresh: the neighbour table and routes of one interface, asked
 * for by the engine, collected here and handed over at once.
 */
struct nb_query {
	uint32_t id;
	int ifindex;
	struct gnl_neigh *neigh;
	size_t n_neigh, cap_neigh;
	struct gnl_route_hop *hops;
	size_t n_hops, cap_hops;
};

static struct nb_query *nb_query_find(struct daemon *d, uint32_t id)
{
	for (size_t i = 0; i < d->n_nb_queries; i++)
		if (d->nb_queries[i].id == id)
			return &d->nb_queries[i];
	return NULL;
}

static void nb_query_remove(struct daemon *d, struct nb_query *q)
{
	free(q->neigh);
	free(q->hops);
	*q = d->nb_queries[--d->n_nb_queries];
}

static void nb_query_failed(struct daemon *d, int ifindex, int err)
{
	const struct daemon_event ev = {
		.event = "neighbour-query-failed",
		.ifindex = ifindex,
		.key1 = "error",
		.val1 = strerrorname_np(-err) ? strerrorname_np(-err) : "unknown",
	};

	daemon_emit(d, CFG_LOG_WARNING, &ev);
}

static void start_nb_query(struct daemon *d, int ifindex)
{
	struct nb_query *p;
	uint32_t id;
	int r;

	r = gnl_query_refresh(d->gnl, ifindex, &id);
	if (r == 0) {
		p = realloc(d->nb_queries, (d->n_nb_queries + 1) * sizeof(*p));
		if (p) {
			d->nb_queries = p;
			d->nb_queries[d->n_nb_queries++] = (struct nb_query){.id = id, .ifindex = ifindex};
			return;
		}
		r = -ENOMEM; /* its answer will find nobody waiting: dropped */
	}
	/* The engine must hear back: the configured neighbours go all the same. */
	nb_query_failed(d, ifindex, r);
	engine_neighbours(d->engine, d->now, ifindex, NULL, 0, NULL, 0);
}

static void nb_entry(struct daemon *d, const struct gnl_event *ev)
{
	struct nb_query *q = nb_query_find(d, ev->query);

	if (!q)
		return;
	if (ev->type == GNL_EV_NEIGH) {
		if (array_reserve(&q->neigh, &q->cap_neigh, q->n_neigh + 1, sizeof(*q->neigh)))
			q->neigh[q->n_neigh++] = ev->neigh;
	} else if (array_reserve(&q->hops, &q->cap_hops, q->n_hops + 1, sizeof(*q->hops))) {
		q->hops[q->n_hops++] = ev->hop;
	}
}

static bool nb_query_done(struct daemon *d, const struct gnl_event *ev)
{
	struct nb_query *q = nb_query_find(d, ev->query);

	if (!q)
		return false;
	if (ev->error)
		nb_query_failed(d, q->ifindex, ev->error);
	/* What came is usable even when a part failed: each refresh stands alone. */
	engine_neighbours(d->engine, d->now, q->ifindex, q->neigh, q->n_neigh, q->hops, q->n_hops);
	nb_query_remove(d, q);
	return true;
}

static void fdb_entry(struct daemon *d, uint32_t id, const struct gnl_fdb *e)
{
	struct fdb_query *q = query_find(d, id);

	if (!q)
		return;
	if (!array_reserve(&q->entries, &q->cap, q->n + 1, sizeof(*q->entries)))
		return;
	q->entries[q->n++] = *e;
}

static void fdb_vlan_entry(struct daemon *d, uint32_t id, const struct gnl_port_vlan *v)
{
	struct fdb_query *q = query_find(d, id);

	if (!q)
		return;
	if (!array_reserve(&q->vlans, &q->cap_vlans, q->n_vlans + 1, sizeof(*q->vlans)))
		return;
	q->vlans[q->n_vlans++] = *v;
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
	if (deadline != d->armed) {
		struct itimerspec its = {0};

		if (deadline != ENGINE_NO_DEADLINE) {
			/* An absolute time in the past fires at once; 0 would disarm. */
			uint64_t t = deadline ? deadline : 1;

			its.it_value.tv_sec = (time_t)(t / GARP_NSEC_PER_SEC);
			its.it_value.tv_nsec = (long)(t % GARP_NSEC_PER_SEC);
		}
		if (timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
			d->armed = deadline;
	}
}

/* Hand everything the engine produced to the world, then re-arm the timer. */
static void drain_engine(struct daemon *d)
{
	struct engine_frame f;
	struct engine_query q;
	struct engine_note n;
	bool want, want_nd;

	while (engine_pop_query(d->engine, &q) == 0) {
		if (q.kind == ENGINE_QUERY_NEIGHBOURS)
			start_nb_query(d, q.ifindex);
		else
			start_query(d, q.bridge);
	}
	/* "announced" and "refreshed" are told once their frames are out; the rest before. */
	d->n_announced = 0;
	while (engine_pop_note(d->engine, &n) == 0) {
		if (n.type != ENGINE_NOTE_ANNOUNCED && n.type != ENGINE_NOTE_REFRESHED) {
			emit_note(d, &n);
		} else if (array_reserve(&d->announced, &d->cap_announced, d->n_announced + 1,
					 sizeof(*d->announced))) {
			d->announced[d->n_announced++] = n;
		}
	}
	while (engine_pop_frame(d->engine, &f) == 0)
		if (outbox_push(d, &f) < 0)
			log_send_error(d, &f, -ENOMEM);
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
	flush_outbox(d);
	for (size_t i = 0; i < d->n_announced; i++)
		emit_note(d, &d->announced[i]);
	log_burst_flush(d->burst, d->now, false, burst_emit, d);
	if (!want && d->filter_arp && pkt_socket_set_filter(d->pkt_fd, PKT_FILTER_DROP_ALL) == 0)
		d->filter_arp = false;
	if (d->nd_fd >= 0 && !want_nd && d->filter_nd &&
	    pkt_socket_set_filter(d->nd_fd, PKT_FILTER_DROP_ALL) == 0)
		d->filter_nd = false;

	arm_timer(d);
}

static void emit_link_change(struct daemon *d, const struct gnl_event *ev)
{
	const struct gnl_link *l = &ev->link;
	char old[PKT_MAC_STRLEN];

	if (ev->changes & GNL_CHANGE_CARRIER_UP)
		daemon_emit(d, CFG_LOG_INFO, &(struct daemon_event){.event = "link-up", .ifindex = l->ifindex});
	if (ev->changes & GNL_CHANGE_CARRIER_DOWN)
		daemon_emit(d, CFG_LOG_INFO, &(struct daemon_event){.event = "link-down", .ifindex = l->ifindex});
	if (ev->changes & GNL_CHANGE_MAC) {
		const struct daemon_event e = {
			.event = "mac-changed",
			.ifindex = l->ifindex,
			.mac = l->mac,
			.key1 = "old",
			.val1 = pkt_mac_to_str(ev->old.mac, old),
		};

		daemon_emit(d, CFG_LOG_NOTICE, &e);
	}
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
				    .val1 = ev->link.kind[0] ? ev->link.kind : "-",
			    });
		engine_link(d->engine, d->now, &ev->link, 0);
		break;
	case GNL_EV_LINK_CHANGED:
		emit_link_change(d, ev);
		if (ev->changes & (GNL_CHANGE_CARRIER_DOWN | GNL_CHANGE_MAC))
			outbox_purge(d, ev->link.ifindex, NULL);
		engine_link(d->engine, d->now, &ev->link, ev->changes);
		break;
	case GNL_EV_LINK_DEL:
		daemon_emit(d, CFG_LOG_INFO, &(struct daemon_event){.event = "link-removed", .ifindex = ev->link.ifindex});
		outbox_purge(d, ev->link.ifindex, NULL);
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
		outbox_purge(d, ev->addr.ifindex, &key);
		engine_addr_del(d->engine, d->now, &ev->addr);
		break;
	}
	case GNL_EV_FDB:
		fdb_entry(d, ev->query, &ev->fdb);
		break;
	case GNL_EV_PORT_VLAN:
		fdb_vlan_entry(d, ev->query, &ev->port_vlan);
		break;
	case GNL_EV_NEIGH:
	case GNL_EV_ROUTE_HOP:
		nb_entry(d, ev);
		break;
	case GNL_EV_QUERY_DONE: {
		struct fdb_query *q = query_find(d, ev->query);

		if (!q) {
			nb_query_done(d, ev);
			break;
		}
		/* Once per query; a failed query answers with nothing (the next failover asks again). */
		engine_fdb_vlans(d->engine, d->now, q->bridge, ev->error ? NULL : q->entries,
				 ev->error ? 0 : q->n, ev->error ? NULL : q->vlans,
				 ev->error ? 0 : q->n_vlans);
		query_remove(d, q);
		break;
	}
	case GNL_EV_RESYNC:
		daemon_emit(d, CFG_LOG_WARNING, &(struct daemon_event){.event = "netlink-overflow"});
		break;
	case GNL_EV_SYNCED:
		if (!d->synced) {
			d->synced = true;
			daemon_emit(d, CFG_LOG_INFO, &(struct daemon_event){.event = "ready"});
			if (d->cfg.daemon.announce_on_start)
				(void)engine_announce(d->engine, d->now, 0, NULL,
						      ENGINE_ANNOUNCE_ONLY);
			sd_notify(0, "READY=1");
			control_set_ready(d->control); /* requests held until now run */
		} else {
			daemon_emit(d, CFG_LOG_INFO, &(struct daemon_event){.event = "resynced"});
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
static void nl_listen(struct daemon *d, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u64 = SRC_NETLINK};

	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->gnl_fds[0], &ev) < 0)
		on = true; /* cannot leave the set: we are woken as before */
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
	int r = 0;

	for (int i = 0; i < NL_BURST_ROUNDS; i++) {
		r = handle_netlink(d, d->gnl_fds[0]);
		if (r <= 0)
			break;
	}
	if (r < 0)
		return r;
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

static void handle_packet_nd(struct daemon *d)
{
	uint8_t buf[1536];

	for (int i = 0; i < RX_BATCH; i++) {
		const struct gnl_link *l;
		struct pkt_nd nd;
		struct pkt_rx rx;
		size_t len;

		if (pkt_recv_rx(d->nd_fd, buf, sizeof(buf), &len, &rx) < 0)
			return;
		if (pkt_parse_nd(buf, len, &nd) < 0)
			continue;
		/* another VLAN's frame is no conflict for this interface */
		l = gnl_link_get(d->gnl, rx.ifindex);
		if (l && !pkt_rx_same_vlan(nd.eth_dst, nd.tagged, nd.vlan, &rx, l->mac,
					   strcmp(l->kind, "vlan") ? 0 : l->vlan_id))
			continue;
		engine_nd(d->engine, d->now, rx.ifindex, &nd);
	}
}

static void handle_packet(struct daemon *d)
{
	uint8_t buf[256];

	for (int i = 0; i < RX_BATCH; i++) {
		const struct gnl_link *l;
		struct pkt_arp arp;
		struct pkt_rx rx;
		size_t len;

		if (pkt_recv_rx(d->pkt_fd, buf, sizeof(buf), &len, &rx) < 0)
			return;
		if (pkt_parse_arp(buf, len, &arp) < 0)
			continue;
		/* another VLAN's frame is no conflict for this interface */
		l = gnl_link_get(d->gnl, rx.ifindex);
		if (l && !pkt_rx_same_vlan(arp.eth_dst, arp.tagged, arp.vlan, &rx, l->mac,
					   strcmp(l->kind, "vlan") ? 0 : l->vlan_id))
			continue;
		engine_arp(d->engine, d->now, rx.ifindex, &arp);
	}
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
				buf_printf(&q, "%s%c", msg.data[i] == '"' || msg.data[i] == '\\' ? "\\" : "",
					   msg.data[i]);
			log_error("event=reload-failed config=%s error=\"%s\"", d->opts->config_path,
				  q.data ? q.data : "");
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
			    &(struct daemon_event){.event = "reloaded", .key1 = "config",
						   .val1 = d->opts->config_path});
	}
	sd_notify(0, "READY=1");
	return r;
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

static int setup(struct daemon *d)
{
	struct gnl_options gopts = {.rcvbuf = (int)d->cfg.daemon.netlink_rcvbuf};
	struct engine_policy_source policy = {
		.get = policy_get, .userdata = d, .ipv6_router = ipv6_router};
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
	r = engine_new(&d->engine, &policy, (uint64_t)now_ns() ^ (uint64_t)getpid());
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
		r = control_open(&d->control, path, &owner, d->epfd, SRC_CONTROL, daemon_control, d);
		if (r < 0) {
			log_error("event=start-failed step=control-socket path=%s error=\"%s\"", path,
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

static void teardown(struct daemon *d)
{
	for (size_t i = 0; i < d->n_queries; i++) {
		free(d->queries[i].entries);
		free(d->queries[i].vlans);
	}
	free(d->queries);
	for (size_t i = 0; i < d->n_nb_queries; i++) {
		free(d->nb_queries[i].neigh);
		free(d->nb_queries[i].hops);
	}
	free(d->nb_queries);
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
	if (opts->started)
		opts->started(opts->started_userdata);
	log_info("event=started version=%s", GARPD_VERSION);
	log_set_buffered(true);

	while (!d.stop) {
		struct epoll_event evs[16];
		int n;

		/* Replies still being built: look at the sockets, do not sleep. */
		n = epoll_wait(d.epfd, evs, 16, control_busy(d.control) ? 0 : -1);
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
				if (tag == SRC_NETLINK)
					nl_woke(&d);
			} else if (tag == SRC_PACKET) {
				if (evs[i].events & EPOLLIN)
					handle_packet(&d);
			} else if (tag == SRC_TIMER) {
				uint64_t ticks;

				(void)!read(d.timer_fd, &ticks, sizeof(ticks));
				d.armed = ENGINE_NO_DEADLINE;
			} else if (tag == SRC_SIGNAL) {
				handle_signal(&d);
			} else if (tag == SRC_PACKET_ND) {
				handle_packet_nd(&d);
			} else if (tag >= SRC_CONTROL) {
				control_dispatch(d.control, tag, evs[i].events, d.now);
			}
		}
		if (!d.stop && d.nl_resume != ENGINE_NO_DEADLINE && nl_read_burst(&d) < 0) {
			status = EX_OSERR;
			d.stop = true;
		}
		if (d.stop)
			break;
		engine_run(d.engine, d.now);
		drain_engine(&d);
		/* Requests after the frames that were due; what they ask for (announce) leaves now. */
		if (control_run(d.control, d.now)) {
			engine_run(d.engine, d.now);
			drain_engine(&d);
		} else {
			arm_timer(&d); /* a client's deadline may have moved */
		}
		log_flush();
	}

	/* Whatever is half-way through a sequence stays unsent: nothing half-built leaves. */
	sd_notify(0, "STOPPING=1");
	if (d.burst)
		log_burst_flush(d.burst, d.now, true, burst_emit, &d);
	log_set_buffered(false);
	log_info("event=stopped");
	teardown(&d);
	return status;
}
