/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine, driven by a fake clock: links and addresses as structs,
 * events and time steps in, exact frames at exact times out. Every frame
 * is also checked against a model of what is configured: never a frame
 * for an address that is not on that interface, or from a link that is
 * down, or with a MAC the link no longer has.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "engine.h"

#define S(x) ((uint64_t)(x)*CFG_NSEC_PER_SEC)
#define MS(x) ((uint64_t)(x)*CFG_NSEC_PER_MSEC)

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#define OPER_UP 6
#define OPER_DOWN 2

/* ---- policy ------------------------------------------------------------ */

struct policy {
	struct cfg_sequence def;
	const char *ignore_name;
	const char *special_name; /* gets `special` instead of `def` */
	struct cfg_sequence special;
	const char *router_name; /* forwards IPv6: its NAs carry the Router flag */
	unsigned int router_asked;
};

static bool policy_router(void *userdata, int ifindex, const char *ifname)
{
	struct policy *p = userdata;

	p->router_asked++;
	return p->router_name && !strcmp(ifname, p->router_name);
}

static void policy_get(void *userdata, const char *ifname, struct cfg_sequence *ret)
{
	const struct policy *p = userdata;

	*ret = p->def;
	if (p->special_name && !strcmp(ifname, p->special_name))
		*ret = p->special;
	if (p->ignore_name && !strcmp(ifname, p->ignore_name))
		ret->ignore = true;
}

/* ---- the model: what is configured, for the invariant ------------------ */

#define MODEL_SIZE (1u << 18)
#define TL_MAX_LINKS 256

struct model_entry {
	bool used;
	int ifindex;
	struct garp_addr addr;
	bool on;
	uint32_t probes, requests, replies, refreshes;
};

struct rec {
	uint64_t t;
	struct engine_frame f;
};

struct tl {
	struct engine *e;
	struct policy pol;
	uint64_t now;
	struct rec *recs;
	size_t n, cap, cursor;
	bool keep; /* record frames (off for the big test) */
	struct engine_note notes[512];
	size_t n_notes;
	struct gnl_link links[TL_MAX_LINKS];
	bool link_known[TL_MAX_LINKS];
	struct model_entry *model;
	uint64_t frames;
};

static struct model_entry *model_get(struct tl *x, int ifindex, const struct garp_addr *a,
				     bool create)
{
	uint64_t k = garp_addr_hash(a) ^ (uint64_t)(uint32_t)ifindex;
	size_t i = (k * 0x9e3779b97f4a7c15ull) >> 46;

	for (;; i = (i + 1) % MODEL_SIZE) {
		struct model_entry *m = &x->model[i];

		if (m->used && m->ifindex == ifindex && garp_addr_eq(&m->addr, a))
			return m;
		if (!m->used) {
			if (!create)
				return NULL;
			m->used = true;
			m->ifindex = ifindex;
			m->addr = *a;
			return m;
		}
	}
}

/* The engine's key of a gnl_addr. */
static struct garp_addr gnl_key(const struct gnl_addr *a)
{
	return a->family == AF_INET6 ? garp_addr_v6(&a->addr.v6) : garp_addr_v4(a->addr.v4);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool link_up(const struct gnl_link *l)
{
	return gnl_link_is_oper_up(l); /* the one rule, netlink/'s */
}

static void tl_drain(struct tl *x)
{
	struct engine_frame f;
	struct engine_note n;

	while (engine_pop_frame(x->e, &f) == 0) {
		x->frames++;
		assert_true(f.ifindex > 0 && f.ifindex < TL_MAX_LINKS);
		assert_true(x->link_known[f.ifindex]);
		assert_true(link_up(&x->links[f.ifindex]));
		if (f.kind != ENGINE_FRAME_RELEARN) {
			struct model_entry *m = model_get(x, f.ifindex, &f.addr, false);
			char as[GARP_ADDR_STRLEN];

			/* the invariant: only for an address configured on that interface, now */
			if (!m || !m->on)
				fail_msg(
				    "frame for %s on ifindex %d, which is not configured there",
				    garp_addr_to_str(&f.addr, as), f.ifindex);
			/* and from the link's current MAC */
			assert_memory_equal(f.frame.data + 6, x->links[f.ifindex].mac, 6);
			/* and of the family its address is */
			if (f.kind != ENGINE_FRAME_REFRESH)
				assert_int_equal(f.kind == ENGINE_FRAME_NS_PROBE ||
						     f.kind == ENGINE_FRAME_NA,
						 f.addr.family == AF_INET6);
			else /* an NS for IPv6, an ARP request for IPv4 */
				assert_int_equal(be16(f.frame.data + 12) == 0x86dd ||
						     (be16(f.frame.data + 12) == 0x8100 &&
						      be16(f.frame.data + 16) == 0x86dd),
						 f.addr.family == AF_INET6);
			if (f.kind == ENGINE_FRAME_PROBE || f.kind == ENGINE_FRAME_NS_PROBE)
				m->probes++;
			else if (f.kind == ENGINE_FRAME_ANNOUNCE_REQUEST ||
				 f.kind == ENGINE_FRAME_NA)
				m->requests++;
			else if (f.kind == ENGINE_FRAME_REFRESH)
				m->refreshes++;
			else
				m->replies++;
		}
		if (!x->keep)
			continue;
		if (x->n == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 64;
			x->recs = realloc(x->recs, x->cap * sizeof(*x->recs));
			assert_non_null(x->recs);
		}
		x->recs[x->n++] = (struct rec){ .t = x->now, .f = f };
	}
	while (engine_pop_note(x->e, &n) == 0)
		if (x->n_notes < sizeof(x->notes) / sizeof(x->notes[0]))
			x->notes[x->n_notes++] = n;
}

/* With @def's directed_refresh as it is (the refresh tests). */
static void tl_init_refresh(struct tl *x, const struct cfg_sequence *def)
{
	struct engine_policy_source src = { .get = policy_get,
					    .userdata = &x->pol,
					    .ipv6_router = policy_router };

	memset(x, 0, sizeof(*x));
	x->pol.def = def ? *def : (struct cfg_sequence)CFG_SEQUENCE_INIT;
	x->keep = true;
	x->model = calloc(MODEL_SIZE, sizeof(*x->model));
	assert_non_null(x->model);
	assert_int_equal(engine_new(&x->e, &src, 42), 0);
}

/*
 * The announcement timelines run without the directed refresh (on by
 * default): it adds a neighbour query to every sequence, which the
 * test_refresh_* timelines answer and check.
 */
static void tl_init(struct tl *x, const struct cfg_sequence *def)
{
	struct cfg_sequence s = def ? *def : (struct cfg_sequence)CFG_SEQUENCE_INIT;

	s.directed_refresh = false;
	tl_init_refresh(x, &s);
}

static void tl_fini(struct tl *x)
{
	engine_free(x->e);
	free(x->recs);
	free(x->model);
}

/* Runs every deadline up to and including @t, one step at a time. */
static void tl_advance(struct tl *x, uint64_t t)
{
	uint64_t d;

	assert_true(t >= x->now);
	while ((d = engine_next_deadline(x->e)) <= t) {
		assert_true(d >= x->now);
		x->now = d;
		engine_run(x->e, d);
		tl_drain(x);
	}
	x->now = t;
	engine_run(x->e, t);
	tl_drain(x);
}

static struct gnl_link mk_link(int ifindex, const char *name)
{
	struct gnl_link l = {
		.ifindex = ifindex,
		.mac = { 0x02, 0, 0, 0, (uint8_t)(ifindex >> 8), (uint8_t)ifindex },
		.mac_len = 6,
		.type = ARPHRD_ETHER,
		.flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP,
		.operstate = OPER_UP,
	};

	snprintf(l.name, sizeof(l.name), "%s", name);
	return l;
}

static void tl_link(struct tl *x, const struct gnl_link *l, unsigned int changes)
{
	assert_true(l->ifindex > 0 && l->ifindex < TL_MAX_LINKS);
	x->links[l->ifindex] = *l;
	x->link_known[l->ifindex] = true;
	engine_link(x->e, x->now, l, changes);
	tl_drain(x);
}

static struct gnl_link *tl_add_link(struct tl *x, int ifindex, const char *name)
{
	struct gnl_link l = mk_link(ifindex, name);

	tl_link(x, &l, 0);
	return &x->links[ifindex];
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* Either family. */
static struct garp_addr ga(const char *s)
{
	struct garp_addr a;

	assert_int_equal(garp_addr_from_str(s, &a), 0);
	return a;
}

static struct gnl_addr mk_addr(int ifindex, const char *s)
{
	struct gnl_addr a = {
		.family = AF_INET,
		.ifindex = ifindex,
		.prefixlen = 24,
		.scope = RT_SCOPE_UNIVERSE,
	};

	a.addr.v4 = ip(s);
	return a;
}

static void tl_addr_full(struct tl *x, const struct gnl_addr *a, bool is_new)
{
	struct garp_addr k = gnl_key(a);

	model_get(x, a->ifindex, &k, true)->on = true;
	engine_addr(x->e, x->now, a, is_new);
	tl_drain(x);
}

static void tl_addr(struct tl *x, int ifindex, const char *s)
{
	struct gnl_addr a = mk_addr(ifindex, s);

	tl_addr_full(x, &a, true);
}

static void tl_addr_del(struct tl *x, int ifindex, const char *s)
{
	struct gnl_addr a = mk_addr(ifindex, s);
	struct garp_addr k = gnl_key(&a);

	model_get(x, ifindex, &k, true)->on = false;
	engine_addr_del(x->e, x->now, &a);
	tl_drain(x);
}

static void tl_arp(struct tl *x, int ifindex, const struct pkt_arp *arp)
{
	engine_arp(x->e, x->now, ifindex, arp);
	tl_drain(x);
}

/* ---- expectations ------------------------------------------------------ */

static void dump(const struct tl *x)
{
	for (size_t i = 0; i < x->n; i++) {
		const struct rec *r = &x->recs[i];
		char as[GARP_ADDR_STRLEN];

		print_message("%c %3zu t=%llu.%09llu if=%d kind=%d addr=%s len=%u\n",
			      i == x->cursor ? '>' : ' ', i, (unsigned long long)(r->t / S(1)),
			      (unsigned long long)(r->t % S(1)), r->f.ifindex, r->f.kind,
			      garp_addr_to_str(&r->f.addr, as), r->f.frame.len);
	}
}

static void expect_rec(struct tl *x, uint64_t t, int ifindex, enum engine_frame_kind kind,
		       const char *addr, const struct pkt_frame *want)
{
	const struct rec *r;
	struct garp_addr none = { 0 }, wa = addr ? ga(addr) : none;

	if (x->cursor >= x->n) {
		dump(x);
		fail_msg("expected a frame (kind %d) at %llu ns, got none", kind,
			 (unsigned long long)t);
	}
	r = &x->recs[x->cursor];
	if (r->t != t || r->f.ifindex != ifindex || r->f.kind != kind ||
	    !garp_addr_eq(&r->f.addr, &wa) || r->f.frame.len != want->len ||
	    memcmp(r->f.frame.data, want->data, want->len)) {
		dump(x);
		fail_msg("frame %zu: want t=%llu if=%d kind=%d addr=%s", x->cursor,
			 (unsigned long long)t, ifindex, kind, addr ? addr : "0.0.0.0");
	}
	x->cursor++;
}

static void expect_probe(struct tl *x, uint64_t t, int ifindex, const char *addr)
{
	struct pkt_frame f;

	assert_int_equal(pkt_build_probe(&f, x->links[ifindex].mac, ip(addr), PKT_VLAN_NONE), 0);
	expect_rec(x, t, ifindex, ENGINE_FRAME_PROBE, addr, &f);
}

static void expect_request_tha(struct tl *x, uint64_t t, int ifindex, const char *addr,
			       enum pkt_tha tha)
{
	struct pkt_frame f;

	assert_int_equal(
	    pkt_build_announce_request(&f, x->links[ifindex].mac, ip(addr), tha, PKT_VLAN_NONE), 0);
	expect_rec(x, t, ifindex, ENGINE_FRAME_ANNOUNCE_REQUEST, addr, &f);
}

static void expect_request(struct tl *x, uint64_t t, int ifindex, const char *addr)
{
	expect_request_tha(x, t, ifindex, addr, PKT_THA_BROADCAST);
}

static void expect_reply(struct tl *x, uint64_t t, int ifindex, const char *addr)
{
	struct pkt_frame f;

	assert_int_equal(
	    pkt_build_announce_reply(&f, x->links[ifindex].mac, ip(addr), PKT_VLAN_NONE), 0);
	expect_rec(x, t, ifindex, ENGINE_FRAME_ANNOUNCE_REPLY, addr, &f);
}

static void expect_relearn(struct tl *x, uint64_t t, int ifindex, const uint8_t mac[6],
			   enum pkt_relearn kind, uint16_t vlan)
{
	struct pkt_frame f;

	assert_int_equal(pkt_build_relearn(&f, mac, kind, vlan), 0);
	expect_rec(x, t, ifindex, ENGINE_FRAME_RELEARN, NULL, &f);
}

static void expect_none(struct tl *x)
{
	if (x->cursor != x->n) {
		dump(x);
		fail_msg("%zu unexpected frame(s)", x->n - x->cursor);
	}
}

static size_t count_notes(const struct tl *x, enum engine_note_type type)
{
	size_t c = 0;

	for (size_t i = 0; i < x->n_notes; i++)
		c += x->notes[i].type == type;
	return c;
}

static const struct engine_note *find_note(const struct tl *x, enum engine_note_type type)
{
	for (size_t i = 0; i < x->n_notes; i++)
		if (x->notes[i].type == type)
			return &x->notes[i];
	return NULL;
}

static struct pkt_arp mk_arp(uint16_t op, const uint8_t mac[6], const char *spa, const char *tpa)
{
	struct pkt_arp a = { .op = op, .spa = ip(spa), .tpa = ip(tpa) };

	memset(a.eth_dst, 0xff, 6);
	memcpy(a.eth_src, mac, 6);
	memcpy(a.sha, mac, 6);
	return a;
}

static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

/* ---- tests ------------------------------------------------------------- */

static void test_default_sequence(void **state)
{
	struct tl x;
	struct engine_counters c;
	const struct engine_note *n;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	assert_int_equal(engine_next_deadline(x.e), ENGINE_NO_DEADLINE);
	assert_false(engine_wants_arp(x.e));

	x.now = S(100);
	tl_addr(&x, 2, "10.0.0.6");
	assert_true(engine_wants_arp(x.e));
	assert_int_equal(engine_next_deadline(x.e), S(101));
	tl_advance(&x, S(102) + MS(500));
	assert_true(engine_wants_arp(x.e));
	tl_advance(&x, S(200));
	assert_false(engine_wants_arp(x.e));
	assert_int_equal(engine_next_deadline(x.e), ENGINE_NO_DEADLINE);

	expect_probe(&x, S(100), 2, "10.0.0.6");
	expect_probe(&x, S(101), 2, "10.0.0.6");
	expect_probe(&x, S(102), 2, "10.0.0.6");
	expect_request(&x, S(103), 2, "10.0.0.6");
	expect_none(&x);

	engine_get_counters(x.e, &c);
	assert_int_equal(c.probes, 3);
	assert_int_equal(c.announcements, 1);
	assert_int_equal(c.replies, 0);
	assert_int_equal(c.sequences, 1);
	assert_int_equal(c.rate_limited, 0);
	n = find_note(&x, ENGINE_NOTE_STARTED);
	assert_non_null(n);
	assert_int_equal(n->probes, 3);
	assert_int_equal(n->time, S(100));
	n = find_note(&x, ENGINE_NOTE_ANNOUNCED);
	assert_non_null(n);
	assert_int_equal(n->time, S(103));
	assert_int_equal(n->ifindex, 2);
	tl_fini(&x);
}

static void test_zero_probes(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;

	s.probes = 0;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	x.now = S(5);
	tl_addr(&x, 2, "10.0.0.6");
	/* queued at once, inside the input call */
	assert_int_equal(x.n, 1);
	assert_false(engine_wants_arp(x.e));
	tl_advance(&x, S(60));
	expect_request(&x, S(5), 2, "10.0.0.6");
	expect_none(&x);
	assert_int_equal(find_note(&x, ENGINE_NOTE_STARTED)->probes, 0);
	tl_fini(&x);
}

static void test_several_announcements(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;

	s.probes = 2;
	s.probe_interval_ns = MS(250);
	s.announce_delay_ns = MS(500);
	s.announcements = 3;
	s.announce_interval_ns = S(2);
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, S(60));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, MS(250), 2, "10.0.0.6");
	expect_request(&x, MS(750), 2, "10.0.0.6");
	expect_request(&x, MS(2750), 2, "10.0.0.6");
	expect_request(&x, MS(4750), 2, "10.0.0.6");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_ANNOUNCED), 1);
	assert_int_equal(find_note(&x, ENGINE_NOTE_ANNOUNCED)->time, MS(4750));
	tl_fini(&x);
}

static void test_frames_both_and_reply(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct engine_counters c;
	struct tl x;

	s.probes = 0;
	s.announcements = 2;
	s.frames = CFG_FRAMES_BOTH;
	s.target_mac = CFG_THA_ZERO;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, S(10));
	expect_request_tha(&x, 0, 2, "10.0.0.6", PKT_THA_ZERO);
	expect_reply(&x, 0, 2, "10.0.0.6");
	expect_request_tha(&x, S(1), 2, "10.0.0.6", PKT_THA_ZERO);
	expect_reply(&x, S(1), 2, "10.0.0.6");
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.announcements, 4);
	assert_int_equal(c.replies, 2);
	tl_fini(&x);

	s.frames = CFG_FRAMES_REPLY;
	s.announcements = 1;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, S(10));
	expect_reply(&x, 0, 2, "10.0.0.6");
	expect_none(&x);
	tl_fini(&x);
}

