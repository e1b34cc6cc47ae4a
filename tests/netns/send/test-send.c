/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpctl send without sockets or clocks: garpctl-send.c is compiled into
 * this test, its packet socket calls recorded (-Wl,--wrap=...), and the run
 * driven by an explicit `now`, as its loop drives it. What is checked:
 *
 * - the schedule the engine makes of the command line's sequence (what
 *   garpctl_schedule() used to compute): probe k at k * probe_interval,
 *   the announcement announce_delay after the last probe, the next ones
 *   announce_interval apart, the reply form right after the request form,
 *   every address at the same instants;
 * - the receive filter goes on before the first probe and off after the
 *   listening window; --force and --probes 0 never listen;
 * - the first netlink dump: the interface by name, and only the named
 *   IPv4 addresses configured on it (what the hand-written dump reader
 *   used to decide);
 * - a probe answered by another MAC holds that address back (exit 3); an
 *   address removed mid-sequence stops the run before any announcement;
 *   the link going down, then away, is reported as gone.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <net/if_arp.h>

#include "../../../daemon/garpctl/garpctl-send.c"

#define MS(x) ((uint64_t)(x)*CFG_NSEC_PER_MSEC)
#define S(x) ((uint64_t)(x)*CFG_NSEC_PER_SEC)
#define IFINDEX 4
#define T0 S(100)

/* ---- the recorder ----------------------------------------------------- */

enum call_kind {
	CALL_FILTER_ARP,
	CALL_FILTER_DROP,
	CALL_PROBE,
	CALL_REQUEST,
	CALL_REPLY,
	CALL_REFRESH /* addr: the neighbour asked for */
};

struct call {
	enum call_kind kind;
	uint64_t at; /* the test's clock when it was made */
	struct in_addr addr;
	/* IPv6 frames: the NA's or NS's target (REQUEST: an NA, PROBE/REFRESH: an NS) */
	bool v6;
	struct in6_addr addr6;
	bool to_group; /* an NS to a solicited-node group (the neighbour's MAC unknown) */
};

#define CALLS_MAX 4096
static struct call calls[CALLS_MAX];
static size_t n_calls;
static uint64_t clock_now;

static void record(enum call_kind k, struct in_addr a)
{
	assert_true(n_calls < CALLS_MAX);
	calls[n_calls++] = (struct call){ .kind = k, .at = clock_now, .addr = a };
}

int __wrap_pkt_socket_set_filter(int fd, enum pkt_filter filter);
int __wrap_pkt_socket_set_filter(int fd, enum pkt_filter filter)
{
	(void)fd;
	record(filter == PKT_FILTER_ARP ? CALL_FILTER_ARP : CALL_FILTER_DROP,
	       (struct in_addr){ 0 });
	return 0;
}

int __wrap_pkt_send_batch(int fd, const struct pkt_out *out, size_t n);
int __wrap_pkt_send_batch(int fd, const struct pkt_out *out, size_t n)
{
	(void)fd;
	for (size_t i = 0; i < n; i++) {
		struct pkt_arp arp;
		struct pkt_nd nd;

		assert_int_equal(out[i].ifindex, IFINDEX);
		if (pkt_parse_nd(out[i].frame.data, out[i].frame.len, &nd) == 0) {
			assert_true(n_calls < CALLS_MAX);
			calls[n_calls++] =
			    (struct call){ .kind = nd.type == PKT_ICMPV6_NA ? CALL_REQUEST
						   : IN6_IS_ADDR_UNSPECIFIED(&nd.src)
						       ? CALL_PROBE
						       : CALL_REFRESH,
					   .at = clock_now,
					   .v6 = true,
					   .addr6 = nd.target,
					   .to_group = nd.eth_dst[0] == 0x33 };
			continue;
		}
		assert_int_equal(pkt_parse_arp(out[i].frame.data, out[i].frame.len, &arp), 0);
		if (pkt_is_probe(&arp))
			record(CALL_PROBE, arp.tpa);
		else if (arp.op == 1 && arp.spa.s_addr != arp.tpa.s_addr)
			record(CALL_REFRESH, arp.tpa);
		else
			record(arp.op == 1 ? CALL_REQUEST : CALL_REPLY, arp.spa);
	}
	return (int)n;
}

