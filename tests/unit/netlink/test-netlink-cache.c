/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cache/diff model: messages in, gnl_events out, no sockets. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "netlink-private.h"
#include "nl-build.h"

static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct fx {
	struct gnl_cache c;
	struct gnl_evq q;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->c = GNL_CACHE_INIT;
	f->q = GNL_EVQ_INIT;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gnl_cache_clear(&f->c);
	gnl_evq_clear(&f->q);
	free(f);
	return 0;
}

static void apply(struct fx *f, const struct nlmsghdr *nlh)
{
	assert_int_equal(gnl_cache_apply(&f->c, nlh, &f->q), 0);
}

static void link_msg(struct fx *f, const struct nlb_link *l)
{
	struct nlb b;

	apply(f, nlb_link(&b, l));
}

static void addr_msg(struct fx *f, uint16_t type, int ifindex, const char *ip, uint8_t plen,
		     uint32_t flags, uint32_t lft)
{
	struct nlb b;
	struct nlb_addr a = { .type = type,
			      .family = strchr(ip, ':') ? AF_INET6 : AF_INET,
			      .ifindex = ifindex,
			      .addr = ip,
			      .prefixlen = plen,
			      .put_flags = true,
			      .flags = flags,
			      .valid_lft = lft };

	apply(f, nlb_addr(&b, &a));
}

static struct gnl_event pop(struct fx *f)
{
	struct gnl_event ev;

	assert_int_equal(gnl_evq_pop(&f->q, &ev), 0);
	return ev;
}

static void assert_empty(struct fx *f)
{
	struct gnl_event ev;

	assert_int_equal(gnl_evq_pop(&f->q, &ev), -EAGAIN);
}

static struct nlb_link bond(void)
{
	struct nlb_link l = NLB_LINK_INIT;

	l.ifindex = 7;
	l.name = "bond0";
	l.mac = mac1;
	l.kind = "bond";
	l.active_slave = 5;
	return l;
}

static void test_link_new_once_then_changes(void **state)
{
	struct fx *f = *state;
	struct nlb_link l = bond();
	struct gnl_event ev;

	link_msg(f, &l);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_LINK_NEW);
	assert_int_equal(ev.link.ifindex, 7);
	assert_int_equal(ev.link.bond_active_slave, 5);
	assert_empty(f);

	/* The same state again: nothing. */
	link_msg(f, &l);
	assert_empty(f);

	/* MAC change. */
	l.mac = mac2;
	link_msg(f, &l);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_LINK_CHANGED);
	assert_int_equal(ev.changes, GNL_CHANGE_MAC);
	assert_memory_equal(ev.old.mac, mac1, 6);
	assert_memory_equal(ev.link.mac, mac2, 6);
	assert_empty(f);

	/* Carrier down, then up. */
	l.flags &= ~(unsigned)(IFF_LOWER_UP | IFF_RUNNING);
	l.operstate = IF_OPER_DOWN;
	link_msg(f, &l);
	ev = pop(f);
	assert_int_equal(ev.changes, GNL_CHANGE_CARRIER_DOWN | GNL_CHANGE_FLAGS | GNL_CHANGE_OTHER);
	l.flags |= IFF_LOWER_UP | IFF_RUNNING;
	l.operstate = IF_OPER_UP;
	link_msg(f, &l);
	ev = pop(f);
	assert_int_equal(ev.changes, GNL_CHANGE_CARRIER_UP | GNL_CHANGE_FLAGS | GNL_CHANGE_OTHER);
	assert_empty(f);

	/* Active slave change with the failover event. */
	l.active_slave = 6;
	l.event = IFLA_EVENT_BONDING_FAILOVER;
	link_msg(f, &l);
	ev = pop(f);
	assert_int_equal(ev.changes, GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	assert_int_equal(ev.old.bond_active_slave, 5);
	assert_int_equal(ev.link.bond_active_slave, 6);
	assert_int_equal(ev.link.event, IFLA_EVENT_BONDING_FAILOVER);
	assert_empty(f);

	/* The failover event alone (same slave: e.g. it came back) is still reported. */
	link_msg(f, &l);
	ev = pop(f);
	assert_int_equal(ev.changes, GNL_CHANGE_FAILOVER);
	/* ... but not remembered as state: the next plain message is no change. */
	l.event = 0;
	link_msg(f, &l);
	assert_empty(f);

	/* Master and name. */
	l.master = 20;
	l.name = "bond1";
	link_msg(f, &l);
	ev = pop(f);
	assert_int_equal(ev.changes, GNL_CHANGE_MASTER | GNL_CHANGE_NAME);
	assert_string_equal(ev.old.name, "bond0");

	/* Admin down. */
	l.flags &= ~(unsigned)IFF_UP;
	link_msg(f, &l);
	ev = pop(f);
	assert_true(ev.changes & GNL_CHANGE_FLAGS);
	assert_true(ev.changes & GNL_CHANGE_CARRIER_DOWN);

	assert_non_null(gnl_cache_link(&f->c, 7));
	assert_string_equal(gnl_cache_link(&f->c, 7)->name, "bond1");
}

