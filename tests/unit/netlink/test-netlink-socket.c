/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket side of netlink/ (netlink.c) without sockets: libmnl's socket
 * calls, setsockopt() and recvmsg() are replaced at link time
 * (-Wl,--wrap=...) by a script of what the kernel would answer. Drives the
 * subscribe/dump/sync sequence, ENOBUFS in its several forms, interrupted
 * dumps, malformed messages, the batch bound and the query queue.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "nl-build.h"

/* ---- the fake kernel ---- */

#define FD_EV 100
#define FD_Q 101
#define FD_RT 102 /* the route watch: never polled, read with recv() */
#define MAX_ITEMS 256
#define MAX_SENT 128

struct item {
	int err;    /* errno to fail recvmsg() with, or 0 */
	size_t len; /* bytes in buf */
	uint8_t *buf;
};

struct fake_sock {
	int fd;
};

struct sent {
	int fd;
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint8_t family;
	uint32_t filter; /* NDA_MASTER / NDA_IFINDEX, IFLA_EXT_MASK of RTM_GETLINK; 0 */
	bool ifi_zero;	 /* RTM_GETLINK/GETROUTE: the header is zero but for family/table (strict
			    check) */
	int n_attrs;
};

/* The fake kernel is the test's one piece of shared state, reset per test. */
static struct {
	struct item q[3][MAX_ITEMS];
	size_t head[3], n[3];
	struct sent sent[MAX_SENT];
	size_t n_sent;
	unsigned int groups;
	uint64_t rt_groups; /* of the route watch; RTNLGRP_NEXTHOP is 32 */
	bool rt_filter;	    /* a BPF filter on the route watch, before its groups */
	int mmsg_calls;	    /* recvmmsg() calls that returned datagrams */
	int mmsg_empty;	    /* recvmmsg() calls that found nothing (EAGAIN) */
	int n_open;
} k;

static int fdi(int fd)
{
	assert_true(fd == FD_EV || fd == FD_Q || fd == FD_RT);
	return fd - FD_EV;
}

struct mnl_socket *__wrap_mnl_socket_open2(int bus, int flags);
struct mnl_socket *__wrap_mnl_socket_open2(int bus, int flags)
{
	struct fake_sock *s = malloc(sizeof(*s));

	assert_int_equal(bus, NETLINK_ROUTE);
	assert_true(flags & SOCK_NONBLOCK);
	s->fd = FD_EV + k.n_open++;
	return (struct mnl_socket *)s;
}

int __wrap_mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid);
int __wrap_mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	return 0;
}

int __wrap_mnl_socket_get_fd(const struct mnl_socket *nl);
int __wrap_mnl_socket_get_fd(const struct mnl_socket *nl)
{
	return ((const struct fake_sock *)nl)->fd;
}

unsigned int __wrap_mnl_socket_get_portid(const struct mnl_socket *nl);
unsigned int __wrap_mnl_socket_get_portid(const struct mnl_socket *nl)
{
	return 1000u + (unsigned int)((const struct fake_sock *)nl)->fd;
}

int __wrap_mnl_socket_close(struct mnl_socket *nl);
int __wrap_mnl_socket_close(struct mnl_socket *nl)
{
	free(nl);
	return 0;
}

int __wrap_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int __wrap_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (fd == FD_RT) {
		if (level == SOL_SOCKET && name == SO_ATTACH_FILTER)
			k.rt_filter = true;
		if (level == SOL_NETLINK && name == NETLINK_ADD_MEMBERSHIP) {
			assert_true(k.rt_filter); /* nothing unfiltered is ever queued */
			assert_in_range(*(const unsigned int *)val, 1, 63);
			k.rt_groups |= 1ull << *(const unsigned int *)val;
		}
		return 0;
	}
	if (level == SOL_NETLINK && name == NETLINK_ADD_MEMBERSHIP) {
		assert_int_equal(fd, FD_EV);
		/* Subscriptions come before any dump request. */
		assert_int_equal(k.n_sent, 0);
		assert_in_range(*(const unsigned int *)val, 1, 31);
		k.groups |= 1u << *(const unsigned int *)val;
	}
	return 0;
}

static int link_filter_cb(const struct nlattr *a, void *data)
{
	struct sent *s = data;

	s->n_attrs++;
	if (mnl_attr_get_type(a) == IFLA_EXT_MASK && mnl_attr_get_payload_len(a) == 4)
		s->filter = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int filter_cb(const struct nlattr *a, void *data)
{
	uint16_t t = mnl_attr_get_type(a);

	if ((t == NDA_MASTER || t == NDA_IFINDEX) && mnl_attr_get_payload_len(a) == 4)
		*(uint32_t *)data = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int route_filter_cb(const struct nlattr *a, void *data)
{
	struct sent *s = data;

	s->n_attrs++;
	if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_get_payload_len(a) == 4)
		s->filter = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len);
ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	struct sent *s = &k.sent[k.n_sent++];

	assert_true(k.n_sent <= MAX_SENT);
	assert_int_equal(nlh->nlmsg_len, len);
	s->fd = ((const struct fake_sock *)nl)->fd;
	s->type = nlh->nlmsg_type;
	s->flags = nlh->nlmsg_flags;
	s->seq = nlh->nlmsg_seq;
	s->family = *(const uint8_t *)mnl_nlmsg_get_payload(nlh);
	s->filter = 0;
	s->n_attrs = 0;
	if (nlh->nlmsg_type == RTM_GETNEIGH)
		mnl_attr_parse(nlh, sizeof(struct ndmsg), filter_cb, &s->filter);
	if (nlh->nlmsg_type == RTM_GETROUTE) {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		/* Strict checking: only the family and the table in the header. */
		s->ifi_zero = !rtm->rtm_dst_len && !rtm->rtm_src_len && !rtm->rtm_tos &&
			      !rtm->rtm_scope && !rtm->rtm_type && !rtm->rtm_flags &&
			      rtm->rtm_table == RT_TABLE_MAIN;
		mnl_attr_parse(nlh, sizeof(*rtm), route_filter_cb, s);
	}
	if (nlh->nlmsg_type == RTM_GETLINK) {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		s->ifi_zero = !ifi->__ifi_pad && !ifi->ifi_type && !ifi->ifi_index &&
			      !ifi->ifi_flags && !ifi->ifi_change;
		mnl_attr_parse(nlh, sizeof(*ifi), link_filter_cb, s);
	}
	return (ssize_t)len;
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *mh, int flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *mh, int flags)
{
	int i = fdi(fd);
	struct item *it;
	struct sockaddr_nl *sa = mh->msg_name;

	assert_true(flags & MSG_DONTWAIT);
	if (k.head[i] == k.n[i]) {
		errno = EAGAIN;
		return -1;
	}
	it = &k.q[i][k.head[i]++];
	if (it->err) {
		errno = it->err;
		return -1;
	}
	assert_true(it->len <= mh->msg_iov[0].iov_len);
	memcpy(mh->msg_iov[0].iov_base, it->buf, it->len);
	memset(sa, 0, sizeof(*sa));
	sa->nl_family = AF_NETLINK;
	mh->msg_namelen = sizeof(*sa);
	mh->msg_flags = 0;
	free(it->buf);
	it->buf = NULL;
	return (ssize_t)it->len;
}