static void test_rfc5227_jitter(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x, y;

	s.profile = CFG_PROFILE_RFC5227;
	s.probe_wait_ns = S(1);
	s.probe_interval_ns = S(1);
	s.probe_max_ns = S(2);
	s.announce_delay_ns = S(2);
	s.announcements = 2;
	s.announce_interval_ns = S(2);
	tl_init(&x, &s);
	tl_init(&y, &s);
	tl_add_link(&x, 2, "eth0");
	tl_add_link(&y, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_addr(&y, 2, "10.0.0.6");
	tl_advance(&x, S(60));
	tl_advance(&y, S(60));
	assert_int_equal(x.n, 5);
	assert_int_equal(y.n, 5);
	/* the same seed gives the same timeline */
	for (size_t i = 0; i < x.n; i++)
		assert_int_equal(x.recs[i].t, y.recs[i].t);
	assert_true(x.recs[0].t <= S(1));
	for (size_t i = 1; i < 3; i++) {
		assert_true(x.recs[i].t - x.recs[i - 1].t >= S(1));
		assert_true(x.recs[i].t - x.recs[i - 1].t <= S(2));
	}
	assert_int_equal(x.recs[3].t, x.recs[2].t + S(2));
	assert_int_equal(x.recs[4].t, x.recs[3].t + S(2));
	assert_int_equal(x.recs[3].f.kind, ENGINE_FRAME_ANNOUNCE_REQUEST);
	tl_fini(&x);
	tl_fini(&y);
}

static void test_conflict_sender_ip(void **state)
{
	struct tl x;
	struct pkt_arp a;
	struct engine_conflict cf[4];
	struct engine_counters c;
	const struct engine_note *n;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(1500));
	/* an unrelated ARP, and a host asking for the address (not a probe): nothing */
	a = mk_arp(PKT_ARPOP_REQUEST, other_mac, "10.0.0.9", "10.0.0.1");
	tl_arp(&x, 2, &a);
	a = mk_arp(PKT_ARPOP_REQUEST, other_mac, "10.0.0.9", "10.0.0.6");
	tl_arp(&x, 2, &a);
	assert_true(engine_wants_arp(x.e));
	/* the defence: another host answers for 10.0.0.6 (RFC 5227 §2.1.1, SPA = ours) */
	a = mk_arp(PKT_ARPOP_REPLY, other_mac, "10.0.0.6", "0.0.0.0");
	tl_arp(&x, 2, &a);
	assert_false(engine_wants_arp(x.e));
	tl_advance(&x, S(60));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_none(&x);

	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);
	assert_int_equal(engine_get_conflicts(x.e, cf, 4), 1);
	assert_int_equal(cf[0].ifindex, 2);
	assert_int_equal(cf[0].addr.family, AF_INET);
	assert_int_equal(cf[0].addr.v4.s_addr, ip("10.0.0.6").s_addr);
	assert_memory_equal(cf[0].mac, other_mac, 6);
	assert_int_equal(cf[0].time, MS(1500));
	n = find_note(&x, ENGINE_NOTE_CONFLICT);
	assert_non_null(n);
	assert_memory_equal(n->mac, other_mac, 6);
	assert_null(find_note(&x, ENGINE_NOTE_ANNOUNCED));

	/* carrier down and up later: a defended address is probed again, not just announced */
	x.links[2].operstate = OPER_DOWN;
	tl_link(&x, &x.links[2], GNL_CHANGE_CARRIER_DOWN);
	x.links[2].operstate = OPER_UP;
	tl_link(&x, &x.links[2], GNL_CHANGE_CARRIER_UP);
	tl_advance(&x, S(70));
	expect_probe(&x, S(60), 2, "10.0.0.6");
	expect_probe(&x, S(61), 2, "10.0.0.6");
	expect_probe(&x, S(62), 2, "10.0.0.6");
	expect_request(&x, S(63), 2, "10.0.0.6");
	expect_none(&x);
	tl_fini(&x);
}

static void test_conflict_probe(void **state)
{
	struct tl x;
	struct pkt_arp a;
	struct engine_counters c;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	/* in the pause after the last probe, still a conflict (ANNOUNCE_WAIT) */
	tl_advance(&x, MS(2500));
	a = mk_arp(PKT_ARPOP_REQUEST, other_mac, "0.0.0.0", "10.0.0.6");
	tl_arp(&x, 2, &a);
	tl_advance(&x, S(60));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_probe(&x, S(2), 2, "10.0.0.6");
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);
	tl_fini(&x);
}

static void test_no_conflict_from_own(void **state)
{
	struct tl x;
	struct gnl_link *port;
	struct engine_counters c;
	struct pkt_arp a;

	tl_init(&x, NULL);
	/* br0 (10) with port vif0 (11) */
	tl_add_link(&x, 10, "br0");
	x.links[10].mac[5] = 0x10;
	x.links[10].kind = GNL_KIND_BRIDGE;
	tl_link(&x, &x.links[10], GNL_CHANGE_OTHER);
	port = tl_add_link(&x, 11, "vif0");
	port->master = 10;
	port->slave_kind = GNL_KIND_BRIDGE;
	tl_link(&x, port, GNL_CHANGE_MASTER);
	tl_add_link(&x, 2, "eth0");

	tl_addr(&x, 10, "10.0.0.1");
	tl_addr(&x, 2, "10.9.0.1");
	tl_advance(&x, MS(500));
	/* our own probe for the bridge's address, seen on the port and on the bridge */
	a = mk_arp(PKT_ARPOP_REQUEST, x.links[10].mac, "0.0.0.0", "10.0.0.1");
	tl_arp(&x, 11, &a);
	tl_arp(&x, 10, &a);
	/* the kernel's own ARP from the bridge, with its address */
	a = mk_arp(PKT_ARPOP_REQUEST, x.links[10].mac, "10.0.0.1", "10.0.0.254");
	tl_arp(&x, 11, &a);
	/* the port's MAC as Ethernet source, SHA the bridge's */
	memcpy(a.eth_src, x.links[11].mac, 6);
	tl_arp(&x, 11, &a);
	/* eth0's own MAC */
	a = mk_arp(PKT_ARPOP_REPLY, x.links[2].mac, "10.9.0.1", "10.9.0.1");
	tl_arp(&x, 2, &a);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 0);

	/* a foreign defence seen only on the port is a conflict for the bridge's address */
	a = mk_arp(PKT_ARPOP_REPLY, other_mac, "10.0.0.1", "10.0.0.1");
	tl_arp(&x, 11, &a);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);
	/* but not for eth0's address: another link */
	a = mk_arp(PKT_ARPOP_REPLY, other_mac, "10.9.0.1", "10.9.0.1");
	tl_arp(&x, 11, &a);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);

	tl_advance(&x, S(60));
	expect_probe(&x, 0, 10, "10.0.0.1");
	expect_probe(&x, 0, 2, "10.9.0.1");
	expect_probe(&x, S(1), 2, "10.9.0.1");
	expect_probe(&x, S(2), 2, "10.9.0.1");
	expect_request(&x, S(3), 2, "10.9.0.1");
	expect_none(&x);

	/* after the sequence, a foreign frame with the address is not a conflict (not probing) */
	a = mk_arp(PKT_ARPOP_REPLY, other_mac, "10.9.0.1", "10.9.0.1");
	tl_arp(&x, 2, &a);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);
	tl_fini(&x);
}

static void test_conflict_announce(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct pkt_arp a;
	struct engine_counters c;

	s.on_conflict = CFG_CONFLICT_ANNOUNCE;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(1500));
	a = mk_arp(PKT_ARPOP_REPLY, other_mac, "10.0.0.6", "10.0.0.6");
	tl_arp(&x, 2, &a);
	tl_arp(&x, 2, &a); /* recorded once per sequence */
	tl_advance(&x, S(60));
	/* no more probes; the announcement after the last probe's pause */
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_request(&x, S(2), 2, "10.0.0.6");
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);
	tl_fini(&x);
}

static void test_removal_during_probing(void **state)
{
	struct tl x;
	const struct engine_note *n;
	struct engine_counters c;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(1500));
	tl_addr_del(&x, 2, "10.0.0.6");
	assert_false(engine_wants_arp(x.e));
	tl_advance(&x, S(60));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_none(&x);
	n = find_note(&x, ENGINE_NOTE_CANCELLED);
	assert_non_null(n);
	assert_int_equal(n->reason, ENGINE_CANCEL_ADDR_REMOVED);
	assert_int_equal(n->time, MS(1500));
	engine_get_counters(x.e, &c);
	assert_int_equal(c.cancellations, 1);

	/* removed exactly when the announcement was due: it does not go out */
	tl_advance(&x, S(100));
	tl_addr(&x, 2, "10.0.0.7");
	tl_advance(&x, S(102));
	x.now = S(103);
	tl_addr_del(&x, 2, "10.0.0.7");
	tl_advance(&x, S(200));
	expect_probe(&x, S(100), 2, "10.0.0.7");
	expect_probe(&x, S(101), 2, "10.0.0.7");
	expect_probe(&x, S(102), 2, "10.0.0.7");
	expect_none(&x);
	tl_fini(&x);
}

static void test_link_down_up(void **state)
{
	struct tl x;
	struct gnl_link *l;

	tl_init(&x, NULL);
	l = tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(1500));
	/* carrier lost while probing: cancelled */
	l->operstate = OPER_DOWN;
	l->flags &= ~(unsigned)IFF_LOWER_UP;
	tl_link(&x, l, GNL_CHANGE_CARRIER_DOWN);
	assert_int_equal(find_note(&x, ENGINE_NOTE_CANCELLED)->reason, ENGINE_CANCEL_LINK_DOWN);
	tl_advance(&x, S(10));
	/* back: the interrupted sequence runs again, in full */
	l->operstate = OPER_UP;
	l->flags |= IFF_LOWER_UP;
	tl_link(&x, l, GNL_CHANGE_CARRIER_UP);
	tl_advance(&x, S(20));
	/* down and up after it completed: the announcement only (on_link_up = announce) */
	l->flags &= ~(unsigned)IFF_UP;
	tl_link(&x, l, GNL_CHANGE_FLAGS | GNL_CHANGE_CARRIER_DOWN);
	tl_advance(&x, S(30));
	l->flags |= IFF_UP;
	tl_link(&x, l, GNL_CHANGE_FLAGS | GNL_CHANGE_CARRIER_UP);
	tl_advance(&x, S(60));

	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_probe(&x, S(10), 2, "10.0.0.6");
	expect_probe(&x, S(11), 2, "10.0.0.6");
	expect_probe(&x, S(12), 2, "10.0.0.6");
	expect_request(&x, S(13), 2, "10.0.0.6");
	expect_request(&x, S(30), 2, "10.0.0.6");
	expect_none(&x);
	tl_fini(&x);
}

/*
 * One "link is up" rule: netlink/'s gnl_link_is_oper_up(). A link the
 * kernel reports IF_OPER_UP but without IFF_LOWER_UP (no carrier) is down:
 * the engine's own rule used to send for it. UNKNOWN with LOWER_UP (a
 * driver without operstate) is up.
 */
static void test_link_up_rule_is_netlinks(void **state)
{
	struct tl x;
	struct gnl_link l = mk_link(2, "eth0");
	struct gnl_link u = mk_link(3, "tun0");

	tl_init(&x, NULL);
	l.flags &= ~(unsigned)IFF_LOWER_UP; /* operstate still OPER_UP */
	assert_false(gnl_link_is_oper_up(&l));
	tl_link(&x, &l, 0);
	u.operstate = 0; /* IF_OPER_UNKNOWN */
	assert_true(gnl_link_is_oper_up(&u));
	tl_link(&x, &u, 0);
	tl_addr(&x, 2, "10.0.0.6");
	tl_addr(&x, 3, "10.0.1.6");
	assert_int_equal(engine_announce(x.e, x.now, 2, NULL, ENGINE_ANNOUNCE_ONLY), -ENETDOWN);
	tl_advance(&x, S(10));

	expect_probe(&x, 0, 3, "10.0.1.6");
	expect_probe(&x, S(1), 3, "10.0.1.6");
	expect_probe(&x, S(2), 3, "10.0.1.6");
	expect_request(&x, S(3), 3, "10.0.1.6");
	expect_none(&x);
	tl_fini(&x);
}

static void test_link_up_sequence_and_none(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_link *l;

	s.on_link_up = CFG_ACTION_SEQUENCE;
	s.probes = 1;
	tl_init(&x, &s);
	l = tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, S(10));
	l->operstate = OPER_DOWN;
	tl_link(&x, l, GNL_CHANGE_CARRIER_DOWN);
	x.now = S(20);
	l->operstate = OPER_UP;
	tl_link(&x, l, GNL_CHANGE_CARRIER_UP);
	tl_advance(&x, S(30));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_request(&x, S(1), 2, "10.0.0.6");
	expect_probe(&x, S(20), 2, "10.0.0.6");
	expect_request(&x, S(21), 2, "10.0.0.6");
	expect_none(&x);
	tl_fini(&x);

	s.on_link_up = CFG_ACTION_NONE;
	tl_init(&x, &s);
	l = tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, S(10));
	l->operstate = OPER_DOWN;
	tl_link(&x, l, GNL_CHANGE_CARRIER_DOWN);
	/* an address added while the link is down gets its sequence when it comes up */
	tl_addr(&x, 2, "10.0.0.7");
	x.now = S(20);
	l->operstate = OPER_UP;
	tl_link(&x, l, GNL_CHANGE_CARRIER_UP);
	tl_advance(&x, S(30));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_request(&x, S(1), 2, "10.0.0.6");
	expect_probe(&x, S(20), 2, "10.0.0.7");
	expect_request(&x, S(21), 2, "10.0.0.7");
	expect_none(&x);
	tl_fini(&x);
}

static void test_mac_change(void **state)
{
	struct tl x;
	struct gnl_link *l;

	tl_init(&x, NULL);
	l = tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(1500));
	/* while probing: restart the whole sequence with the new MAC */
	l->mac[5] = 0x77;
	tl_link(&x, l, GNL_CHANGE_MAC);
	assert_int_equal(find_note(&x, ENGINE_NOTE_CANCELLED)->reason, ENGINE_CANCEL_MAC_CHANGED);
	tl_advance(&x, S(10));
	/* the earlier frames carried the old MAC: check them by hand */
	assert_int_equal(x.recs[0].f.frame.data[11], 2);
	assert_int_equal(x.recs[1].f.frame.data[11], 2);
	x.cursor = 2;
	expect_probe(&x, MS(1500), 2, "10.0.0.6");
	expect_probe(&x, MS(2500), 2, "10.0.0.6");
	expect_probe(&x, MS(3500), 2, "10.0.0.6");
	expect_request(&x, MS(4500), 2, "10.0.0.6");
	/* after it: on_mac_change = announce */
	l->mac[5] = 0x78;
	tl_link(&x, l, GNL_CHANGE_MAC);
	tl_advance(&x, S(20));
	expect_request(&x, S(10), 2, "10.0.0.6");
	expect_none(&x);
	tl_fini(&x);
}

static void test_duplicate_newaddr(void **state)
{
	struct tl x;
	struct gnl_addr a = mk_addr(2, "10.0.0.6");

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr_full(&x, &a, true);
	tl_advance(&x, MS(500));
	tl_addr_full(&x, &a, true); /* the same RTM_NEWADDR again */
	tl_advance(&x, MS(1200));
	a.flags = 0x80; /* a flag/lifetime update */
	tl_addr_full(&x, &a, false);
	tl_advance(&x, S(10));
	assert_int_equal(count_notes(&x, ENGINE_NOTE_STARTED), 1);
	/* remove and add after the hold-down: a new sequence */
	tl_addr_del(&x, 2, "10.0.0.6");
	x.now = S(20);
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, S(30));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_probe(&x, S(2), 2, "10.0.0.6");
	expect_request(&x, S(3), 2, "10.0.0.6");
	expect_probe(&x, S(20), 2, "10.0.0.6");
	expect_probe(&x, S(21), 2, "10.0.0.6");
	expect_probe(&x, S(22), 2, "10.0.0.6");
	expect_request(&x, S(23), 2, "10.0.0.6");
	expect_none(&x);
	tl_fini(&x);
}

static void test_retrigger_in_flight(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct garp_addr a = ga("10.0.0.6");

	s.announcements = 3;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(500));
	/* asks for less than in flight: nothing */
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 0);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_SEQUENCE), 0);
	tl_advance(&x, MS(3500));
	/* announcing (announcement only is less than... the sequence in flight) */
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 0);
	tl_advance(&x, S(20));
	/* done: an announce-only starts; a sequence then asks for more and restarts */
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	x.now = S(20) + MS(100);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_SEQUENCE), 1);
	tl_drain(&x);
	tl_advance(&x, S(40));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_probe(&x, S(2), 2, "10.0.0.6");
	expect_request(&x, S(3), 2, "10.0.0.6");
	expect_request(&x, S(4), 2, "10.0.0.6");
	expect_request(&x, S(5), 2, "10.0.0.6");
	expect_request(&x, S(20), 2, "10.0.0.6");
	expect_probe(&x, S(20) + MS(100), 2, "10.0.0.6");
	expect_probe(&x, S(21) + MS(100), 2, "10.0.0.6");
	expect_probe(&x, S(22) + MS(100), 2, "10.0.0.6");
	expect_request(&x, S(23) + MS(100), 2, "10.0.0.6");
	expect_request(&x, S(24) + MS(100), 2, "10.0.0.6");
	expect_request(&x, S(25) + MS(100), 2, "10.0.0.6");
	expect_none(&x);
	tl_fini(&x);
}

static void test_hold_down_flapping(void **state)
{
	struct tl x;
	struct garp_addr gone;
	const struct engine_note *n;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	/* flapping many times a second */
	for (int i = 1; i <= 8; i++) {
		x.now = MS(100) * (uint64_t)i;
		if (i % 2)
			tl_addr_del(&x, 2, "10.0.0.6");
		else
			tl_addr(&x, 2, "10.0.0.6");
	}
	/* ends configured (i = 8 added it back): one sequence, at the end of the hold-down */
	n = find_note(&x, ENGINE_NOTE_DEFERRED);
	assert_non_null(n);
	assert_int_equal(n->when, S(1));
	tl_advance(&x, S(30));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_probe(&x, S(2), 2, "10.0.0.6");
	expect_probe(&x, S(3), 2, "10.0.0.6");
	expect_request(&x, S(4), 2, "10.0.0.6");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_STARTED), 2);

	/* flapping that ends removed: nothing at the end of the hold-down */
	x.now = S(100);
	tl_addr(&x, 2, "10.0.0.7");
	for (int i = 1; i <= 5; i++) {
		x.now = S(100) + MS(100) * (uint64_t)i;
		if (i % 2)
			tl_addr_del(&x, 2, "10.0.0.7");
		else
			tl_addr(&x, 2, "10.0.0.7");
	}
	tl_advance(&x, S(130));
	expect_probe(&x, S(100), 2, "10.0.0.7");
	expect_none(&x);
	/* and the removed address is forgotten once its hold-down is over */
	gone = ga("10.0.0.7");
	assert_int_equal(engine_announce(x.e, x.now, 2, &gone, ENGINE_ANNOUNCE_ONLY), -ENOENT);
	tl_fini(&x);
}

/*
 * eth0 (2), eth1 (3): slaves of bond0 (4), which is a port of br0 (10);
 * br0.100 (11) is a VLAN on br0, mv0 (12) a macvlan on br0.100; vif1 (20)
 * and vif2 (21) are guests' ports on br0.
 */