static void test_link_del_drops_addresses(void **state)
{
	struct fx *f = *state;
	struct nlb_link l = bond();
	struct gnl_event ev;

	link_msg(f, &l);
	addr_msg(f, RTM_NEWADDR, 7, "192.0.2.1", 24, 0, 100);
	addr_msg(f, RTM_NEWADDR, 8, "192.0.2.2", 24, 0, 100); /* other link */
	assert_int_equal(pop(f).type, GNL_EV_LINK_NEW);
	assert_int_equal(pop(f).type, GNL_EV_ADDR_NEW);
	assert_int_equal(pop(f).type, GNL_EV_ADDR_NEW);

	l.type = RTM_DELLINK;
	link_msg(f, &l);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_ADDR_DEL);
	assert_int_equal(ev.addr.ifindex, 7);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_LINK_DEL);
	assert_int_equal(ev.link.ifindex, 7);
	assert_empty(f);
	assert_null(gnl_cache_link(&f->c, 7));
	assert_int_equal(gnl_cache_n_addrs(&f->c), 1);

	/* Deleting what we never saw reports nothing. */
	link_msg(f, &l);
	addr_msg(f, RTM_DELADDR, 9, "192.0.2.9", 24, 0, 0);
	assert_empty(f);
}

static void test_addr_duplicate_and_readd(void **state)
{
	struct fx *f = *state;
	struct gnl_event ev;

	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.1", 24, IFA_F_PERMANENT, 0);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_ADDR_NEW);
	assert_empty(f);

	/* Lifetime update: not a new appearance, not a change. */
	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.1", 24, IFA_F_PERMANENT, 500);
	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.1", 24, IFA_F_PERMANENT, 400);
	assert_empty(f);

	/* Same address, other prefix length: another address. */
	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.1", 25, IFA_F_PERMANENT, 0);
	assert_int_equal(pop(f).type, GNL_EV_ADDR_NEW);
	/* Same address on another link: another address. */
	addr_msg(f, RTM_NEWADDR, 3, "192.0.2.1", 24, IFA_F_PERMANENT, 0);
	assert_int_equal(pop(f).type, GNL_EV_ADDR_NEW);
	assert_empty(f);

	/* Remove and add again: reported again. */
	addr_msg(f, RTM_DELADDR, 2, "192.0.2.1", 24, IFA_F_PERMANENT, 0);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_ADDR_DEL);
	assert_int_equal(ev.addr.ifindex, 2);
	assert_int_equal(ev.addr.prefixlen, 24);
	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.1", 24, IFA_F_PERMANENT, 0);
	assert_int_equal(pop(f).type, GNL_EV_ADDR_NEW);
	assert_empty(f);
}