/* As the kernel: datagrams until one is missing; an error after the first is the next call's. */
int __wrap_recvmmsg(int fd, struct mmsghdr *mh, unsigned int vlen, int flags,
		    struct timespec *timeout);
int __wrap_recvmmsg(int fd, struct mmsghdr *mh, unsigned int vlen, int flags,
		    struct timespec *timeout)
{
	int i = fdi(fd);
	unsigned int j;

	assert_null(timeout);
	for (j = 0; j < vlen; j++) {
		bool was_err = k.head[i] < k.n[i] && k.q[i][k.head[i]].err;
		ssize_t n = __wrap_recvmsg(fd, &mh[j].msg_hdr, flags);

		if (n < 0) {
			if (j == 0) {
				if (errno == EAGAIN)
					k.mmsg_empty++;
				return -1;
			}
			if (was_err)
				k.head[i]--; /* reported by the next call */
			break;
		}
		mh[j].msg_len = (unsigned int)n;
	}
	k.mmsg_calls++;
	return (int)j;
}

/* The route watch: a datagram queued means "the main table changed". */
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	int i = fdi(fd);
	struct item *it;

	assert_int_equal(fd, FD_RT);
	assert_true(flags & MSG_DONTWAIT);
	if (k.head[i] == k.n[i]) {
		errno = EAGAIN;
		return -1;
	}
	it = &k.q[i][k.head[i]++];
	if (it->err) {
		errno = it->err;
		return -1;
	}
	memcpy(buf, it->buf, it->len < len ? it->len : len);
	free(it->buf);
	it->buf = NULL;
	return (ssize_t)it->len;
}

static void reset(void)
{
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < k.n[i]; j++)
			free(k.q[i][j].buf);
	memset(&k, 0, sizeof(k));
}

static void queue_err(int fd, int err)
{
	int i = fdi(fd);

	assert_true(k.n[i] < MAX_ITEMS);
	k.q[i][k.n[i]++] = (struct item){ .err = err };
}

/* One datagram holding @nlh with its seq/pid set. */
static void queue_msg(int fd, struct nlmsghdr *nlh, uint32_t seq, uint32_t pid, uint16_t flags)
{
	int i = fdi(fd);
	struct item *it;

	assert_true(k.n[i] < MAX_ITEMS);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	nlh->nlmsg_flags |= flags;
	it = &k.q[i][k.n[i]++];
	it->len = nlh->nlmsg_len;
	it->buf = malloc(it->len);
	memcpy(it->buf, nlh, it->len);
}

static void queue_done(int fd, uint32_t seq, int err)
{
	struct nlb b;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b.buf);
	int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	nlh->nlmsg_type = NLMSG_DONE;
	*e = err;
	queue_msg(fd, nlh, seq, 1000u + (unsigned)fd, NLM_F_MULTI);
}

static void queue_error(int fd, uint32_t seq, int err)
{
	struct nlb b;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b.buf);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	nlh->nlmsg_type = NLMSG_ERROR;
	e->error = err;
	queue_msg(fd, nlh, seq, 1000u + (unsigned)fd, 0);
}

static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void queue_link(uint32_t seq, int ifindex, bool dump)
{
	struct nlb b;
	struct nlb_link l = NLB_LINK_INIT;

	l.ifindex = ifindex;
	l.name = "eth";
	l.mac = mac1;
	queue_msg(FD_EV, nlb_link(&b, &l), seq, dump ? 1000u + FD_EV : 0, dump ? NLM_F_MULTI : 0);
}

static void queue_addr(uint16_t type, uint32_t seq, int ifindex, const char *ip, bool dump,
		       uint16_t flags)
{
	struct nlb b;
	struct nlb_addr a = { .type = type,
			      .family = AF_INET,
			      .ifindex = ifindex,
			      .addr = ip,
			      .prefixlen = 24,
			      .put_flags = true };

	queue_msg(FD_EV, nlb_addr(&b, &a), seq, dump ? 1000u + FD_EV : 4242,
		  (uint16_t)((dump ? NLM_F_MULTI : 0) | flags));
}

static struct sent *last_sent(void)
{
	assert_true(k.n_sent > 0);
	return &k.sent[k.n_sent - 1];
}

/* Dispatch the event socket until drained; returns how many calls it took. */
static int drain(struct gnl *g, int fd)
{
	int calls = 0, r;

	do {
		r = gnl_dispatch(g, fd);
		assert_true(r >= 0);
		calls++;
	} while (r == 1);
	return calls;
}

/* Events popped, as a string of letters, e.g. "LLaS". */
static void pop_all(struct gnl *g, char *out, size_t size)
{
	static const char letters[] = {
		[GNL_EV_LINK_NEW] = 'L',  [GNL_EV_LINK_CHANGED] = 'C', [GNL_EV_LINK_DEL] = 'D',
		[GNL_EV_ADDR_NEW] = 'a',  [GNL_EV_ADDR_CHANGED] = 'c', [GNL_EV_ADDR_DEL] = 'd',
		[GNL_EV_FDB] = 'F',	  [GNL_EV_NEIGH] = 'N',	       [GNL_EV_QUERY_DONE] = 'Q',
		[GNL_EV_SYNCED] = 'S',	  [GNL_EV_RESYNC] = 'R',       [GNL_EV_PORT_VLAN] = 'V',
		[GNL_EV_ROUTE_HOP] = 'H',
	};
	struct gnl_event ev;
	size_t n = 0;

	while (gnl_pop_event(g, &ev) == 0) {
		assert_true(n + 1 < size);
		out[n++] = letters[ev.type];
	}
	out[n] = '\0';
}