static void build_bond_lab(struct tl *x)
{
	struct gnl_link *l;

	l = tl_add_link(x, 4, "bond0");
	l->kind = GNL_KIND_BOND;
	l->bond_active_slave = 2;
	l->master = 10;
	l->slave_kind = GNL_KIND_BRIDGE;
	tl_link(x, l, GNL_CHANGE_OTHER);
	for (int i = 2; i <= 3; i++) {
		l = tl_add_link(x, i, i == 2 ? "eth0" : "eth1");
		memcpy(l->mac, x->links[4].mac, 6); /* slaves take the bond's MAC */
		l->master = 4;
		l->slave_kind = GNL_KIND_BOND;
		tl_link(x, l, GNL_CHANGE_MASTER);
	}
	l = tl_add_link(x, 10, "br0");
	l->kind = GNL_KIND_BRIDGE;
	memcpy(l->mac, x->links[4].mac, 6); /* a bridge takes its port's MAC */
	tl_link(x, l, GNL_CHANGE_OTHER);
	l = tl_add_link(x, 11, "br0.100");
	l->kind = GNL_KIND_VLAN;
	l->link = 10;
	l->vlan_id = 100;
	memcpy(l->mac, x->links[4].mac, 6);
	tl_link(x, l, GNL_CHANGE_OTHER);
	l = tl_add_link(x, 12, "mv0");
	l->kind = GNL_KIND_MACVLAN;
	l->link = 11;
	tl_link(x, l, GNL_CHANGE_OTHER);
	for (int i = 20; i <= 21; i++) {
		l = tl_add_link(x, i, i == 20 ? "vif1" : "vif2");
		l->master = 10;
		l->slave_kind = GNL_KIND_BRIDGE;
		tl_link(x, l, GNL_CHANGE_MASTER);
	}
	/* a lone interface, not stacked on the bond */
	tl_add_link(x, 30, "eth9");
	/* a veth whose IFLA_LINK (its peer, in another namespace) happens to be 4 */
	l = tl_add_link(x, 31, "veth9");
	l->kind = GNL_KIND_VETH;
	l->link = 4;
	tl_link(x, l, GNL_CHANGE_OTHER);
}

static void test_bond_failover(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct engine_query q;
	const struct engine_note *n;
	struct engine_counters c;
	struct gnl_link *bond;
	static const uint8_t guest_a[6] = { 0x52, 0x54, 0, 0, 0, 0xa };
	static const uint8_t guest_b[6] = { 0x52, 0x54, 0, 0, 0, 0xb };
	static const uint8_t remote[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t perm[6] = { 0x52, 0x54, 0, 0, 0, 0xc };
	struct gnl_fdb fdb[6] = {
		{ .ifindex = 20, .master = 10, .state = NUD_REACHABLE },	      /* guest A */
		{ .ifindex = 21, .master = 10, .vlan = 100, .state = NUD_REACHABLE }, /* guest B */
		{ .ifindex = 4, .master = 10, .state = NUD_REACHABLE },	 /* learned on the bond */
		{ .ifindex = 21, .master = 10, .state = NUD_PERMANENT }, /* local */
		{ .ifindex = 10, .master = 10, .state = NUD_NOARP },	 /* the bridge's own */
		{ .ifindex = 20,
		  .master = 10,
		  .vlan = 100,
		  .state = NUD_STALE }, /* A on VLAN 100 */
	};

	s.probes = 0;
	tl_init(&x, &s);
	build_bond_lab(&x);
	memcpy(fdb[0].mac, guest_a, 6);
	memcpy(fdb[1].mac, guest_b, 6);
	memcpy(fdb[2].mac, remote, 6);
	memcpy(fdb[3].mac, perm, 6);
	memcpy(fdb[4].mac, x.links[10].mac, 6);
	memcpy(fdb[5].mac, guest_a, 6);

	tl_addr(&x, 10, "10.0.0.1");
	tl_addr(&x, 11, "10.1.0.1");
	tl_addr(&x, 12, "10.2.0.1");
	tl_addr(&x, 2, "10.3.0.1"); /* on a bond slave: never announced there */
	tl_addr(&x, 30, "10.4.0.1");
	tl_addr(&x, 31, "10.5.0.1");
	tl_advance(&x, S(10));
	expect_request(&x, 0, 10, "10.0.0.1");
	expect_request(&x, 0, 11, "10.1.0.1");
	expect_request(&x, 0, 12, "10.2.0.1");
	expect_request(&x, 0, 30, "10.4.0.1");
	expect_request(&x, 0, 31, "10.5.0.1");
	expect_none(&x);
	assert_int_equal(engine_pop_query(x.e, &q), -EAGAIN);
	x.n_notes = 0;

	/* eth0 fails, eth1 takes over */
	x.now = S(100);
	bond = &x.links[4];
	bond->bond_active_slave = 3;
	tl_link(&x, bond, GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	expect_request(&x, S(100), 10, "10.0.0.1");
	expect_request(&x, S(100), 11, "10.1.0.1");
	expect_request(&x, S(100), 12, "10.2.0.1");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_FAILOVER), 1);
	n = find_note(&x, ENGINE_NOTE_FAILOVER);
	assert_int_equal(n->ifindex, 4);
	assert_int_equal(n->slave, 3);

	assert_int_equal(engine_pop_query(x.e, &q), 0);
	assert_int_equal(q.bridge, 10);
	assert_int_equal(engine_pop_query(x.e, &q), -EAGAIN);
	x.now = S(100) + MS(5);
	engine_fdb(x.e, x.now, 10, fdb, 6);
	tl_drain(&x);
	/* out of the bond, tagged where the entry has a VLAN */
	expect_relearn(&x, x.now, 4, guest_a, PKT_RELEARN_RARP, PKT_VLAN_NONE);
	expect_relearn(&x, x.now, 4, guest_b, PKT_RELEARN_RARP, 100);
	expect_relearn(&x, x.now, 4, guest_a, PKT_RELEARN_RARP, 100);
	expect_none(&x);
	n = find_note(&x, ENGINE_NOTE_RELEARN);
	assert_non_null(n);
	assert_int_equal(n->ifindex, 4);
	assert_int_equal(n->bridge, 10);
	assert_int_equal(n->count, 3);
	/* an answer nobody asked for is ignored */
	engine_fdb(x.e, x.now, 10, fdb, 6);
	tl_drain(&x);
	expect_none(&x);

	tl_advance(&x, S(200));
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.relearn, 3);
	tl_fini(&x);
}

