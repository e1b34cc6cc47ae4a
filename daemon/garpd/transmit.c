/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Transmit: the outbox of frames the engine released, handed to the packet
 * socket in batches (EPOLLOUT while the socket is full), and the account
 * of what left or could not: per-interface counters and the events.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "daemon.h"
#include "engine.h"
#include "garp-nd.h"
#include "garp-packet.h"
#include "log.h"

/* Frames per pkt_send_batch() call. */
#define TX_BATCH 64

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
	*p = (struct if_stats){ .ifindex = ifindex };
	snprintf(p->name, sizeof(p->name), "%s", daemon_ifname(d, ifindex, b));
	d->last_stats = d->n_stats++;
	return p;
}

/* Outbox: frames the engine released but the socket has not taken yet. */

/* Every frame the engine released, popped straight into the outbox (no copy between). */
void daemon_outbox_take(struct daemon *d)
{
	struct engine_frame f;

	for (;;) {
		if (d->out_head > 0 && d->out_head == d->out_n) {
			d->out_head = 0;
			d->out_n = 0;
		}
		if (!array_reserve(&d->outbox, &d->out_cap, d->out_n + 1, sizeof(*d->outbox))) {
			if (engine_pop_frame(d->engine, &f) < 0)
				return;
			daemon_send_error(d, &f, -ENOMEM);
			continue;
		}
		if (engine_pop_frame(d->engine, &d->outbox[d->out_n]) < 0)
			return;
		d->out_n++;
	}
}

/*
 * Before anything is sent for an address that just went away, forget it:
 * an announcement must never leave for an address we no longer own.
 */
void daemon_outbox_purge(struct daemon *d, int ifindex, const struct garp_addr *addr)
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
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u64 = SRC_PACKET };

	if (d->pollout == on)
		return;
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->pkt_fd, &ev) == 0)
		d->pollout = on;
}

void daemon_send_error(struct daemon *d, const struct engine_frame *f, int err)
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
	struct daemon_event ev = { .event = names[f->kind], .ifindex = f->ifindex };

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
	/* the rest builds a debug event: nothing when neither the log nor a monitor wants it */
	if (!log_enabled(CFG_LOG_DEBUG) && !control_has_monitors(d->control))
		return;
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

void daemon_outbox_flush(struct daemon *d)
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
			daemon_send_error(d, &d->outbox[d->out_head], r);
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