static struct gnl *started(void)
{
	struct gnl *g;
	struct gnl_options o = { .rcvbuf = 4096 };

	reset();
	assert_int_equal(gnl_new(&g, &o), 0);
	assert_int_equal(gnl_start(g), 0);
	return g;
}

static void test_start_sequence(void **state)
{
	struct gnl *g = started();
	struct gnl_counters c;
	uint32_t seq;
	char ev[64];
	int fds[2];

	assert_int_equal(gnl_get_fds(g, fds), 2);
	assert_int_equal(fds[0], FD_EV);
	assert_int_equal(fds[1], FD_Q);
	assert_int_equal(k.groups, (1u << RTNLGRP_LINK) | (1u << RTNLGRP_IPV4_IFADDR) |
				       (1u << RTNLGRP_IPV6_IFADDR));
	assert_int_equal(k.n_sent, 1);
	assert_int_equal(last_sent()->type, RTM_GETLINK);
	assert_true(last_sent()->flags & NLM_F_DUMP);
	seq = last_sent()->seq;

	queue_link(seq, 1, true);
	queue_link(seq, 2, true);
	/* An event in the middle of the dump is applied as it comes. */
	queue_addr(RTM_NEWADDR, 0, 2, "192.0.2.9", false, 0);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	assert_int_equal(k.n_sent, 2);
	assert_int_equal(last_sent()->type, RTM_GETADDR);
	assert_int_equal(last_sent()->family, AF_UNSPEC);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "LLa"); /* no SYNCED before the addresses */

	seq = last_sent()->seq;
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.9", true, 0); /* already known */
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.10", true, 0);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "aS");
	assert_non_null(gnl_link_get(g, 2));
	assert_null(gnl_link_get(g, 3));
	gnl_get_counters(g, &c);
	assert_int_equal(c.resyncs, 0);
	assert_int_equal(c.malformed, 0);
	gnl_free(g);
	reset();
}

/* Bring @g to SYNCED with links 1, 2 and addresses .1 .2 .3 on link 2. */
static void sync_initial(struct gnl *g)
{
	uint32_t seq = last_sent()->seq;
	char ev[64];

	queue_link(seq, 1, true);
	queue_link(seq, 2, true);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	seq = last_sent()->seq;
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.1", true, 0);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.2", true, 0);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.3", true, 0);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "LLaaaS");
}

static void test_enobufs_redump_reconcile(void **state)
{
	struct gnl *g = started();
	struct gnl_counters c;
	size_t before;
	uint32_t seq;
	char ev[64];

	sync_initial(g);
	before = k.n_sent;

	/* Overflow: two ENOBUFS in a row are one episode; stale events still apply. */
	queue_err(FD_EV, ENOBUFS);
	queue_addr(RTM_NEWADDR, 0, 2, "192.0.2.4", false, 0);
	queue_err(FD_EV, ENOBUFS);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "Ra");
	/* The re-dump starts once the stale queue is read. */
	assert_int_equal(k.n_sent, before + 1);
	assert_int_equal(last_sent()->type, RTM_GETLINK);

	/* The kernel now has: link 2 only; .2 .4 .5 (.1 .3 and link 1 went unseen). */
	seq = last_sent()->seq;
	queue_link(seq, 2, true);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	seq = last_sent()->seq;
	assert_int_equal(last_sent()->type, RTM_GETADDR);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.2", true, 0);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.4", true, 0);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.5", true, 0);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	/* .5 new; at the sweep: .1 .3 deleted, then link 1. Nothing twice. */
	assert_string_equal(ev, "addDS");
	assert_null(gnl_link_get(g, 1));
	gnl_get_counters(g, &c);
	assert_int_equal(c.resyncs, 1);
	gnl_free(g);
	reset();
}

static void test_enobufs_during_dump(void **state)
{
	struct gnl *g = started();
	uint32_t seq;
	char ev[64];

	sync_initial(g);
	queue_err(FD_EV, ENOBUFS);
	drain(g, FD_EV);
	seq = last_sent()->seq;
	/* Overflow again in the middle of the re-dump: finish it, then dump again. */
	queue_link(seq, 1, true);
	queue_err(FD_EV, ENOBUFS);
	queue_link(seq, 2, true);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	/* No address dump for an incomplete pass, and no sweep: a new link dump. */
	assert_int_equal(last_sent()->type, RTM_GETLINK);
	assert_int_not_equal(last_sent()->seq, seq);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "RR");

	/* The dump's own ENOBUFS (as an NLMSG_ERROR on its seq) is not fatal either. */
	seq = last_sent()->seq;
	queue_link(seq, 1, true);
	queue_error(FD_EV, seq, -ENOBUFS);
	queue_link(seq, 2, true);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	assert_int_equal(last_sent()->type, RTM_GETLINK);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "R");

	/* A clean pass ends it. */
	seq = last_sent()->seq;
	queue_link(seq, 1, true);
	queue_link(seq, 2, true);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	seq = last_sent()->seq;
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.1", true, 0);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.2", true, 0);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.3", true, 0);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "S");
	gnl_free(g);
	reset();
}

static void test_dump_interrupted(void **state)
{
	struct gnl *g = started();
	uint32_t seq;
	char ev[64];

	sync_initial(g);
	queue_err(FD_EV, ENOBUFS);
	drain(g, FD_EV);
	seq = last_sent()->seq;
	queue_link(seq, 1, true);
	queue_link(seq, 2, true);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	seq = last_sent()->seq;
	/* NLM_F_DUMP_INTR: the list changed under the dump; .3 may have been skipped. */
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.1", true, NLM_F_DUMP_INTR);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.2", true, NLM_F_DUMP_INTR);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "R"); /* .3 not swept on an interrupted dump */
	assert_int_equal(last_sent()->type, RTM_GETLINK);

	/* The flag on NLMSG_DONE alone counts too. */
	seq = last_sent()->seq;
	queue_link(seq, 1, true);
	queue_link(seq, 2, true);
	queue_done(FD_EV, seq, 0);
	drain(g, FD_EV);
	seq = last_sent()->seq;
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.1", true, 0);
	queue_addr(RTM_NEWADDR, seq, 2, "192.0.2.2", true, 0);
	{
		struct nlb b;
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(b.buf);
		int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

		nlh->nlmsg_type = NLMSG_DONE;
		*e = 0;
		queue_msg(FD_EV, nlh, seq, 1000u + FD_EV, NLM_F_MULTI | NLM_F_DUMP_INTR);
	}
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "");
	assert_int_equal(last_sent()->type, RTM_GETLINK);
	gnl_free(g);
	reset();
}