/* ---- a run without sockets --------------------------------------------- */

static const uint8_t our_mac[6] = { 2, 0, 0, 0, 0xa, 1 };
static const uint8_t other_mac[6] = { 2, 0, 0, 0, 0xb, 1 };

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct garp_addr tip(const char *s)
{
	struct in6_addr a6;

	if (strchr(s, ':')) {
		a6 = ip6(s);
		return garp_addr_v6(&a6);
	}
	return garp_addr_v4(ip(s));
}

static struct gnl_link eth(void)
{
	return (struct gnl_link){
		.ifindex = IFINDEX,
		.name = "eth0",
		.mac = { 2, 0, 0, 0, 0xa, 1 },
		.mac_len = 6,
		.type = ARPHRD_ETHER,
		.flags = IFF_UP | IFF_RUNNING | 0x10000 /* IFF_LOWER_UP */,
		.operstate = 6 /* IF_OPER_UP */,
	};
}

static struct gnl_addr gaddr(int ifindex, const char *s)
{
	if (strchr(s, ':'))
		return (struct gnl_addr){
			.family = AF_INET6, .ifindex = ifindex, .addr.v6 = ip6(s), .prefixlen = 64
		};
	return (struct gnl_addr){
		.family = AF_INET, .ifindex = ifindex, .addr.v4 = ip(s), .prefixlen = 24
	};
}

/* A sender for @addrs on eth0, as after the dump; the engine started at T0. */
static void start(struct sender *s, const struct cfg_sequence *seq, bool force,
		  const char *const *addrs, size_t n)
{
	struct gnl_event ev = { .type = GNL_EV_LINK_NEW, .link = eth() };

	*s = (struct sender){
		.seq = *seq, .ifname = "eth0", .force = force, .pkt_fd = 1000, .nd_fd = -1
	};
	send_sequence_oneshot(&s->seq);
	s->listen = !force && s->seq.probes > 0;
	s->t = calloc(n, sizeof(*s->t));
	assert_non_null(s->t);
	s->n = n;
	for (size_t i = 0; i < n; i++)
		s->t[i].addr = tip(addrs[i]);
	send_collect(s, &ev);
	for (size_t i = 0; i < n; i++) {
		ev =
		    (struct gnl_event){ .type = GNL_EV_ADDR_NEW, .addr = gaddr(IFINDEX, addrs[i]) };
		send_collect(s, &ev);
	}
	send_resolve(s);
	n_calls = 0;
	clock_now = T0;
	assert_int_equal(send_start(s, T0), 0);
}

/* One turn of the loop at @now: what is due, then the drain. */
static void turn(struct sender *s, uint64_t now)
{
	clock_now = now;
	engine_run(s->e, now);
	assert_int_equal(send_drain(s, now), 0);
}

/* Turns at every deadline until the run is over (or @limit). */
static void run(struct sender *s, uint64_t limit)
{
	turn(s, T0);
	while (!send_finished(s, clock_now)) {
		uint64_t d = s->failure ? s->settle_until : engine_next_deadline(s->e);

		assert_true(d != ENGINE_NO_DEADLINE);
		if (d > limit)
			return;
		turn(s, d);
	}
}

static void finish(struct sender *s)
{
	engine_free(s->e);
	free(s->t);
}

/* The frames only (no filter calls), for schedule checks. */
static size_t frames(struct call *ret)
{
	size_t n = 0;

	for (size_t i = 0; i < n_calls; i++)
		if (calls[i].kind >= CALL_PROBE)
			ret[n++] = calls[i];
	return n;
}

static void assert_frame(const struct call *c, uint64_t at, enum call_kind k, const char *addr)
{
	assert_int_equal(c->at - T0, at);
	assert_int_equal(c->kind, k);
	if (strchr(addr, ':')) {
		struct in6_addr a = ip6(addr);

		assert_true(c->v6);
		assert_memory_equal(&c->addr6, &a, sizeof(a));
		return;
	}
	assert_false(c->v6);
	assert_int_equal(c->addr.s_addr, ip(addr).s_addr);
}

