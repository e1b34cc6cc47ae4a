/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event loop's order of socket calls around a probe (issue 19): the
 * packet socket's receive filter must be switched to PKT_FILTER_ARP before
 * the first probe is handed to the socket, and stay until the last probe's
 * listening window has passed. The owner of an address answers a probe
 * within about 100 µs; an answer that arrives while the drop-all filter is
 * in place is lost.
 *
 * loop.c is compiled into this test, so its drain step runs as the daemon
 * runs it; the packet socket calls are replaced (-Wl,--wrap=...) by a
 * recorder, and time is given explicitly.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <net/if_arp.h>

#include "../../../daemon/garpd/loop.c"

/* ---- the recorder ----------------------------------------------------- */

enum call_kind {
	CALL_FILTER_ARP,
	CALL_FILTER_DROP,
	CALL_PROBE,
	CALL_ANNOUNCE,
	CALL_FILTER_ND,
	CALL_FILTER_ND_DROP,
	CALL_V6, /* any IPv6 frame: a DAD solicitation or an advertisement */
};

#define ND_FD 1001

#define CALLS_MAX 64
static enum call_kind calls[CALLS_MAX];
static size_t n_calls;

static void record(enum call_kind k)
{
	assert_true(n_calls < CALLS_MAX);
	calls[n_calls++] = k;
}

int __wrap_pkt_socket_set_filter(int fd, enum pkt_filter filter);
int __wrap_pkt_socket_set_filter(int fd, enum pkt_filter filter)
{
	if (fd == ND_FD)
		record(filter == PKT_FILTER_ND ? CALL_FILTER_ND : CALL_FILTER_ND_DROP);
	else
		record(filter == PKT_FILTER_ARP ? CALL_FILTER_ARP : CALL_FILTER_DROP);
	return 0;
}

int __wrap_pkt_send_batch(int fd, const struct pkt_out *out, size_t n);
int __wrap_pkt_send_batch(int fd, const struct pkt_out *out, size_t n)
{
	(void)fd;
	for (size_t i = 0; i < n; i++) {
		struct pkt_arp arp;

		if (out[i].frame.len > 13 && out[i].frame.data[12] == 0x86 &&
		    out[i].frame.data[13] == 0xdd) {
			record(CALL_V6);
			continue;
		}
		assert_int_equal(pkt_parse_arp(out[i].frame.data, out[i].frame.len, &arp), 0);
		record(pkt_is_probe(&arp) ? CALL_PROBE : CALL_ANNOUNCE);
	}
	return (int)n;
}

/* No netlink handle in this test: names are "if<index>". */
const struct gnl_link *__wrap_gnl_link_get(const struct gnl *g, int ifindex);
const struct gnl_link *__wrap_gnl_link_get(const struct gnl *g, int ifindex)
{
	(void)g;
	(void)ifindex;
	return NULL;
}

/* No query socket either: the directed refresh's neighbour query fails, so
 * the engine goes on with the configured neighbours (none here). */
int __wrap_gnl_query_refresh(struct gnl *g, int ifindex, uint32_t *ret_id);
int __wrap_gnl_query_refresh(struct gnl *g, int ifindex, uint32_t *ret_id)
{
	(void)g;
	(void)ifindex;
	(void)ret_id;
	return -ENOTCONN;
}

/* ---- a daemon without sockets ------------------------------------------ */

#define S(x) ((uint64_t)(x)*CFG_NSEC_PER_SEC)
#define IFINDEX 7
#define ADDR "10.0.0.50"

static struct cfg_sequence policy;

static void test_policy(void *userdata, const char *ifname, struct cfg_sequence *ret)
{
	(void)userdata;
	(void)ifname;
	*ret = policy;
}

static void daemon_up(struct daemon *d, uint64_t now)
{
	struct engine_policy_source src = { .get = test_policy };
	struct gnl_link l = {
		.ifindex = IFINDEX,
		.name = "eth0",
		.mac = { 2, 0, 0, 0, 1, 1 },
		.mac_len = 6,
		.type = ARPHRD_ETHER,
		.flags = IFF_UP | IFF_RUNNING | 0x10000 /* IFF_LOWER_UP */,
		.operstate = 6 /* IF_OPER_UP */,
	};

	*d = (struct daemon)DAEMON_INIT;
	d->pkt_fd = 1000; /* never used: every packet call is recorded instead */
	d->nd_fd = ND_FD;
	d->synced = true;
	cfg_init_defaults(&d->cfg);
	log_set_level(CFG_LOG_ERROR);
	assert_int_equal(engine_new(&d->engine, &src, 1), 0);
	assert_int_equal(log_burst_new(&d->burst), 0);
	d->now = now;
	engine_link(d->engine, now, &l, 0);
	drain_engine(d);
	n_calls = 0;
}

static void daemon_down(struct daemon *d)
{
	daemon_teardown(d);
}