static void test_malformed_counted(void **state)
{
	struct gnl *g = started();
	struct gnl_counters c;
	struct nlb b;
	struct nlb_link l = NLB_LINK_INIT;
	struct nlmsghdr *nlh;
	char ev[64];

	sync_initial(g);
	l.ifindex = 9;
	l.name = "x";
	nlh = nlb_link(&b, &l);
	/* A bad attribute length inside an otherwise whole message. */
	((struct nlattr *)mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg)))->nla_len =
	    3000;
	queue_msg(FD_EV, nlh, 0, 0, 0);
	queue_addr(RTM_NEWADDR, 0, 2, "192.0.2.7", false, 0);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "a"); /* skipped, the next one is read */
	gnl_get_counters(g, &c);
	assert_int_equal(c.malformed, 1);
	assert_null(gnl_link_get(g, 9));
	gnl_free(g);
	reset();
}

static void test_batch_bounded(void **state)
{
	struct gnl *g = started();
	char ip[32];
	char ev[256];
	int calls;

	sync_initial(g);
	for (int i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		queue_addr(RTM_NEWADDR, 0, 2, ip, false, 0);
	}
	k.mmsg_calls = 0;
	k.mmsg_empty = 0;
	assert_int_equal(gnl_dispatch(g, FD_EV), 1); /* more pending */
	/* no dump runs: sixteen events per system call */
	assert_int_equal(k.mmsg_calls, 2);
	calls = 1 + drain(g, FD_EV);
	assert_true(calls >= 3);
	assert_int_equal(k.mmsg_calls, 7); /* 6 x 16 + 4 */
	/* the 4 said the queue was drained: no call to find it empty */
	assert_int_equal(k.mmsg_empty, 0);
	pop_all(g, ev, sizeof(ev));
	assert_int_equal(strlen(ev), 100);
	/* one event: one call */
	queue_addr(RTM_NEWADDR, 0, 2, "198.51.101.1", false, 0);
	assert_int_equal(gnl_dispatch(g, FD_EV), 0);
	assert_int_equal(k.mmsg_calls, 8);
	assert_int_equal(k.mmsg_empty, 0);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "a");
	gnl_free(g);
	reset();
}

static void queue_fdb(uint32_t seq, int port, int master, int vlan)
{
	struct nlb b;
	struct nlb_neigh n = { .family = AF_BRIDGE,
			       .ifindex = port,
			       .mac = mac1,
			       .master = master,
			       .vlan = vlan,
			       .state = NUD_REACHABLE };

	queue_msg(FD_Q, nlb_neigh(&b, &n), seq, 1000u + FD_Q, NLM_F_MULTI);
}

static void test_queries(void **state)
{
	struct gnl *g = started();
	struct gnl_event e;
	uint32_t id1, id2, id3, seq;
	size_t before;

	sync_initial(g);
	before = k.n_sent;
	assert_int_equal(gnl_query_fdb(g, 10, &id1), 0);
	assert_int_equal(gnl_query_neigh(g, 2, &id2), 0);
	assert_int_equal(gnl_query_fdb(g, 11, &id3), 0);
	assert_true(id1 != id2 && id2 != id3);
	/* One at a time on the query socket. */
	assert_int_equal(k.n_sent, before + 1);
	assert_int_equal(last_sent()->fd, FD_Q);
	assert_int_equal(last_sent()->type, RTM_GETNEIGH);
	assert_int_equal(last_sent()->family, AF_BRIDGE);
	assert_int_equal(last_sent()->filter, 10);
	seq = last_sent()->seq;

	queue_fdb(seq, 12, 10, 5);
	queue_fdb(seq, 13, 11, 0);     /* another bridge's: filtered out */
	queue_fdb(seq, 10, 0, 0);      /* on the bridge itself */
	queue_fdb(seq + 7, 12, 10, 0); /* a stale answer */
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_FDB);
	assert_int_equal(e.query, id1);
	assert_int_equal(e.fdb.ifindex, 12);
	assert_int_equal(e.fdb.vlan, 5);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_FDB);
	assert_int_equal(e.fdb.ifindex, 10);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.query, id1);
	assert_int_equal(e.error, 0);
	assert_int_equal(gnl_pop_event(g, &e), -EAGAIN);

	/* The next one went out when the first finished. */
	assert_int_equal(last_sent()->family, AF_INET);
	assert_int_equal(last_sent()->filter, 2);
	seq = last_sent()->seq;
	{
		struct nlb b;
		struct nlb_neigh n = { .family = AF_INET,
				       .ifindex = 2,
				       .mac = mac1,
				       .dst = "192.0.2.77",
				       .state = NUD_STALE };
		struct nlb_neigh o = { .family = AF_INET,
				       .ifindex = 3,
				       .mac = mac1,
				       .dst = "192.0.2.78",
				       .state = NUD_STALE };

		queue_msg(FD_Q, nlb_neigh(&b, &n), seq, 1000u + FD_Q, NLM_F_MULTI);
		queue_msg(FD_Q, nlb_neigh(&b, &o), seq, 1000u + FD_Q, NLM_F_MULTI);
	}
	/* ENOBUFS on the query socket: the answer ends with an error, not the library. */
	queue_err(FD_Q, ENOBUFS);
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_NEIGH);
	assert_int_equal(e.neigh.ifindex, 2);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.query, id2);
	assert_int_equal(e.error, -ENOBUFS);

	/* A kernel error ends the third. */
	seq = last_sent()->seq;
	assert_int_equal(last_sent()->filter, 11);
	queue_error(FD_Q, seq, -ENODEV);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.query, id3);
	assert_int_equal(e.error, -ENODEV);
	assert_int_equal(gnl_pop_event(g, &e), -EAGAIN);

	assert_int_equal(gnl_query_fdb(g, 0, &id1), -EINVAL);
	gnl_free(g);
	reset();
}

static void queue_port(uint32_t seq, int port, int master, const struct nlb_vinfo *vi, size_t n)
{
	static union {
		uint8_t buf[8192];
		struct nlmsghdr align;
	} b;
	struct nlb_port_vlans p = { .ifindex = port, .master = master, .vinfo = vi, .n = n };

	queue_msg(FD_Q, nlb_port_vlans(b.buf, &p), seq, 1000u + FD_Q, NLM_F_MULTI);
}