static void test_addr_v6_dad_done(void **state)
{
	struct fx *f = *state;
	struct gnl_event ev;

	addr_msg(f, RTM_NEWADDR, 2, "2001:db8::1", 64, IFA_F_TENTATIVE, 0);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_ADDR_NEW);
	assert_true(ev.addr.flags & IFA_F_TENTATIVE);
	addr_msg(f, RTM_NEWADDR, 2, "2001:db8::1", 64, 0, 0);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_ADDR_CHANGED);
	assert_false(ev.addr.flags & IFA_F_TENTATIVE);
	assert_empty(f);
}

/* DAD failed: RTM_NEWADDR again with IFA_F_DADFAILED (the kernel keeps a permanent address). */
static void test_addr_v6_dad_failed(void **state)
{
	struct fx *f = *state;
	struct gnl_event ev;

	addr_msg(f, RTM_NEWADDR, 2, "2001:db8::2", 64, IFA_F_TENTATIVE | IFA_F_PERMANENT, 0);
	assert_int_equal(pop(f).type, GNL_EV_ADDR_NEW);
	addr_msg(f, RTM_NEWADDR, 2, "2001:db8::2", 64,
		 IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_PERMANENT, 0);
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_ADDR_CHANGED);
	assert_true(ev.addr.flags & IFA_F_DADFAILED);
	assert_int_equal(ev.addr.family, AF_INET6);
	/* the same again: nothing new */
	addr_msg(f, RTM_NEWADDR, 2, "2001:db8::2", 64,
		 IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_PERMANENT, 0);
	assert_empty(f);
	/* a non-permanent (autoconf) address whose DAD fails is deleted by the kernel */
	addr_msg(f, RTM_DELADDR, 2, "2001:db8::2", 64, IFA_F_DADFAILED, 0);
	assert_int_equal(pop(f).type, GNL_EV_ADDR_DEL);
	assert_empty(f);
}

static void test_malformed_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct nlb b;
	struct nlb_link l = bond();
	struct nlmsghdr *nlh = nlb_link(&b, &l);

	nlh->nlmsg_len -= 2;
	assert_int_equal(gnl_cache_apply(&f->c, nlh, &f->q), -EBADMSG);
	assert_empty(f);
	assert_int_equal(gnl_cache_n_links(&f->c), 0);

	/* Other message types and families are ignored without error. */
	nlh = nlb_link(&b, &l);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family = AF_BRIDGE;
	assert_int_equal(gnl_cache_apply(&f->c, nlh, &f->q), 0);
	nlh->nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(gnl_cache_apply(&f->c, nlh, &f->q), 0);
	assert_empty(f);
}

/* Counts of each event type left in the queue. */
static void drain(struct fx *f, unsigned int counts[])
{
	struct gnl_event ev;

	while (gnl_evq_pop(&f->q, &ev) == 0)
		counts[ev.type]++;
}

