/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine, driven the way the event loop drives it: the input decodes
 * into per-interface policies, then a sequence of events — links appearing,
 * changing (carrier, MAC, flags, bond active slave, failover), going;
 * addresses added and removed; ARP frames received; control-socket
 * announce requests; FDB answers; clock steps (the timer firing at each
 * deadline, or one late wakeup). Events come in wakeups, as the loop
 * reads them: one instant, any number of events, then the frames, queries
 * and notes are drained (sent).
 *
 * Oracle, on every frame at the instant it is popped (= sent):
 * - never poison: a probe or announcement goes only out of a link that is
 *   known, operationally up, Ethernet, neither NOARP nor loopback, not a
 *   bond's slave and not ignored, for an address configured on that very
 *   link at that instant, with that link's MAC at that instant as its
 *   Ethernet source and sender hardware address, and the address in the
 *   right fields;
 * - rate limit: on a link with max_frames_per_second = R, any n frames
 *   within d ns obey n <= R + R*d/1s (the token bucket's bound);
 * - exactly once: one announcement of one form per address, interface and
 *   MAC per instant, unless something in between withdrew it (address
 *   removed, link down, MAC changed) — checked while no frame waited in a
 *   token bucket, whose bursts after a stall may carry two steps of one
 *   sequence; one failover note per switch of a bond's active slave.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if_arp.h>
#include <string.h>

#include "engine.h"
#include "garp-nd.h"
#include "fuzz.h"
#include "netlink-private.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
/* <linux/if.h> clashes with <net/if.h>: the IF_OPER_* values used */
#ifndef IF_OPER_UP
#define IF_OPER_UNKNOWN 0
#define IF_OPER_DOWN 2
#define IF_OPER_UP 6
#endif

#define NL 4 /* links: ifindex 1..NL */
#define NA 4 /* addresses: 10.0.0.1, 10.0.0.2, 2001:db8::1, 2001:db8::2 */
/* <linux/if_addr.h>'s IFA_F_*: the IPv6 states that never announce, and nodad */
#define IFA_TENTATIVE 0x40
#define IFA_OPTIMISTIC 0x04
#define IFA_DADFAILED 0x08
#define IFA_NODAD 0x02
#define HIST 64 /* frames remembered per link for the rate check */
#define MS 1000000ull
#define SEC 1000000000ull

struct flink {
	bool known;
	struct gnl_link l;
	bool addr[NA];
	uint32_t addr_flags[NA]; /* IFA_F_* as last reported */
	uint64_t hist[HIST];	 /* times of the last frames, newest at hist_n - 1 (ring) */
	size_t hist_n;
	/* exactly once: last announcement per address and form (request, reply, NA) */
	uint64_t last_time[NA][3];
	uint8_t last_mac[NA][3][6];
	bool last_valid[NA][3];
};

struct world {
	struct engine *e;
	uint64_t now;
	struct cfg_sequence policy[NL + 1];
	struct flink link[NL + 1];
	int queries[16];
	size_t n_queries;
	int last_failover_if;
	int last_failover_slave;
	unsigned long frames[4], notes[8]; /* for FUZZ_VERBOSE */
};

static const uint8_t our_mac[NL][6] = {
	{ 0x02, 0, 0, 0, 0, 0x01 },
	{ 0x02, 0, 0, 0, 0, 0x02 },
	{ 0x02, 0, 0, 0, 0, 0x03 },
	{ 0x02, 0, 0, 0, 0, 0x04 },
};

static struct garp_addr pool_addr(unsigned int i)
{
	struct in6_addr v6 = { { { 0x20, 0x01, 0x0d, 0xb8 } } };

	if (i < 2)
		return garp_addr_v4((struct in_addr){ htonl(0x0a000001u + i) });
	v6.s6_addr[15] = (uint8_t)(i - 1);
	return garp_addr_v6(&v6);
}

static int addr_index(const struct garp_addr *a)
{
	for (unsigned int i = 0; i < NA; i++) {
		struct garp_addr p = pool_addr(i);

		if (garp_addr_eq(a, &p))
			return (int)i;
	}
	return -1;
}

static struct gnl_addr pool_gnl(int ifindex, unsigned int i)
{
	struct garp_addr p = pool_addr(i);
	struct gnl_addr g = { .family = p.family, .ifindex = ifindex, .prefixlen = 24 };

	if (p.family == AF_INET) {
		g.addr.v4 = p.v4;
	} else {
		g.addr.v6 = p.v6;
		g.prefixlen = 64;
	}
	return g;
}

static void policy_get(void *userdata, const char *ifname, struct cfg_sequence *ret)
{
	const struct world *w = userdata;

	if (ifname[0] == 'f' && ifname[1] >= '1' && ifname[1] <= '0' + NL && !ifname[2])
		*ret = w->policy[ifname[1] - '0'];
	else
		*ret = (struct cfg_sequence)CFG_SEQUENCE_INIT;
}

static void decode_policy(struct fuzz_in *in, struct cfg_sequence *s)
{
	static const uint32_t rates[] = { 0, 1, 2, 5 };
	uint8_t a = fuzz_u8(in), b = fuzz_u8(in), c = fuzz_u8(in);

	*s = (struct cfg_sequence)CFG_SEQUENCE_INIT;
	s->probes = a % 4;
	s->probe_interval_ns = (1 + (a >> 2) % 4) * 100 * MS;
	s->probe_max_ns = a & 0x10 ? 2 * s->probe_interval_ns : 0;
	s->probe_wait_ns = a & 0x20 ? 100 * MS : 0;
	s->announce_delay_ns = ((a >> 6) % 4) * 100 * MS;
	s->announcements = 1 + b % 3;
	/* at least 1 ms apart: announcements at one instant are duplicates */
	s->announce_interval_ns = (1 + (b >> 2) % 4) * 100 * MS;
	s->frames = (enum cfg_frames)((b >> 4) % 3);
	s->target_mac = b & 0x40 ? CFG_THA_ZERO : CFG_THA_BROADCAST;
	s->refresh_interval_ns = b & 0x80 ? 2 * SEC : 0;
	s->on_conflict = c & 1 ? CFG_CONFLICT_ANNOUNCE : CFG_CONFLICT_ABORT;
	s->max_frames_per_second = rates[(c >> 1) % 4];
	s->on_link_up = (enum cfg_action)((c >> 3) % 3);
	s->on_mac_change = (enum cfg_action)(((c >> 5) + 1) % 3);
	s->on_bond_failover = c & 0x80 ? CFG_ACTION_NONE : CFG_ACTION_ANNOUNCE;
	s->relearn_guests = !(a & 0x40);
	s->relearn_frame = b & 1 ? CFG_RELEARN_ARP : CFG_RELEARN_RARP;
	s->hold_down_ns = c & 0x40 ? MS : SEC;
	s->ignore = (a & 0xc0) == 0xc0 && (c & 0x60) == 0x60;
}

/* ---- the oracle -------------------------------------------------------- */

static bool is_bond_slave(const struct world *w, const struct gnl_link *l)
{
	if (l->slave_kind == GNL_KIND_BOND)
		return true;
	return l->master >= 1 && l->master <= NL && w->link[l->master].known &&
	       w->link[l->master].l.kind == GNL_KIND_BOND;
}

static void check_rate(struct world *w, struct flink *fl, int ifindex)
{
	uint64_t r = w->policy[ifindex].ignore ? 0 : w->policy[ifindex].max_frames_per_second;
	size_t have = fl->hist_n < HIST ? fl->hist_n : HIST;

	/* this frame and the k before it: k + 1 frames in now - t_k */
	for (size_t k = 1; r && k <= have; k++) {
		uint64_t t = fl->hist[(fl->hist_n - k) % HIST];
		uint64_t d = w->now - t;

		FUZZ_CHECK((k + 1) * SEC <= r * SEC + r * d,
			   "rate limit: %zu frames on if%d within %llu ns, max %llu/s", k + 1,
			   ifindex, (unsigned long long)d, (unsigned long long)r);
	}
	fl->hist[fl->hist_n++ % HIST] = w->now;
}

static void check_frame(struct world *w, const struct engine_frame *f)
{
	struct engine_counters c;
	struct flink *fl;
	struct pkt_arp arp;
	char txt[GARP_ADDR_STRLEN];
	int ai, form;

	FUZZ_CHECK(f->ifindex >= 1 && f->ifindex <= NL, "a frame for if%d", f->ifindex);
	fl = &w->link[f->ifindex];
	FUZZ_CHECK(fl->known, "a frame out of if%d, which does not exist", f->ifindex);
	FUZZ_CHECK(gnl_link_is_oper_up(&fl->l), "a frame out of if%d, which is down", f->ifindex);
	check_rate(w, fl, f->ifindex);
	if (f->kind == ENGINE_FRAME_RELEARN)
		return;

	FUZZ_CHECK(fl->l.type == ARPHRD_ETHER && fl->l.mac_len == 6 &&
		       !(fl->l.flags & (IFF_NOARP | IFF_LOOPBACK)),
		   "ARP out of if%d, which must never send it", f->ifindex);
	FUZZ_CHECK(!is_bond_slave(w, &fl->l), "ARP out of if%d, a bond's slave", f->ifindex);
	FUZZ_CHECK(!w->policy[f->ifindex].ignore, "ARP out of if%d, ignored", f->ifindex);
	ai = addr_index(&f->addr);
	garp_addr_to_str(&f->addr, txt);
	FUZZ_CHECK(ai >= 0 && fl->addr[ai],
		   "poison: a frame (kind %d) for %s, not configured on if%d", f->kind, txt,
		   f->ifindex);
	if (f->kind == ENGINE_FRAME_NS_PROBE || f->kind == ENGINE_FRAME_NA) {
		struct pkt_nd nd;

		FUZZ_CHECK(f->addr.family == AF_INET6, "ND for %s", txt);
		FUZZ_CHECK(!(fl->addr_flags[ai] & (IFA_TENTATIVE | IFA_OPTIMISTIC | IFA_DADFAILED)),
			   "poison: ND for %s, tentative/optimistic/DAD failed (%#x)", txt,
			   fl->addr_flags[ai]);
		FUZZ_CHECK(pkt_parse_nd(f->frame.data, f->frame.len, &nd) == 0, "unparsable ND");
		FUZZ_CHECK(!memcmp(nd.eth_src, fl->l.mac, 6),
			   "poison: ND on if%d with a MAC the link does not have now", f->ifindex);
		FUZZ_CHECK(!memcmp(&nd.target, &f->addr.v6, 16), "ND target");
		if (f->kind == ENGINE_FRAME_NS_PROBE)
			return;
		FUZZ_CHECK(nd.type == PKT_ICMPV6_NA && nd.has_lladdr &&
			       !memcmp(nd.lladdr, fl->l.mac, 6),
			   "poison: an NA for %s without the link's MAC", txt);
		form = 2;
	} else {
		FUZZ_CHECK(f->addr.family == AF_INET, "ARP for %s", txt);
		FUZZ_CHECK(pkt_parse_arp(f->frame.data, f->frame.len, &arp) == 0,
			   "an unparsable frame");
		FUZZ_CHECK(!memcmp(arp.eth_src, fl->l.mac, 6) && !memcmp(arp.sha, fl->l.mac, 6),
			   "poison: a frame on if%d with a MAC the link does not have now",
			   f->ifindex);
		if (f->kind == ENGINE_FRAME_PROBE) {
			FUZZ_CHECK(arp.spa.s_addr == 0 && arp.tpa.s_addr == f->addr.v4.s_addr,
				   "probe fields");
			return;
		}
		FUZZ_CHECK(arp.spa.s_addr == f->addr.v4.s_addr &&
			       arp.tpa.s_addr == f->addr.v4.s_addr,
			   "announcement fields");
		form = f->kind == ENGINE_FRAME_ANNOUNCE_REPLY;
	}
	engine_get_counters(w->e, &c);
	/*
	 * Checked while no frame ever waited in a token bucket: after a stall,
	 * a step the bucket delayed and the sequence's next one may leave in
	 * one burst, by the bucket's design.
	 */
	FUZZ_CHECK(c.rate_limited ||
		       !(fl->last_valid[ai][form] && fl->last_time[ai][form] == w->now &&
			 !memcmp(fl->last_mac[ai][form], fl->l.mac, 6)),
		   "twice: %s announced on if%d twice at %llu", txt, f->ifindex,
		   (unsigned long long)w->now);
	fl->last_valid[ai][form] = true;
	fl->last_time[ai][form] = w->now;
	memcpy(fl->last_mac[ai][form], fl->l.mac, 6);
}

/* Something withdrew what was announced: announcing it again is no duplicate. */
static void forget(struct world *w, int ifindex, int ai)
{
	for (int a = 0; a < NA; a++)
		if (ai < 0 || a == ai)
			memset(w->link[ifindex].last_valid[a], 0,
			       sizeof(w->link[ifindex].last_valid[a]));
}

/*
 * The notes so far. Taken before every link event too, not only at the
 * end of a wakeup: the failover rule's model (which switch is which) moves
 * with the link events, so a note must be judged against the model as it
 * was when the engine wrote it. Frames wait for the end of the wakeup, as
 * in the loop, so a frame queued before a removal in the same wakeup is
 * still judged after it.
 */
static void drain_notes(struct world *w)
{
	struct engine_note n;

	while (engine_pop_note(w->e, &n) == 0) {
		w->notes[n.type % 8]++;
		if (n.type != ENGINE_NOTE_FAILOVER)
			continue;
		/* the same switch reported again (no other active slave in between) */
		FUZZ_CHECK(!(w->last_failover_if == n.ifindex && w->last_failover_slave == n.slave),
			   "one failover of if%d (to if%d) logged twice, at %llu", n.ifindex,
			   n.slave, (unsigned long long)n.time);
		w->last_failover_if = n.ifindex;
		w->last_failover_slave = n.slave;
	}
}

static void drain(struct world *w)
{
	struct engine_frame f;
	struct engine_query q;
	char txt[GARP_ADDR_STRLEN];

	while (engine_pop_query(w->e, &q) == 0)
		if (w->n_queries < sizeof(w->queries) / sizeof(w->queries[0]))
			w->queries[w->n_queries++] = q.bridge;
	drain_notes(w);
	while (engine_pop_frame(w->e, &f) == 0) {
		w->frames[f.kind % 4]++;
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "%llu.%09llu if%d kind %d addr %s\n",
				(unsigned long long)(w->now / SEC),
				(unsigned long long)(w->now % SEC), f.ifindex, f.kind,
				garp_addr_to_str(&f.addr, txt));
		check_frame(w, &f);
	}
}