static void test_query_fdb_vlans(void **state)
{
	static const struct nlb_vinfo bond[] = {
		{ BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 1 },
		{ 0, 100 },
		{ 0, 101 },
	};
	static const struct nlb_vinfo one[] = { { BRIDGE_VLAN_INFO_UNTAGGED, 1 } };
	static const struct nlb_vinfo bad[] = { { 0, 0 } };
	struct gnl *g = started();
	struct gnl_event e;
	struct gnl_counters c;
	uint32_t id, id2, seq, fdb_seq;
	char ev[64];
	size_t before;

	sync_initial(g);
	before = k.n_sent;
	assert_int_equal(gnl_query_fdb_vlans(g, 10, &id), 0);
	assert_int_equal(gnl_query_neigh(g, 2, &id2), 0);
	assert_int_equal(k.n_sent, before + 1);
	assert_int_equal(last_sent()->type, RTM_GETNEIGH);
	assert_int_equal(last_sent()->family, AF_BRIDGE);
	assert_int_equal(last_sent()->filter, 10);
	fdb_seq = seq = last_sent()->seq;
	queue_fdb(seq, 12, 10, 1);
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);

	/* The FDB is complete: the ports' VLAN tables are asked for, strict-check clean. */
	assert_int_equal(k.n_sent, before + 2);
	assert_int_equal(last_sent()->fd, FD_Q);
	assert_int_equal(last_sent()->type, RTM_GETLINK);
	assert_true(last_sent()->flags & NLM_F_DUMP);
	assert_int_equal(last_sent()->family, AF_BRIDGE);
	assert_int_equal(last_sent()->filter, RTEXT_FILTER_BRVLAN);
	assert_true(last_sent()->ifi_zero);
	assert_int_equal(last_sent()->n_attrs, 1);
	seq = last_sent()->seq;
	assert_true(seq != fdb_seq);

	queue_port(seq, 4, 10, bond, 3);
	queue_port(seq, 13, 11, one, 1);    /* another bridge's port: not ours */
	queue_port(seq, 10, 0, one, 1);	    /* the bridge itself */
	queue_port(seq, 14, 10, bad, 1);    /* malformed: counted, skipped */
	queue_port(fdb_seq, 4, 10, one, 1); /* stale seq */
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_FDB);
	assert_int_equal(e.query, id);
	assert_int_equal(e.fdb.vlan, 1);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_PORT_VLAN);
	assert_int_equal(e.query, id);
	assert_int_equal(e.port_vlan.ifindex, 4);
	assert_int_equal(e.port_vlan.master, 10);
	assert_int_equal(e.port_vlan.vid, 1);
	assert_int_equal(e.port_vlan.vid_end, 1);
	assert_int_equal(e.port_vlan.flags, GNL_VLAN_PVID | GNL_VLAN_UNTAGGED);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_PORT_VLAN);
	assert_int_equal(e.port_vlan.ifindex, 4);
	assert_int_equal(e.port_vlan.vid, 100);
	assert_int_equal(e.port_vlan.vid_end, 101);
	assert_int_equal(e.port_vlan.flags, 0);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_PORT_VLAN);
	assert_int_equal(e.port_vlan.ifindex, 10);
	assert_int_equal(e.port_vlan.master, 0);
	assert_int_equal(e.port_vlan.flags, GNL_VLAN_UNTAGGED);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.query, id);
	assert_int_equal(e.error, 0);
	assert_int_equal(gnl_pop_event(g, &e), -EAGAIN);
	gnl_get_counters(g, &c);
	assert_int_equal(c.malformed, 1);

	/* Only then the next query. */
	assert_int_equal(last_sent()->type, RTM_GETNEIGH);
	assert_int_equal(last_sent()->family, AF_INET);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "Q");

	/* The VLAN part fails (a kernel error, a hole): the FDB answer stands. */
	assert_int_equal(gnl_query_fdb_vlans(g, 10, &id), 0);
	queue_fdb(last_sent()->seq, 12, 10, 0);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	assert_int_equal(last_sent()->type, RTM_GETLINK);
	queue_error(FD_Q, last_sent()->seq, -EOPNOTSUPP);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "FQ");
	assert_int_equal(gnl_query_fdb_vlans(g, 10, &id), 0);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	seq = last_sent()->seq;
	queue_port(seq, 4, 10, bond, 1);
	queue_err(FD_Q, ENOBUFS);
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "VQ");

	/* A hole or an error in the FDB part fails the query; no VLAN dump follows. */
	before = k.n_sent;
	assert_int_equal(gnl_query_fdb_vlans(g, 10, &id), 0);
	queue_fdb(last_sent()->seq, 12, 10, 0);
	queue_err(FD_Q, ENOBUFS);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_FDB);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.error, -ENOBUFS);
	assert_int_equal(k.n_sent, before + 1);
	assert_int_equal(gnl_query_fdb_vlans(g, 10, &id), 0);
	queue_error(FD_Q, last_sent()->seq, -ENODEV);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.error, -ENODEV);
	assert_int_equal(k.n_sent, before + 2);
	assert_int_equal(gnl_pop_event(g, &e), -EAGAIN);

	/* The plain FDB query has no VLAN part. */
	assert_int_equal(gnl_query_fdb(g, 10, &id), 0);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "Q");
	assert_int_equal(k.n_sent, before + 3);
	gnl_free(g);
	reset();
}

static void queue_route(uint32_t seq, const struct nlb_route *r)
{
	struct nlb b;

	queue_msg(FD_Q, nlb_route(&b, r), seq, 1000u + FD_Q, NLM_F_MULTI);
}

static void queue_neigh(uint32_t seq, const struct nlb_neigh *n)
{
	struct nlb b;

	queue_msg(FD_Q, nlb_neigh(&b, n), seq, 1000u + FD_Q, NLM_F_MULTI);
}

/* The next request on the query socket: a dump of @type and @family filtered by ifindex 2. */
static uint32_t expect_part(size_t n_sent, uint16_t type, uint8_t family)
{
	assert_int_equal(k.n_sent, n_sent);
	assert_int_equal(last_sent()->fd, FD_Q);
	assert_int_equal(last_sent()->type, type);
	assert_true(last_sent()->flags & NLM_F_DUMP);
	assert_int_equal(last_sent()->family, family);
	assert_int_equal(last_sent()->filter, 2);
	if (type == RTM_GETROUTE) {
		/* strict checking: a zero header but for family and table, RTA_OIF alone */
		assert_true(last_sent()->ifi_zero);
		assert_int_equal(last_sent()->n_attrs, 1);
	}
	return last_sent()->seq;
}