/* ---- the schedule ------------------------------------------------------- */

static void test_default_is_win8(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct sender s;
	struct call f[16];

	(void)state;
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	run(&s, T0 + S(60));
	assert_int_equal(frames(f), 4);
	assert_frame(&f[0], 0, CALL_PROBE, "10.0.0.1");
	assert_frame(&f[1], S(1), CALL_PROBE, "10.0.0.1");
	assert_frame(&f[2], S(2), CALL_PROBE, "10.0.0.1");
	assert_frame(&f[3], S(3), CALL_REQUEST, "10.0.0.1");
	assert_int_equal(send_report(&s), GARPCTL_EXIT_OK);
	finish(&s);
}

static void test_both_and_intervals(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct sender s;
	struct call f[16];

	(void)state;
	seq.probes = 2;
	seq.probe_interval_ns = MS(100);
	seq.announce_delay_ns = MS(250);
	seq.announcements = 3;
	seq.announce_interval_ns = MS(500);
	seq.frames = CFG_FRAMES_BOTH;
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	run(&s, T0 + S(60));
	assert_int_equal(frames(f), 8);
	assert_frame(&f[0], 0, CALL_PROBE, "10.0.0.1");
	assert_frame(&f[1], MS(100), CALL_PROBE, "10.0.0.1");
	for (int j = 0; j < 3; j++) {
		assert_frame(&f[2 + 2 * j], MS(350) + (uint64_t)j * MS(500), CALL_REQUEST,
			     "10.0.0.1");
		assert_frame(&f[3 + 2 * j], MS(350) + (uint64_t)j * MS(500), CALL_REPLY,
			     "10.0.0.1");
	}
	finish(&s);
}

static void test_no_probes_announces_at_once(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct sender s;
	struct call f[16];

	(void)state;
	seq.probes = 0;
	seq.frames = CFG_FRAMES_REPLY;
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	run(&s, T0 + S(60));
	/* no probe: nothing to listen for, the filter is never touched */
	assert_int_equal(n_calls, 1);
	assert_frame(&calls[0], 0, CALL_REPLY, "10.0.0.1");
	assert_int_equal(frames(f), 1);
	finish(&s);
}