/* ---- events ------------------------------------------------------------ */

static void ev_link(struct world *w, struct fuzz_in *in)
{
	static const enum gnl_kind kinds[] = { GNL_KIND_NONE, GNL_KIND_BOND,	GNL_KIND_BRIDGE,
					       GNL_KIND_VLAN, GNL_KIND_MACVLAN, GNL_KIND_VETH };
	uint8_t a = fuzz_u8(in), b = fuzz_u8(in), c = fuzz_u8(in);
	int ifindex = 1 + a % NL;
	struct flink *fl = &w->link[ifindex];
	struct gnl_link l;
	unsigned int changes = 0;

	drain_notes(w);
	memset(&l, 0, sizeof(l));
	l.ifindex = ifindex;
	l.name[0] = 'f';
	l.name[1] = (char)('0' + ifindex);
	l.type = (b & 0xe0) == 0xe0 ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
	l.mac_len = (b & 0xf0) == 0xd0 ? 0 : 6;
	if (l.mac_len)
		memcpy(l.mac, our_mac[(a >> 2) % NL], 6);
	l.flags = (a & 0x10 ? 0 : IFF_UP) | (a & 0x20 ? 0 : IFF_LOWER_UP) | IFF_BROADCAST;
	if ((b & 0x0f) == 0x0f)
		l.flags |= IFF_NOARP;
	l.operstate = (a & 0xc0) == 0x40   ? IF_OPER_DOWN
		      : (a & 0xc0) == 0x80 ? IF_OPER_UNKNOWN
					   : IF_OPER_UP;
	l.kind = kinds[b % 6];
	l.master = (b >> 3) % 3 == 0 ? (int)(c % (NL + 1)) : 0;
	if (l.master == ifindex)
		l.master = 0;
	if (l.master && (c & 0x08))
		l.slave_kind = GNL_KIND_BOND;
	l.link =
	    l.kind == GNL_KIND_VLAN || l.kind == GNL_KIND_MACVLAN ? (int)((c >> 4) % (NL + 1)) : 0;
	l.vlan_id = l.kind == GNL_KIND_VLAN ? 100 : 0;
	if (l.kind == GNL_KIND_BOND)
		l.bond_active_slave = (int)((c >> 4) % (NL + 1));

	if (fl->known) {
		changes = gnl_link_diff(&fl->l, &l);
		if (c & 0x80) {
			changes |= GNL_CHANGE_FAILOVER;
			l.event = IFLA_EVENT_BONDING_FAILOVER;
		}
		if (!changes)
			return; /* the netlink library reports no event for no change */
		if (changes & ~(unsigned int)(GNL_CHANGE_ACTIVE_SLAVE | GNL_CHANGE_FAILOVER))
			forget(w, ifindex, -1);
		if (fl->l.bond_active_slave != l.bond_active_slave &&
		    w->last_failover_if == ifindex)
			w->last_failover_if = 0; /* another switch: its failover is a new one */
	}
	fl->known = true;
	fl->l = l;
	engine_link(w->e, w->now, &l, changes);
}

