/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket side of netlink/: one event socket (subscriptions, and the
 * link/address dumps, so dump answers and events arrive in the kernel's
 * order) and one query socket (FDB and neighbour dumps, one at a time).
 * Both are non-blocking; gnl_dispatch() reads a bounded batch.
 */

#include "garp-netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink-private.h"

/* Dumps come in skbs of up to 32 KiB; the kernel sizes them to our reads. */
#define GNL_RXBUF (64 * 1024)
/* Datagrams read per gnl_dispatch(), so one busy socket cannot starve the loop. */
#define GNL_BATCH 32
/*
 * Event datagrams read per recvmmsg() while no dump runs: a burst of
 * address changes is one small message each, and on this kind of VM a
 * system call costs more than the message (1.3-1.6 µs for a null one).
 * Each slot is GNL_RXBUF, as the single buffer: no message too large for
 * one; a slot's pages are resident only once a message reached them.
 */
#define GNL_MSLOTS 16
/* Our requests are a header and one attribute. */
#define GNL_TXBUF 256
/* Consecutive failed dumps before giving up. */
#define GNL_DUMP_RETRIES 3
/* Interfaces whose route answer is kept (see struct gnl_route_memo). */
#define GNL_ROUTE_MEMOS 8
/* Route notifications read per look; more than that is taken as a change. */
#define GNL_RT_DRAIN 64
/* A route notification's room: a larger one counts as a change unread. */
#define GNL_RT_MSG 2048
/* The route watch's receive buffer (its overflow counts as a change). */
#define GNL_RT_RCVBUF (64 * 1024)

enum gnl_dump {
	GNL_DUMP_NONE,
	GNL_DUMP_LINKS,
	GNL_DUMP_ADDRS,
};

enum gnl_query_kind {
	GNL_QUERY_FDB,
	GNL_QUERY_FDB_VLANS, /* the FDB, then the ports' VLAN tables */
	GNL_QUERY_NEIGH,
	GNL_QUERY_REFRESH, /* the neighbours, then the main table's routes (netlink-route.c) */
};

/* The parts of a GNL_QUERY_REFRESH, in the order they are asked for. */
enum gnl_refresh_part {
	GNL_PART_NEIGH4,
	GNL_PART_NEIGH6,
	GNL_PART_ROUTE4,
	GNL_PART_ROUTE6,
	GNL_PART_LAST = GNL_PART_ROUTE6,
};

struct gnl_query {
	struct gnl_query *next;
	uint32_t id;
	enum gnl_query_kind kind;
	int ifindex;
	bool vlan_phase;	    /* GNL_QUERY_FDB_VLANS: the FDB is done, the VLAN dump runs */
	enum gnl_refresh_part part; /* GNL_QUERY_REFRESH: the dump in flight */
};

/* A GNL_QUERY_REFRESH's route dumps. */
static bool part_is_route(const struct gnl_query *q)
{
	return q->kind == GNL_QUERY_REFRESH &&
	       (q->part == GNL_PART_ROUTE4 || q->part == GNL_PART_ROUTE6);
}

/* The family a neighbour or route dump asks for (GNL_QUERY_NEIGH: IPv4). */
static uint8_t part_family(const struct gnl_query *q)
{
	return q->kind == GNL_QUERY_REFRESH &&
		       (q->part == GNL_PART_NEIGH6 || q->part == GNL_PART_ROUTE6)
		   ? AF_INET6
		   : AF_INET;
}

/*
 * The route parts (IPv4 and IPv6) of a refresh query's answer for one
 * interface, kept and given again while the main tables cannot have
 * changed: a burst of sequences asks once per batch, and each IPv4 route
 * dump walks the kernel's whole FIB trie, whose local table holds a leaf
 * per address (10,000 addresses: most of garpd's CPU time went there).
 * Dropped on anything that may change a main table: a main-table route or
 * nexthop notification on the watch socket (or its overflow), and the
 * events that change routes without one (IPv4 flushes a link's routes when
 * it goes down, and an address's routes when it goes, silently):
 * RTM_NEWLINK, RTM_DELLINK, RTM_DELADDR, a resync.
 */
struct gnl_route_memo {
	int ifindex; /* 0: free */
	struct gnl_route_hop *hops;
	size_t n;
	int err; /* the route parts' first error (an IPv6 dump refused), given again too */
};

struct gnl {
	struct mnl_socket *ev;
	struct mnl_socket *q;
	/*
	 * Main-table route and nexthop notifications, never polled: a look
	 * at it (routes_changed()) says whether the table may have changed
	 * since the last look. NULL: no memo, every refresh query dumps.
	 */
	struct mnl_socket *rt;
	struct gnl_route_memo memo[GNL_ROUTE_MEMOS];
	size_t memo_next;
	/* the route part in flight, collected for the memo; !coll_ok: not kept */
	struct gnl_route_hop *coll;
	size_t n_coll, cap_coll;
	int coll_err;
	bool coll_ok;
	uint32_t ev_portid;
	uint32_t q_portid;
	uint32_t seq;