static void test_addresses_interleaved(void **state)
{
	static const char *const a[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3" };
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct sender s;
	struct call f[32];

	(void)state;
	seq.probe_interval_ns = MS(100);
	seq.announce_delay_ns = MS(100);
	start(&s, &seq, false, a, 3);
	run(&s, T0 + S(60));
	assert_int_equal(frames(f), 12);
	/* every step sends each address's frame, all at the same instant */
	for (size_t step = 0; step < 4; step++) {
		bool seen[3] = { false };

		for (size_t i = 0; i < 3; i++) {
			const struct call *c = &f[step * 3 + i];

			assert_int_equal(c->at - T0, step * MS(100));
			assert_int_equal(c->kind, step < 3 ? CALL_PROBE : CALL_REQUEST);
			for (size_t k = 0; k < 3; k++)
				if (c->addr.s_addr == ip(a[k]).s_addr)
					seen[k] = true;
		}
		assert_true(seen[0] && seen[1] && seen[2]);
	}
	assert_int_equal(send_report(&s), GARPCTL_EXIT_OK);
	finish(&s);
}

/* ---- the filter --------------------------------------------------------- */

static void test_filter_before_first_probe(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct sender s;

	(void)state;
	seq.probes = 1;
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	run(&s, T0 + S(60));
	assert_int_equal(n_calls, 4);
	assert_int_equal(calls[0].kind, CALL_FILTER_ARP);
	assert_int_equal(calls[1].kind, CALL_PROBE);
	/* listening until the announcement is due, not only while probes go out */
	assert_int_equal(calls[2].kind, CALL_REQUEST);
	assert_int_equal(calls[2].at - T0, S(1));
	assert_int_equal(calls[3].kind, CALL_FILTER_DROP);
	finish(&s);
}

static void test_force_does_not_listen(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct sender s;

	(void)state;
	start(&s, &seq, true, (const char *[]){ "10.0.0.1" }, 1);
	run(&s, T0 + S(60));
	for (size_t i = 0; i < n_calls; i++)
		assert_true(calls[i].kind >= CALL_PROBE);
	assert_int_equal(n_calls, 4);
	finish(&s);
}

/* ---- the directed refresh ------------------------------------------------ */

static void test_refresh_after_answer(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garp_addr nb[1] = { tip("10.0.0.20") };
	struct engine_query q;
	struct sender s;
	struct gnl_event ev;
	struct call f[16];

	(void)state;
	seq.probes = 1;
	seq.refresh_neighbours = (struct cfg_addr_list){ .v = nb, .n = 1 };
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	turn(&s, T0);
	/* the engine asks for the table at the start; the loop runs it */
	assert_int_equal(engine_pop_query(s.e, &q), 0);
	assert_int_equal(q.kind, ENGINE_QUERY_NEIGHBOURS);
	assert_int_equal(q.ifindex, IFINDEX);
	s.q_busy = true;
	s.q_id = 7;
	s.q_ifindex = q.ifindex;
	turn(&s, T0 + S(1));
	assert_int_equal(frames(f), 2);
	assert_frame(&f[1], S(1), CALL_REQUEST, "10.0.0.1");
	/* announced, but the answer is not in: not over */
	assert_false(send_finished(&s, clock_now));
	clock_now = T0 + S(1) + MS(5);
	ev = (struct gnl_event){ .type = GNL_EV_NEIGH,
				 .query = 7,
				 .neigh = { .family = AF_INET,
					    .ifindex = IFINDEX,
					    .ip = ip("10.0.0.3"),
					    .has_mac = true,
					    .mac = { 2, 0, 0, 0, 0, 3 },
					    .state = NUD_REACHABLE } };
	send_event(&s, clock_now, &ev);
	ev = (struct gnl_event){ .type = GNL_EV_NEIGH,
				 .query = 8, /* another query's */
				 .neigh = { .family = AF_INET,
					    .ifindex = IFINDEX,
					    .ip = ip("10.0.0.4"),
					    .has_mac = true,
					    .mac = { 2, 0, 0, 0, 0, 4 },
					    .state = NUD_REACHABLE } };
	send_event(&s, clock_now, &ev);
	ev = (struct gnl_event){ .type = GNL_EV_QUERY_DONE, .query = 7 };
	send_event(&s, clock_now, &ev);
	assert_false(s.q_busy);
	assert_int_equal(send_drain(&s, clock_now), 0);
	assert_int_equal(frames(f), 4);
	/* the configured one first, then the table's */
	assert_frame(&f[2], S(1) + MS(5), CALL_REFRESH, "10.0.0.20");
	assert_frame(&f[3], S(1) + MS(5), CALL_REFRESH, "10.0.0.3");
	assert_true(send_finished(&s, clock_now));
	assert_int_equal(send_report(&s), GARPCTL_EXIT_OK);
	free(s.neigh);
	finish(&s);
}

/* IPv6: after the NA, an NS to each IPv6 neighbour; the IPv4 ones are not its. */
static void test_refresh_v6(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garp_addr nb[2] = { tip("2001:db8::20"), tip("10.0.0.20") };
	struct engine_query q;
	struct sender s;
	struct gnl_event ev;
	struct call f[16];

	(void)state;
	seq.refresh_neighbours = (struct cfg_addr_list){ .v = nb, .n = 2 };
	/* the kernel's DAD checked it: no probes, the NA at once */
	start(&s, &seq, false, (const char *[]){ "2001:db8::1" }, 1);
	turn(&s, T0);
	assert_int_equal(engine_pop_query(s.e, &q), 0);
	s.q_busy = true;
	s.q_id = 9;
	s.q_ifindex = q.ifindex;
	assert_int_equal(frames(f), 1);
	assert_frame(&f[0], 0, CALL_REQUEST, "2001:db8::1");
	clock_now = T0 + MS(3);
	ev = (struct gnl_event){ .type = GNL_EV_NEIGH,
				 .query = 9,
				 .neigh = { .family = AF_INET6,
					    .ifindex = IFINDEX,
					    .ip6 = ip6("2001:db8::3"),
					    .has_mac = true,
					    .mac = { 2, 0, 0, 0, 0, 3 },
					    .state = NUD_STALE } };
	send_event(&s, clock_now, &ev);
	ev = (struct gnl_event){ .type = GNL_EV_NEIGH,
				 .query = 9,
				 .neigh = { .family = AF_INET,
					    .ifindex = IFINDEX,
					    .ip = ip("10.0.0.3"),
					    .has_mac = true,
					    .mac = { 2, 0, 0, 0, 0, 4 },
					    .state = NUD_REACHABLE } };
	send_event(&s, clock_now, &ev);
	ev = (struct gnl_event){ .type = GNL_EV_ROUTE_HOP,
				 .query = 9,
				 .hop = { .family = AF_INET6,
					  .ifindex = IFINDEX,
					  .has_gateway = true,
					  .gateway6 = ip6("fe80::1") } };
	send_event(&s, clock_now, &ev);
	ev = (struct gnl_event){ .type = GNL_EV_QUERY_DONE, .query = 9 };
	send_event(&s, clock_now, &ev);
	assert_int_equal(send_drain(&s, clock_now), 0);
	assert_int_equal(frames(f), 4);
	/* configured, then the (link-local) gateway, then the table's; no IPv4 one */
	assert_frame(&f[1], MS(3), CALL_REFRESH, "2001:db8::20");
	assert_true(f[1].to_group);
	assert_frame(&f[2], MS(3), CALL_REFRESH, "fe80::1");
	assert_true(f[2].to_group);
	assert_frame(&f[3], MS(3), CALL_REFRESH, "2001:db8::3");
	assert_false(f[3].to_group);
	assert_true(send_finished(&s, clock_now));
	assert_int_equal(send_report(&s), GARPCTL_EXIT_OK);
	free(s.neigh);
	free(s.hops);
	finish(&s);
}

/* --neighbour takes IPv4 and IPv6 unicast addresses, link-local ones too. */
static void test_neighbour_option(void **state)
{
	char *argv[] = { "send",	"-i",	       "eth0",	      "--neighbour", "10.0.0.3",
			 "--neighbour", "fe80::1",     "--neighbour", "2001:db8::7", "--neighbour",
			 "fe80::0001",	"2001:db8::1", NULL };
	static const char *const bad[] = { "ff02::1",	   "::1",	"::",	"::ffff:10.0.0.1",
					   "fe80::1%eth0", "224.0.0.1", "10.1", "2001:db8::/64" };
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garp_addr addrs[4];
	struct garp_addr nb[CFG_REFRESH_NEIGHBOURS_MAX], want;
	const char *ifname;
	bool force = false;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse_args(12, argv, &seq, &ifname, &force, addrs, &n, nb), 0);
	assert_true(seq.directed_refresh);
	assert_int_equal(seq.refresh_neighbours.n, 3); /* fe80::0001 is fe80::1 again */
	want = tip("10.0.0.3");
	assert_true(garp_addr_eq(&seq.refresh_neighbours.v[0], &want));
	want = tip("fe80::1");
	assert_true(garp_addr_eq(&seq.refresh_neighbours.v[1], &want));
	want = tip("2001:db8::7");
	assert_true(garp_addr_eq(&seq.refresh_neighbours.v[2], &want));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *b[] = { "send",	      "-i",	     "eth0", "--neighbour",
			      (char *)bad[i], "2001:db8::1", NULL };

		seq = (struct cfg_sequence)CFG_SEQUENCE_INIT;
		assert_int_equal(parse_args(6, b, &seq, &ifname, &force, addrs, &n, nb), -EINVAL);
	}
}