static void ev_link_del(struct world *w, struct fuzz_in *in)
{
	int ifindex = 1 + fuzz_u8(in) % NL;
	struct flink *fl = &w->link[ifindex];

	if (!fl->known)
		return;
	drain_notes(w);
	/* as the netlink library orders them: the addresses go first */
	for (int a = 0; a < NA; a++) {
		if (!fl->addr[a])
			continue;
		struct gnl_addr ga = pool_gnl(ifindex, (unsigned int)a);

		fl->addr[a] = false;
		engine_addr_del(w->e, w->now, &ga);
	}
	memset(fl, 0, sizeof(*fl));
	if (w->last_failover_if == ifindex)
		w->last_failover_if = 0;
	engine_link_del(w->e, w->now, ifindex);
}

static void ev_addr(struct world *w, struct fuzz_in *in, bool add)
{
	uint8_t a = fuzz_u8(in);
	int ifindex = 1 + a % NL, ai = (a >> 2) % NA;
	struct gnl_addr ga = pool_gnl(ifindex, (unsigned int)ai);
	struct flink *fl = &w->link[ifindex];

	if (a & 0x80)
		ga.flags = 0x80; /* IFA_F_PERMANENT: a flag update */
	if (ga.family == AF_INET6 && add) {
		/* IPv6: DAD states, from a second byte */
		static const uint32_t states[] = { 0, IFA_TENTATIVE, IFA_TENTATIVE | IFA_OPTIMISTIC,
						   IFA_DADFAILED | IFA_TENTATIVE, IFA_NODAD };

		ga.flags |= states[fuzz_u8(in) % 5];
	}
	if (add) {
		bool is_new = !fl->addr[ai];

		fl->addr[ai] = true;
		if (fl->addr_flags[ai] != ga.flags)
			forget(w, ifindex, ai); /* DAD done, or failed: a new state */
		fl->addr_flags[ai] = ga.flags;
		engine_addr(w->e, w->now, &ga, is_new);
	} else if (fl->addr[ai]) {
		fl->addr[ai] = false;
		forget(w, ifindex, ai);
		engine_addr_del(w->e, w->now, &ga);
	}
}