static void test_bond_failover_arp_relearn_and_off(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct engine_query q;
	static const uint8_t guest[6] = { 0x52, 0x54, 0, 0, 0, 0xa };
	struct gnl_fdb fdb = { .ifindex = 20, .state = NUD_REACHABLE };

	memcpy(fdb.mac, guest, 6);
	s.probes = 0;
	s.relearn_frame = CFG_RELEARN_ARP;
	tl_init(&x, &s);
	build_bond_lab(&x);
	x.now = S(1);
	x.links[4].bond_active_slave = 3;
	tl_link(&x, &x.links[4], GNL_CHANGE_ACTIVE_SLAVE);
	assert_int_equal(engine_pop_query(x.e, &q), 0);
	engine_fdb(x.e, x.now, q.bridge, &fdb, 1);
	tl_drain(&x);
	expect_relearn(&x, S(1), 4, guest, PKT_RELEARN_ARP, PKT_VLAN_NONE);
	expect_none(&x);
	tl_fini(&x);

	/* relearn_guests = no: announcements, no query; on_bond_failover = none: nothing */
	s.relearn_guests = false;
	tl_init(&x, &s);
	build_bond_lab(&x);
	tl_addr(&x, 10, "10.0.0.1");
	x.now = S(1);
	x.links[4].bond_active_slave = 3;
	tl_link(&x, &x.links[4], GNL_CHANGE_ACTIVE_SLAVE);
	expect_request(&x, 0, 10, "10.0.0.1");
	expect_request(&x, S(1), 10, "10.0.0.1");
	expect_none(&x);
	assert_int_equal(engine_pop_query(x.e, &q), -EAGAIN);
	tl_fini(&x);

	s.on_bond_failover = CFG_ACTION_NONE;
	tl_init(&x, &s);
	build_bond_lab(&x);
	tl_addr(&x, 10, "10.0.0.1");
	x.now = S(1);
	x.links[4].bond_active_slave = 3;
	tl_link(&x, &x.links[4], GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	expect_request(&x, 0, 10, "10.0.0.1");
	expect_none(&x);
	assert_null(find_note(&x, ENGINE_NOTE_FAILOVER));
	tl_fini(&x);
}

/*
 * Bug 4b: on a VLAN-aware bridge the bond's port sends its PVID (VLAN 1,
 * "egress untagged") without a tag, so a guest's relearn frame in that
 * VLAN must be untagged too; VLANs tagged on that port keep their tag.
 */
static void test_bond_failover_port_vlans(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct engine_query q;
	static const uint8_t guest_a[6] = { 0x52, 0x54, 0, 0, 0, 0xa };
	static const uint8_t guest_b[6] = { 0x52, 0x54, 0, 0, 0, 0xb };
	static const uint8_t guest_c[6] = { 0x52, 0x54, 0, 0, 0, 0xc };
	static const uint8_t guest_d[6] = { 0x52, 0x54, 0, 0, 0, 0xd };
	struct gnl_fdb fdb[4] = {
		{ .ifindex = 20, .master = 10, .vlan = 1, .state = NUD_REACHABLE },   /* PVID */
		{ .ifindex = 21, .master = 10, .vlan = 100, .state = NUD_REACHABLE }, /* tagged */
		{ .ifindex = 20, .master = 10, .state = NUD_REACHABLE },	      /* no VLAN */
		{ .ifindex = 21, .master = 10, .vlan = 300, .state = NUD_REACHABLE }, /* a range */
	};
	const struct gnl_port_vlan vlans[] = {
		/* the guests' ports: access ports, untagged, must not matter */
		{ .ifindex = 20,
		  .master = 10,
		  .vid = 1,
		  .vid_end = 1,
		  .flags = GNL_VLAN_PVID | GNL_VLAN_UNTAGGED },
		{ .ifindex = 21,
		  .master = 10,
		  .vid = 100,
		  .vid_end = 100,
		  .flags = GNL_VLAN_PVID | GNL_VLAN_UNTAGGED },
		/* the bridge itself */
		{ .ifindex = 10,
		  .master = 0,
		  .vid = 1,
		  .vid_end = 4094,
		  .flags = GNL_VLAN_UNTAGGED },
		/* bond0's port: bridge vlan show dev bond0 */
		{ .ifindex = 4,
		  .master = 10,
		  .vid = 1,
		  .vid_end = 1,
		  .flags = GNL_VLAN_PVID | GNL_VLAN_UNTAGGED },
		{ .ifindex = 4, .master = 10, .vid = 100, .vid_end = 100 },
		{ .ifindex = 4,
		  .master = 10,
		  .vid = 200,
		  .vid_end = 400,
		  .flags = GNL_VLAN_UNTAGGED },
		/* a port 4 of another bridge (an answer that was not filtered) */
		{ .ifindex = 4,
		  .master = 99,
		  .vid = 100,
		  .vid_end = 100,
		  .flags = GNL_VLAN_UNTAGGED },
	};

	memcpy(fdb[0].mac, guest_a, 6);
	memcpy(fdb[1].mac, guest_b, 6);
	memcpy(fdb[2].mac, guest_c, 6);
	memcpy(fdb[3].mac, guest_d, 6);
	s.probes = 0;
	tl_init(&x, &s);
	build_bond_lab(&x);
	x.now = S(1);
	x.links[4].bond_active_slave = 3;
	tl_link(&x, &x.links[4], GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	assert_int_equal(engine_pop_query(x.e, &q), 0);
	assert_int_equal(q.bridge, 10);
	engine_fdb_vlans(x.e, x.now, q.bridge, fdb, 4, vlans, sizeof(vlans) / sizeof(vlans[0]));
	tl_drain(&x);
	expect_relearn(&x, S(1), 4, guest_a, PKT_RELEARN_RARP, PKT_VLAN_NONE);
	expect_relearn(&x, S(1), 4, guest_b, PKT_RELEARN_RARP, 100);
	expect_relearn(&x, S(1), 4, guest_c, PKT_RELEARN_RARP, PKT_VLAN_NONE);
	expect_relearn(&x, S(1), 4, guest_d, PKT_RELEARN_RARP, PKT_VLAN_NONE);
	expect_none(&x);

	/* The byte-level difference: the PVID guest's frame has no 802.1Q header. */
	{
		const struct rec *r = &x.recs[x.n - 4];

		assert_int_equal(r->f.frame.len, PKT_FRAME_MIN);
		assert_int_equal(r->f.frame.data[12], 0x80);
		assert_int_equal(r->f.frame.data[13], 0x35); /* RARP right after the MACs */
		r = &x.recs[x.n - 3];
		assert_int_equal(r->f.frame.len, PKT_FRAME_MIN + PKT_VLAN_HLEN);
		assert_int_equal(r->f.frame.data[12], 0x81); /* 0x8100, VLAN 100 */
		assert_int_equal(r->f.frame.data[13], 0x00);
		assert_int_equal(r->f.frame.data[15], 100);
	}

	/*
	 * Without the bond port's table (engine_fdb(), or an answer that
	 * lacks it) every entry with a VLAN keeps its tag, as before.
	 */
	x.now = S(2);
	x.links[4].bond_active_slave = 2;
	tl_link(&x, &x.links[4], GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	assert_int_equal(engine_pop_query(x.e, &q), 0);
	engine_fdb_vlans(x.e, x.now, q.bridge, fdb, 4, vlans, 3);
	tl_drain(&x);
	expect_relearn(&x, S(2), 4, guest_a, PKT_RELEARN_RARP, 1);
	expect_relearn(&x, S(2), 4, guest_b, PKT_RELEARN_RARP, 100);
	expect_relearn(&x, S(2), 4, guest_c, PKT_RELEARN_RARP, PKT_VLAN_NONE);
	expect_relearn(&x, S(2), 4, guest_d, PKT_RELEARN_RARP, 300);
	expect_none(&x);
	x.now = S(3);
	x.links[4].bond_active_slave = 3;
	tl_link(&x, &x.links[4], GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	assert_int_equal(engine_pop_query(x.e, &q), 0);
	engine_fdb(x.e, x.now, q.bridge, fdb, 1);
	tl_drain(&x);
	expect_relearn(&x, S(3), 4, guest_a, PKT_RELEARN_RARP, 1);
	expect_none(&x);
	tl_fini(&x);
}

static void test_rate_limit(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct engine_counters c;
	struct engine_query q;
	static const char *const addrs[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4",
					     "10.0.0.5" };
	struct gnl_fdb fdb[4];

	s.probes = 0;
	s.max_frames_per_second = 2;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_add_link(&x, 3, "eth1");
	for (size_t i = 0; i < 5; i++)
		tl_addr(&x, 2, addrs[i]);
	tl_addr(&x, 3, "10.9.9.9"); /* another interface, another bucket */
	/* removed while delayed in the bucket: its frame never goes out */
	x.now = MS(100);
	tl_addr_del(&x, 2, "10.0.0.3");
	tl_advance(&x, S(10));
	expect_request(&x, 0, 2, "10.0.0.1");
	expect_request(&x, 0, 2, "10.0.0.2");
	expect_request(&x, 0, 3, "10.9.9.9");
	/* the dropped frame took no token */
	expect_request(&x, MS(500), 2, "10.0.0.4");
	expect_request(&x, MS(1000), 2, "10.0.0.5");
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.rate_limited, 3);
	tl_fini(&x);

	/* relearn frames after a failover keep their order, paced */
	tl_init(&x, &s);
	build_bond_lab(&x);
	for (size_t i = 0; i < 4; i++) {
		fdb[i] = (struct gnl_fdb){ .ifindex = 20,
					   .state = NUD_REACHABLE,
					   .mac = { 0x52, 0x54, 0, 0, 0, (uint8_t)i } };
	}
	x.now = S(10);
	x.links[4].bond_active_slave = 3;
	tl_link(&x, &x.links[4], GNL_CHANGE_FAILOVER);
	assert_int_equal(engine_pop_query(x.e, &q), 0);
	engine_fdb(x.e, x.now, q.bridge, fdb, 4);
	tl_drain(&x);
	tl_advance(&x, S(20));
	expect_relearn(&x, S(10), 4, fdb[0].mac, PKT_RELEARN_RARP, 0);
	expect_relearn(&x, S(10), 4, fdb[1].mac, PKT_RELEARN_RARP, 0);
	expect_relearn(&x, S(10) + MS(500), 4, fdb[2].mac, PKT_RELEARN_RARP, 0);
	expect_relearn(&x, S(11), 4, fdb[3].mac, PKT_RELEARN_RARP, 0);
	expect_none(&x);

	/* the bond going down drops what is still waiting in its bucket */
	x.now = S(30);
	x.links[4].bond_active_slave = 2;
	tl_link(&x, &x.links[4], GNL_CHANGE_FAILOVER);
	assert_int_equal(engine_pop_query(x.e, &q), 0);
	engine_fdb(x.e, x.now, q.bridge, fdb, 4);
	tl_drain(&x);
	x.now = S(30) + MS(100);
	x.links[4].operstate = OPER_DOWN;
	tl_link(&x, &x.links[4], GNL_CHANGE_CARRIER_DOWN);
	tl_advance(&x, S(40));
	expect_relearn(&x, S(30), 4, fdb[0].mac, PKT_RELEARN_RARP, 0);
	expect_relearn(&x, S(30), 4, fdb[1].mac, PKT_RELEARN_RARP, 0);
	expect_none(&x);
	tl_fini(&x);
}

static void test_refresh(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;

	s.probes = 0;
	s.refresh_interval_ns = S(30);
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, S(95));
	tl_addr_del(&x, 2, "10.0.0.6");
	tl_advance(&x, S(200));
	expect_request(&x, 0, 2, "10.0.0.6");
	expect_request(&x, S(30), 2, "10.0.0.6");
	expect_request(&x, S(60), 2, "10.0.0.6");
	expect_request(&x, S(90), 2, "10.0.0.6");
	expect_none(&x);
	assert_int_equal(engine_next_deadline(x.e), ENGINE_NO_DEADLINE);
	tl_fini(&x);
}

static void test_ineligible(void **state)
{
	struct tl x;
	struct gnl_link *l;
	struct gnl_addr a;
	struct garp_addr any = ga("10.0.0.9");

	tl_init(&x, NULL);
	x.pol.ignore_name = "ignored0";
	l = tl_add_link(&x, 1, "lo");
	l->type = ARPHRD_LOOPBACK;
	l->flags |= IFF_LOOPBACK;
	l->operstate = 0; /* unknown, as lo reports */
	tl_link(&x, l, GNL_CHANGE_FLAGS);
	l = tl_add_link(&x, 2, "tunl0");
	l->flags |= IFF_NOARP;
	tl_link(&x, l, GNL_CHANGE_FLAGS);
	l = tl_add_link(&x, 3, "tun0");
	l->type = ARPHRD_NONE;
	l->mac_len = 0;
	tl_link(&x, l, GNL_CHANGE_OTHER);
	tl_add_link(&x, 4, "ignored0");
	l = tl_add_link(&x, 6, "bond0");
	l->kind = GNL_KIND_BOND;
	tl_link(&x, l, GNL_CHANGE_OTHER);
	l = tl_add_link(&x, 5, "eth0");
	l->master = 6;
	l->slave_kind = GNL_KIND_BOND;
	tl_link(&x, l, GNL_CHANGE_MASTER);
	tl_add_link(&x, 7, "eth1");

	tl_addr(&x, 1, "10.0.0.9");
	tl_addr(&x, 2, "10.0.0.9");
	tl_addr(&x, 3, "10.0.0.9");
	tl_addr(&x, 4, "10.0.0.9");
	tl_addr(&x, 5, "10.0.0.9");
	a = mk_addr(7, "10.0.0.9");
	a.scope = RT_SCOPE_HOST;
	tl_addr_full(&x, &a, true);
	tl_advance(&x, S(60));
	expect_none(&x);
	assert_false(engine_wants_arp(x.e));

	for (int i = 1; i <= 5; i++) {
		assert_false(engine_link_eligible(x.e, i));
		assert_int_equal(engine_announce(x.e, x.now, i, &any, ENGINE_ANNOUNCE_ONLY),
				 -ENODEV);
	}
	assert_true(engine_link_eligible(x.e, 6));
	assert_true(engine_link_eligible(x.e, 7));
	assert_int_equal(engine_announce(x.e, x.now, 7, &any, ENGINE_ANNOUNCE_ONLY), 0);
	assert_int_equal(engine_announce(x.e, x.now, 0, &any, ENGINE_ANNOUNCE_SEQUENCE), 0);
	assert_int_equal(engine_announce(x.e, x.now, 0, NULL, ENGINE_ANNOUNCE_SEQUENCE), 0);
	/* eth1 turning NOARP on while probing: cancelled as not eligible */
	tl_addr(&x, 7, "10.0.0.10");
	l = &x.links[7];
	l->flags |= IFF_NOARP;
	tl_link(&x, l, GNL_CHANGE_FLAGS);
	assert_int_equal(find_note(&x, ENGINE_NOTE_CANCELLED)->reason, ENGINE_CANCEL_NOT_ELIGIBLE);
	tl_advance(&x, S(120));
	tl_drain(&x);
	expect_probe(&x, S(60), 7, "10.0.0.10");
	expect_none(&x);
	tl_fini(&x);
}

/* engine_announce_now(): the operator's announce cuts probes short; a defended address is refused.
 */
static void test_announce_now(void **state)
{
	struct tl x;
	struct pkt_arp a;
	struct garp_addr six = ga("10.0.0.6"), seven = ga("10.0.0.7"), none = ga("10.0.0.99");

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(500)); /* the first probe left, two more and the announcement to come */
	assert_int_equal(engine_announce_now(x.e, x.now, 2, &six, ENGINE_ANNOUNCE_ONLY, false),
			 ENGINE_NOW_CUT_SHORT);
	tl_drain(&x);
	tl_advance(&x, S(10));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_request(&x, MS(500), 2, "10.0.0.6"); /* at once, no more probes */
	expect_none(&x);
	/* done: again is a fresh start; announcing: a restart */
	assert_int_equal(engine_announce_now(x.e, x.now, 2, &six, ENGINE_ANNOUNCE_ONLY, false),
			 ENGINE_NOW_STARTED);
	assert_int_equal(engine_announce_now(x.e, x.now, 2, &none, ENGINE_ANNOUNCE_ONLY, false),
			 -ENOENT);
	assert_int_equal(engine_announce_now(x.e, x.now, 9, &six, ENGINE_ANNOUNCE_ONLY, false),
			 -ENODEV);
	tl_drain(&x);
	expect_request(&x, S(10), 2, "10.0.0.6");
	expect_none(&x);

	/* another host defends 10.0.0.7: refused without force, nothing sent; forced: sent */
	tl_addr(&x, 2, "10.0.0.7");
	tl_advance(&x, S(10) + MS(100));
	a = mk_arp(PKT_ARPOP_REPLY, other_mac, "10.0.0.7", "0.0.0.0");
	tl_arp(&x, 2, &a);
	tl_advance(&x, S(20));
	expect_probe(&x, S(10), 2, "10.0.0.7");
	expect_none(&x);
	assert_int_equal(engine_announce_now(x.e, x.now, 2, &seven, ENGINE_ANNOUNCE_ONLY, false),
			 ENGINE_NOW_CONFLICT);
	tl_drain(&x);
	expect_none(&x);
	assert_int_equal(engine_announce_now(x.e, x.now, 2, &seven, ENGINE_ANNOUNCE_ONLY, true),
			 ENGINE_NOW_STARTED);
	tl_drain(&x);
	expect_request(&x, S(20), 2, "10.0.0.7");
	expect_none(&x);

	/* --sequence while one is in flight: left alone */
	tl_addr_del(&x, 2, "10.0.0.7");
	assert_int_equal(engine_announce_now(x.e, x.now, 2, &six, ENGINE_ANNOUNCE_SEQUENCE, false),
			 ENGINE_NOW_STARTED);
	assert_int_equal(engine_announce_now(x.e, x.now, 2, &six, ENGINE_ANNOUNCE_SEQUENCE, false),
			 ENGINE_NOW_RUNNING);
	tl_fini(&x);
}

static void test_announce_api(void **state)
{
	struct tl x;
	struct garp_addr unknown = ga("10.0.0.99"), known = ga("10.0.0.6");
	struct gnl_link *l;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	l = tl_add_link(&x, 3, "eth1");
	tl_addr(&x, 2, "10.0.0.6");
	tl_addr(&x, 3, "10.0.1.6");
	tl_advance(&x, S(10));
	x.cursor = x.n;

	assert_int_equal(engine_announce(x.e, x.now, 2, &unknown, ENGINE_ANNOUNCE_ONLY), -ENOENT);
	assert_int_equal(engine_announce(x.e, x.now, 0, &unknown, ENGINE_ANNOUNCE_ONLY), -ENOENT);
	assert_int_equal(engine_announce(x.e, x.now, 99, NULL, ENGINE_ANNOUNCE_ONLY), -ENODEV);
	tl_drain(&x);
	expect_none(&x);
	assert_int_equal(engine_next_deadline(x.e), ENGINE_NO_DEADLINE);

	assert_int_equal(engine_announce(x.e, x.now, 2, &known, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	expect_request(&x, S(10), 2, "10.0.0.6");
	x.now = S(11);
	assert_int_equal(engine_announce(x.e, x.now, 0, NULL, ENGINE_ANNOUNCE_ONLY), 2);
	tl_drain(&x);
	x.now = S(12);
	l->operstate = OPER_DOWN;
	tl_link(&x, l, GNL_CHANGE_CARRIER_DOWN);
	assert_int_equal(engine_announce(x.e, x.now, 3, NULL, ENGINE_ANNOUNCE_ONLY), -ENETDOWN);
	assert_int_equal(engine_announce(x.e, x.now, 0, NULL, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	/* the order of "every interface" is not part of the contract */
	assert_int_equal(x.n - x.cursor, 3);
	x.cursor += 2;
	expect_request(&x, S(12), 2, "10.0.0.6");
	expect_none(&x);
	tl_fini(&x);
}

static void test_link_removed(void **state)
{
	struct tl x;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(1500));
	engine_link_del(x.e, x.now, 2);
	x.link_known[2] = false;
	tl_drain(&x);
	assert_int_equal(find_note(&x, ENGINE_NOTE_CANCELLED)->reason, ENGINE_CANCEL_LINK_REMOVED);
	tl_advance(&x, S(10));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_none(&x);
	assert_false(engine_wants_arp(x.e));
	tl_fini(&x);
}

static void count_target(void *userdata, const struct engine_target_info *info)
{
	size_t *n = userdata;

	(*n)++;
	assert_int_equal(info->state, ENGINE_TARGET_DONE);
	assert_true(info->last_announced > 0);
}

static void test_many_targets(void **state)
{
	enum { LINKS = 50, PER_LINK = 2000, TOTAL = LINKS * PER_LINK };
	struct tl x;
	struct engine_counters c;
	size_t seen = 0;

	tl_init(&x, NULL);
	x.keep = false;
	for (int i = 0; i < LINKS; i++) {
		char name[IFNAMSIZ];

		snprintf(name, sizeof(name), "eth%d", i);
		tl_add_link(&x, 2 + i, name);
	}
	for (int i = 0; i < TOTAL; i++) {
		struct gnl_addr a = { .family = AF_INET, .ifindex = 2 + i % LINKS, .prefixlen = 8 };

		a.addr.v4.s_addr = htonl(0x0a000000u + (uint32_t)i + 1);
		x.now = (uint64_t)i * 10000; /* 100,000 in one second */
		tl_addr_full(&x, &a, true);
	}
	assert_true(engine_wants_arp(x.e));
	tl_advance(&x, S(3600));
	assert_false(engine_wants_arp(x.e));
	assert_int_equal(engine_next_deadline(x.e), ENGINE_NO_DEADLINE);

	engine_get_counters(x.e, &c);
	assert_int_equal(c.sequences, TOTAL);
	assert_int_equal(c.probes, 3 * TOTAL);
	assert_int_equal(c.announcements, TOTAL);
	assert_int_equal(x.frames, 4 * TOTAL);
	for (int i = 0; i < TOTAL; i++) {
		struct garp_addr a =
		    garp_addr_v4((struct in_addr){ htonl(0x0a000000u + (uint32_t)i + 1) });
		struct model_entry *m = model_get(&x, 2 + i % LINKS, &a, false);

		assert_non_null(m);
		assert_int_equal(m->probes, 3);
		assert_int_equal(m->requests, 1);
		assert_int_equal(m->replies, 0);
	}
	engine_foreach_target(x.e, count_target, &seen);
	assert_int_equal(seen, TOTAL);
	tl_fini(&x);
}

struct info_find {
	struct garp_addr addr;
	struct engine_target_info info;
	int found;
};

static void find_target(void *userdata, const struct engine_target_info *info)
{
	struct info_find *f = userdata;

	if (garp_addr_eq(&info->addr, &f->addr)) {
		f->info = *info;
		f->found++;
	}
}

static void test_reload_policy(void **state)
{
	struct tl x;
	struct info_find f = { .addr = ga("10.0.0.6") };

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_advance(&x, MS(1500));
	engine_foreach_target(x.e, find_target, &f);
	assert_int_equal(f.found, 1);
	assert_int_equal(f.info.state, ENGINE_TARGET_PROBING);
	assert_int_equal(f.info.sent, 2);
	assert_int_equal(f.info.total, 3);
	assert_int_equal(f.info.last_announced, 0);

	/* a new policy applies to sequences started from now on; the one in flight carries on */
	x.pol.def.probes = 0;
	x.pol.def.frames = CFG_FRAMES_REPLY;
	engine_reload_policy(x.e);
	tl_addr(&x, 2, "10.0.0.7");
	tl_advance(&x, S(10));
	expect_probe(&x, 0, 2, "10.0.0.6");
	expect_probe(&x, S(1), 2, "10.0.0.6");
	expect_reply(&x, MS(1500), 2, "10.0.0.7");
	expect_probe(&x, S(2), 2, "10.0.0.6");
	expect_request(&x, S(3), 2, "10.0.0.6");
	expect_none(&x);
	f.found = 0;
	engine_foreach_target(x.e, find_target, &f);
	assert_int_equal(f.found, 1);
	assert_int_equal(f.info.state, ENGINE_TARGET_DONE);
	assert_int_equal(f.info.last_announced, S(3));
	tl_fini(&x);
}

static void test_conflict_ring(void **state)
{
	struct tl x;
	struct engine_conflict cf[ENGINE_CONFLICTS_KEPT + 8];
	struct engine_counters c;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	for (int i = 0; i < ENGINE_CONFLICTS_KEPT + 8; i++) {
		char a[32];
		struct pkt_arp arp;

		snprintf(a, sizeof(a), "10.0.1.%d", i + 1);
		x.now = S(i);
		tl_addr(&x, 2, a);
		arp = mk_arp(PKT_ARPOP_REPLY, other_mac, a, a);
		tl_arp(&x, 2, &arp);
	}
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, ENGINE_CONFLICTS_KEPT + 8);
	assert_int_equal(engine_get_conflicts(x.e, cf, ENGINE_CONFLICTS_KEPT + 8),
			 ENGINE_CONFLICTS_KEPT);
	/* the newest last */
	assert_int_equal(cf[0].time, S(8));
	assert_int_equal(cf[ENGINE_CONFLICTS_KEPT - 1].time, S(ENGINE_CONFLICTS_KEPT + 7));
	assert_int_equal(engine_get_conflicts(x.e, cf, 2), 2);
	assert_int_equal(cf[1].time, S(ENGINE_CONFLICTS_KEPT + 7));
	assert_int_equal(cf[0].time, S(ENGINE_CONFLICTS_KEPT + 6));
	tl_fini(&x);
}

/*
 * fail_over_mac=active: one active-slave switch comes as two messages, the
 * bond's new MAC with the new active slave, then the failover event, in one
 * instant or a little apart. One failover, one announcement per address,
 * with the new MAC; a switch back is a new failover.
 */
static void test_failover_mac_active(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_link *bond, *l;
	struct engine_query q;

	s.probes = 0;
	tl_init(&x, &s);
	bond = tl_add_link(&x, 4, "bond0");
	bond->kind = GNL_KIND_BOND;
	bond->bond_active_slave = 2;
	memcpy(bond->mac, x.links[4].mac, 6);
	bond->mac[5] = 2; /* the active slave's MAC */
	tl_link(&x, bond, GNL_CHANGE_OTHER | GNL_CHANGE_MAC);
	for (int i = 2; i <= 3; i++) {
		l = tl_add_link(&x, i, i == 2 ? "eth0" : "eth1");
		l->master = 4;
		l->slave_kind = GNL_KIND_BOND;
		tl_link(&x, l, GNL_CHANGE_MASTER);
	}
	l = tl_add_link(&x, 5, "bond0.100");
	l->kind = GNL_KIND_VLAN;
	l->link = 4;
	l->vlan_id = 100;
	tl_link(&x, l, GNL_CHANGE_OTHER);
	tl_addr(&x, 4, "10.0.0.1");
	tl_addr(&x, 5, "10.100.0.1");
	tl_advance(&x, S(10));
	expect_request(&x, 0, 4, "10.0.0.1");
	expect_request(&x, 0, 5, "10.100.0.1");
	expect_none(&x);
	x.n_notes = 0;

	/* the switch to eth1, in one instant */
	x.now = S(100);
	bond->bond_active_slave = 3;
	bond->mac[5] = 3;
	tl_link(&x, bond, GNL_CHANGE_MAC | GNL_CHANGE_ACTIVE_SLAVE);
	tl_link(&x, bond, GNL_CHANGE_FAILOVER);
	/* and reported once more a little later */
	tl_advance(&x, S(100) + MS(2));
	tl_link(&x, bond, GNL_CHANGE_FAILOVER);
	tl_advance(&x, S(150));
	expect_request(&x, S(100), 4, "10.0.0.1"); /* the new MAC: links[4] is the new state */
	expect_request(&x, S(100), 5, "10.100.0.1");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_FAILOVER), 1);
	assert_int_equal(find_note(&x, ENGINE_NOTE_FAILOVER)->slave, 3);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_STARTED), 2);
	while (engine_pop_query(x.e, &q) == 0)
		;

	/* back to eth0: a new switch */
	x.n_notes = 0;
	x.now = S(200);
	bond->bond_active_slave = 2;
	bond->mac[5] = 2;
	tl_link(&x, bond, GNL_CHANGE_MAC | GNL_CHANGE_ACTIVE_SLAVE);
	tl_link(&x, bond, GNL_CHANGE_FAILOVER);
	tl_advance(&x, S(250));
	expect_request(&x, S(200), 4, "10.0.0.1");
	expect_request(&x, S(200), 5, "10.100.0.1");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_FAILOVER), 1);
	tl_fini(&x);
}

/* Triggers for one target in one instant: one sequence, the most thorough asked for. */
/*
 * A bond that leaves its active slave and comes back to it within one
 * instant (the messages of one wakeup: eth0 -> none -> eth0) has not moved:
 * one failover, as the engine fuzzer found (it logged two). The same flap
 * spread over two instants is two switches.
 */