static void test_no_refresh_option(void **state)
{
	char *argv[] = { "send", "-i", "eth0", "--no-refresh", "10.0.0.1", NULL };
	char *bad[] = { "send",	       "-i",	   "eth0",     "--no-refresh",
			"--neighbour", "10.0.0.3", "10.0.0.1", NULL };
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct garp_addr addrs[4];
	struct garp_addr nb[CFG_REFRESH_NEIGHBOURS_MAX];
	struct engine_query q;
	const char *ifname;
	bool force = false;
	size_t n = 0;
	struct sender s;

	(void)state;
	assert_int_equal(parse_args(5, argv, &seq, &ifname, &force, addrs, &n, nb), 0);
	assert_false(seq.directed_refresh);
	assert_int_equal(seq.refresh_neighbours.n, 0);
	assert_int_equal(parse_args(7, bad, &seq, &ifname, &force, addrs, &n, nb), -EINVAL);
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	run(&s, T0 + S(60));
	assert_int_equal(engine_pop_query(s.e, &q), -EAGAIN);
	for (size_t i = 0; i < n_calls; i++)
		assert_true(calls[i].kind != CALL_REFRESH);
	finish(&s);
}

/* ---- the dump ----------------------------------------------------------- */

static void collect(struct sender *s, enum gnl_event_type type, const void *what)
{
	struct gnl_event ev = { .type = type };

	if (type == GNL_EV_LINK_NEW || type == GNL_EV_LINK_CHANGED || type == GNL_EV_LINK_DEL)
		ev.link = *(const struct gnl_link *)what;
	else
		ev.addr = *(const struct gnl_addr *)what;
	send_collect(s, &ev);
}