static void ev_arp(struct world *w, struct fuzz_in *in)
{
	uint8_t a = fuzz_u8(in), b = fuzz_u8(in);
	struct pkt_arp arp;
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0x01, 0x99 };

	memset(&arp, 0, sizeof(arp));
	arp.op = a & 1 ? PKT_ARPOP_REPLY : PKT_ARPOP_REQUEST;
	if (a & 0x80) {
		/* IPv6: an NS (DAD from ::, or from an address) or an NA for a pool address */
		struct pkt_nd nd;
		struct garp_addr t = pool_addr(2 + (a >> 3) % 2);

		memset(&nd, 0, sizeof(nd));
		nd.type = a & 1 ? PKT_ICMPV6_NA : PKT_ICMPV6_NS;
		nd.target = t.v6;
		if (a & 2)
			nd.src = pool_addr(2 + (a >> 4) % 2).v6;
		nd.flags = nd.type == PKT_ICMPV6_NA ? (uint8_t)(a & 0x60) : 0;
		nd.has_lladdr = a & 4;
		memcpy(nd.lladdr, b & 0x80 ? our_mac[b % NL] : other, 6);
		memcpy(nd.eth_src, b & 0x40 ? our_mac[(b >> 2) % NL] : nd.lladdr, 6);
		nd.has_nonce = b & 0x20;
		nd.nonce[0] = b;
		engine_nd(w->e, w->now, 1 + (b >> 3) % NL, &nd);
		return;
	}
	arp.spa = (a >> 1) % 3 == 0 ? (struct in_addr){ 0 } : pool_addr((a >> 3) % 2).v4;
	arp.tpa = pool_addr((a >> 5) % 2).v4;
	memcpy(arp.sha, b & 0x80 ? our_mac[b % NL] : other, 6);
	memcpy(arp.eth_src, b & 0x40 ? our_mac[(b >> 2) % NL] : arp.sha, 6);
	memset(arp.eth_dst, 0xff, 6);
	engine_arp(w->e, w->now, 1 + (b >> 3) % NL, &arp);
}