static void test_reconcile_after_redump(void **state)
{
	struct fx *f = *state;
	struct nlb_link l = bond(), other = NLB_LINK_INIT;
	unsigned int n[GNL_EV_RESYNC + 1] = { 0 };
	struct gnl_event ev;
	char ip[32];

	/* Before the overflow: links 7 and 8, ten addresses on 7, one on 8. */
	other.ifindex = 8;
	other.name = "eth1";
	gnl_cache_sync_begin(&f->c);
	link_msg(f, &l);
	link_msg(f, &other);
	for (int i = 0; i < 10; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		addr_msg(f, RTM_NEWADDR, 7, ip, 24, 0, 0);
	}
	addr_msg(f, RTM_NEWADDR, 8, "10.1.0.1", 24, 0, 0);
	assert_int_equal(gnl_cache_sync_end(&f->c, &f->q), 0);
	drain(f, n);
	assert_int_equal(n[GNL_EV_LINK_NEW], 2);
	assert_int_equal(n[GNL_EV_ADDR_NEW], 11);

	/*
	 * Events were lost. The re-dump shows: link 8 gone (with its address),
	 * link 7 with a new MAC, 10.0.0.0-4 gone, 10.0.0.5-9 still there,
	 * 10.0.0.10-12 new. Meanwhile an event adds 10.0.0.20 during the dump
	 * (before the address part reaches it, so the dump shows it too).
	 */
	gnl_cache_sync_begin(&f->c);
	l.mac = mac2;
	link_msg(f, &l);
	addr_msg(f, RTM_NEWADDR, 7, "10.0.0.20", 24, 0, 0); /* event */
	for (int i = 5; i <= 12; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		addr_msg(f, RTM_NEWADDR, 7, ip, 24, 0, 77);
	}
	addr_msg(f, RTM_NEWADDR, 7, "10.0.0.20", 24, 0, 0); /* dump */
	/* Nothing is reported twice: the MAC change and 4 new addresses so far. */
	ev = pop(f);
	assert_int_equal(ev.type, GNL_EV_LINK_CHANGED);
	assert_int_equal(ev.changes, GNL_CHANGE_MAC);
	memset(n, 0, sizeof(n));
	drain(f, n);
	assert_int_equal(n[GNL_EV_ADDR_NEW], 4);
	assert_int_equal(n[GNL_EV_ADDR_DEL], 0);

	assert_int_equal(gnl_cache_sync_end(&f->c, &f->q), 0);
	memset(n, 0, sizeof(n));
	while (gnl_evq_pop(&f->q, &ev) == 0) {
		n[ev.type]++;
		if (ev.type == GNL_EV_ADDR_DEL && ev.addr.ifindex == 7) {
			uint32_t host = ntohl(ev.addr.addr.v4.s_addr) & 0xff;

			assert_true(host <= 4);
		}
		/* Never an address after its link's deletion. */
		if (ev.type == GNL_EV_LINK_DEL)
			assert_int_equal(n[GNL_EV_ADDR_DEL], 6);
	}
	assert_int_equal(n[GNL_EV_ADDR_DEL], 6); /* 10.0.0.0-4 and 10.1.0.1 */
	assert_int_equal(n[GNL_EV_LINK_DEL], 1);
	assert_int_equal(n[GNL_EV_ADDR_NEW], 0);
	assert_int_equal(gnl_cache_n_links(&f->c), 1);
	assert_int_equal(gnl_cache_n_addrs(&f->c), 9);

	/* A second identical re-dump reports nothing at all. */
	gnl_cache_sync_begin(&f->c);
	link_msg(f, &l);
	for (int i = 5; i <= 12; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		addr_msg(f, RTM_NEWADDR, 7, ip, 24, 0, 1);
	}
	addr_msg(f, RTM_NEWADDR, 7, "10.0.0.20", 24, 0, 0);
	assert_int_equal(gnl_cache_sync_end(&f->c, &f->q), 0);
	assert_empty(f);
}

static void test_scale_100k(void **state)
{
	struct fx *f = *state;
	unsigned int n[GNL_EV_RESYNC + 1] = { 0 };
	char ip[32];

	for (int i = 0; i < 100000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 0xff, i & 0xff);
		addr_msg(f, RTM_NEWADDR, 1 + (i % 3), ip, 8, 0, 0);
	}
	drain(f, n);
	assert_int_equal(n[GNL_EV_ADDR_NEW], 100000);
	assert_int_equal(gnl_cache_n_addrs(&f->c), 100000);
	/* Everything again (a re-dump): no event. */
	gnl_cache_sync_begin(&f->c);
	for (int i = 0; i < 100000; i += 2) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 0xff, i & 0xff);
		addr_msg(f, RTM_NEWADDR, 1 + (i % 3), ip, 8, 0, 0);
	}
	assert_empty(f);
	assert_int_equal(gnl_cache_sync_end(&f->c, &f->q), 0);
	memset(n, 0, sizeof(n));
	drain(f, n);
	assert_int_equal(n[GNL_EV_ADDR_DEL], 50000);
	assert_int_equal(gnl_cache_n_addrs(&f->c), 50000);
}