static void test_failover_flap_one_instant(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_link *bond, *l;
	struct engine_query q;

	s.probes = 0;
	tl_init(&x, &s);
	bond = tl_add_link(&x, 4, "bond0");
	bond->kind = GNL_KIND_BOND;
	tl_link(&x, bond, GNL_CHANGE_OTHER);
	l = tl_add_link(&x, 2, "eth0");
	l->master = 4;
	l->slave_kind = GNL_KIND_BOND;
	tl_link(&x, l, GNL_CHANGE_MASTER);
	tl_addr(&x, 4, "10.0.0.1");
	tl_advance(&x, S(10));
	x.n_notes = 0;

	x.now = S(100);
	bond->bond_active_slave = 2;
	tl_link(&x, bond, GNL_CHANGE_ACTIVE_SLAVE);
	bond->bond_active_slave = 0;
	tl_link(&x, bond, GNL_CHANGE_ACTIVE_SLAVE);
	bond->bond_active_slave = 2;
	tl_link(&x, bond, GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	/* and that switch reported again later: still the same one */
	tl_advance(&x, S(110));
	tl_link(&x, bond, GNL_CHANGE_FAILOVER);
	tl_advance(&x, S(150));
	assert_int_equal(count_notes(&x, ENGINE_NOTE_FAILOVER), 1);
	while (engine_pop_query(x.e, &q) == 0)
		;

	x.n_notes = 0;
	x.now = S(200);
	bond->bond_active_slave = 0;
	tl_link(&x, bond, GNL_CHANGE_ACTIVE_SLAVE);
	tl_advance(&x, S(201));
	bond->bond_active_slave = 2;
	tl_link(&x, bond, GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	tl_advance(&x, S(250));
	assert_int_equal(count_notes(&x, ENGINE_NOTE_FAILOVER), 1); /* a new switch at 201 s */
	while (engine_pop_query(x.e, &q) == 0)
		;
	tl_fini(&x);
}

static void test_coinciding_triggers(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct garp_addr a = ga("10.0.0.1");

	s.probes = 0;
	s.probe_interval_ns = MS(100);
	s.announce_delay_ns = MS(100);
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.1");
	tl_advance(&x, S(10));
	expect_request(&x, 0, 2, "10.0.0.1");
	expect_none(&x);

	/* announce, announce again: once */
	x.now = S(20);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 0);
	assert_int_equal(engine_announce(x.e, x.now, 0, NULL, ENGINE_ANNOUNCE_ONLY), 0);
	tl_advance(&x, S(30));
	expect_request(&x, S(20), 2, "10.0.0.1");
	expect_none(&x);

	/* an announcement and a sequence asked for in one instant: the
	 * announcement queued for the first is dropped, the sequence (2 probes)
	 * replaces it */
	x.pol.def.probes = 2;
	engine_reload_policy(x.e);
	x.now = S(40);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_SEQUENCE), 1);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 0);
	tl_drain(&x);
	tl_advance(&x, S(50));
	expect_probe(&x, S(40), 2, "10.0.0.1");
	expect_probe(&x, S(40) + MS(100), 2, "10.0.0.1");
	expect_request(&x, S(40) + MS(200), 2, "10.0.0.1");
	expect_none(&x);

	/* the next instant is another trigger */
	x.now = S(60);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	x.now = S(60) + 1;
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	expect_request(&x, S(60), 2, "10.0.0.1");
	expect_request(&x, S(60) + 1, 2, "10.0.0.1");
	expect_none(&x);

	/* a request in the instant a sequence announces: that announcement is it
	 * (found by tests/fuzz: findings/engine/announce-as-sequence-ends) */
	x.now = S(80);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_SEQUENCE), 1);
	tl_drain(&x);
	tl_advance(&x, S(80) + MS(200));
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 0);
	tl_advance(&x, S(90));
	expect_probe(&x, S(80), 2, "10.0.0.1");
	expect_probe(&x, S(80) + MS(100), 2, "10.0.0.1");
	expect_request(&x, S(80) + MS(200), 2, "10.0.0.1");
	expect_none(&x);
	tl_fini(&x);
}

/*
 * probes = 1 with no delay: a sequence that replaces, in one instant, an
 * announcement already sent in it probes, and its first announcement (due
 * in that same instant) is the one just sent: one announcement per instant.
 * Found by tests/fuzz: findings/engine/zero-delay-sequence-replaces-announcement.
 */
static void test_zero_delay_sequence_replaces(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct garp_addr a = ga("10.0.0.1");

	s.probes = 1;
	s.probe_interval_ns = 0;
	s.announce_delay_ns = 0;
	s.announcements = 2;
	s.announce_interval_ns = S(1);
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.1");
	tl_advance(&x, S(5));
	expect_probe(&x, 0, 2, "10.0.0.1");
	expect_request(&x, 0, 2, "10.0.0.1");
	expect_request(&x, S(1), 2, "10.0.0.1");
	expect_none(&x);

	/* sent, then the sequence in the same instant: it probes, its first step was that frame */
	x.now = S(10);
	x.n_notes = 0;
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_SEQUENCE), 1);
	tl_drain(&x);
	tl_advance(&x, S(15));
	expect_request(&x, S(10), 2, "10.0.0.1");
	expect_probe(&x, S(10), 2, "10.0.0.1");
	expect_request(&x, S(11), 2, "10.0.0.1");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_STARTED), 2);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_ANNOUNCED), 1);

	/* not handed out yet: dropped with the announcement, the sequence announces itself */
	x.now = S(20);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_SEQUENCE), 1);
	tl_drain(&x);
	tl_advance(&x, S(25));
	expect_probe(&x, S(20), 2, "10.0.0.1");
	expect_request(&x, S(20), 2, "10.0.0.1");
	expect_request(&x, S(21), 2, "10.0.0.1");
	expect_none(&x);

	/* one announcement: the announcement has ended, the sequence probes and is done */
	x.pol.def.announcements = 1;
	engine_reload_policy(x.e);
	x.now = S(30);
	x.n_notes = 0;
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_SEQUENCE), 1);
	tl_drain(&x);
	tl_advance(&x, S(35));
	expect_request(&x, S(30), 2, "10.0.0.1");
	expect_probe(&x, S(30), 2, "10.0.0.1");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_ANNOUNCED), 1);

	/* the next instant is another trigger: the sequence announces */
	x.now = S(40);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	x.now = S(40) + 1;
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_SEQUENCE), 1);
	tl_drain(&x);
	expect_request(&x, S(40), 2, "10.0.0.1");
	expect_probe(&x, S(40) + 1, 2, "10.0.0.1");
	expect_request(&x, S(40) + 1, 2, "10.0.0.1");
	expect_none(&x);
	tl_fini(&x);
}

/*
 * A late run (the machine stalled 4.5 s): the steps a sequence missed are
 * not sent in one burst, and the rate limit counts when frames leave.
 * Found by tests/fuzz (findings/engine/late-wakeup-burst, rate-limit-late-wakeup).
 */
static void test_late_run(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;

	s.probes = 0;
	s.announcements = 3;
	s.announce_interval_ns = S(1);
	s.max_frames_per_second = 1;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.1");
	tl_addr(&x, 2, "10.0.0.2");
	expect_request(&x, 0, 2, "10.0.0.1");
	expect_none(&x);
	/* due: .2's first at 1 s (bucket), .1's second at 1 s; nobody ran them */
	x.now = MS(4500);
	engine_run(x.e, x.now);
	tl_drain(&x);
	tl_advance(&x, S(20));
	/* one frame per second on the wire from the late run on, no announcement twice at once */
	expect_request(&x, MS(4500), 2, "10.0.0.2");
	expect_request(&x, MS(5500), 2, "10.0.0.1");
	expect_request(&x, MS(6500), 2, "10.0.0.2");
	expect_request(&x, MS(7500), 2, "10.0.0.1");
	expect_request(&x, MS(8500), 2, "10.0.0.2");
	expect_none(&x);
	tl_fini(&x);
}

/* ---- directed refresh ------------------------------------------------- */

static const uint8_t nb_a[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t nb_b[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t nb_g[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };

static void expect_refresh(struct tl *x, uint64_t t, int ifindex, const char *addr,
			   const char *neighbour, const uint8_t *mac)
{
	struct pkt_frame f;

	assert_int_equal(pkt_build_directed_request(&f, x->links[ifindex].mac, ip(addr), mac,
						    ip(neighbour), PKT_VLAN_NONE),
			 0);
	expect_rec(x, t, ifindex, ENGINE_FRAME_REFRESH, addr, &f);
}

/* The next query is the neighbour list of @ifindex; none other waits. */
static void expect_nb_query(struct tl *x, int ifindex)
{
	struct engine_query q;

	assert_int_equal(engine_pop_query(x->e, &q), 0);
	assert_int_equal(q.kind, ENGINE_QUERY_NEIGHBOURS);
	assert_int_equal(q.ifindex, ifindex);
	assert_int_equal(engine_pop_query(x->e, &q), -EAGAIN);
}

static void expect_no_query(struct tl *x)
{
	struct engine_query q;

	assert_int_equal(engine_pop_query(x->e, &q), -EAGAIN);
}

static struct gnl_neigh mk_neigh(int ifindex, const char *addr, uint16_t state, const uint8_t *mac)
{
	struct gnl_neigh n = {
		.family = AF_INET, .ifindex = ifindex, .ip = ip(addr), .state = state
	};

	if (mac) {
		memcpy(n.mac, mac, 6);
		n.has_mac = true;
	}
	return n;
}

static struct gnl_route_hop mk_gw(int ifindex, const char *gw)
{
	return (struct gnl_route_hop){
		.family = AF_INET, .ifindex = ifindex, .has_gateway = true, .gateway = ip(gw)
	};
}

static struct gnl_route_hop mk_onlink(int ifindex, const char *dst, uint8_t len)
{
	return (struct gnl_route_hop){
		.family = AF_INET, .ifindex = ifindex, .dst = ip(dst), .dst_len = len
	};
}

static void tl_answer(struct tl *x, int ifindex, const struct gnl_neigh *n, size_t nn,
		      const struct gnl_route_hop *h, size_t nh)
{
	engine_neighbours(x->e, x->now, ifindex, n, nn, h, nh);
	tl_drain(x);
}

/* Who gets what: the configured ones, the gateways, the table's; in that order. */
static void test_refresh_who(void **state)
{
	static struct garp_addr conf[2];
	struct tl x;
	struct engine_counters c;
	const struct engine_note *n;
	struct gnl_addr own = mk_addr(2, "10.0.0.2");
	struct gnl_neigh neigh[] = {
		mk_neigh(2, "10.0.0.5", NUD_REACHABLE, nb_a),
		mk_neigh(2, "10.0.0.6", NUD_STALE, nb_b),
		mk_neigh(2, "10.0.0.7", NUD_INCOMPLETE, NULL),
		mk_neigh(2, "10.0.0.8", NUD_FAILED, NULL),
		mk_neigh(2, "10.0.0.9", NUD_NOARP, nb_a),
		mk_neigh(2, "192.168.5.5", NUD_REACHABLE, nb_a), /* another subnet */
		mk_neigh(2, "10.0.0.2", NUD_PERMANENT, nb_a),	 /* our own address */
		mk_neigh(2, "10.0.0.1", NUD_STALE, nb_g),	 /* the gateway */
		mk_neigh(2, "10.0.0.11", NUD_DELAY, nb_b),
		mk_neigh(3, "10.0.0.12", NUD_REACHABLE, nb_b), /* another interface */
		mk_neigh(2, "10.0.0.100", NUD_STALE, nb_b),    /* the address itself */
	};
	struct gnl_route_hop hops[] = {
		mk_gw(2, "10.0.0.1"), mk_onlink(2, "10.0.0.0", 24),
		mk_gw(2, "10.0.0.254"), /* never talked to: broadcast */
		mk_gw(3, "10.9.9.1"),	/* through another interface */
	};

	conf[0] = ga("10.0.0.50");
	conf[1] = ga("10.0.0.5");
	tl_init_refresh(&x, NULL);
	x.pol.def.refresh_neighbours = (struct cfg_addr_list){ .v = conf, .n = 2 };
	tl_add_link(&x, 2, "eth0");
	tl_addr_full(&x, &own, false); /* there before: not announced */
	expect_no_query(&x);

	x.now = S(100);
	tl_addr(&x, 2, "10.0.0.100");
	expect_nb_query(&x, 2);
	/* the answer comes while probing: kept for the end of the sequence */
	x.now = S(100) + MS(10);
	tl_answer(&x, 2, neigh, sizeof(neigh) / sizeof(neigh[0]), hops,
		  sizeof(hops) / sizeof(hops[0]));
	tl_advance(&x, S(110));

	expect_probe(&x, S(100), 2, "10.0.0.100");
	expect_probe(&x, S(101), 2, "10.0.0.100");
	expect_probe(&x, S(102), 2, "10.0.0.100");
	expect_request(&x, S(103), 2, "10.0.0.100");
	/* right after the last announcement frame, in the same instant */
	/* the configured ones in their order; a MAC from the table when it has one */
	expect_refresh(&x, S(103), 2, "10.0.0.100", "10.0.0.50", NULL);
	expect_refresh(&x, S(103), 2, "10.0.0.100", "10.0.0.5", nb_a);
	expect_refresh(&x, S(103), 2, "10.0.0.100", "10.0.0.1", nb_g);
	expect_refresh(&x, S(103), 2, "10.0.0.100", "10.0.0.254", NULL);
	expect_refresh(&x, S(103), 2, "10.0.0.100", "10.0.0.11", nb_b); /* confirmed before stale */
	expect_refresh(&x, S(103), 2, "10.0.0.100", "10.0.0.6", nb_b);
	expect_none(&x);
	expect_no_query(&x);

	n = find_note(&x, ENGINE_NOTE_REFRESHED);
	assert_non_null(n);
	assert_int_equal(n->time, S(103));
	assert_int_equal(n->ifindex, 2);
	assert_int_equal(n->addr.v4.s_addr, ip("10.0.0.100").s_addr);
	assert_int_equal(n->count, 6);
	assert_int_equal(n->capped, 0);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 1);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.refreshes, 6);
	assert_int_equal(c.refresh_capped, 0);
	assert_int_equal(c.announcements, 1);
	tl_fini(&x);
}

/* ga(), for an argument: valid until the next call. */
static const struct garp_addr *gap(const char *s)
{
	static struct garp_addr a;

	a = ga(s);
	return &a;
}

/* An announcement with no list yet: the refresh follows the answer. */
static void test_refresh_waits_for_the_list(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_neigh neigh[] = { mk_neigh(2, "10.0.0.5", NUD_REACHABLE, nb_a) };
	struct gnl_route_hop hops[] = { mk_gw(2, "10.0.0.1") };

	s.probes = 0; /* immediate: announced before any answer can come */
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.100");
	expect_request(&x, 0, 2, "10.0.0.100");
	expect_none(&x);
	expect_nb_query(&x, 2);
	/* another address while the query is out: the answer was read too early for it */
	x.now = MS(1);
	tl_addr(&x, 2, "10.0.0.101");
	expect_request(&x, MS(1), 2, "10.0.0.101");
	expect_no_query(&x);
	x.now = MS(2);
	tl_answer(&x, 2, neigh, 1, hops, 1);
	expect_refresh(&x, MS(2), 2, "10.0.0.100", "10.0.0.1", NULL);
	expect_refresh(&x, MS(2), 2, "10.0.0.100", "10.0.0.5", nb_a);
	expect_none(&x);
	/* so it asks again, once: a gap after the first query */
	expect_no_query(&x);
	tl_advance(&x, MS(99));
	expect_no_query(&x);
	tl_advance(&x, MS(100));
	expect_nb_query(&x, 2);
	x.now = MS(101);
	tl_answer(&x, 2, neigh, 1, hops, 1);
	expect_refresh(&x, MS(101), 2, "10.0.0.101", "10.0.0.1", NULL);
	expect_refresh(&x, MS(101), 2, "10.0.0.101", "10.0.0.5", nb_a);
	expect_none(&x);
	expect_no_query(&x);
	/* an answer nobody asked for is ignored */
	tl_answer(&x, 2, neigh, 1, hops, 1);
	expect_none(&x);

	/* every trigger that announces refreshes: a new sequence reads the table again */
	x.now = S(10);
	assert_int_equal(engine_announce(x.e, x.now, 2, gap("10.0.0.100"), ENGINE_ANNOUNCE_ONLY),
			 1);
	tl_drain(&x);
	expect_request(&x, S(10), 2, "10.0.0.100");
	expect_none(&x);
	expect_nb_query(&x, 2);
	x.now = S(10) + MS(1);
	tl_answer(&x, 2, NULL, 0, hops, 1); /* the neighbour went */
	expect_refresh(&x, S(10) + MS(1), 2, "10.0.0.100", "10.0.0.1", NULL);
	expect_none(&x);

	/* a failed query answers with nothing: the configured neighbours still go */
	{
		static struct garp_addr conf[1];

		conf[0] = ga("10.0.0.77");
		x.pol.def.refresh_neighbours = (struct cfg_addr_list){ .v = conf, .n = 1 };
		engine_reload_policy(x.e);
	}
	x.now = S(20);
	engine_announce(x.e, x.now, 2, gap("10.0.0.101"), ENGINE_ANNOUNCE_ONLY);
	tl_drain(&x);
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, NULL, 0, NULL, 0);
	expect_request(&x, S(20), 2, "10.0.0.101");
	expect_refresh(&x, S(20), 2, "10.0.0.101", "10.0.0.77", NULL);
	expect_none(&x);
	tl_fini(&x);
}

/* Removal, link down, MAC change: a pending refresh never leaves. */
/*
 * A burst: addresses announced while the query is out wait for the next
 * answer, which refreshes each of them once, in the order they were
 * announced; one removed meanwhile gets none, one removed and added again
 * gets one for its new sequence, and one announced twice while waiting
 * gets one.
 */
static void test_refresh_burst_waits(void **state)
{
	static const char *const a[] = { "10.0.0.100", "10.0.0.101", "10.0.0.102", "10.0.0.103" };
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_neigh neigh[] = { mk_neigh(2, "10.0.0.5", NUD_REACHABLE, nb_a) };
	struct engine_counters c;

	(void)state;
	s.probes = 0;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.99");
	expect_request(&x, 0, 2, "10.0.0.99");
	expect_nb_query(&x, 2);
	for (size_t i = 0; i < 4; i++) {
		x.now = MS(1 + i);
		tl_addr(&x, 2, a[i]);
		expect_request(&x, MS(1 + i), 2, a[i]);
	}
	x.now = MS(5);
	tl_addr_del(&x, 2, "10.0.0.101");
	tl_addr_del(&x, 2, "10.0.0.102");
	/* after the hold-down: added again, and announced again */
	x.now = S(2);
	tl_addr(&x, 2, "10.0.0.102");
	expect_request(&x, S(2), 2, "10.0.0.102");
	x.now = S(2) + MS(1);
	assert_int_equal(engine_announce(x.e, x.now, 2, gap("10.0.0.100"), ENGINE_ANNOUNCE_ONLY),
			 1);
	tl_drain(&x);
	expect_request(&x, S(2) + MS(1), 2, "10.0.0.100");
	expect_none(&x);
	expect_no_query(&x);
	/* the first answer was read before the others started: only .99 */
	x.now = S(3);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_refresh(&x, S(3), 2, "10.0.0.99", "10.0.0.5", nb_a);
	expect_none(&x);
	expect_nb_query(&x, 2);
	x.now = S(3) + MS(1);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_refresh(&x, S(3) + MS(1), 2, "10.0.0.100", "10.0.0.5", nb_a);
	expect_refresh(&x, S(3) + MS(1), 2, "10.0.0.102", "10.0.0.5", nb_a);
	expect_refresh(&x, S(3) + MS(1), 2, "10.0.0.103", "10.0.0.5", nb_a);
	expect_none(&x);
	expect_no_query(&x);
	/* nothing waits any more */
	x.now = S(4);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.refreshes, 4);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 4);
	tl_fini(&x);
}

/*
 * A trickle: addresses that arrive a few milliseconds apart (the kernel
 * adds nodad IPv6 addresses at about that pace), each in a wakeup of its
 * own. The first query goes at once; the next waits for the gap and
 * serves every address announced meanwhile; one removed meanwhile gets
 * nothing; after a quiet gap a lone address is asked for at once again.
 */