static void ev_announce(struct world *w, struct fuzz_in *in)
{
	uint8_t a = fuzz_u8(in);
	struct garp_addr addr = pool_addr((a >> 3) % NA);
	int r;

	r = engine_announce(w->e, w->now, (int)(a % (NL + 1)), a & 0x20 ? &addr : NULL,
			    a & 0x40 ? ENGINE_ANNOUNCE_SEQUENCE : ENGINE_ANNOUNCE_ONLY);
	FUZZ_CHECK(r >= 0 || r == -ENOENT || r == -ENODEV || r == -ENETDOWN, "engine_announce: %d",
		   r);
}

static void ev_fdb(struct world *w, struct fuzz_in *in)
{
	struct gnl_fdb fdb[4];
	struct gnl_port_vlan vl[2];
	uint8_t a = fuzz_u8(in);
	size_t n = a % 5, nv = (a >> 3) % 3;
	int bridge;

	if (!w->n_queries)
		return;
	bridge = w->queries[0];
	memmove(w->queries, w->queries + 1, --w->n_queries * sizeof(w->queries[0]));
	for (size_t i = 0; i < n; i++) {
		uint8_t b = fuzz_u8(in);

		memset(&fdb[i], 0, sizeof(fdb[i]));
		fdb[i].mac[0] = 0x02;
		fdb[i].mac[1] = 0x42;
		fdb[i].mac[5] = (uint8_t)i;
		if (b & 1)
			memcpy(fdb[i].mac, our_mac[b % NL], 6);
		fdb[i].ifindex = 1 + (b >> 1) % NL;
		fdb[i].master = b & 0x10 ? bridge : 0;
		fdb[i].vlan = b & 0x20 ? (uint16_t)(1 + (b >> 6)) : 0;
		fdb[i].state = b & 0x40 && b & 0x80 ? 0x80 /* NUD_PERMANENT */ : 0x02;
	}
	for (size_t i = 0; i < nv; i++) {
		uint8_t b = fuzz_u8(in);

		vl[i] = (struct gnl_port_vlan){ .ifindex = 1 + b % NL,
						.master = bridge,
						.vid = (uint16_t)(1 + (b >> 2) % 4),
						.flags = (uint16_t)(b >> 6) };
		vl[i].vid_end = vl[i].vid + (b & 2);
	}
	if (a & 0x80)
		engine_fdb(w->e, w->now, bridge, fdb, n);
	else
		engine_fdb_vlans(w->e, w->now, bridge, fdb, n, vl, nv);
}