	struct gnl_cache cache;
	struct gnl_evq events;
	struct gnl_counters counters;

	enum gnl_dump dump;
	uint32_t dump_seq;
	bool resync_pending; /* events were lost while a dump ran: dump again after it */
	unsigned int dump_failures;

	struct gnl_query *q_head, *q_tail; /* waiting */
	struct gnl_query *q_cur;	   /* in flight */
	uint32_t q_seq;
	int q_err; /* the answer in flight lost a part (ENOBUFS): reported at its end */
	uint32_t next_query_id;

	uint8_t *buf;
	uint8_t *mbuf; /* GNL_MSLOTS slots of GNL_RXBUF; NULL: one datagram per system call */
};

static int set_rcvbuf(int fd, int size)
{
	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) == 0)
		return 0;
	return -errno;
}

static int open_socket(struct mnl_socket **ret, uint32_t *ret_portid)
{
	struct mnl_socket *s;
	int r;

	s = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!s)
		return -errno;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		mnl_socket_close(s);
		return r;
	}
	*ret_portid = mnl_socket_get_portid(s);
	*ret = s;
	return 0;
}

/*
 * The route watch: a socket in the IPv4 and IPv6 route and nexthop groups whose
 * filter lets through only what may change the main table (a route
 * message for another table, e.g. the local routes every address add
 * brings, is dropped in the kernel). Best effort: without it, no memo.
 */
static void open_route_watch(struct gnl *g)
{
	/* a half-word load reads network order: ntohs() of the host-order field */
	const uint32_t t_new = ntohs(RTM_NEWROUTE), t_del = ntohs(RTM_DELROUTE);
	/*
	 * Kept: anything but a route message (a nexthop object's), and a
	 * main-table route message; dropped in the kernel: every other
	 * table's (each address add's local route), and the /128 prefix
	 * route the kernel adds to the main table with each IPv6 address
	 * (family IPv6, prefix 128, protocol kernel, not a replacement):
	 * without a gateway it names nobody (route_msg_counts() says so too),
	 * and a burst of 10,000 IPv6 addresses brought 10,000 of them to
	 * read, one system call each. (A route the administrator marks
	 * "proto kernel" with a gateway would be missed: the kernel makes
	 * none.) What is kept is judged by route_msg_counts(). (The filter
	 * cannot look for a gateway itself: the kernel's attribute lookup
	 * for filters, SKF_AD_NLATTR, found nothing in these messages on
	 * Linux 6.18.)
	 */
	const uint32_t replace = ntohs(NLM_F_REPLACE);
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_type)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, t_new, 1, 0),
		/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, t_del, 0, 10), /* nexthop: keep */
		/* 3 */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS,
			 NLMSG_HDRLEN + offsetof(struct rtmsg, rtm_table)),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RT_TABLE_MAIN, 0, 9), /* drop */
		/* 5 */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS,
			 NLMSG_HDRLEN + offsetof(struct rtmsg, rtm_family)),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 6),
		/* 7 */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS,
			 NLMSG_HDRLEN + offsetof(struct rtmsg, rtm_dst_len)),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 128, 0, 4),
		/* 9 */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS,
			 NLMSG_HDRLEN + offsetof(struct rtmsg, rtm_protocol)),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RTPROT_KERNEL, 0, 2),
		/* 11 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_flags)),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, replace, 0, 1),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, 0xffff),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	const struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	unsigned int grp = RTNLGRP_IPV4_ROUTE, grp6 = RTNLGRP_IPV6_ROUTE, nh = RTNLGRP_NEXTHOP;
	int size = GNL_RT_RCVBUF;
	uint32_t portid;
	int fd;

	if (open_socket(&g->rt, &portid) < 0) {
		g->rt = NULL;
		return;
	}
	fd = mnl_socket_get_fd(g->rt);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* the filter before the subscription: nothing unfiltered is ever queued */
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		mnl_socket_close(g->rt);
		g->rt = NULL;
		return;
	}
	/* a kernel without IPv6 has no IPv6 routes to change */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp6, sizeof(grp6));
	/* nexthop objects (Linux >= 5.3); an older kernel has none to change */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &nh, sizeof(nh));
}

static void memo_clear(struct gnl *g)
{
	for (size_t i = 0; i < GNL_ROUTE_MEMOS; i++) {
		free(g->memo[i].hops);
		g->memo[i] = (struct gnl_route_memo){ 0 };
	}
}

/*
 * A next hop that names nobody: no gateway, and a prefix as long as the
 * address (an IPv6 address's own /128 prefix route; a host route through
 * the link). As an on-link prefix it covers only the address itself,
 * which is never its own neighbour; with 10,000 /128 addresses every
 * answer carried 10,000 of them.
 */