static struct gnl_addr key4(int ifindex, const char *ip, uint8_t plen)
{
	struct gnl_addr a = { .family = AF_INET, .ifindex = ifindex, .prefixlen = plen };

	assert_int_equal(inet_pton(AF_INET, ip, &a.addr.v4), 1);
	return a;
}

/*
 * Addresses that arrive before their link are that link's once it comes:
 * its removal reports them gone (the cache counts a link's addresses to
 * know whether to look for them), and nothing of another link.
 */
static void test_link_del_drops_earlier_addresses(void **state)
{
	struct fx *f = *state;
	struct nlb_link l = bond();
	unsigned int n[GNL_EV_RESYNC + 1] = { 0 };
	struct gnl_event ev;

	addr_msg(f, RTM_NEWADDR, 7, "192.0.2.1", 24, 0, 100);
	addr_msg(f, RTM_NEWADDR, 7, "192.0.2.2", 24, 0, 100);
	addr_msg(f, RTM_NEWADDR, 8, "192.0.2.3", 24, 0, 100);
	link_msg(f, &l);
	addr_msg(f, RTM_NEWADDR, 7, "192.0.2.4", 24, 0, 100);
	drain(f, n);
	assert_int_equal(n[GNL_EV_ADDR_NEW], 4);
	assert_int_equal(n[GNL_EV_LINK_NEW], 1);

	l.type = RTM_DELLINK;
	link_msg(f, &l);
	memset(n, 0, sizeof(n));
	while (gnl_evq_pop(&f->q, &ev) == 0) {
		n[ev.type]++;
		if (ev.type == GNL_EV_ADDR_DEL) {
			assert_int_equal(ev.addr.ifindex, 7);
			assert_int_equal(n[GNL_EV_LINK_DEL], 0);
		}
	}
	assert_int_equal(n[GNL_EV_ADDR_DEL], 3);
	assert_int_equal(n[GNL_EV_LINK_DEL], 1);
	assert_int_equal(gnl_cache_n_addrs(&f->c), 1);
}

/*
 * The address table: what it keeps of an address (key, flags, scope),
 * and removals in the middle of probe runs at its fullest (3/4), checked
 * against every key: none lost, none left behind.
 */
static void test_addr_table_removals(void **state)
{
	struct fx *f = *state;
	unsigned int n[GNL_EV_RESYNC + 1] = { 0 };
	struct gnl_addr a, got;
	char ip[32];
	const int count = 3072; /* 3/4 of 4096 slots */

	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.1", 24, IFA_F_PERMANENT, 0);
	a = key4(2, "192.0.2.1", 24);
	assert_true(gnl_cache_addr(&f->c, &a, &got));
	assert_int_equal(got.family, AF_INET);
	assert_int_equal(got.ifindex, 2);
	assert_int_equal(got.prefixlen, 24);
	assert_int_equal(got.flags, IFA_F_PERMANENT);
	assert_memory_equal(&got.addr.v4, &a.addr.v4, sizeof(a.addr.v4));
	a.prefixlen = 25;
	assert_false(gnl_cache_addr(&f->c, &a, &got));
	addr_msg(f, RTM_DELADDR, 2, "192.0.2.1", 24, IFA_F_PERMANENT, 0);
	drain(f, n);

	for (int i = 0; i < count; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i >> 8, i & 0xff);
		addr_msg(f, RTM_NEWADDR, 1 + (i % 3), ip, 8, 0, 0);
	}
	memset(n, 0, sizeof(n));
	drain(f, n);
	assert_int_equal(n[GNL_EV_ADDR_NEW], count);
	for (int i = 0; i < count; i += 3) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i >> 8, i & 0xff);
		addr_msg(f, RTM_DELADDR, 1 + (i % 3), ip, 8, 0, 0);
	}
	memset(n, 0, sizeof(n));
	drain(f, n);
	assert_int_equal(n[GNL_EV_ADDR_DEL], count / 3);
	assert_int_equal(gnl_cache_n_addrs(&f->c), count - count / 3);
	for (int i = 0; i < count; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i >> 8, i & 0xff);
		a = key4(1 + (i % 3), ip, 8);
		assert_int_equal(gnl_cache_addr(&f->c, &a, &got), i % 3 != 0);
	}
	/* the removed ones are new again, the others are not */
	for (int i = 0; i < count; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i >> 8, i & 0xff);
		addr_msg(f, RTM_NEWADDR, 1 + (i % 3), ip, 8, 0, 0);
	}
	memset(n, 0, sizeof(n));
	drain(f, n);
	assert_int_equal(n[GNL_EV_ADDR_NEW], count / 3);
	assert_int_equal(n[GNL_EV_ADDR_CHANGED], 0);
	assert_int_equal(gnl_cache_n_addrs(&f->c), count);
}