static struct gnl_addr addr(void)
{
	struct gnl_addr a = { .family = AF_INET, .ifindex = IFINDEX, .prefixlen = 24 };

	assert_int_equal(inet_pton(AF_INET, ADDR, &a.addr.v4), 1);
	return a;
}

static void step(struct daemon *d, uint64_t now)
{
	d->now = now;
	engine_run(d->engine, now);
	drain_engine(d);
}

static void assert_calls(const enum call_kind *want, size_t n)
{
	assert_int_equal(n_calls, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(calls[i], want[i]);
	n_calls = 0;
}

/* A new address, the default sequence: filter, then each probe, then the announcement. */
static void test_new_address_default(void **state)
{
	struct daemon d;
	struct gnl_addr a = addr();

	(void)state;
	policy = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	daemon_up(&d, S(10));
	engine_addr(d.engine, S(10), &a, true);
	drain_engine(&d);
	assert_calls((enum call_kind[]){ CALL_FILTER_ARP, CALL_PROBE }, 2);
	step(&d, S(11));
	assert_calls((enum call_kind[]){ CALL_PROBE }, 1);
	step(&d, S(12));
	assert_calls((enum call_kind[]){ CALL_PROBE }, 1);
	/* the pause after the last probe: still listening */
	step(&d, S(12) + S(1) / 2);
	assert_calls(NULL, 0);
	assert_true(d.filter_arp);
	step(&d, S(13));
	assert_calls((enum call_kind[]){ CALL_ANNOUNCE, CALL_FILTER_DROP }, 2);
	daemon_down(&d);
}

/* probes = 1: the one answer that can be seen is the first probe's. */
static void test_one_probe(void **state)
{
	struct daemon d;
	struct gnl_addr a = addr();

	(void)state;
	policy = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	policy.probes = 1;
	daemon_up(&d, S(10));
	engine_addr(d.engine, S(10), &a, true);
	drain_engine(&d);
	assert_calls((enum call_kind[]){ CALL_FILTER_ARP, CALL_PROBE }, 2);
	step(&d, S(10) + S(1) / 2);
	assert_calls(NULL, 0);
	assert_true(d.filter_arp);
	step(&d, S(11));
	assert_calls((enum call_kind[]){ CALL_ANNOUNCE, CALL_FILTER_DROP }, 2);
	daemon_down(&d);
}

/* `garpctl announce --sequence` for a known address: the same order. */
static void test_announce_sequence(void **state)
{
	struct daemon d;
	struct gnl_addr a = addr();
	struct garp_addr ga = garp_addr_v4(a.addr.v4);

	(void)state;
	policy = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	daemon_up(&d, S(10));
	engine_addr(d.engine, S(10), &a, false); /* found by the first dump: not announced */
	drain_engine(&d);
	assert_calls(NULL, 0);
	assert_int_equal(engine_announce(d.engine, S(20), IFINDEX, &ga, ENGINE_ANNOUNCE_SEQUENCE),
			 1);
	d.now = S(20);
	drain_engine(&d);
	assert_calls((enum call_kind[]){ CALL_FILTER_ARP, CALL_PROBE }, 2);
	daemon_down(&d);
}

/* An announcement alone never listens: no filter change at all. */
static void test_announce_only(void **state)
{
	struct daemon d;
	struct gnl_addr a = addr();
	struct garp_addr ga = garp_addr_v4(a.addr.v4);

	(void)state;
	policy = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	daemon_up(&d, S(10));
	engine_addr(d.engine, S(10), &a, false);
	assert_int_equal(engine_announce(d.engine, S(20), IFINDEX, &ga, ENGINE_ANNOUNCE_ONLY), 1);
	d.now = S(20);
	drain_engine(&d);
	assert_calls((enum call_kind[]){ CALL_ANNOUNCE }, 1);
	daemon_down(&d);
}

/* An IPv6 address added with nodad: garpd's own DAD probes, the ND filter first. */
static void test_dad_probe(void **state)
{
	struct daemon d;
	struct gnl_addr a = {
		.family = AF_INET6, .ifindex = IFINDEX, .prefixlen = 64, .flags = IFA_F_NODAD
	};
	bool probed = false;

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::50", &a.addr.v6), 1);
	policy = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	daemon_up(&d, S(10));
	engine_addr(d.engine, S(10), &a, true);
	drain_engine(&d);
	/* every IPv6 frame that left while DAD runs left after the ND filter went on */
	for (size_t i = 0; i < n_calls; i++) {
		if (calls[i] == CALL_V6) {
			assert_true(i > 0);
			assert_int_equal(calls[0], CALL_FILTER_ND);
			probed = true;
		}
	}
	assert_true(probed);
	assert_true(d.filter_nd);
	daemon_down(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_address_default), cmocka_unit_test(test_one_probe),
		cmocka_unit_test(test_announce_sequence),   cmocka_unit_test(test_announce_only),
		cmocka_unit_test(test_dad_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