static void test_refresh_trickle(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_neigh neigh[] = { mk_neigh(2, "10.0.0.5", NUD_REACHABLE, nb_a) };
	char a[16];
	size_t queries = 0;
	struct engine_counters c;

	(void)state;
	s.probes = 0;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.100");
	expect_request(&x, 0, 2, "10.0.0.100");
	expect_nb_query(&x, 2);
	queries++;
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_refresh(&x, 0, 2, "10.0.0.100", "10.0.0.5", nb_a);
	/* .101 to .133, 3 ms apart: announced at once, nobody asks before 100 ms */
	for (int i = 1; i <= 33; i++) {
		snprintf(a, sizeof(a), "10.0.0.%d", 100 + i);
		tl_advance(&x, MS(3 * i));
		tl_addr(&x, 2, a);
		expect_request(&x, MS(3 * i), 2, a);
		expect_none(&x);
		expect_no_query(&x);
	}
	x.now = MS(99) + 1;
	tl_addr_del(&x, 2, "10.0.0.120");
	tl_advance(&x, MS(100) - 1);
	expect_no_query(&x);
	tl_advance(&x, MS(100));
	expect_nb_query(&x, 2);
	queries++;
	x.now = MS(101);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	for (int i = 1; i <= 33; i++) {
		if (i == 20)
			continue; /* removed: nothing */
		snprintf(a, sizeof(a), "10.0.0.%d", 100 + i);
		expect_refresh(&x, MS(101), 2, a, "10.0.0.5", nb_a);
	}
	expect_none(&x);
	expect_no_query(&x);
	/* one more within the gap of the last query: at its end */
	x.now = MS(150);
	tl_addr(&x, 2, "10.0.0.150");
	expect_request(&x, MS(150), 2, "10.0.0.150");
	expect_no_query(&x);
	tl_advance(&x, MS(200));
	expect_nb_query(&x, 2);
	queries++;
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_refresh(&x, MS(200), 2, "10.0.0.150", "10.0.0.5", nb_a);
	/* a failover after a quiet gap: asked for at once */
	x.now = MS(300);
	tl_addr(&x, 2, "10.0.0.151");
	expect_request(&x, MS(300), 2, "10.0.0.151");
	expect_nb_query(&x, 2);
	queries++;
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_refresh(&x, MS(300), 2, "10.0.0.151", "10.0.0.5", nb_a);
	expect_none(&x);
	tl_advance(&x, S(5));
	expect_none(&x);
	expect_no_query(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.refreshes, 1 + 32 + 2);
	assert_int_equal(queries, 4);
	tl_fini(&x);

	/* the engine freed while a query is held and sequences are timed: nothing left behind */
	s = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.100");
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	x.now = MS(10);
	tl_addr(&x, 2, "10.0.0.101");
	x.now = MS(20);
	tl_addr(&x, 2, "10.0.0.102");
	expect_no_query(&x);
	tl_fini(&x);

	/* and the link removed while its query is held: the timer goes with it */
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.100");
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	x.now = MS(10);
	tl_addr(&x, 2, "10.0.0.101");
	x.now = MS(20);
	tl_addr(&x, 2, "10.0.0.102");
	engine_link_del(x.e, x.now, 2);
	tl_advance(&x, S(10));
	expect_no_query(&x);
	tl_fini(&x);
}

static void test_refresh_cancelled(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_neigh neigh[] = {
		mk_neigh(2, "10.0.0.5", NUD_REACHABLE, nb_a),
		mk_neigh(2, "10.0.0.6", NUD_REACHABLE, nb_b),
		mk_neigh(2, "10.0.0.7", NUD_REACHABLE, nb_b),
	};
	struct engine_counters c;

	s.probes = 0;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");

	/* removed between the announcement and the answer */
	tl_addr(&x, 2, "10.0.0.100");
	expect_nb_query(&x, 2);
	x.now = MS(1);
	tl_addr_del(&x, 2, "10.0.0.100");
	x.now = MS(2);
	tl_answer(&x, 2, neigh, 3, NULL, 0);
	tl_advance(&x, S(5));
	expect_request(&x, 0, 2, "10.0.0.100");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 0);

	/* link down between the announcement and the answer */
	x.now = S(10);
	tl_addr(&x, 2, "10.0.0.101");
	expect_nb_query(&x, 2);
	x.now = S(10) + MS(1);
	x.links[2].operstate = OPER_DOWN;
	tl_link(&x, &x.links[2], GNL_CHANGE_CARRIER_DOWN);
	tl_answer(&x, 2, neigh, 3, NULL, 0);
	expect_request(&x, S(10), 2, "10.0.0.101");
	expect_none(&x);

	/* MAC change: the old MAC's refresh is void; the new sequence refreshes with the new one */
	x.now = S(20);
	x.links[2].operstate = OPER_UP;
	tl_link(&x, &x.links[2], GNL_CHANGE_CARRIER_UP);
	expect_request(&x, S(20), 2, "10.0.0.101");
	expect_nb_query(&x, 2);
	x.now = S(20) + MS(1);
	x.links[2].mac[5] = 0x99;
	tl_link(&x, &x.links[2], GNL_CHANGE_MAC);
	expect_request(&x, S(20) + MS(1), 2, "10.0.0.101");
	expect_no_query(&x); /* the one out will be too early for it: asked again after */
	x.now = S(20) + MS(2);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_none(&x);
	expect_no_query(&x); /* held: the last was queued less than the gap ago */
	tl_advance(&x, S(20) + MS(100));
	expect_nb_query(&x, 2);
	x.now = S(20) + MS(101);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_refresh(&x, S(20) + MS(101), 2, "10.0.0.101", "10.0.0.5", nb_a);
	expect_none(&x);

	/* held, then cancelled before the query goes: the query still goes, the refresh does not */
	x.now = S(30);
	tl_addr(&x, 2, "10.0.0.102");
	expect_request(&x, S(30), 2, "10.0.0.102");
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_refresh(&x, S(30), 2, "10.0.0.102", "10.0.0.5", nb_a);
	x.now = S(30) + MS(10);
	tl_addr(&x, 2, "10.0.0.103");
	expect_request(&x, S(30) + MS(10), 2, "10.0.0.103");
	expect_no_query(&x);
	x.now = S(30) + MS(50);
	x.links[2].mac[5] = 0x98;
	tl_link(&x, &x.links[2], GNL_CHANGE_MAC); /* all announce again, with the new MAC */
	expect_request(&x, S(30) + MS(50), 2, "10.0.0.103");
	expect_request(&x, S(30) + MS(50), 2, "10.0.0.102");
	expect_request(&x, S(30) + MS(50), 2, "10.0.0.101");
	x.now = S(30) + MS(60);
	tl_addr_del(&x, 2, "10.0.0.103");
	tl_advance(&x, S(30) + MS(100));
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	expect_refresh(&x, S(30) + MS(100), 2, "10.0.0.102", "10.0.0.5", nb_a);
	expect_refresh(&x, S(30) + MS(100), 2, "10.0.0.101", "10.0.0.5", nb_a);
	expect_none(&x);
	expect_no_query(&x);
	tl_fini(&x);

	/* removed while its refreshes wait in the rate limiter: the rest never leave */
	s.max_frames_per_second = 2;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.100");
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 3, NULL, 0);
	x.now = MS(200);
	tl_addr_del(&x, 2, "10.0.0.100");
	tl_advance(&x, S(5));
	expect_request(&x, 0, 2, "10.0.0.100");
	expect_refresh(&x, 0, 2, "10.0.0.100", "10.0.0.5", nb_a);
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.refreshes, 1);
	assert_int_equal(c.rate_limited, 2);
	tl_fini(&x);
}

/* At most refresh_neighbours_max per address; the rest counted. Paced by the limiter. */
static void test_refresh_cap_and_rate(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_neigh neigh[5];
	struct engine_counters c;
	const struct engine_note *n;
	char a[16];

	for (int i = 0; i < 5; i++) {
		snprintf(a, sizeof(a), "10.0.0.%d", 10 + i);
		neigh[i] = mk_neigh(2, a, NUD_REACHABLE, nb_a);
	}
	s.probes = 0;
	s.refresh_neighbours_max = 2;
	s.max_frames_per_second = 2;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.100");
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 5, NULL, 0);
	tl_advance(&x, S(5));
	expect_request(&x, 0, 2, "10.0.0.100");
	expect_refresh(&x, 0, 2, "10.0.0.100", "10.0.0.10", nb_a);
	expect_refresh(&x, MS(500), 2, "10.0.0.100", "10.0.0.11", nb_a);
	expect_none(&x);
	n = find_note(&x, ENGINE_NOTE_REFRESHED);
	assert_non_null(n);
	assert_int_equal(n->count, 2);
	assert_int_equal(n->capped, 3);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.refreshes, 2);
	assert_int_equal(c.refresh_capped, 3);
	tl_fini(&x);
}

/* A conflict that holds the announcement back holds the refresh back too; off means off. */
static void test_refresh_conflict_and_off(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_neigh neigh[] = { mk_neigh(2, "10.0.0.5", NUD_REACHABLE, nb_a) };
	struct pkt_arp arp;

	s.probe_interval_ns = MS(100);
	s.announce_delay_ns = MS(100);
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.100");
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 1, NULL, 0);
	x.now = MS(50);
	arp = mk_arp(PKT_ARPOP_REPLY, other_mac, "10.0.0.100", "10.0.0.5");
	tl_arp(&x, 2, &arp);
	tl_advance(&x, S(5));
	expect_probe(&x, 0, 2, "10.0.0.100");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_CONFLICT), 1);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 0);
	tl_fini(&x);

	s.directed_refresh = false;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.100");
	expect_no_query(&x);
	tl_advance(&x, S(5));
	expect_probe(&x, 0, 2, "10.0.0.100");
	expect_probe(&x, MS(100), 2, "10.0.0.100");
	expect_probe(&x, MS(200), 2, "10.0.0.100");
	expect_request(&x, MS(300), 2, "10.0.0.100");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 0);
	tl_fini(&x);
}

/* A /32 (a VIP): the table's neighbours in the on-link prefix that holds it. */
static void test_refresh_host_route_vip(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_addr vip = mk_addr(2, "10.0.0.100");
	struct gnl_neigh neigh[] = {
		mk_neigh(2, "10.0.0.5", NUD_REACHABLE, nb_a),
		mk_neigh(2, "10.7.0.5", NUD_REACHABLE, nb_b), /* on the wire, another subnet */
	};
	struct gnl_route_hop hops[] = {
		mk_onlink(2, "10.7.0.0", 16),
		mk_onlink(2, "10.0.0.0", 24),
	};

	s.probes = 0;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	vip.prefixlen = 32;
	tl_addr_full(&x, &vip, true);
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 2, hops, 2);
	expect_request(&x, 0, 2, "10.0.0.100");
	expect_refresh(&x, 0, 2, "10.0.0.100", "10.0.0.5", nb_a);
	expect_none(&x);

	/* without an on-link prefix that holds it, a /32 refreshes no table entry */
	x.now = S(10);
	engine_announce(x.e, x.now, 2, NULL, ENGINE_ANNOUNCE_ONLY);
	tl_drain(&x);
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 2, hops, 1);
	expect_request(&x, S(10), 2, "10.0.0.100");
	expect_none(&x);
	/* nobody refreshed: no note either, only the first time's */
	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 1);
	tl_fini(&x);
}

static void test_strings(void **state)
{
	assert_string_equal(engine_note_type_to_string(ENGINE_NOTE_DEFERRED), "deferred");
	assert_string_equal(engine_cancel_reason_to_string(ENGINE_CANCEL_MAC_CHANGED),
			    "mac-changed");
	assert_string_equal(engine_target_state_to_string(ENGINE_TARGET_WAITING), "waiting");
	assert_string_equal(engine_target_state_to_string((enum engine_target_state)99), "unknown");
}

/* ---- IPv6: unsolicited neighbour advertisements ------------------------- */

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct gnl_addr mk_addr6(int ifindex, const char *s, uint32_t flags)
{
	struct gnl_addr a = {
		.family = AF_INET6,
		.ifindex = ifindex,
		.prefixlen = 64,
		.scope = RT_SCOPE_UNIVERSE,
		.flags = flags,
	};

	a.addr.v6 = ip6(s);
	if (a.addr.v6.s6_addr[0] == 0xfe)
		a.scope = RT_SCOPE_LINK;
	return a;
}

/* A new IPv6 address (RTM_NEWADDR, first seen, live). */
static void tl_addr6(struct tl *x, int ifindex, const char *s, uint32_t flags)
{
	struct gnl_addr a = mk_addr6(ifindex, s, flags);

	tl_addr_full(x, &a, true);
}

/* New flags for an address the engine knows (GNL_EV_ADDR_CHANGED). */
static void tl_addr6_flags(struct tl *x, int ifindex, const char *s, uint32_t flags)
{
	struct gnl_addr a = mk_addr6(ifindex, s, flags);

	engine_addr(x->e, x->now, &a, false);
	tl_drain(x);
}

static void tl_addr6_del(struct tl *x, int ifindex, const char *s)
{
	struct gnl_addr a = mk_addr6(ifindex, s, 0);
	struct garp_addr k = gnl_key(&a);

	model_get(x, ifindex, &k, true)->on = false;
	engine_addr_del(x->e, x->now, &a);
	tl_drain(x);
}

static void expect_na_r(struct tl *x, uint64_t t, int ifindex, const char *addr, bool router)
{
	struct in6_addr a = ip6(addr);
	struct pkt_frame f;

	assert_int_equal(pkt_build_na(&f, x->links[ifindex].mac, &a, router, PKT_VLAN_NONE), 0);
	expect_rec(x, t, ifindex, ENGINE_FRAME_NA, addr, &f);
}

static void expect_na(struct tl *x, uint64_t t, int ifindex, const char *addr)
{
	expect_na_r(x, t, ifindex, addr, false);
}

/* A DAD NS, byte for byte but for the nonce, which is random; returns the nonce. */
static void expect_ns(struct tl *x, uint64_t t, int ifindex, const char *addr,
		      uint8_t ret_nonce[PKT_ND_NONCE_LEN])
{
	struct in6_addr a = ip6(addr);
	const size_t off = PKT_ETH_HLEN + PKT_IPV6_HLEN + 26;
	struct pkt_frame f;

	assert_true(x->cursor < x->n);
	assert_true(x->recs[x->cursor].f.frame.len == PKT_ND_FRAME_LEN);
	memcpy(ret_nonce, x->recs[x->cursor].f.frame.data + off, PKT_ND_NONCE_LEN);
	assert_int_equal(pkt_build_dad_ns(&f, x->links[ifindex].mac, &a, ret_nonce, PKT_VLAN_NONE),
			 0);
	expect_rec(x, t, ifindex, ENGINE_FRAME_NS_PROBE, addr, &f);
}

static struct pkt_nd mk_nd(uint8_t type, const uint8_t mac[6], const char *src, const char *target)
{
	struct pkt_nd nd = { .type = type, .src = ip6(src), .target = ip6(target) };

	memcpy(nd.eth_src, mac, 6);
	if (type == PKT_ICMPV6_NA || src[0] != ':') {
		nd.has_lladdr = true;
		memcpy(nd.lladdr, mac, 6);
	}
	if (type == PKT_ICMPV6_NA)
		nd.flags = PKT_NA_OVERRIDE;
	return nd;
}

static int announce_addr(struct tl *x, int ifindex, const char *addr,
			 enum engine_announce_kind kind)
{
	struct garp_addr a = ga(addr);

	return engine_announce(x->e, x->now, ifindex, &a, kind);
}

static void tl_nd(struct tl *x, int ifindex, const struct pkt_nd *nd)
{
	engine_nd(x->e, x->now, ifindex, nd);
	tl_drain(x);
}

/* The kernel's DAD runs, then the address is advertised: never while tentative. */
static void test_v6_dad_then_na(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct engine_counters c;
	struct tl x;

	s.announcements = 3;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::10", IFA_F_TENTATIVE);
	assert_false(engine_wants_nd(x.e));
	tl_advance(&x, MS(1500));
	expect_none(&x);
	/* DAD done: RTM_NEWADDR again without IFA_F_TENTATIVE; no own probes */
	tl_addr6_flags(&x, 2, "2001:db8::10", 0);
	assert_false(engine_wants_nd(x.e));
	assert_false(engine_wants_arp(x.e));
	tl_advance(&x, S(60));
	expect_na(&x, MS(1500), 2, "2001:db8::10");
	expect_na(&x, MS(2500), 2, "2001:db8::10");
	expect_na(&x, MS(3500), 2, "2001:db8::10");
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.na, 3);
	assert_int_equal(c.announcements, 0);
	assert_int_equal(c.probes + c.ns_probes, 0);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_ANNOUNCED), 1);
	/* a lifetime update later: no restart */
	tl_addr6_flags(&x, 2, "2001:db8::10", 0);
	tl_advance(&x, S(120));
	expect_none(&x);
	tl_fini(&x);
}

/* Optimistic (RFC 4429): never with Override, so not at all until DAD finishes. */
static void test_v6_optimistic(void **state)
{
	struct tl x;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::11", IFA_F_OPTIMISTIC | IFA_F_TENTATIVE);
	tl_advance(&x, S(1));
	tl_addr6_flags(&x, 2, "2001:db8::11", IFA_F_OPTIMISTIC);
	tl_advance(&x, S(2));
	/* an operator asking changes nothing while it is not usable */
	assert_int_equal(announce_addr(&x, 2, "2001:db8::11", ENGINE_ANNOUNCE_ONLY), 0);
	tl_advance(&x, S(3));
	expect_none(&x);
	tl_addr6_flags(&x, 2, "2001:db8::11", 0);
	tl_advance(&x, S(10));
	expect_na(&x, S(3), 2, "2001:db8::11");
	expect_none(&x);
	tl_fini(&x);
}