static void test_dump(void **state)
{
	struct send_target t[5] = {
		{ .addr = tip("10.0.0.1") }, { .addr = tip("10.0.0.2") },
		{ .addr = tip("10.0.0.3") }, { .addr = tip("10.0.0.4") },
		{ .addr = tip("10.0.0.5") },
	};
	struct sender s = { .ifname = "eth0", .t = t, .n = 5 };
	struct gnl_link other = eth(), l = eth();
	struct gnl_addr a;

	(void)state;
	other.ifindex = 9;
	snprintf(other.name, sizeof(other.name), "eth1");
	/* an address reported before its link: kept until the link is known */
	a = gaddr(IFINDEX, "10.0.0.1");
	collect(&s, GNL_EV_ADDR_NEW, &a);
	collect(&s, GNL_EV_LINK_NEW, &other);
	collect(&s, GNL_EV_LINK_NEW, &l);
	/* on another interface: not ours here */
	a = gaddr(9, "10.0.0.2");
	collect(&s, GNL_EV_ADDR_NEW, &a);
	/* IPv6 is not looked at */
	a = (struct gnl_addr){ .family = AF_INET6, .ifindex = IFINDEX };
	collect(&s, GNL_EV_ADDR_NEW, &a);
	/* configured, then removed before the dump ended */
	a = gaddr(IFINDEX, "10.0.0.3");
	collect(&s, GNL_EV_ADDR_NEW, &a);
	collect(&s, GNL_EV_ADDR_DEL, &a);
	/* on both: ours on eth0 */
	a = gaddr(9, "10.0.0.4");
	collect(&s, GNL_EV_ADDR_NEW, &a);
	a = gaddr(IFINDEX, "10.0.0.4");
	collect(&s, GNL_EV_ADDR_NEW, &a);
	/* 10.0.0.5: never reported */
	send_resolve(&s);
	assert_true(s.have_link);
	assert_int_equal(s.link.ifindex, IFINDEX);
	assert_true(t[0].configured);
	assert_false(t[1].configured);
	assert_false(t[2].configured);
	assert_true(t[3].configured);
	assert_int_equal(t[3].ga.ifindex, IFINDEX);
	assert_false(t[4].configured);
	/* what --force tells the engine for an address not configured */
	assert_int_equal(t[4].ga.ifindex, IFINDEX);
	assert_int_equal(t[4].ga.family, AF_INET);
	assert_int_equal(t[4].ga.addr.v4.s_addr, ip("10.0.0.5").s_addr);
}