/*
 * A slot keeps its sync generation's low byte: a re-dump begun again 256
 * times (and more) without an end still sweeps what the last one did not
 * see, and keeps what it saw, in both families' tables.
 */
static void test_sync_restarted_256(void **state)
{
	struct fx *f = *state;
	unsigned int n[GNL_EV_RESYNC + 1] = { 0 };
	struct gnl_addr a, got;
	struct gnl_event ev;

	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.1", 24, 0, 0);
	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.2", 24, 0, 0);
	addr_msg(f, RTM_NEWADDR, 2, "2001:db8::1", 64, 0, 0);
	addr_msg(f, RTM_NEWADDR, 2, "2001:db8::2", 64, 0, 0);
	drain(f, n);
	assert_int_equal(n[GNL_EV_ADDR_NEW], 4);
	for (int i = 0; i < 256 + 3; i++)
		gnl_cache_sync_begin(&f->c);
	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.2", 24, 0, 0);
	addr_msg(f, RTM_NEWADDR, 2, "2001:db8::2", 64, 0, 0);
	assert_empty(f);
	for (int i = 0; i < 256; i++)
		gnl_cache_sync_begin(&f->c);
	/* seen 256 generations before this one: not seen by this one */
	addr_msg(f, RTM_NEWADDR, 2, "192.0.2.2", 24, 0, 0);
	assert_int_equal(gnl_cache_sync_end(&f->c, &f->q), 0);
	memset(n, 0, sizeof(n));
	while (gnl_evq_pop(&f->q, &ev) == 0) {
		n[ev.type]++;
		assert_int_equal(ev.type, GNL_EV_ADDR_DEL);
	}
	assert_int_equal(n[GNL_EV_ADDR_DEL], 3);
	assert_int_equal(gnl_cache_n_addrs(&f->c), 1);
	a = key4(2, "192.0.2.2", 24);
	assert_true(gnl_cache_addr(&f->c, &a, &got));
}

static void test_evq_wraps(void **state)
{
	struct gnl_evq q = GNL_EVQ_INIT;
	struct gnl_event ev = { 0 }, out;

	/* Interleave push/pop so the head moves and growth crosses the wrap. */
	for (uint32_t i = 0; i < 200; i++) {
		ev.query = i;
		assert_int_equal(gnl_evq_push(&q, &ev), 0);
		if (i & 1) {
			assert_int_equal(gnl_evq_pop(&q, &out), 0);
			assert_int_equal(out.query, i / 2);
		}
	}
	for (uint32_t i = 100; i < 200; i++) {
		assert_int_equal(gnl_evq_pop(&q, &out), 0);
		assert_int_equal(out.query, i);
	}
	assert_int_equal(gnl_evq_pop(&q, &out), -EAGAIN);
	gnl_evq_clear(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link_new_once_then_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_del_drops_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr_duplicate_and_readd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr_v6_dad_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr_v6_dad_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_after_redump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scale_100k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_del_drops_earlier_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_addr_table_removals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_restarted_256, setup, teardown),
		cmocka_unit_test(test_evq_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