/* DAD failed: a conflict, and never an NA, whatever triggers. */
static void test_v6_dad_failed(void **state)
{
	struct engine_conflict cf[4];
	struct engine_counters c;
	const struct engine_note *n;
	struct gnl_link *l;
	struct garp_addr a = ga("2001:db8::12");
	struct tl x;

	tl_init(&x, NULL);
	l = tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::12", IFA_F_TENTATIVE);
	x.now = S(1);
	tl_addr6_flags(&x, 2, "2001:db8::12", IFA_F_TENTATIVE | IFA_F_DADFAILED);
	n = find_note(&x, ENGINE_NOTE_CONFLICT);
	assert_non_null(n);
	assert_true(n->kernel_dad);
	assert_true(garp_addr_eq(&n->addr, &a));
	assert_int_equal(n->time, S(1));
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);
	assert_int_equal(c.dad_failures, 1);
	assert_int_equal(engine_get_conflicts(x.e, cf, 4), 1);
	assert_true(cf[0].kernel_dad);
	assert_true(garp_addr_eq(&cf[0].addr, &a));

	/* carrier flap, MAC change, operator, refresh: nothing */
	x.now = S(2);
	l->operstate = OPER_DOWN;
	tl_link(&x, l, GNL_CHANGE_CARRIER_DOWN);
	l->operstate = OPER_UP;
	tl_link(&x, l, GNL_CHANGE_CARRIER_UP);
	l->mac[5] = 0x77;
	tl_link(&x, l, GNL_CHANGE_MAC);
	assert_int_equal(engine_announce(x.e, x.now, 2, &a, ENGINE_ANNOUNCE_ONLY), 0);
	assert_int_equal(engine_announce(x.e, x.now, 2, NULL, ENGINE_ANNOUNCE_SEQUENCE), 0);
	tl_advance(&x, S(100));
	expect_none(&x);
	/* the same failure reported again is not a second conflict */
	tl_addr6_flags(&x, 2, "2001:db8::12", IFA_F_TENTATIVE | IFA_F_DADFAILED);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);

	/* removed and added again (nodad this time): a fresh start */
	x.now = S(200);
	tl_addr6_del(&x, 2, "2001:db8::12");
	tl_addr6(&x, 2, "2001:db8::12", IFA_F_NODAD);
	tl_advance(&x, S(300));
	assert_int_equal(x.n - x.cursor, 4); /* 3 probes, 1 NA */
	tl_fini(&x);
}

/* nodad: garpd's own DAD probes (the kernel's format), then the NA. */
static void test_v6_nodad_probes(void **state)
{
	uint8_t nonce[3][PKT_ND_NONCE_LEN];
	struct engine_counters c;
	const struct engine_note *n;
	struct tl x;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	x.now = S(10);
	tl_addr6(&x, 2, "2001:db8::20", IFA_F_NODAD | IFA_F_PERMANENT);
	assert_true(engine_wants_nd(x.e));
	assert_false(engine_wants_arp(x.e));
	n = find_note(&x, ENGINE_NOTE_STARTED);
	assert_non_null(n);
	assert_int_equal(n->probes, 3);
	tl_advance(&x, S(20));
	assert_false(engine_wants_nd(x.e));
	expect_ns(&x, S(10), 2, "2001:db8::20", nonce[0]);
	expect_ns(&x, S(11), 2, "2001:db8::20", nonce[1]);
	expect_ns(&x, S(12), 2, "2001:db8::20", nonce[2]);
	expect_na(&x, S(13), 2, "2001:db8::20");
	expect_none(&x);
	/* one nonce per sequence */
	assert_memory_equal(nonce[0], nonce[1], PKT_ND_NONCE_LEN);
	assert_memory_equal(nonce[0], nonce[2], PKT_ND_NONCE_LEN);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.ns_probes, 3);
	assert_int_equal(c.probes, 0);
	assert_int_equal(c.na, 1);
	tl_fini(&x);
}

/* While garpd probes a nodad address: another node's NA or DAD NS for it is a conflict. */
static void test_v6_nodad_conflict(void **state)
{
	static const uint8_t own[6] = { 0x02, 0, 0, 0, 0, 2 };
	uint8_t nonce[PKT_ND_NONCE_LEN];
	struct engine_conflict cf[4];
	struct engine_counters c;
	struct pkt_nd nd;
	struct tl x;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::30", IFA_F_NODAD);
	tl_advance(&x, MS(500));
	expect_ns(&x, 0, 2, "2001:db8::30", nonce);
	/* not conflicts: our own NA and NS, our probe looped back, someone resolving it, another
	 * target */
	nd = mk_nd(PKT_ICMPV6_NA, own, "2001:db8::30", "2001:db8::30");
	tl_nd(&x, 2, &nd);
	nd = mk_nd(PKT_ICMPV6_NS, other_mac, "::", "2001:db8::30");
	nd.has_nonce = true;
	memcpy(nd.nonce, nonce, PKT_ND_NONCE_LEN);
	memcpy(nd.eth_src, own, 6);
	tl_nd(&x, 2, &nd);
	memcpy(nd.eth_src, other_mac, 6);
	tl_nd(&x, 2, &nd); /* a reflector that rewrote the source MAC: the nonce says it is ours */
	nd = mk_nd(PKT_ICMPV6_NS, other_mac, "2001:db8::99", "2001:db8::30");
	tl_nd(&x, 2, &nd);
	nd = mk_nd(PKT_ICMPV6_NA, other_mac, "2001:db8::31", "2001:db8::31");
	tl_nd(&x, 2, &nd);
	nd = mk_nd(PKT_ICMPV6_NA, other_mac, "2001:db8::30", "2001:db8::30");
	tl_nd(&x, 3, &nd); /* another interface */
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 0);
	assert_true(engine_wants_nd(x.e));

	/* the holder defends it */
	tl_advance(&x, MS(1500));
	nd = mk_nd(PKT_ICMPV6_NA, other_mac, "2001:db8::30", "2001:db8::30");
	tl_nd(&x, 2, &nd);
	assert_false(engine_wants_nd(x.e));
	tl_advance(&x, S(60));
	expect_ns(&x, S(1), 2, "2001:db8::30", nonce);
	expect_none(&x); /* no NA */
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);
	assert_int_equal(c.dad_failures, 0);
	assert_int_equal(engine_get_conflicts(x.e, cf, 4), 1);
	assert_false(cf[0].kernel_dad);
	assert_memory_equal(cf[0].mac, other_mac, 6);
	tl_fini(&x);

	/* another node's DAD probe for the same address: a conflict too */
	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::30", IFA_F_NODAD);
	x.now = MS(100);
	nd = mk_nd(PKT_ICMPV6_NS, other_mac, "::", "2001:db8::30");
	nd.has_nonce = true;
	memset(nd.nonce, 0x5a, PKT_ND_NONCE_LEN);
	tl_nd(&x, 2, &nd);
	tl_advance(&x, S(60));
	expect_ns(&x, 0, 2, "2001:db8::30", nonce);
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.conflicts, 1);
	tl_fini(&x);
}

/* on_conflict = announce: the NA still goes out, after the last probe's pause. */
static void test_v6_nodad_conflict_announce(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	uint8_t nonce[PKT_ND_NONCE_LEN];
	struct pkt_nd nd = mk_nd(PKT_ICMPV6_NA, other_mac, "2001:db8::30", "2001:db8::30");
	struct tl x;

	s.on_conflict = CFG_CONFLICT_ANNOUNCE;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::30", IFA_F_NODAD);
	x.now = MS(500);
	tl_nd(&x, 2, &nd);
	tl_advance(&x, S(60));
	expect_ns(&x, 0, 2, "2001:db8::30", nonce);
	expect_na(&x, S(1), 2, "2001:db8::30");
	expect_none(&x);
	tl_fini(&x);
}

/* Removal cancels: while probing, and before DAD ever finished. */
static void test_v6_removal(void **state)
{
	uint8_t nonce[PKT_ND_NONCE_LEN];
	struct tl x;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::40", IFA_F_NODAD);
	tl_addr6(&x, 2, "2001:db8::41", IFA_F_TENTATIVE);
	tl_advance(&x, MS(1500));
	tl_addr6_del(&x, 2, "2001:db8::40");
	tl_addr6_del(&x, 2, "2001:db8::41");
	assert_false(engine_wants_nd(x.e));
	tl_advance(&x, S(60));
	expect_ns(&x, 0, 2, "2001:db8::40", nonce);
	expect_ns(&x, S(1), 2, "2001:db8::40", nonce);
	expect_none(&x);
	/* the DAD-done message for a removed address (a late event) changes nothing */
	tl_addr6_flags(&x, 2, "2001:db8::41", 0);
	tl_advance(&x, S(120));
	expect_none(&x);
	tl_fini(&x);
}

/*
 * Every trigger that announces IPv4 advertises IPv6 too, with the same
 * count and interval and through the same rate limiter.
 */