static void test_dump_no_such_interface(void **state)
{
	struct send_target t[1] = { { .addr = tip("10.0.0.1") } };
	struct sender s = { .ifname = "eth7", .t = t, .n = 1 };
	struct gnl_link l = eth();
	struct gnl_addr a = gaddr(IFINDEX, "10.0.0.1");

	(void)state;
	collect(&s, GNL_EV_LINK_NEW, &l);
	collect(&s, GNL_EV_ADDR_NEW, &a);
	send_resolve(&s);
	assert_false(s.have_link);
	assert_false(t[0].configured);
	/* renamed to the name asked for */
	snprintf(l.name, sizeof(l.name), "eth7");
	collect(&s, GNL_EV_LINK_CHANGED, &l);
	assert_true(s.have_link);
}

/* ---- conflicts, removals, link changes ---------------------------------- */

static struct pkt_arp answer(const char *addr)
{
	struct pkt_arp arp = { .op = 2, .spa = ip(addr), .tpa = ip(addr) };

	memcpy(arp.sha, other_mac, 6);
	memcpy(arp.eth_src, other_mac, 6);
	memcpy(arp.tha, our_mac, 6);
	return arp;
}

static void test_conflict_holds_the_address(void **state)
{
	static const char *const a[] = { "10.0.0.1", "10.0.0.2" };
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct pkt_arp arp = answer("10.0.0.2");
	struct sender s;
	struct call f[16];
	size_t n;

	(void)state;
	seq.probe_interval_ns = MS(100);
	seq.announce_delay_ns = MS(100);
	start(&s, &seq, false, a, 2);
	turn(&s, T0);
	/* the owner of 10.0.0.2 answers the first probe */
	engine_arp(s.e, T0 + MS(1), IFINDEX, &arp);
	turn(&s, T0 + MS(1));
	run(&s, T0 + S(60));
	n = frames(f);
	/* 10.0.0.1 runs its whole sequence; 10.0.0.2 stops after its first probe */
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_true(f[i].addr.s_addr == ip("10.0.0.1").s_addr ||
			    (f[i].kind == CALL_PROBE && f[i].at == T0));
	assert_int_equal(s.t[1].outcome, SEND_CONFLICT);
	assert_memory_equal(s.t[1].mac, other_mac, 6);
	assert_int_equal(s.t[0].outcome, SEND_ANNOUNCED);
	assert_int_equal(send_report(&s), GARPCTL_EXIT_CONFLICT);
	finish(&s);
}

static void test_own_frames_are_not_a_conflict(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct pkt_arp arp = answer("10.0.0.1");
	struct sender s;

	(void)state;
	memcpy(arp.sha, our_mac, 6);
	memcpy(arp.eth_src, our_mac, 6);
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	turn(&s, T0);
	engine_arp(s.e, T0 + MS(1), IFINDEX, &arp);
	run(&s, T0 + S(60));
	assert_int_equal(send_report(&s), GARPCTL_EXIT_OK);
	finish(&s);
}