/* Four dumps (neighbours v4, v6, routes v4, v6), each after the one before, all filtered. */
/* A main-table route notification on the route watch. */
static void queue_rt(const struct nlb_route *r, uint16_t flags)
{
	struct nlb b;

	queue_msg(FD_RT, nlb_route(&b, r), 0, 0, flags);
}

static void queue_rt_change(void)
{
	queue_rt(&(struct nlb_route){ .gateway = "192.0.2.99", .oif = 2 }, 0);
}

/*
 * A refresh query of @ifindex whose neighbour parts answer one IPv4
 * neighbour and no IPv6 one; its events so far as letters.
 */
static void refresh_neigh_part(struct gnl *g, int ifindex, char *ev, size_t size)
{
	struct nlb b;
	uint32_t id;

	assert_int_equal(gnl_query_refresh(g, ifindex, &id), 0);
	assert_int_equal(last_sent()->type, RTM_GETNEIGH);
	queue_msg(FD_Q,
		  nlb_neigh(&b, &(struct nlb_neigh){ .family = AF_INET,
						     .ifindex = ifindex,
						     .mac = mac1,
						     .dst = "192.0.2.77",
						     .state = NUD_STALE }),
		  last_sent()->seq, 1000u + FD_Q, NLM_F_MULTI);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	assert_int_equal(last_sent()->type, RTM_GETNEIGH);
	assert_int_equal(last_sent()->family, AF_INET6);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, size);
}

/* The routes of ifindex 2, as the kernel answers the dumps just asked for: IPv4, then IPv6. */
static void answer_routes(struct gnl *g, const char *gateway)
{
	assert_int_equal(last_sent()->type, RTM_GETROUTE);
	assert_int_equal(last_sent()->family, AF_INET);
	queue_route(last_sent()->seq, &(struct nlb_route){ .gateway = gateway, .oif = 2 });
	queue_route(last_sent()->seq,
		    &(struct nlb_route){
			.dst = "192.0.2.0", .dst_len = 24, .oif = 2, .scope = RT_SCOPE_LINK });
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	assert_int_equal(last_sent()->type, RTM_GETROUTE);
	assert_int_equal(last_sent()->family, AF_INET6);
	queue_route(last_sent()->seq,
		    &(struct nlb_route){ .family = AF_INET6, .gateway = "fe80::1", .oif = 2 });
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
}

/*
 * The route part is given again, not dumped, while nothing can have
 * changed the main table: no notification on the route watch, no link
 * message, no address removal, no overflow. Each of those makes the next
 * query dump again, and only a complete route part is kept.
 */
static void test_query_refresh_memo(void **state)
{
	struct gnl *g = started();
	struct gnl_counters c;
	struct gnl_event e;
	size_t before;
	uint32_t id;
	char ev[64];

	(void)state;
	assert_true(k.rt_filter);
	assert_true(k.rt_groups & (1ull << RTNLGRP_IPV4_ROUTE));
	assert_true(k.rt_groups & (1ull << RTNLGRP_IPV6_ROUTE));
	assert_true(k.rt_groups & (1ull << RTNLGRP_NEXTHOP));
	sync_initial(g);

	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "HHHQ");

	/* again: the same hops, no dump */
	before = k.n_sent;
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_int_equal(k.n_sent, before + 2); /* the neighbour dumps only */
	assert_string_equal(ev, "NHHHQ");
	assert_int_equal(gnl_query_refresh(g, 2, &id), 0);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_int_equal(e.query, id);
	assert_int_equal(e.hop.family, AF_INET);
	assert_true(e.hop.has_gateway);
	assert_int_equal(e.hop.gateway.s_addr, htonl(0xc0000201));
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_int_equal(e.hop.dst_len, 24);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_int_equal(e.hop.family, AF_INET6);
	assert_true(e.hop.has_gateway);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.error, 0);
	gnl_get_counters(g, &c);
	assert_int_equal(c.route_dumps, 1);
	assert_int_equal(c.route_reused, 2);

	/* another interface has its own */
	refresh_neigh_part(g, 3, ev, sizeof(ev));
	assert_int_equal(last_sent()->type, RTM_GETROUTE);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "Q");

	/* a main-table notification: dumped again, and the new answer kept */
	queue_rt_change();
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	answer_routes(g, "192.0.2.254");
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "HHHQ");
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "NHHHQ");

	/* a notification that arrives while the route dump runs: the answer is used, not kept */
	queue_rt_change();
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	assert_int_equal(last_sent()->type, RTM_GETROUTE);
	queue_route(last_sent()->seq, &(struct nlb_route){ .gateway = "192.0.2.1", .oif = 2 });
	queue_rt_change();
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	queue_done(FD_Q, last_sent()->seq, 0); /* IPv6: none */
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "HQ");
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));

	/* a route part's error (an IPv6 dump refused) is kept and given again */
	queue_rt_change();
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	queue_error(FD_Q, last_sent()->seq, -EAFNOSUPPORT);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.error, -EAFNOSUPPORT);
	before = k.n_sent;
	assert_int_equal(gnl_query_refresh(g, 2, &id), 0);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	assert_int_equal(k.n_sent, before + 2); /* the neighbour dumps only */
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.error, -EAFNOSUPPORT);
	queue_rt_change();
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));

	/*
	 * What no answer holds changes none: a host route without a gateway
	 * (each IPv6 address brings its /128), added or removed, another
	 * table's, a local one. A host route with a gateway, or one that
	 * replaces another, does.
	 */
	queue_rt(
	    &(struct nlb_route){
		.family = AF_INET6, .dst = "2001:db8::7", .dst_len = 128, .oif = 2 },
	    0);
	queue_rt(
	    &(struct nlb_route){
		.type = RTM_DELROUTE, .dst = "192.0.2.8", .dst_len = 32, .oif = 2 },
	    0);
	queue_rt(&(struct nlb_route){ .dst = "192.0.2.0", .dst_len = 24, .oif = 2, .table = 100 },
		 0);
	queue_rt(
	    &(struct nlb_route){ .dst = "192.0.2.5", .dst_len = 32, .oif = 2, .rtn = RTN_LOCAL },
	    0);
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "NHHHQ");
	/* and a /128 host route is in no answer */
	queue_rt_change();
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	queue_route(last_sent()->seq, &(struct nlb_route){ .gateway = "192.0.2.1", .oif = 2 });
	queue_route(last_sent()->seq,
		    &(struct nlb_route){ .dst = "192.0.2.9", .dst_len = 32, .oif = 2 });
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	queue_route(last_sent()->seq,
		    &(struct nlb_route){
			.family = AF_INET6, .dst = "2001:db8::7", .dst_len = 128, .oif = 2 });
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "HQ");
	queue_rt(&(struct nlb_route){ .family = AF_INET6,
				      .dst = "2001:db8::8",
				      .dst_len = 128,
				      .oif = 2,
				      .gateway = "fe80::9" },
		 0);
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));
	queue_rt(&(struct nlb_route){ .dst = "192.0.2.8", .dst_len = 32, .oif = 2 }, NLM_F_REPLACE);
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));

	/* a link message (IPv4 drops a link's routes silently when it goes down) */
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "NHHHQ");
	queue_link(0, 2, false);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));

	/* an address removed (its routes go too, silently) */
	queue_addr(RTM_DELADDR, 0, 2, "192.0.2.3", false, 0);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "d");
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));
	/* an address added changes the main table only with a notification (its prefix route) */
	queue_addr(RTM_NEWADDR, 0, 2, "192.0.2.3", false, 0);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "NHHHQ");

	/* an overflow of the event socket: link events may be lost */
	queue_err(FD_EV, ENOBUFS);
	drain(g, FD_EV);
	pop_all(g, ev, sizeof(ev));
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));

	/* an overflow of the route watch: changes were lost */
	queue_err(FD_RT, ENOBUFS);
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	answer_routes(g, "192.0.2.1");
	pop_all(g, ev, sizeof(ev));

	/* an incomplete route part (a hole) is not kept */
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "NHHHQ");
	queue_rt_change();
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	queue_route(last_sent()->seq, &(struct nlb_route){ .gateway = "192.0.2.1", .oif = 2 });
	queue_err(FD_Q, ENOBUFS);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "HQ");
	refresh_neigh_part(g, 2, ev, sizeof(ev));
	assert_string_equal(ev, "N");
	assert_int_equal(last_sent()->type, RTM_GETROUTE);
	gnl_free(g);
}