static void test_v6_triggers(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct gnl_link *l;
	struct tl x;

	s.probes = 0;
	s.announcements = 2;
	s.refresh_interval_ns = S(100);
	tl_init(&x, &s);
	l = tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.6");
	tl_addr6(&x, 2, "2001:db8::6", 0);
	tl_advance(&x, S(10));
	expect_request(&x, 0, 2, "10.0.0.6");
	expect_na(&x, 0, 2, "2001:db8::6");
	expect_request(&x, S(1), 2, "10.0.0.6");
	expect_na(&x, S(1), 2, "2001:db8::6");
	expect_none(&x);

	/* carrier down and up: the kernel runs DAD again, so IPv6 waits for it */
	x.now = S(20);
	l->operstate = OPER_DOWN;
	tl_link(&x, l, GNL_CHANGE_CARRIER_DOWN);
	tl_addr6_flags(&x, 2, "2001:db8::6", IFA_F_TENTATIVE);
	x.now = S(21);
	l->operstate = OPER_UP;
	tl_link(&x, l, GNL_CHANGE_CARRIER_UP);
	x.now = S(22);
	tl_addr6_flags(&x, 2, "2001:db8::6", 0);
	tl_advance(&x, S(30));
	expect_request(&x, S(21), 2, "10.0.0.6");
	expect_request(&x, S(22), 2, "10.0.0.6");
	expect_na(&x, S(22), 2, "2001:db8::6");
	expect_na(&x, S(23), 2, "2001:db8::6");
	expect_none(&x);

	/* carrier up without a new DAD (nodad addresses, accept_dad=0): at once */
	x.now = S(40);
	l->operstate = OPER_DOWN;
	tl_link(&x, l, GNL_CHANGE_CARRIER_DOWN);
	l->operstate = OPER_UP;
	tl_link(&x, l, GNL_CHANGE_CARRIER_UP);
	tl_advance(&x, S(50));
	expect_na(&x, S(40), 2, "2001:db8::6");
	expect_request(&x, S(40), 2, "10.0.0.6");
	expect_na(&x, S(41), 2, "2001:db8::6");
	expect_request(&x, S(41), 2, "10.0.0.6");
	expect_none(&x);

	/* MAC change: with the new MAC */
	x.now = S(60);
	l->mac[5] = 0x66;
	tl_link(&x, l, GNL_CHANGE_MAC);
	tl_advance(&x, S(70));
	expect_na(&x, S(60), 2, "2001:db8::6");
	expect_request(&x, S(60), 2, "10.0.0.6");
	expect_na(&x, S(61), 2, "2001:db8::6");
	expect_request(&x, S(61), 2, "10.0.0.6");
	expect_none(&x);

	/* garpctl announce: the interface, or the address alone */
	tl_advance(&x, S(80));
	assert_int_equal(engine_announce(x.e, x.now, 2, NULL, ENGINE_ANNOUNCE_ONLY), 2);
	tl_drain(&x);
	tl_advance(&x, S(90));
	assert_int_equal(announce_addr(&x, 0, "2001:db8::6", ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	tl_advance(&x, S(95));
	expect_na(&x, S(80), 2, "2001:db8::6");
	expect_request(&x, S(80), 2, "10.0.0.6");
	expect_na(&x, S(81), 2, "2001:db8::6");
	expect_request(&x, S(81), 2, "10.0.0.6");
	expect_na(&x, S(90), 2, "2001:db8::6");
	expect_na(&x, S(91), 2, "2001:db8::6");
	expect_none(&x);

	/* the refresh timer, from each one's last sequence */
	tl_advance(&x, S(192));
	expect_request(&x, S(181), 2, "10.0.0.6");
	expect_request(&x, S(182), 2, "10.0.0.6");
	expect_na(&x, S(191), 2, "2001:db8::6");
	expect_na(&x, S(192), 2, "2001:db8::6");
	expect_none(&x);
	tl_fini(&x);
}

/* One token bucket per interface for both families. */
static void test_v6_rate_limit_shared(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct engine_counters c;
	struct tl x;

	s.probes = 0;
	s.max_frames_per_second = 2;
	tl_init(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr(&x, 2, "10.0.0.1");
	tl_addr6(&x, 2, "2001:db8::1", 0);
	tl_addr(&x, 2, "10.0.0.2");
	tl_addr6(&x, 2, "2001:db8::2", 0);
	tl_advance(&x, S(10));
	expect_request(&x, 0, 2, "10.0.0.1");
	expect_na(&x, 0, 2, "2001:db8::1");
	expect_request(&x, MS(500), 2, "10.0.0.2");
	expect_na(&x, S(1), 2, "2001:db8::2");
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.rate_limited, 2);
	tl_fini(&x);
}

/* The Router flag follows the interface's forwarding setting, asked at each start. */
static void test_v6_router_flag(void **state)
{
	struct tl x;

	tl_init(&x, NULL);
	x.pol.router_name = "eth1";
	tl_add_link(&x, 2, "eth0");
	tl_add_link(&x, 3, "eth1");
	tl_addr6(&x, 2, "2001:db8::2", 0);
	tl_addr6(&x, 3, "2001:db8::3", 0);
	tl_addr(&x, 3, "10.0.0.3"); /* IPv4 does not ask */
	assert_int_equal(x.pol.router_asked, 2);
	tl_advance(&x, S(50));
	x.pol.router_name = NULL; /* forwarding switched off */
	assert_int_equal(engine_announce(x.e, x.now, 3, NULL, ENGINE_ANNOUNCE_ONLY), 2);
	tl_drain(&x);
	assert_int_equal(x.pol.router_asked, 3);
	tl_advance(&x, S(100));
	expect_na_r(&x, 0, 2, "2001:db8::2", false);
	expect_na_r(&x, 0, 3, "2001:db8::3", true);
	expect_probe(&x, 0, 3, "10.0.0.3");
	expect_probe(&x, S(1), 3, "10.0.0.3");
	expect_probe(&x, S(2), 3, "10.0.0.3");
	expect_request(&x, S(3), 3, "10.0.0.3");
	expect_request(&x, S(50), 3, "10.0.0.3");
	expect_na_r(&x, S(50), 3, "2001:db8::3", false);
	expect_none(&x);
	tl_fini(&x);
}

/* ipv4 = no / ipv6 = no per interface. */
static void test_v6_family_switches(void **state)
{
	struct tl x;

	tl_init(&x, NULL);
	x.pol.def.probes = 0;
	x.pol.special_name = "eth1";
	x.pol.special = x.pol.def;
	x.pol.def.ipv6 = false;
	x.pol.special.ipv4 = false;
	tl_add_link(&x, 2, "eth0");
	tl_add_link(&x, 3, "eth1");
	tl_addr(&x, 2, "10.0.0.2");
	tl_addr6(&x, 2, "2001:db8::2", 0);
	tl_addr(&x, 3, "10.0.0.3");
	tl_addr6(&x, 3, "2001:db8::3", 0);
	x.now = S(10);
	assert_int_equal(engine_announce(x.e, x.now, 0, NULL, ENGINE_ANNOUNCE_ONLY), 2);
	tl_drain(&x);
	tl_advance(&x, S(20));
	expect_request(&x, 0, 2, "10.0.0.2");
	expect_na(&x, 0, 3, "2001:db8::3");
	/* the engine walks its links newest first */
	expect_na(&x, S(10), 3, "2001:db8::3");
	expect_request(&x, S(10), 2, "10.0.0.2");
	expect_none(&x);
	tl_fini(&x);
}

/*
 * Link-local addresses: nobody has them cached when they appear, so no NA
 * at boot, on carrier up or on refresh; but when their MAC binding moves
 * (MAC change, bond failover) or an operator names one, they are advertised.
 */
static void test_v6_link_local(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct gnl_link *l;
	struct tl x;

	s.refresh_interval_ns = S(30);
	tl_init(&x, &s);
	l = tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "fe80::2", IFA_F_TENTATIVE | IFA_F_PERMANENT);
	x.now = S(1);
	tl_addr6_flags(&x, 2, "fe80::2", IFA_F_PERMANENT);
	tl_addr6(&x, 2, "fe80::3", IFA_F_NODAD);
	x.now = S(5);
	l->operstate = OPER_DOWN;
	tl_link(&x, l, GNL_CHANGE_CARRIER_DOWN);
	l->operstate = OPER_UP;
	tl_link(&x, l, GNL_CHANGE_CARRIER_UP);
	assert_int_equal(engine_announce(x.e, x.now, 2, NULL, ENGINE_ANNOUNCE_ONLY), 0);
	assert_int_equal(engine_announce(x.e, x.now, 0, NULL, ENGINE_ANNOUNCE_SEQUENCE), 0);
	tl_advance(&x, S(100));
	expect_none(&x);

	/* the MAC moves: both advertised, with the new MAC */
	x.now = S(100);
	l->mac[5] = 0x99;
	tl_link(&x, l, GNL_CHANGE_MAC);
	/* an operator names one */
	x.now = S(110);
	assert_int_equal(announce_addr(&x, 2, "fe80::3", ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	/* and the refresh timer does not repeat them */
	tl_advance(&x, S(300));
	expect_na(&x, S(100), 2, "fe80::3");
	expect_na(&x, S(100), 2, "fe80::2");
	expect_na(&x, S(110), 2, "fe80::3");
	expect_none(&x);
	tl_fini(&x);
}

/* Bond failover: the IPv6 addresses of the bond and every device stacked on it. */
static void test_v6_bond_failover(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;

	s.probes = 0;
	s.relearn_guests = false;
	tl_init(&x, &s);
	build_bond_lab(&x);
	tl_addr6(&x, 10, "2001:db8::a", 0);	/* br0 */
	tl_addr6(&x, 11, "2001:db8:100::a", 0); /* br0.100 */
	tl_addr6(&x, 11, "fe80::11", 0);
	tl_addr6(&x, 12, "2001:db8:200::a", 0); /* mv0 */
	tl_addr6(&x, 30, "2001:db8:300::a", 0); /* eth9, not on the bond */
	tl_advance(&x, S(10));
	expect_na(&x, 0, 10, "2001:db8::a");
	expect_na(&x, 0, 11, "2001:db8:100::a");
	expect_na(&x, 0, 12, "2001:db8:200::a");
	expect_na(&x, 0, 30, "2001:db8:300::a");
	expect_none(&x);

	x.now = S(100);
	x.links[4].bond_active_slave = 3;
	tl_link(&x, &x.links[4], GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER);
	expect_na(&x, S(100), 10, "2001:db8::a");
	expect_na(&x, S(100), 11, "fe80::11");
	expect_na(&x, S(100), 11, "2001:db8:100::a");
	expect_na(&x, S(100), 12, "2001:db8:200::a");
	expect_none(&x);
	tl_fini(&x);
}

/* Never: loopback, NOARP, host scope, multicast, a bond slave. */
static void test_v6_ineligible(void **state)
{
	struct gnl_link *l;
	struct gnl_addr a;
	struct tl x;

	tl_init(&x, NULL);
	x.pol.def.probes = 0;
	l = tl_add_link(&x, 1, "lo");
	l->type = ARPHRD_LOOPBACK;
	l->flags |= IFF_LOOPBACK;
	tl_link(&x, l, GNL_CHANGE_FLAGS);
	l = tl_add_link(&x, 2, "tunl0");
	l->flags |= IFF_NOARP;
	tl_link(&x, l, GNL_CHANGE_FLAGS);
	tl_add_link(&x, 3, "eth0");
	tl_addr6(&x, 1, "2001:db8::1", 0);
	tl_addr6(&x, 2, "2001:db8::2", 0);
	a = mk_addr6(3, "::1", 0);
	a.scope = RT_SCOPE_HOST;
	tl_addr_full(&x, &a, true);
	a = mk_addr6(3, "2001:db8::3", 0);
	a.scope = RT_SCOPE_HOST;
	tl_addr_full(&x, &a, true);
	tl_addr6(&x, 3, "ff02::1:2", 0);
	assert_int_equal(engine_announce(x.e, x.now, 0, NULL, ENGINE_ANNOUNCE_ONLY), 0);
	tl_advance(&x, S(60));
	expect_none(&x);
	tl_fini(&x);
}

/* An address in DAD when garpd starts appears when DAD finishes; one that is done does not. */
static void test_v6_dump_tentative(void **state)
{
	struct gnl_addr a;
	struct tl x;

	tl_init(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	a = mk_addr6(2, "2001:db8::50", IFA_F_TENTATIVE);
	tl_addr_full(&x, &a, false); /* from the first dump */
	a = mk_addr6(2, "2001:db8::51", 0);
	tl_addr_full(&x, &a, false);
	a = mk_addr6(2, "fe80::50", IFA_F_TENTATIVE);
	tl_addr_full(&x, &a, false);
	x.now = S(1);
	tl_addr6_flags(&x, 2, "2001:db8::50", 0);
	tl_addr6_flags(&x, 2, "fe80::50", 0);
	tl_advance(&x, S(60));
	expect_na(&x, S(1), 2, "2001:db8::50");
	expect_none(&x);
	tl_fini(&x);
}

/* ---- IPv6 directed refresh: a unicast NS with our MAC, after the last NA -- */

static void expect_refresh6(struct tl *x, uint64_t t, int ifindex, const char *addr,
			    const char *neighbour, const uint8_t *mac)
{
	struct in6_addr a = ip6(addr), nb = ip6(neighbour);
	struct pkt_frame f;

	assert_int_equal(
	    pkt_build_directed_ns(&f, x->links[ifindex].mac, &a, mac, &nb, PKT_VLAN_NONE), 0);
	expect_rec(x, t, ifindex, ENGINE_FRAME_REFRESH, addr, &f);
}

static struct gnl_neigh mk_neigh6(int ifindex, const char *addr, uint16_t state, const uint8_t *mac)
{
	struct gnl_neigh n = {
		.family = AF_INET6, .ifindex = ifindex, .ip6 = ip6(addr), .state = state
	};

	if (mac) {
		memcpy(n.mac, mac, 6);
		n.has_mac = true;
	}
	return n;
}

static struct gnl_route_hop mk_gw6(int ifindex, const char *gw)
{
	return (struct gnl_route_hop){
		.family = AF_INET6, .ifindex = ifindex, .has_gateway = true, .gateway6 = ip6(gw)
	};
}

static struct gnl_route_hop mk_onlink6(int ifindex, const char *dst, uint8_t len)
{
	return (struct gnl_route_hop){
		.family = AF_INET6, .ifindex = ifindex, .dst6 = ip6(dst), .dst_len = len
	};
}

/*
 * Who gets what, IPv6: the configured ones, the gateways (link-local, the
 * way routers are), the table's entries in the address's prefix; each family
 * only its own neighbours, one query for both; after the last NA.
 */
static void test_refresh6_who(void **state)
{
	static struct garp_addr conf[3];
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct engine_counters c;
	const struct engine_note *n;
	struct gnl_addr own = mk_addr6(2, "2001:db8::2", 0), own_ll = mk_addr6(2, "fe80::2", 0);
	struct gnl_neigh neigh[] = {
		mk_neigh6(2, "2001:db8::5", NUD_REACHABLE, nb_a),
		mk_neigh6(2, "2001:db8::6", NUD_STALE, nb_b),
		mk_neigh6(2, "2001:db8::7", NUD_INCOMPLETE, NULL),
		mk_neigh6(2, "2001:db8::8", NUD_FAILED, NULL),
		mk_neigh6(2, "2001:db8::9", NUD_NOARP, nb_a),
		mk_neigh6(2, "2001:db8:1::5", NUD_REACHABLE, nb_a), /* another prefix */
		mk_neigh6(2, "2001:db8::2", NUD_PERMANENT, nb_a),   /* our own address */
		mk_neigh6(2, "fe80::2", NUD_PERMANENT, nb_a),	    /* our own link-local */
		mk_neigh6(2, "fe80::1", NUD_STALE, nb_g),	    /* the router */
		mk_neigh6(2, "fe80::5", NUD_REACHABLE, nb_a),	    /* link-local, no gateway */
		mk_neigh6(2, "2001:db8::11", NUD_DELAY, nb_b),
		mk_neigh6(3, "2001:db8::12", NUD_REACHABLE, nb_b), /* another interface */
		mk_neigh6(2, "2001:db8::100", NUD_STALE, nb_b),	   /* the address itself */
		mk_neigh6(2, "ff02::1:ff00:5", NUD_NOARP, nb_a),   /* a group */
		mk_neigh(2, "10.0.0.5", NUD_REACHABLE, nb_a),	   /* IPv4: the IPv4 address's */
	};
	struct gnl_route_hop hops[] = {
		mk_gw6(2, "fe80::1"),  mk_onlink6(2, "2001:db8::", 64), mk_onlink6(2, "fe80::", 64),
		mk_gw6(2, "fe80::fe"), /* never talked to: its solicited-node group */
		mk_gw6(3, "fe80::99"), /* through another interface */
		mk_gw(2, "10.0.0.1"),  /* IPv4 */
	};

	conf[0] = ga("2001:db8::50");
	conf[1] = ga("10.0.0.50");
	conf[2] = ga("fe80::1"); /* the router named too: once, with the table's MAC */
	s.probes = 0;
	s.announcements = 2;
	tl_init_refresh(&x, &s);
	x.pol.def.refresh_neighbours = (struct cfg_addr_list){ .v = conf, .n = 3 };
	tl_add_link(&x, 2, "eth0");
	tl_addr_full(&x, &own, false); /* there before: not announced */
	tl_addr_full(&x, &own_ll, false);
	expect_no_query(&x);

	x.now = S(100);
	tl_addr(&x, 2, "10.0.0.100");
	tl_addr6(&x, 2, "2001:db8::100", 0); /* DAD done: the NA at once */
	expect_nb_query(&x, 2);		     /* one for both families */
	x.now = S(100) + MS(10);
	tl_answer(&x, 2, neigh, sizeof(neigh) / sizeof(neigh[0]), hops,
		  sizeof(hops) / sizeof(hops[0]));
	tl_advance(&x, S(110));

	expect_request(&x, S(100), 2, "10.0.0.100");
	expect_na(&x, S(100), 2, "2001:db8::100");
	/* right after each address's last frame, in the same instant, its own family only */
	expect_request(&x, S(101), 2, "10.0.0.100");
	expect_refresh(&x, S(101), 2, "10.0.0.100", "10.0.0.50", NULL);
	expect_refresh(&x, S(101), 2, "10.0.0.100", "10.0.0.1", NULL);
	expect_refresh(&x, S(101), 2, "10.0.0.100", "10.0.0.5", nb_a);
	expect_na(&x, S(101), 2, "2001:db8::100");
	expect_refresh6(&x, S(101), 2, "2001:db8::100", "2001:db8::50", NULL);
	expect_refresh6(&x, S(101), 2, "2001:db8::100", "fe80::1", nb_g);
	expect_refresh6(&x, S(101), 2, "2001:db8::100", "fe80::fe", NULL);
	expect_refresh6(&x, S(101), 2, "2001:db8::100", "2001:db8::5", nb_a);
	expect_refresh6(&x, S(101), 2, "2001:db8::100", "2001:db8::11", nb_b);
	expect_refresh6(&x, S(101), 2, "2001:db8::100", "2001:db8::6", nb_b);
	expect_none(&x);
	expect_no_query(&x);

	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 2);
	n = find_note(&x, ENGINE_NOTE_REFRESHED);
	assert_non_null(n);
	assert_int_equal(n->addr.family, AF_INET);
	assert_int_equal(n->count, 3);
	for (size_t i = 0; i < x.n_notes; i++)
		if (x.notes[i].type == ENGINE_NOTE_REFRESHED && x.notes[i].addr.family == AF_INET6)
			n = &x.notes[i];
	assert_int_equal(n->addr.family, AF_INET6);
	assert_int_equal(n->time, S(101));
	assert_int_equal(n->count, 6);
	assert_int_equal(n->capped, 0);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.refreshes, 9);
	assert_int_equal(c.na, 2);
	tl_fini(&x);
}

/*
 * The same rules as for the NA: a tentative or DAD-failed address gets no
 * refresh, nor one held by a conflict; removal, link down, an address that
 * turned tentative again (its NS waiting in the rate limiter) cancel.
 */
static void test_refresh6_safety(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct gnl_neigh neigh[] = {
		mk_neigh6(2, "2001:db8::5", NUD_REACHABLE, nb_a),
		mk_neigh6(2, "2001:db8::6", NUD_REACHABLE, nb_b),
		mk_neigh6(2, "2001:db8::7", NUD_REACHABLE, nb_b),
	};
	struct gnl_route_hop hops[] = { mk_gw6(2, "fe80::1") };
	struct engine_counters c;
	uint8_t nonce[PKT_ND_NONCE_LEN];
	struct pkt_nd nd;
	struct tl x;

	s.probes = 0;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");

	/* tentative, then DAD failed: no NA, no query, no refresh */
	tl_addr6(&x, 2, "2001:db8::100", IFA_F_TENTATIVE);
	x.now = S(1);
	tl_addr6_flags(&x, 2, "2001:db8::100", IFA_F_TENTATIVE | IFA_F_DADFAILED);
	tl_advance(&x, S(5));
	expect_no_query(&x);
	expect_none(&x);
	tl_addr6_del(&x, 2, "2001:db8::100");

	/* removed between the NA and the answer */
	x.now = S(10);
	tl_addr6(&x, 2, "2001:db8::101", 0);
	expect_nb_query(&x, 2);
	x.now = S(10) + MS(1);
	tl_addr6_del(&x, 2, "2001:db8::101");
	x.now = S(10) + MS(2);
	tl_answer(&x, 2, neigh, 3, hops, 1);
	tl_advance(&x, S(15));
	expect_na(&x, S(10), 2, "2001:db8::101");
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 0);

	/* link down between the NA and the answer */
	x.now = S(20);
	tl_addr6(&x, 2, "2001:db8::102", 0);
	expect_nb_query(&x, 2);
	x.now = S(20) + MS(1);
	x.links[2].operstate = OPER_DOWN;
	tl_link(&x, &x.links[2], GNL_CHANGE_CARRIER_DOWN);
	tl_answer(&x, 2, neigh, 3, hops, 1);
	expect_na(&x, S(20), 2, "2001:db8::102");
	expect_none(&x);
	tl_fini(&x);

	/* tentative again while its NSes wait in the rate limiter: the rest never leave */
	s.max_frames_per_second = 2;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::100", 0);
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 3, hops, 1);
	x.now = MS(200);
	tl_addr6_flags(&x, 2, "2001:db8::100", IFA_F_TENTATIVE);
	tl_advance(&x, S(5));
	expect_na(&x, 0, 2, "2001:db8::100");
	expect_refresh6(&x, 0, 2, "2001:db8::100", "fe80::1", NULL);
	expect_none(&x);
	engine_get_counters(x.e, &c);
	assert_int_equal(c.refreshes, 1);
	assert_int_equal(c.rate_limited, 3);
	tl_fini(&x);

	/* nodad, and another node defends the address: no NA, so no refresh */
	tl_init_refresh(&x, NULL);
	tl_add_link(&x, 2, "eth0");
	tl_addr6(&x, 2, "2001:db8::30", IFA_F_NODAD);
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 3, hops, 1);
	tl_advance(&x, MS(500));
	nd = mk_nd(PKT_ICMPV6_NA, other_mac, "2001:db8::30", "2001:db8::30");
	tl_nd(&x, 2, &nd);
	tl_advance(&x, S(60));
	expect_ns(&x, 0, 2, "2001:db8::30", nonce);
	expect_none(&x);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_CONFLICT), 1);
	assert_int_equal(count_notes(&x, ENGINE_NOTE_REFRESHED), 0);
	tl_fini(&x);
}

/*
 * A /128 (a VIP): the table's neighbours in an on-link prefix that holds it.
 * A link-local address that moves (MAC change) refreshes the link-local ones.
 */
static void test_refresh6_host_route_vip(void **state)
{
	struct cfg_sequence s = CFG_SEQUENCE_INIT;
	struct tl x;
	struct gnl_addr vip = mk_addr6(2, "2001:db8::100", 0), ll = mk_addr6(2, "fe80::2", 0);
	struct gnl_neigh neigh[] = {
		mk_neigh6(2, "2001:db8:0:f::5", NUD_REACHABLE, nb_a), /* the /60's last /64 */
		mk_neigh6(2, "2001:db8:7::5", NUD_REACHABLE,
			  nb_b), /* on the wire, another prefix */
		mk_neigh6(2, "fe80::9", NUD_STALE, nb_b),
		mk_neigh6(2, "2001:db8:0:10::5", NUD_REACHABLE, nb_b), /* just past the /60 */
	};
	struct gnl_route_hop hops[] = {
		mk_onlink6(2, "2001:db8:7::", 48),
		mk_onlink6(2, "2001:db8::", 60), /* a prefix length that is no whole byte */
		mk_onlink6(2, "fe80::", 64),
	};

	s.probes = 0;
	tl_init_refresh(&x, &s);
	tl_add_link(&x, 2, "eth0");
	tl_addr_full(&x, &ll, false);
	vip.prefixlen = 128;
	tl_addr_full(&x, &vip, true);
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 4, hops, 3);
	expect_na(&x, 0, 2, "2001:db8::100");
	expect_refresh6(&x, 0, 2, "2001:db8::100", "2001:db8:0:f::5", nb_a);
	expect_none(&x);

	/* without an on-link prefix that holds it, a /128 refreshes no table entry */
	x.now = S(10);
	assert_int_equal(announce_addr(&x, 2, "2001:db8::100", ENGINE_ANNOUNCE_ONLY), 1);
	tl_drain(&x);
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 4, hops, 1);
	expect_na(&x, S(10), 2, "2001:db8::100");
	expect_none(&x);

	/* a new MAC: both addresses move, each refreshes its own prefix's neighbours */
	x.now = S(20);
	x.links[2].mac[5] = 0x99;
	tl_link(&x, &x.links[2], GNL_CHANGE_MAC);
	expect_nb_query(&x, 2);
	tl_answer(&x, 2, neigh, 4, hops, 3);
	tl_advance(&x, S(30));
	/* both NAs at once; the refreshes when the list read after the move comes */
	expect_na(&x, S(20), 2, "2001:db8::100");
	expect_na(&x, S(20), 2, "fe80::2");
	expect_refresh6(&x, S(20), 2, "2001:db8::100", "2001:db8:0:f::5", nb_a);
	expect_refresh6(&x, S(20), 2, "fe80::2", "fe80::9", nb_b);
	expect_none(&x);
	tl_fini(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_sequence),
		cmocka_unit_test(test_zero_probes),
		cmocka_unit_test(test_several_announcements),
		cmocka_unit_test(test_frames_both_and_reply),
		cmocka_unit_test(test_rfc5227_jitter),
		cmocka_unit_test(test_conflict_sender_ip),
		cmocka_unit_test(test_conflict_probe),
		cmocka_unit_test(test_no_conflict_from_own),
		cmocka_unit_test(test_conflict_announce),
		cmocka_unit_test(test_removal_during_probing),
		cmocka_unit_test(test_link_down_up),
		cmocka_unit_test(test_link_up_sequence_and_none),
		cmocka_unit_test(test_mac_change),
		cmocka_unit_test(test_duplicate_newaddr),
		cmocka_unit_test(test_retrigger_in_flight),
		cmocka_unit_test(test_hold_down_flapping),
		cmocka_unit_test(test_bond_failover),
		cmocka_unit_test(test_bond_failover_arp_relearn_and_off),
		cmocka_unit_test(test_bond_failover_port_vlans),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_ineligible),
		cmocka_unit_test(test_announce_api),
		cmocka_unit_test(test_announce_now),
		cmocka_unit_test(test_link_removed),
		cmocka_unit_test(test_many_targets),
		cmocka_unit_test(test_reload_policy),
		cmocka_unit_test(test_conflict_ring),
		cmocka_unit_test(test_refresh_who),
		cmocka_unit_test(test_refresh_waits_for_the_list),
		cmocka_unit_test(test_refresh_burst_waits),
		cmocka_unit_test(test_refresh_trickle),
		cmocka_unit_test(test_refresh_cancelled),
		cmocka_unit_test(test_refresh_cap_and_rate),
		cmocka_unit_test(test_refresh_conflict_and_off),
		cmocka_unit_test(test_refresh_host_route_vip),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_failover_mac_active),
		cmocka_unit_test(test_failover_flap_one_instant),
		cmocka_unit_test(test_coinciding_triggers),
		cmocka_unit_test(test_zero_delay_sequence_replaces),
		cmocka_unit_test(test_late_run),
		cmocka_unit_test(test_v6_dad_then_na),
		cmocka_unit_test(test_v6_optimistic),
		cmocka_unit_test(test_v6_dad_failed),
		cmocka_unit_test(test_v6_nodad_probes),
		cmocka_unit_test(test_v6_nodad_conflict),
		cmocka_unit_test(test_v6_nodad_conflict_announce),
		cmocka_unit_test(test_v6_removal),
		cmocka_unit_test(test_v6_triggers),
		cmocka_unit_test(test_v6_rate_limit_shared),
		cmocka_unit_test(test_v6_router_flag),
		cmocka_unit_test(test_v6_family_switches),
		cmocka_unit_test(test_v6_link_local),
		cmocka_unit_test(test_v6_bond_failover),
		cmocka_unit_test(test_v6_ineligible),
		cmocka_unit_test(test_v6_dump_tentative),
		cmocka_unit_test(test_refresh6_who),
		cmocka_unit_test(test_refresh6_safety),
		cmocka_unit_test(test_refresh6_host_route_vip),
		cmocka_unit_test(test_link_up_rule_is_netlinks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