static void ev_clock(struct world *w, struct fuzz_in *in)
{
	static const uint64_t steps[] = { 0, 1000, MS, 50 * MS, 100 * MS, 250 * MS, SEC, 3 * SEC };
	uint8_t a = fuzz_u8(in);
	uint64_t target = w->now + (a < 8 ? steps[a] : (a < 128 ? steps[a % 8] : a * 7 * MS));

	/* time passes only between wakeups: what this one queued is sent first */
	drain(w);
	if (a & 0x40) {
		/* a late wakeup: whatever was due runs at once, late */
		w->now = target;
		engine_run(w->e, w->now);
		return;
	}
	/* the timer fires at every deadline on the way */
	for (int i = 0; i < 10000; i++) {
		uint64_t d = engine_next_deadline(w->e);

		if (d > target)
			break;
		if (d > w->now)
			w->now = d;
		engine_run(w->e, w->now);
		drain(w);
	}
	w->now = target;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct world *w = calloc(1, sizeof(*w));
	struct engine_policy_source src = { .get = policy_get, .userdata = w, .ipv6_router = NULL };

	FUZZ_CHECK(w, "oom");
	w->now = 1000 * SEC;
	for (int i = 1; i <= NL; i++)
		decode_policy(&in, &w->policy[i]);
	FUZZ_CHECK(engine_new(&w->e, &src, 42) == 0, "engine_new");

	for (int steps = 0; in.n && steps < 4096; steps++) {
		uint8_t op = fuzz_u8(&in);

		/*
		 * The loop reads the clock once per wakeup, handles every event
		 * that woke it, then sends. An op below 128 is the first of a new
		 * wakeup, a nanosecond later; from 128 up, one more event of the
		 * same wakeup (same instant, nothing sent in between).
		 */
		if (op < 128) {
			drain(w);
			w->now++;
		}
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "%llu.%09llu op %d %02x %02x %02x\n",
				(unsigned long long)(w->now / SEC),
				(unsigned long long)(w->now % SEC), op % 10, in.n > 0 ? in.p[0] : 0,
				in.n > 1 ? in.p[1] : 0, in.n > 2 ? in.p[2] : 0);
		switch (op % 10) {
		case 0:
			ev_link(w, &in);
			break;
		case 1:
			ev_link_del(w, &in);
			break;
		case 2:
			ev_addr(w, &in, true);
			break;
		case 3:
			ev_addr(w, &in, false);
			break;
		case 4:
			ev_arp(w, &in);
			break;
		case 5:
		case 6:
			ev_clock(w, &in);
			break;
		case 7:
			ev_announce(w, &in);
			break;
		case 8:
			ev_fdb(w, &in);
			break;
		default:
			engine_reload_policy(w->e);
			break;
		}
	}
	drain(w);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr,
			"frames: %lu probes, %lu requests, %lu replies, %lu relearn; notes: %lu "
			"started, "
			"%lu announced, %lu conflicts, %lu cancelled, %lu failovers, %lu relearn\n",
			w->frames[0], w->frames[1], w->frames[2], w->frames[3], w->notes[0],
			w->notes[1], w->notes[2], w->notes[3], w->notes[4], w->notes[5]);
	engine_free(w->e);
	free(w);
	return 0;
}