static void test_removed_stops_before_announcing(void **state)
{
	static const char *const a[] = { "10.0.0.1", "10.0.0.20" };
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct gnl_event ev = { .type = GNL_EV_ADDR_DEL, .addr = gaddr(IFINDEX, "10.0.0.20") };
	struct sender s;
	struct call f[16];

	(void)state;
	seq.probes = 2;
	seq.probe_interval_ns = MS(300);
	seq.announce_delay_ns = MS(300);
	start(&s, &seq, false, a, 2);
	turn(&s, T0);
	send_event(&s, T0 + MS(150), &ev);
	run(&s, T0 + S(60));
	/* the probes went out (they poison no cache), the announcements did not */
	assert_int_equal(frames(f), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(f[i].kind, CALL_PROBE);
	assert_int_equal(s.failure, SEND_ADDR_REMOVED);
	assert_true(s.t[1].removed);
	assert_false(s.t[0].removed);
	assert_int_equal(send_report(&s), GARPCTL_EXIT_FAILURE);
	finish(&s);
}

static void test_removed_and_back_is_announced(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct gnl_event ev = { .type = GNL_EV_ADDR_DEL, .addr = gaddr(IFINDEX, "10.0.0.1") };
	struct sender s;
	struct call f[16];

	(void)state;
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	turn(&s, T0);
	send_event(&s, T0 + MS(150), &ev);
	ev.type = GNL_EV_ADDR_NEW;
	send_event(&s, T0 + MS(160), &ev);
	run(&s, T0 + S(60));
	assert_int_equal(frames(f), 4);
	assert_int_equal(send_report(&s), GARPCTL_EXIT_OK);
	finish(&s);
}

static void test_force_ignores_removal(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct gnl_event ev = { .type = GNL_EV_ADDR_DEL, .addr = gaddr(IFINDEX, "10.0.0.1") };
	struct sender s;
	struct call f[16];

	(void)state;
	start(&s, &seq, true, (const char *[]){ "10.0.0.1" }, 1);
	turn(&s, T0);
	send_event(&s, T0 + MS(150), &ev);
	run(&s, T0 + S(60));
	assert_int_equal(frames(f), 4);
	assert_int_equal(send_report(&s), GARPCTL_EXIT_OK);
	finish(&s);
}

static void test_link_down_then_gone(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct gnl_event ev = { .type = GNL_EV_LINK_CHANGED,
				.link = eth(),
				.changes = GNL_CHANGE_CARRIER_DOWN | GNL_CHANGE_FLAGS };
	struct sender s;
	struct call f[16];

	(void)state;
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	turn(&s, T0);
	turn(&s, T0 + S(1));
	ev.link.flags = 0;
	ev.link.operstate = 2; /* IF_OPER_DOWN */
	send_event(&s, T0 + S(1) + MS(500), &ev);
	turn(&s, T0 + S(1) + MS(500));
	assert_int_equal(s.failure, SEND_LINK_DOWN);
	/* settling: perhaps it is on its way out */
	assert_false(send_finished(&s, T0 + S(1) + MS(600)));
	ev.type = GNL_EV_LINK_DEL;
	send_event(&s, T0 + S(1) + MS(700), &ev);
	assert_int_equal(s.failure, SEND_LINK_GONE);
	assert_true(send_finished(&s, T0 + S(1) + MS(700)));
	assert_int_equal(frames(f), 2);
	assert_int_equal(send_report(&s), GARPCTL_EXIT_FAILURE);
	finish(&s);
}

static void test_link_down_settles(void **state)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct gnl_event ev = { .type = GNL_EV_LINK_CHANGED,
				.link = eth(),
				.changes = GNL_CHANGE_CARRIER_DOWN | GNL_CHANGE_FLAGS };
	struct sender s;

	(void)state;
	start(&s, &seq, false, (const char *[]){ "10.0.0.1" }, 1);
	turn(&s, T0);
	ev.link.flags = 0;
	ev.link.operstate = 2;
	send_event(&s, T0 + MS(500), &ev);
	turn(&s, T0 + MS(500));
	assert_int_equal(s.failure, SEND_LINK_DOWN);
	assert_true(send_finished(&s, T0 + MS(500) + SETTLE_NS));
	assert_int_equal(send_report(&s), GARPCTL_EXIT_FAILURE);
	finish(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_win8),
		cmocka_unit_test(test_both_and_intervals),
		cmocka_unit_test(test_no_probes_announces_at_once),
		cmocka_unit_test(test_addresses_interleaved),
		cmocka_unit_test(test_filter_before_first_probe),
		cmocka_unit_test(test_force_does_not_listen),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_dump_no_such_interface),
		cmocka_unit_test(test_conflict_holds_the_address),
		cmocka_unit_test(test_own_frames_are_not_a_conflict),
		cmocka_unit_test(test_removed_stops_before_announcing),
		cmocka_unit_test(test_removed_and_back_is_announced),
		cmocka_unit_test(test_force_ignores_removal),
		cmocka_unit_test(test_link_down_then_gone),
		cmocka_unit_test(test_link_down_settles),
		cmocka_unit_test(test_refresh_after_answer),
		cmocka_unit_test(test_no_refresh_option),
		cmocka_unit_test(test_refresh_v6),
		cmocka_unit_test(test_neighbour_option),
	};

	/* the reports' lines are not checked here (the namespace tests do) */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