static bool hop_names_nobody(const struct gnl_route *rt, const struct gnl_nexthop *h)
{
	return !h->has_gateway && rt->dst_len >= (rt->family == AF_INET6 ? 128 : 32);
}

/*
 * Whether a route notification can change a refresh answer: not for a
 * route the answers leave out (another table, not unicast, a cached
 * clone) or whose every next hop names nobody (hop_names_nobody(): an
 * IPv6 address's own /128 route, which every such address add brings).
 * A replacement can: the route it replaced may have counted.
 */
static bool route_msg_counts(const void *buf, size_t n)
{
	const struct nlmsghdr *nlh = buf;
	struct gnl_route rt;

	if (n < sizeof(*nlh) || nlh->nlmsg_len != n ||
	    (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
	    (nlh->nlmsg_flags & NLM_F_REPLACE) || gnl_parse_route(nlh, &rt) < 0 ||
	    rt.nexthops_dropped)
		return true; /* a nexthop object, or not understood: it may */
	if (rt.table != RT_TABLE_MAIN || rt.type != RTN_UNICAST || (rt.flags & RTM_F_CLONED))
		return false;
	for (size_t i = 0; i < rt.n_nexthops; i++)
		if (!hop_names_nobody(&rt, &rt.nexthops[i]))
			return true;
	return rt.n_nexthops == 0;
}

/*
 * Whether a main table may have changed what a refresh answer holds since
 * the last look: a notification that counts (route_msg_counts()), or an
 * error (ENOBUFS: notifications were lost). Notifications are queued when
 * the change is made, so a change made before this look is seen by it.
 * True when there is no watch.
 */
static bool routes_changed(struct gnl *g)
{
	bool changed = false;
	int fd;

	if (!g->rt)
		return true;
	fd = mnl_socket_get_fd(g->rt);
	for (int i = 0; i < GNL_RT_DRAIN; i++) {
		uint8_t b[GNL_RT_MSG] __attribute__((aligned(4)));
		ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT | MSG_TRUNC);

		if (n >= 0) {
			g->counters.route_watch_read++;
			if ((size_t)n > sizeof(b) || route_msg_counts(b, (size_t)n))
				changed = true;
			continue;
		}
		if (errno == ENOBUFS) {
			changed = true;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return changed;
		if (errno != EINTR)
			return true;
	}
	return true; /* more is queued: say changed, and read on at the next look */
}

int gnl_new(struct gnl **ret, const struct gnl_options *opts)
{
	struct gnl *g;
	int one = 1, r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->cache = GNL_CACHE_INIT;
	g->events = GNL_EVQ_INIT;
	g->seq = 1;
	g->next_query_id = 1;
	g->buf = malloc(GNL_RXBUF);
	g->mbuf = malloc((size_t)GNL_MSLOTS * GNL_RXBUF); /* untouched until used; optional */
	if (!g->buf) {
		r = -ENOMEM;
		goto fail;
	}
	r = open_socket(&g->ev, &g->ev_portid);
	if (r < 0)
		goto fail;
	r = open_socket(&g->q, &g->q_portid);
	if (r < 0)
		goto fail;
	open_route_watch(g);
	if (opts && opts->rcvbuf > 0) {
		r = set_rcvbuf(mnl_socket_get_fd(g->ev), opts->rcvbuf);
		if (r < 0)
			goto fail;
	}
	/*
	 * Let the kernel filter query dumps by bridge/ifindex where it can
	 * (Linux >= 4.20); older kernels ignore it and we filter here anyway.
	 * NETLINK_NO_ENOBUFS stays off: an overflow must be seen to resync.
	 */
	(void)setsockopt(mnl_socket_get_fd(g->q), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one,
			 sizeof(one));
	*ret = g;
	return 0;
fail:
	gnl_free(g);
	return r;
}

void gnl_free(struct gnl *g)
{
	struct gnl_query *q, *next;

	if (!g)
		return;
	if (g->ev)
		mnl_socket_close(g->ev);
	if (g->q)
		mnl_socket_close(g->q);
	if (g->rt)
		mnl_socket_close(g->rt);
	memo_clear(g);
	free(g->coll);
	for (q = g->q_head; q; q = next) {
		next = q->next;
		free(q);
	}
	free(g->q_cur);
	gnl_cache_clear(&g->cache);
	gnl_evq_clear(&g->events);
	free(g->buf);
	free(g->mbuf);
	free(g);
}

static int send_dump(struct gnl *g, enum gnl_dump what)
{
	uint8_t buf[GNL_TXBUF] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = g->dump_seq = ++g->seq;
	if (what == GNL_DUMP_LINKS) {
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

		nlh->nlmsg_type = RTM_GETLINK;
		ifi->ifi_family = AF_UNSPEC;
		/* Statistics are large and of no use here. */
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	} else {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		nlh->nlmsg_type = RTM_GETADDR;
		ifa->ifa_family = AF_UNSPEC; /* IPv4 and IPv6 in one dump */
	}
	if (mnl_socket_sendto(g->ev, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	g->dump = what;
	return 0;
}

/* Begin a (re-)dump: links first, then addresses, then the sweep. */
static int sync_begin(struct gnl *g)
{
	int r;

	gnl_cache_sync_begin(&g->cache);
	g->resync_pending = false;
	r = send_dump(g, GNL_DUMP_LINKS);
	if (r == -ENOBUFS || r == -EAGAIN || r == -EBUSY) {
		/* Try again after the next read. */
		g->resync_pending = true;
		return 0;
	}
	return r;
}

int gnl_start(struct gnl *g)
{
	static const unsigned int groups[] = {
		RTNLGRP_LINK,
		RTNLGRP_IPV4_IFADDR,
		RTNLGRP_IPV6_IFADDR,
	};
	int fd = mnl_socket_get_fd(g->ev);

	/* Subscribe before dumping, so nothing falls between the two. */
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int grp = groups[i];

		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
			return -errno;
	}
	return sync_begin(g);
}

int gnl_get_fds(const struct gnl *g, int ret_fds[2])
{
	ret_fds[0] = mnl_socket_get_fd(g->ev);
	ret_fds[1] = mnl_socket_get_fd(g->q);
	return 2;
}

static int push_simple(struct gnl *g, enum gnl_event_type t)
{
	struct gnl_event ev = { .type = t };

	return gnl_evq_push(&g->events, &ev);
}

/*
 * Events were lost (ENOBUFS): report it once and ask for a re-dump. The
 * dump itself is sent by resync_maybe_start() at the end of the batch, once
 * the stale queue is read: a dump started into a full socket fails again
 * with ENOBUFS, and only one dump may run per socket.
 */
static int overflow(struct gnl *g)
{
	memo_clear(g); /* link and address events were lost: any of them may have moved routes */
	if (g->resync_pending)
		return 0;
	g->resync_pending = true;
	g->counters.resyncs++;
	return push_simple(g, GNL_EV_RESYNC);
}

static int resync_maybe_start(struct gnl *g)
{
	if (g->dump != GNL_DUMP_NONE || !g->resync_pending)
		return 0;
	return sync_begin(g);
}

/* The running dump answered NLMSG_DONE (err 0) or failed (err < 0). */
static int dump_done(struct gnl *g, int err)
{
	int r;

	if (err < 0) {
		if (++g->dump_failures > GNL_DUMP_RETRIES)
			return err;
		g->dump = GNL_DUMP_NONE;
		g->resync_pending = true; /* started again at the end of the batch */
		return 0;
	}
	if (g->dump == GNL_DUMP_LINKS && !g->resync_pending)
		return send_dump(g, GNL_DUMP_ADDRS);
	g->dump = GNL_DUMP_NONE;
	if (g->resync_pending)
		return 0; /* incomplete: no sweep; a new dump follows */
	g->dump_failures = 0;
	r = gnl_cache_sync_end(&g->cache, &g->events);
	if (r < 0)
		return r;
	return push_simple(g, GNL_EV_SYNCED);
}

static int nlmsg_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	return e->error < 0 ? e->error : -EPROTO;
}

static int done_error(const struct nlmsghdr *nlh)
{
	int err;

	/* NLMSG_DONE may carry the dump's error as an int. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	return err < 0 ? err : 0;
}

static int handle_event_msg(struct gnl *g, const struct nlmsghdr *nlh)
{
	/* Notifications carry the portid of whoever caused them, never ours. */
	bool ours = g->dump != GNL_DUMP_NONE && nlh->nlmsg_pid == g->ev_portid &&
		    nlh->nlmsg_seq == g->dump_seq;
	int r;

	/*
	 * The kernel saw the tables change under the dump (the flag may be on
	 * any part, NLMSG_DONE included): do it again.
	 */
	if (ours && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
		g->resync_pending = true;
	if (ours && nlh->nlmsg_type == NLMSG_DONE)
		return dump_done(g, done_error(nlh));
	if (ours && nlh->nlmsg_type == NLMSG_ERROR) {
		r = nlmsg_error(nlh);
		/*
		 * ENOBUFS: the dump could not queue its next part into a full
		 * socket; it goes on with our next reads, but what it missed
		 * needs another pass.
		 */
		if (r == -ENOBUFS)
			return overflow(g);
		return r == 0 ? 0 : dump_done(g, r);
	}
	/* IPv4 drops routes with a link that goes down or an address that goes, without a word */
	if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK ||
	    nlh->nlmsg_type == RTM_DELADDR)
		memo_clear(g);
	r = gnl_cache_apply(&g->cache, nlh, &g->events);
	if (r == -EBADMSG) {
		g->counters.malformed++;
		return 0;
	}
	return r;
}

/* The request for @q's current part: the FDB or neighbour dump, or the ports' VLAN tables. */
static int query_request(struct gnl *g, const struct gnl_query *q)
{
	uint8_t buf[GNL_TXBUF] __attribute__((aligned(4)));
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = g->q_seq = ++g->seq;
	if (q->vlan_phase) {
		/*
		 * Strict checking wants a zero header apart from the family and
		 * no attribute but IFLA_EXT_MASK; every bridge port of the host
		 * answers, filtered by master in handle_query_msg(). The
		 * uncompressed filter: one entry per VLAN, no ranges to trust.
		 */
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

		nlh->nlmsg_type = RTM_GETLINK;
		ifi->ifi_family = AF_BRIDGE;
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN);
	} else if (part_is_route(q)) {
		/*
		 * Strict checking (Linux >= 4.20) takes rtm_table and RTA_OIF
		 * as filters and wants the rest of the header zero; older
		 * kernels dump every route, filtered in handle_query_msg().
		 */
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		nlh->nlmsg_type = RTM_GETROUTE;
		rtm->rtm_family = part_family(q);
		rtm->rtm_table = RT_TABLE_MAIN;
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)q->ifindex);
	} else {
		struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

		nlh->nlmsg_type = RTM_GETNEIGH;
		if (q->kind == GNL_QUERY_NEIGH || q->kind == GNL_QUERY_REFRESH) {
			ndm->ndm_family = part_family(q);
			mnl_attr_put_u32(nlh, NDA_IFINDEX, (uint32_t)q->ifindex);
		} else {
			ndm->ndm_family = AF_BRIDGE;
			mnl_attr_put_u32(nlh, NDA_MASTER, (uint32_t)q->ifindex);
		}
	}
	if (mnl_socket_sendto(g->q, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

static int query_send(struct gnl *g)
{
	struct gnl_query *q;
	int r;

	if (g->q_cur || !g->q_head)
		return 0;
	q = g->q_head;
	g->q_head = q->next;
	if (!g->q_head)
		g->q_tail = NULL;
	q->next = NULL;

	g->q_cur = q;
	g->q_err = 0;
	r = query_request(g, q);
	if (r < 0) {
		struct gnl_event ev = { .type = GNL_EV_QUERY_DONE, .query = q->id, .error = r };

		g->q_cur = NULL;
		free(q);
		return gnl_evq_push(&g->events, &ev);
	}
	return 0;
}

static int query_finish(struct gnl *g, int err)
{
	struct gnl_event ev = { .type = GNL_EV_QUERY_DONE, .query = g->q_cur->id, .error = err };
	int r;

	if (ev.error == 0)
		ev.error = g->q_err;

	free(g->q_cur);
	g->q_cur = NULL;
	r = gnl_evq_push(&g->events, &ev);
	if (r < 0)
		return r;
	/* Several queries may fail to send in a row; each is reported. */
	while (!g->q_cur && g->q_head) {
		r = query_send(g);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One port's VLAN table (GNL_QUERY_FDB_VLANS): its runs as events, if the port is the bridge's. */
static int query_port_vlans(struct gnl *g, const struct nlmsghdr *nlh)
{
	struct gnl_port_vlans v;
	struct gnl_event ev = { .type = GNL_EV_PORT_VLAN, .query = g->q_cur->id };
	uint16_t pos = 1;
	int r;

	r = gnl_parse_port_vlans(nlh, &v);
	if (r == -EBADMSG)
		g->counters.malformed++;
	if (r < 0)
		return 0;
	if (v.master != g->q_cur->ifindex && v.ifindex != g->q_cur->ifindex)
		return 0;
	while (gnl_port_vlans_next(&v, &pos, &ev.port_vlan)) {
		r = gnl_evq_push(&g->events, &ev);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One route (GNL_QUERY_REFRESH): its next hops through the interface, if it is a main-table one. */
static int query_route(struct gnl *g, const struct nlmsghdr *nlh)
{
	struct gnl_event ev = { .type = GNL_EV_ROUTE_HOP, .query = g->q_cur->id };
	struct gnl_route rt;
	int r;

	r = gnl_parse_route(nlh, &rt);
	if (r == -EBADMSG)
		g->counters.malformed++;
	if (r < 0)
		return 0;
	/* A kernel without IPv6 answers the IPv6 dump with every family's routes. */
	if (rt.family != part_family(g->q_cur))
		return 0;
	/* The kernel may ignore the filters; cached clones are not routes. */
	if (rt.table != RT_TABLE_MAIN || rt.type != RTN_UNICAST || (rt.flags & RTM_F_CLONED))
		return 0;
	for (size_t i = 0; i < rt.n_nexthops; i++) {
		const struct gnl_nexthop *h = &rt.nexthops[i];

		if (h->ifindex != g->q_cur->ifindex || hop_names_nobody(&rt, h))
			continue;
		ev.hop = (struct gnl_route_hop){
			.family = rt.family,
			.ifindex = h->ifindex,
			.dst_len = rt.dst_len,
			.has_gateway = h->has_gateway,
		};
		if (rt.family == AF_INET6) {
			ev.hop.dst6 = rt.dst6;
			ev.hop.gateway6 = h->gateway6;
		} else {
			ev.hop.dst = rt.dst;
			ev.hop.gateway = h->gateway;
		}
		r = gnl_evq_push(&g->events, &ev);
		if (r < 0)
			return r;
		if (g->coll_ok) {
			if (g->n_coll == g->cap_coll) {
				size_t cap = g->cap_coll ? 2 * g->cap_coll : 8;
				struct gnl_route_hop *v = realloc(g->coll, cap * sizeof(*v));

				if (!v) {
					g->coll_ok = false; /* not kept: the next query dumps */
					continue;
				}
				g->coll = v;
				g->cap_coll = cap;
			}
			g->coll[g->n_coll++] = ev.hop;
		}
	}
	return 0;
}

/*
 * The route parts of @q from the memo, if the tables cannot have changed
 * since they were read. Return: 1 answered, 0 not (a dump is needed), or a
 * negative errno.
 */
static int memo_answer(struct gnl *g, const struct gnl_query *q)
{
	const struct gnl_route_memo *m = NULL;

	if (routes_changed(g)) {
		memo_clear(g);
		return 0;
	}
	for (size_t i = 0; i < GNL_ROUTE_MEMOS; i++)
		if (g->memo[i].ifindex == q->ifindex)
			m = &g->memo[i];
	if (!m)
		return 0;
	if (m->err < 0 && g->q_err == 0)
		g->q_err = m->err;
	for (size_t i = 0; i < m->n; i++) {
		struct gnl_event ev = { .type = GNL_EV_ROUTE_HOP,
					.query = q->id,
					.hop = m->hops[i] };
		int r = gnl_evq_push(&g->events, &ev);

		if (r < 0)
			return r;
	}
	g->counters.route_reused++;
	return 1;
}

/* The route parts of @ifindex's query ended without a hole: keep them, unless a table moved
 * meanwhile. */
static void memo_keep(struct gnl *g, int ifindex)
{
	struct gnl_route_memo *m = NULL;
	struct gnl_route_hop *hops = NULL;

	if (!g->coll_ok)
		return;
	if (routes_changed(g)) {
		memo_clear(g);
		return;
	}
	if (g->n_coll && !(hops = malloc(g->n_coll * sizeof(*hops))))
		return;
	if (g->n_coll)
		memcpy(hops, g->coll, g->n_coll * sizeof(*hops));
	for (size_t i = 0; i < GNL_ROUTE_MEMOS && !m; i++)
		if (g->memo[i].ifindex == ifindex)
			m = &g->memo[i];
	if (!m) {
		m = &g->memo[g->memo_next];
		g->memo_next = (g->memo_next + 1) % GNL_ROUTE_MEMOS;
	}
	free(m->hops);
	*m = (struct gnl_route_memo){
		.ifindex = ifindex, .hops = hops, .n = g->n_coll, .err = g->coll_err
	};
}

/* The current part of the query in flight ended with @err. */
static int query_part_done(struct gnl *g, int err)
{
	struct gnl_query *q = g->q_cur;

	if (q->vlan_phase)
		return query_finish(g, 0); /* best effort: the FDB answer stands */
	if (q->kind == GNL_QUERY_REFRESH) {
		/* What a part brought is usable even if it failed: go on with the next. */
		if (err < 0 && g->q_err == 0)
			g->q_err = err;
		if (part_is_route(q) && err < 0 && g->coll_err == 0)
			g->coll_err = err;
		if (q->part == GNL_PART_LAST) {
			memo_keep(g, q->ifindex);
			return query_finish(g, 0); /* with the first error of any part */
		}
		q->part++;
		if (q->part == GNL_PART_ROUTE4) {
			/* the neighbours are done: the routes may be known already */
			int r = memo_answer(g, q);

			if (r != 0)
				return r < 0 ? r : query_finish(g, 0);
			g->n_coll = 0;
			g->coll_err = 0;
			g->coll_ok = g->rt != NULL;
			g->counters.route_dumps++;
		}
		err = query_request(g, q);
		if (err < 0) {
			g->coll_ok = false;
			return query_finish(g, err);
		}
		return 0;
	}
	if (q->kind != GNL_QUERY_FDB_VLANS || err < 0 || g->q_err < 0)
		return query_finish(g, err);
	q->vlan_phase = true;
	if (query_request(g, q) < 0)
		return query_finish(g, 0);
	return 0;
}

/* Part of the answer in flight was lost (ENOBUFS, a truncated read). */
static void query_hole(struct gnl *g, int err)
{
	/* The VLAN part is best effort; a hole in the FDB fails the query. */
	if (g->q_cur && !g->q_cur->vlan_phase)
		g->q_err = err;
	/* a route answer with a hole is not kept */
	if (g->q_cur && part_is_route(g->q_cur))
		g->coll_ok = false;
}

static int handle_query_msg(struct gnl *g, const struct nlmsghdr *nlh)
{
	struct gnl_event ev = { 0 };
	int r;

	if (!g->q_cur || nlh->nlmsg_seq != g->q_seq || nlh->nlmsg_pid != g->q_portid)
		return 0; /* an answer to a query already finished */
	if (nlh->nlmsg_type == NLMSG_DONE)
		return query_part_done(g, done_error(nlh));
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		r = nlmsg_error(nlh);
		/* As for the event socket: the dump goes on, but is incomplete. */
		if (r == -ENOBUFS) {
			query_hole(g, r);
			return 0;
		}
		return r == 0 ? 0 : query_part_done(g, r);
	}
	if (g->q_cur->vlan_phase)
		return query_port_vlans(g, nlh);
	if (part_is_route(g->q_cur))
		return query_route(g, nlh);
	ev.query = g->q_cur->id;
	if (g->q_cur->kind == GNL_QUERY_FDB || g->q_cur->kind == GNL_QUERY_FDB_VLANS) {
		r = gnl_parse_fdb(nlh, &ev.fdb);
		/* The kernel may ignore the filter: keep this bridge's entries. */
		if (r == 0 && ev.fdb.master != g->q_cur->ifindex &&
		    !(ev.fdb.master == 0 && ev.fdb.ifindex == g->q_cur->ifindex))
			return 0;
		ev.type = GNL_EV_FDB;
	} else {
		r = gnl_parse_neigh(nlh, &ev.neigh);
		if (r == 0 && (ev.neigh.ifindex != g->q_cur->ifindex ||
			       ev.neigh.family != part_family(g->q_cur)))
			return 0;
		ev.type = GNL_EV_NEIGH;
	}
	if (r == -EBADMSG) {
		g->counters.malformed++;
		return 0;
	}
	if (r < 0)
		return 0;
	return gnl_evq_push(&g->events, &ev);
}

static int enqueue_query(struct gnl *g, enum gnl_query_kind kind, int ifindex, uint32_t *ret_id)
{
	struct gnl_query *q;

	if (ifindex <= 0)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->id = g->next_query_id++;
	if (g->next_query_id == 0)
		g->next_query_id = 1;
	q->kind = kind;
	q->ifindex = ifindex;
	if (g->q_tail)
		g->q_tail->next = q;
	else
		g->q_head = q;
	g->q_tail = q;
	if (ret_id)
		*ret_id = q->id;
	return query_send(g);
}

int gnl_query_fdb(struct gnl *g, int bridge, uint32_t *ret_id)
{
	return enqueue_query(g, GNL_QUERY_FDB, bridge, ret_id);
}

int gnl_query_fdb_vlans(struct gnl *g, int bridge, uint32_t *ret_id)
{
	return enqueue_query(g, GNL_QUERY_FDB_VLANS, bridge, ret_id);
}

int gnl_query_neigh(struct gnl *g, int ifindex, uint32_t *ret_id)
{
	return enqueue_query(g, GNL_QUERY_NEIGH, ifindex, ret_id);
}

int gnl_query_refresh(struct gnl *g, int ifindex, uint32_t *ret_id)
{
	return enqueue_query(g, GNL_QUERY_REFRESH, ifindex, ret_id);
}

/* A receive failed with errno @err. Return: 1 go on reading, 0 drained, or a negative errno. */
static int recv_error(struct gnl *g, bool is_ev, int err)
{
	int r;

	if (err == EAGAIN || err == EWOULDBLOCK) {
		r = is_ev ? resync_maybe_start(g) : 0;
		return r < 0 ? r : 0;
	}
	if (err == EINTR)
		return 1;
	if (err == ENOBUFS) {
		if (!is_ev) {
			/* Only our dumps use this socket: the answer has a hole. */
			query_hole(g, -ENOBUFS);
			return 1;
		}
		r = overflow(g);
		return r < 0 ? r : 1;
	}
	return -err;
}

/* One datagram of @n bytes at @buf, from @sa. Return: 0, or a negative errno (fatal). */
static int datagram(struct gnl *g, bool is_ev, const uint8_t *buf, size_t n,
		    const struct sockaddr_nl *sa, socklen_t salen, int flags)
{
	const struct nlmsghdr *nlh;
	int len, r;

	/* Only the kernel speaks on these sockets. */
	if (salen != sizeof(*sa) || sa->nl_pid != 0)
		return 0;
	if (flags & MSG_TRUNC) {
		/* Part of the stream is lost: count it, and resync if it was events. */
		g->counters.malformed++;
		if (!is_ev) {
			query_hole(g, -EMSGSIZE);
			return 0;
		}
		r = overflow(g);
		return r < 0 ? r : 0;
	}
	len = (int)n;
	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		r = is_ev ? handle_event_msg(g, nlh) : handle_query_msg(g, nlh);
		if (r < 0)
			return r;
	}
	if (len > 0)
		g->counters.malformed++; /* a trailing partial message */
	return 0;
}

/*
 * Events while no dump runs: up to @max (at most GNL_MSLOTS) datagrams in
 * one system call, *@ret_read of them read. Return: 0 drained, 1 more may
 * be waiting, or a negative errno (fatal).
 */
static int read_events(struct gnl *g, int fd, int max, int *ret_read)
{
	struct sockaddr_nl sa[GNL_MSLOTS];
	struct iovec iov[GNL_MSLOTS];
	struct mmsghdr mh[GNL_MSLOTS];
	int k, r;

	if (max > GNL_MSLOTS)
		max = GNL_MSLOTS;
	for (int j = 0; j < max; j++) {
		iov[j] = (struct iovec){ .iov_base = g->mbuf + (size_t)j * GNL_RXBUF,
					 .iov_len = GNL_RXBUF };
		mh[j] = (struct mmsghdr){ .msg_hdr = { .msg_name = &sa[j],
						       .msg_namelen = sizeof(sa[j]),
						       .msg_iov = &iov[j],
						       .msg_iovlen = 1 } };
	}
	*ret_read = 0;
	k = recvmmsg(fd, mh, (unsigned int)max, MSG_DONTWAIT, NULL);
	if (k < 0)
		return recv_error(g, true, errno);
	for (int j = 0; j < k; j++) {
		r = datagram(g, true, iov[j].iov_base, mh[j].msg_len, &sa[j],
			     mh[j].msg_hdr.msg_namelen, mh[j].msg_hdr.msg_flags);
		if (r < 0)
			return r;
	}
	*ret_read = k;
	/*
	 * Fewer than asked: drained (the kernel stopped at an empty queue),
	 * or an error after the first datagram, which the kernel keeps for
	 * the next call and which wakes the loop meanwhile (EPOLLERR is
	 * reported even while the socket is out of the epoll set). Either
	 * way no second call now: in a trickle of events that call found
	 * nothing in nearly every wakeup. Not after an overflow: the re-dump
	 * starts at the EAGAIN that says the stale queue is read.
	 */
	return k < max && !g->resync_pending ? 0 : 1;
}

int gnl_dispatch(struct gnl *g, int fd)
{
	bool is_ev = fd == mnl_socket_get_fd(g->ev);

	if (!is_ev && fd != mnl_socket_get_fd(g->q))
		return -EBADF;

	for (int i = 0; i < GNL_BATCH;) {
		struct sockaddr_nl sa;
		struct iovec iov = { .iov_base = g->buf, .iov_len = GNL_RXBUF };
		struct msghdr mh = {
			.msg_name = &sa,
			.msg_namelen = sizeof(sa),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t n;
		int r;

		/* a dump's answer, and the query socket: one datagram at a time, as they come */
		if (is_ev && g->dump == GNL_DUMP_NONE && g->mbuf) {
			int got;

			r = read_events(g, fd, GNL_BATCH - i, &got);
			if (r <= 0)
				return r;
			i += got ? got : 1;
			continue;
		}
		i++;
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			r = recv_error(g, is_ev, errno);
			if (r <= 0)
				return r;
			continue;
		}
		r = datagram(g, is_ev, g->buf, (size_t)n, &sa, mh.msg_namelen, mh.msg_flags);
		if (r < 0)
			return r;
	}
	if (is_ev) {
		int r = resync_maybe_start(g);

		if (r < 0)
			return r;
	}
	return 1;
}

int gnl_pop_event(struct gnl *g, struct gnl_event *ret)
{
	return gnl_evq_pop(&g->events, ret);
}

const struct gnl_link *gnl_link_get(const struct gnl *g, int ifindex)
{
	return gnl_cache_link(&g->cache, ifindex);
}

void gnl_foreach_link(const struct gnl *g, void (*fn)(void *userdata, const struct gnl_link *link),
		      void *userdata)
{
	gnl_cache_foreach_link(&g->cache, fn, userdata);
}

void gnl_get_counters(const struct gnl *g, struct gnl_counters *ret)
{
	*ret = g->counters;
}