static void test_query_refresh(void **state)
{
	static const struct nlb_hop hops[] = { { 2, "192.0.2.2" }, { 3, "198.51.100.1" } };
	static const struct nlb_hop hops6[] = { { 3, "fe80::3" }, { 2, "fe80::2" } };
	struct gnl *g = started();
	struct gnl_event e;
	struct gnl_counters c;
	struct in6_addr a6;
	uint32_t id, id2, seq, nseq;
	size_t before;
	char ev[64];

	sync_initial(g);
	before = k.n_sent;
	assert_int_equal(gnl_query_refresh(g, 2, &id), 0);
	assert_int_equal(gnl_query_neigh(g, 5, &id2), 0);
	nseq = seq = expect_part(before + 1, RTM_GETNEIGH, AF_INET);
	queue_neigh(seq, &(struct nlb_neigh){ .family = AF_INET,
					      .ifindex = 2,
					      .mac = mac1,
					      .dst = "192.0.2.77",
					      .state = NUD_REACHABLE });
	queue_neigh(seq, &(struct nlb_neigh){ .family = AF_INET,
					      .ifindex = 3,
					      .mac = mac1,
					      .dst = "192.0.2.78",
					      .state = NUD_STALE });
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);

	/* The IPv6 neighbours: only the interface's, only IPv6. */
	seq = expect_part(before + 2, RTM_GETNEIGH, AF_INET6);
	assert_true(seq != nseq);
	queue_neigh(seq, &(struct nlb_neigh){ .family = AF_INET6,
					      .ifindex = 2,
					      .mac = mac1,
					      .dst = "fe80::77",
					      .state = NUD_STALE });
	queue_neigh(seq, &(struct nlb_neigh){ .family = AF_INET6,
					      .ifindex = 3,
					      .mac = mac1,
					      .dst = "fe80::78",
					      .state = NUD_STALE });
	queue_neigh(seq, &(struct nlb_neigh){ .family = AF_INET,
					      .ifindex = 2,
					      .mac = mac1,
					      .dst = "192.0.2.79",
					      .state = NUD_STALE });
	queue_neigh(nseq, &(struct nlb_neigh){ .family = AF_INET6,
					       .ifindex = 2,
					       .mac = mac1,
					       .dst = "fe80::66",
					       .state = NUD_STALE }); /* stale */
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);

	/* Then the main table's routes, filtered by the kernel where it can. */
	seq = expect_part(before + 3, RTM_GETROUTE, AF_INET);
	queue_route(seq, &(struct nlb_route){ .gateway = "192.0.2.1", .oif = 2 });
	queue_route(seq, &(struct nlb_route){
			     .dst = "192.0.2.0", .dst_len = 24, .oif = 2, .scope = RT_SCOPE_LINK });
	/* Another interface's, another table's, a local route: not ours. */
	queue_route(seq, &(struct nlb_route){ .gateway = "198.51.100.1", .oif = 3 });
	queue_route(seq, &(struct nlb_route){ .gateway = "192.0.2.9", .oif = 2, .table = 100 });
	queue_route(seq, &(struct nlb_route){ .dst = "192.0.2.5",
					      .dst_len = 32,
					      .oif = 2,
					      .rtn = RTN_LOCAL,
					      .table = RT_TABLE_LOCAL });
	/* Multipath: only the hop through ifindex 2. */
	queue_route(seq, &(struct nlb_route){
			     .dst = "203.0.113.0", .dst_len = 24, .hops = hops, .n_hops = 2 });
	/* Malformed: counted, skipped. */
	{
		struct nlb b;
		struct nlmsghdr *nlh = nlb_route(&b, &(struct nlb_route){ .oif = 2 });

		((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_dst_len = 40;
		queue_msg(FD_Q, nlh, seq, 1000u + FD_Q, NLM_F_MULTI);
	}
	queue_route(nseq, &(struct nlb_route){ .gateway = "192.0.2.66", .oif = 2 }); /* stale */
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);

	/* The IPv6 routes: link-local gateways; an IPv4 route here is a kernel without IPv6's. */
	seq = expect_part(before + 4, RTM_GETROUTE, AF_INET6);
	queue_route(seq, &(struct nlb_route){ .family = AF_INET6, .gateway = "fe80::1", .oif = 2 });
	queue_route(seq, &(struct nlb_route){
			     .family = AF_INET6, .dst = "2001:db8::", .dst_len = 64, .oif = 2 });
	queue_route(seq, &(struct nlb_route){ .gateway = "192.0.2.1", .oif = 2 });
	queue_route(seq, &(struct nlb_route){ .family = AF_INET6, .gateway = "fe80::9", .oif = 3 });
	queue_route(seq, &(struct nlb_route){ .family = AF_INET6,
					      .dst = "2001:db8:5::",
					      .dst_len = 48,
					      .hops = hops6,
					      .n_hops = 2 });
	{
		struct nlb b;
		struct nlmsghdr *nlh =
		    nlb_route(&b, &(struct nlb_route){ .family = AF_INET6, .oif = 2 });

		((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_dst_len = 129;
		queue_msg(FD_Q, nlh, seq, 1000u + FD_Q, NLM_F_MULTI);
	}
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);

	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_NEIGH);
	assert_int_equal(e.query, id);
	assert_int_equal(e.neigh.family, AF_INET);
	assert_int_equal(e.neigh.ifindex, 2);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_NEIGH);
	assert_int_equal(e.query, id);
	assert_int_equal(e.neigh.family, AF_INET6);
	assert_int_equal(e.neigh.ifindex, 2);
	inet_pton(AF_INET6, "fe80::77", &a6);
	assert_memory_equal(&e.neigh.ip6, &a6, 16);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_int_equal(e.query, id);
	assert_int_equal(e.hop.family, AF_INET);
	assert_int_equal(e.hop.ifindex, 2);
	assert_true(e.hop.has_gateway);
	assert_int_equal(e.hop.gateway.s_addr, htonl(0xc0000201));
	assert_int_equal(e.hop.dst_len, 0);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_false(e.hop.has_gateway);
	assert_int_equal(e.hop.dst.s_addr, htonl(0xc0000200));
	assert_int_equal(e.hop.dst_len, 24);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_int_equal(e.hop.gateway.s_addr, htonl(0xc0000202));
	assert_int_equal(e.hop.dst_len, 24);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_int_equal(e.hop.family, AF_INET6);
	assert_int_equal(e.hop.ifindex, 2);
	assert_true(e.hop.has_gateway);
	inet_pton(AF_INET6, "fe80::1", &a6);
	assert_memory_equal(&e.hop.gateway6, &a6, 16);
	assert_int_equal(e.hop.dst_len, 0);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_int_equal(e.hop.family, AF_INET6);
	assert_false(e.hop.has_gateway);
	inet_pton(AF_INET6, "2001:db8::", &a6);
	assert_memory_equal(&e.hop.dst6, &a6, 16);
	assert_int_equal(e.hop.dst_len, 64);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_ROUTE_HOP);
	assert_int_equal(e.hop.family, AF_INET6);
	inet_pton(AF_INET6, "fe80::2", &a6);
	assert_memory_equal(&e.hop.gateway6, &a6, 16);
	assert_int_equal(e.hop.dst_len, 48);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.query, id);
	assert_int_equal(e.error, 0);
	assert_int_equal(gnl_pop_event(g, &e), -EAGAIN);
	gnl_get_counters(g, &c);
	assert_int_equal(c.malformed, 2);

	/* The next query only then. */
	assert_int_equal(last_sent()->type, RTM_GETNEIGH);
	assert_int_equal(last_sent()->filter, 5);
	queue_done(FD_Q, last_sent()->seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "Q");

	/*
	 * A failed neighbour dump still asks for the routes; the error is
	 * reported at the end. (The table changed since the last answer, so
	 * the routes are dumped: see test_query_refresh_memo.)
	 */
	queue_rt_change();
	/* A failed neighbour dump still asks for the rest; the error is reported at the end. */
	before = k.n_sent;
	assert_int_equal(gnl_query_refresh(g, 2, &id), 0);
	seq = expect_part(before + 1, RTM_GETNEIGH, AF_INET);
	queue_neigh(seq, &(struct nlb_neigh){ .family = AF_INET,
					      .ifindex = 2,
					      .mac = mac1,
					      .dst = "192.0.2.77",
					      .state = NUD_STALE });
	queue_err(FD_Q, ENOBUFS);
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);
	seq = expect_part(before + 2, RTM_GETNEIGH, AF_INET6);
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);
	seq = expect_part(before + 3, RTM_GETROUTE, AF_INET);
	queue_route(seq, &(struct nlb_route){ .gateway = "192.0.2.1", .oif = 2 });
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);
	seq = expect_part(before + 4, RTM_GETROUTE, AF_INET6);
	queue_route(seq, &(struct nlb_route){ .family = AF_INET6, .gateway = "fe80::1", .oif = 2 });
	queue_done(FD_Q, seq, 0);
	drain(g, FD_Q);
	pop_all(g, ev, sizeof(ev));
	assert_string_equal(ev, "NHHQ");

	/* A route dump the kernel refuses (the interface went): done, with its error. */
	queue_rt_change();
	/*
	 * Dumps the kernel refuses (the interface went): each part is still
	 * asked for, and the query ends with the first error.
	 */
	before = k.n_sent;
	assert_int_equal(gnl_query_refresh(g, 2, &id), 0);
	queue_done(FD_Q, expect_part(before + 1, RTM_GETNEIGH, AF_INET), 0);
	drain(g, FD_Q);
	queue_done(FD_Q, expect_part(before + 2, RTM_GETNEIGH, AF_INET6), 0);
	drain(g, FD_Q);
	queue_error(FD_Q, expect_part(before + 3, RTM_GETROUTE, AF_INET), -ENODEV);
	drain(g, FD_Q);
	queue_error(FD_Q, expect_part(before + 4, RTM_GETROUTE, AF_INET6), -ENOENT);
	drain(g, FD_Q);
	assert_int_equal(gnl_pop_event(g, &e), 0);
	assert_int_equal(e.type, GNL_EV_QUERY_DONE);
	assert_int_equal(e.query, id);
	assert_int_equal(e.error, -ENODEV);
	assert_int_equal(gnl_pop_event(g, &e), -EAGAIN);
	assert_int_equal(k.n_sent, before + 4);
	gnl_free(g);
	reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_sequence),
		cmocka_unit_test(test_enobufs_redump_reconcile),
		cmocka_unit_test(test_enobufs_during_dump),
		cmocka_unit_test(test_dump_interrupted),
		cmocka_unit_test(test_malformed_counted),
		cmocka_unit_test(test_batch_bounded),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_query_fdb_vlans),
		cmocka_unit_test(test_query_refresh),
		cmocka_unit_test(test_query_refresh_memo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
