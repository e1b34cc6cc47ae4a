/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the seed corpora of tests/fuzz/corpus/: one file per message kind
 * the parsers handle, built the way the kernel lays them out (libmnl, the
 * unit tests' nl-build.h), frames from packet/'s own builders, and event
 * sequences for the engine harness. Usage: fuzz-seeds DIR (scripts/fuzz
 * --seeds runs it into tests/fuzz/corpus).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "garp-nd.h"
#include "garp-packet.h"
#include "nl-build.h"

static const char *root;

static void put(const char *harness, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, harness);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void put_str(const char *harness, const char *name, const char *s)
{
	put(harness, name, s, strlen(s));
}

/* ---- frames ------------------------------------------------------------ */

static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void frames(void)
{
	struct pkt_frame f;
	struct in_addr a = { htonl(0xc0000201) };
	static const uint16_t vlans[] = { 0, 1, 100, 4094 };
	char name[64];

	pkt_build_probe(&f, mac1, a, PKT_VLAN_NONE);
	put("frame", "probe", f.data, f.len);
	pkt_build_announce_request(&f, mac1, a, PKT_THA_BROADCAST, PKT_VLAN_NONE);
	put("frame", "announce-request", f.data, f.len);
	pkt_build_announce_request(&f, mac1, a, PKT_THA_ZERO, PKT_VLAN_NONE);
	put("frame", "announce-request-tha-zero", f.data, f.len);
	pkt_build_announce_reply(&f, mac1, a, PKT_VLAN_NONE);
	put("frame", "announce-reply", f.data, f.len);
	put("frame", "truncated", f.data, PKT_ETH_HLEN + PKT_ARP_LEN - 1);
	pkt_build_relearn(&f, mac1, PKT_RELEARN_RARP, PKT_VLAN_NONE);
	put("frame", "relearn-rarp", f.data, f.len);
	pkt_build_relearn(&f, mac1, PKT_RELEARN_ARP, PKT_VLAN_NONE);
	put("frame", "relearn-arp", f.data, f.len);
	for (size_t i = 0; i < sizeof(vlans) / sizeof(vlans[0]); i++) {
		pkt_build_announce_reply(&f, mac1, a, vlans[i]);
		snprintf(name, sizeof(name), "reply-vlan-%u", vlans[i]);
		put("frame", name, f.data, f.len);
	}
	/* a double tag (QinQ): the parser takes one tag only */
	{
		uint8_t q[PKT_FRAME_MAX + 4];

		pkt_build_announce_reply(&f, mac1, a, 100);
		memcpy(q, f.data, 12);
		q[12] = 0x88, q[13] = 0xa8, q[14] = 0, q[15] = 5;
		memcpy(q + 16, f.data + 12, f.len - 12u);
		put("frame", "reply-qinq", q, f.len + 4u);
	}
}

static void nd(void)
{
	struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
	static const uint8_t nonce[PKT_ND_NONCE_LEN] = { 1, 2, 3, 4, 5, 6 };
	struct pkt_frame f;

	pkt_build_na(&f, mac1, &a, false, PKT_VLAN_NONE);
	put("nd", "na", f.data, f.len);
	pkt_build_na(&f, mac1, &a, true, 100);
	put("nd", "na-router-vlan-100", f.data, f.len);
	pkt_build_dad_ns(&f, mac1, &a, nonce, PKT_VLAN_NONE);
	put("nd", "dad-ns", f.data, f.len);
	pkt_build_dad_ns(&f, mac1, &a, nonce, 4094);
	put("nd", "dad-ns-vlan-4094", f.data, f.len);
	put("nd", "truncated", f.data, f.len - 9u);
}

/* ---- netlink ----------------------------------------------------------- */

struct stream {
	uint8_t buf[16384];
	size_t len;
};

static void add(struct stream *s, const struct nlmsghdr *nlh)
{
	size_t n = NLMSG_ALIGN(nlh->nlmsg_len);

	if (s->len + n <= sizeof(s->buf)) {
		memcpy(s->buf + s->len, nlh, nlh->nlmsg_len);
		s->len += n;
	}
}

static void add_type(struct stream *s, uint16_t type)
{
	struct nlmsghdr h = { .nlmsg_len = sizeof(h), .nlmsg_type = type };

	add(s, &h);
}

static void put_msg(const char *name, const struct nlmsghdr *nlh)
{
	put("netlink", name, nlh, nlh->nlmsg_len);
}

static void netlink(void)
{
	static struct nlb b;
	static uint8_t big[40000];
	static struct stream s;
	struct nlb_link l;
	struct nlmsghdr *nlh;

	l = NLB_LINK_INIT;
	l.ifindex = 2, l.name = "eth0", l.mac = mac1, l.kind = "veth";
	put_msg("link-veth", nlb_link(&b, &l));
	l.type = RTM_DELLINK;
	put_msg("link-del", nlb_link(&b, &l));

	l = NLB_LINK_INIT;
	l.ifindex = 7, l.name = "bond0", l.mac = mac1, l.kind = "bond", l.active_slave = 5;
	put_msg("link-bond", nlb_link(&b, &l));
	l.event = IFLA_EVENT_BONDING_FAILOVER;
	put_msg("link-bond-failover", nlb_link(&b, &l));

	l = NLB_LINK_INIT;
	l.ifindex = 5, l.name = "eth1", l.master = 7, l.kind = "veth", l.slave_kind = "bond";
	l.slave_state = 0;
	put_msg("link-bond-slave", nlb_link(&b, &l));

	l = NLB_LINK_INIT;
	l.ifindex = 9, l.name = "bond0.100", l.link = 7, l.kind = "vlan", l.vlan_id = 100;
	put_msg("link-vlan", nlb_link(&b, &l));

	l = NLB_LINK_INIT;
	l.ifindex = 10, l.name = "br0", l.kind = "bridge", l.mac = mac1;
	put_msg("link-bridge", nlb_link(&b, &l));
	l = NLB_LINK_INIT;
	l.ifindex = 11, l.name = "tap0", l.master = 10, l.slave_kind = "bridge";
	put_msg("link-bridge-port", nlb_link(&b, &l));
	l = NLB_LINK_INIT;
	l.ifindex = 12, l.name = "mv0", l.link = 2, l.kind = "macvlan", l.operstate = IF_OPER_DOWN;
	l.flags = IFF_UP;
	put_msg("link-macvlan-down", nlb_link(&b, &l));

	{
		struct nlb_addr a = { .family = AF_INET,
				      .ifindex = 7,
				      .addr = "192.0.2.1",
				      .prefixlen = 24,
				      .label = "bond0",
				      .put_flags = true,
				      .flags = IFA_F_SECONDARY,
				      .valid_lft = 300 };

		put_msg("addr-v4", nlb_addr(&b, &a));
		a.type = RTM_DELADDR;
		put_msg("addr-v4-del", nlb_addr(&b, &a));
		a = (struct nlb_addr){ .family = AF_INET6,
				       .ifindex = 7,
				       .addr = "2001:db8::5",
				       .prefixlen = 64,
				       .put_flags = true,
				       .flags = IFA_F_TENTATIVE };
		put_msg("addr-v6-tentative", nlb_addr(&b, &a));
	}
	{
		struct nlb_neigh n = { .family = AF_BRIDGE,
				       .ifindex = 11,
				       .mac = mac1,
				       .master = 10,
				       .vlan = 42,
				       .state = NUD_REACHABLE };

		put_msg("neigh-fdb", nlb_neigh(&b, &n));
		n = (struct nlb_neigh){ .family = AF_INET,
					.ifindex = 3,
					.mac = mac1,
					.dst = "198.51.100.1",
					.state = NUD_REACHABLE };
		put_msg("neigh-inet", nlb_neigh(&b, &n));
		n = (struct nlb_neigh){ .family = AF_INET6,
					.ifindex = 3,
					.mac = mac1,
					.dst = "fe80::1",
					.flags = NTF_ROUTER,
					.state = NUD_STALE };
		put_msg("neigh-inet6", nlb_neigh(&b, &n));
	}
	{
		/* What the directed refresh reads: gateways (single, multipath), on-link prefixes.
		 */
		static const struct nlb_hop hops[] = { { 3, "192.0.2.1" },
						       { 4, "198.51.100.1" },
						       { 3, NULL } };
		static const struct nlb_hop hops6[] = { { 3, "fe80::1" },
							{ 4, "fe80::2" },
							{ 3, NULL } };
		struct nlb_route r = { .gateway = "192.0.2.1", .oif = 3 };

		put_msg("route-v4-default", nlb_route(&b, &r));
		r = (struct nlb_route){
			.dst = "203.0.113.0", .dst_len = 24, .hops = hops, .n_hops = 3
		};
		put_msg("route-v4-multipath", nlb_route(&b, &r));
		r = (struct nlb_route){ .family = AF_INET6, .gateway = "fe80::1", .oif = 3 };
		put_msg("route-v6-default", nlb_route(&b, &r));
		r = (struct nlb_route){ .family = AF_INET6,
					.dst = "2001:db8::",
					.dst_len = 64,
					.oif = 3,
					.scope = RT_SCOPE_LINK };
		put_msg("route-v6-onlink", nlb_route(&b, &r));
		r = (struct nlb_route){ .family = AF_INET6,
					.dst = "2001:db8:7::",
					.dst_len = 48,
					.hops = hops6,
					.n_hops = 3 };
		put_msg("route-v6-multipath", nlb_route(&b, &r));
	}
	{
		static const struct nlb_vinfo vi[] = {
			{ BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 1 },
			{ 0, 100 },
			{ BRIDGE_VLAN_INFO_RANGE_BEGIN, 200 },
			{ BRIDGE_VLAN_INFO_RANGE_END, 300 },
			{ BRIDGE_VLAN_INFO_UNTAGGED, 4094 },
		};
		struct nlb_port_vlans p = {
			.ifindex = 7, .master = 10, .vinfo = vi, .n = 5, .extra = true
		};

		put_msg("port-vlans", nlb_port_vlans(big, &p));
		p = (struct nlb_port_vlans){ .ifindex = 10, .master = 10, .no_af_spec = true };
		put_msg("port-vlans-empty", nlb_port_vlans(big, &p));
	}

	/* A dump with a re-dump (NOOP begins, DONE ends) and live changes. */
	s.len = 0;
	add_type(&s, NLMSG_NOOP);
	l = NLB_LINK_INIT;
	l.ifindex = 7, l.name = "bond0", l.mac = mac1, l.kind = "bond", l.active_slave = 5;
	add(&s, nlb_link(&b, &l));
	l = NLB_LINK_INIT;
	l.ifindex = 5, l.name = "eth1", l.master = 7, l.slave_kind = "bond", l.slave_state = 0;
	add(&s, nlb_link(&b, &l));
	{
		struct nlb_addr a = {
			.family = AF_INET, .ifindex = 7, .addr = "192.0.2.1", .prefixlen = 24
		};

		add(&s, nlb_addr(&b, &a));
		a.addr = "192.0.2.2";
		add(&s, nlb_addr(&b, &a));
	}
	add_type(&s, NLMSG_DONE);
	l = NLB_LINK_INIT;
	l.ifindex = 7, l.name = "bond0", l.mac = mac1, l.kind = "bond", l.active_slave = 6;
	l.event = IFLA_EVENT_BONDING_FAILOVER;
	add(&s, nlb_link(&b, &l));
	add_type(&s, NLMSG_NOOP);
	add(&s, nlb_link(&b, &l));
	add_type(&s, NLMSG_DONE);
	{
		struct nlb_addr a = { .type = RTM_DELADDR,
				      .family = AF_INET,
				      .ifindex = 7,
				      .addr = "192.0.2.1",
				      .prefixlen = 24 };

		add(&s, nlb_addr(&b, &a));
	}
	l.type = RTM_DELLINK;
	add(&s, nlb_link(&b, &l));
	put("netlink", "stream-dump-redump", s.buf, s.len);
	(void)nlh;
}

/* ---- control, config, values -------------------------------------------- */

static void control(void)
{
	put_str("control", "status", "status\n");
	put_str("control", "status-json", "status json\n");
	put_str("control", "status-crlf", "status\r\nhelp\r\n");
	put_str("control", "announce", "announce\n");
	put_str("control", "announce-sequence",
		"announce iface=eth0 sequence 192.0.2.1 192.0.2.2\n");
	put_str("control", "announce-bond", "announce iface=bond0 198.51.100.7\n");
	put_str("control", "announce-bad", "announce iface=lo\nannounce 10.9.9.9\nannounce x\n");
	put_str("control", "metrics", "metrics\n");
	put_str("control", "help", "help\nreload\nfrobnicate\n\n   \n");
	put_str("control", "monitor", "monitor\nstatus\n");
	put_str("control", "monitor-json", "monitor json\n");
	put("control", "nul", "status\0\n", 8);
}

static void config(void)
{
	put_str(
	    "config", "full",
	    "[daemon]\ncontrol_socket = /run/garpd/control\nuser =\nlog_level = info\n"
	    "announce_on_start = no\nnetlink_rcvbuf = 4M\n\n[sequence]\nprofile = rfc5227 ; x\n"
	    "probes = 3\nprobe_interval = 1s\nannounce_delay = 1s\nannouncements = 1\n"
	    "announce_interval = 250ms\nframes = both\ntarget_mac = zero\nrefresh_interval = 0\n"
	    "on_conflict = abort\nmax_frames_per_second = 1000\non_link_up = sequence\n"
	    "on_mac_change = announce\non_bond_failover = none\nrelearn_guests = yes\n"
	    "relearn_frame = arp\n\n[interface eth*]\nignore = no\nprofile = immediate\n"
	    "[interface bond[0-9]]\nprobes = 0\n");
	put_str("config", "profiles",
		"[sequence]\nprofile = win8\n[interface a*]\nprofile = rfc5227\n"
		"[interface b?]\nprofile = immediate\nignore = yes\n");
	put_str(
	    "config", "refresh",
	    "[sequence]\ndirected_refresh = yes\nrefresh_neighbours_max = 8\n"
	    "refresh_neighbours = 10.0.0.1, 10.0.0.20\n[interface eth*]\n"
	    "refresh_neighbours = 10.0.0.3 fe80::1, 2001:db8::20\nrefresh_neighbours = fe80::2\n"
	    "[interface eth1]\nrefresh_neighbours =\ndirected_refresh = no\n");
	put_str("config", "bad", "[daemon]\nlog_level = loud\n");
	put_str("config", "empty", "");
}

static void values(void)
{
	static const struct {
		uint8_t which;
		const char *text;
	} v[] = {
		{ 0, "65535" },	    { 0x80, "18446744073709551615" },
		{ 1, "192.0.2.1" }, { 1, "::1" },
		{ 2, "250ms" },	    { 2, "1s" },
		{ 2, "2m" },	    { 2, "1h" },
		{ 3, "4M" },	    { 3, "64K" },
		{ 3, "1G" },	    { 4, "debug" },
		{ 4, "warning" },   { 5, "aa:bb:cc:dd:ee:ff" },
	};
	char buf[64], name[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf[0] = (char)v[i].which;
		memcpy(buf + 1, v[i].text, strlen(v[i].text));
		snprintf(name, sizeof(name), "value-%zu", i);
		put("values", name, buf, 1 + strlen(v[i].text));
	}
}

/* ---- engine sequences (see fuzz-engine.c for the encoding) --------------- */

struct prog {
	uint8_t b[4096];
	size_t n;
};

static void emit(struct prog *p, int n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		p->b[p->n++] = (uint8_t)va_arg(ap, int);
	va_end(ap);
}

/* Policy bytes for one link: a, b, c as decode_policy() reads them. */
static void policy(struct prog *p, int probes, int rate_idx, int link_up_announce)
{
	/* probes 400 ms apart, announce_delay 0, one announcement, the request form */
	emit(p, 3, (probes & 3) | 0x0c, 0x00, (rate_idx << 1) | (link_up_announce ? 0x08 : 0));
}

enum { K_NONE, K_BOND, K_BRIDGE, K_VLAN, K_MACVLAN, K_VETH };

/* A link event: ifindex 1..4, MAC index, up, kind, master (0 none), active slave/lower, failover.
 */
static bool same_wakeup; /* the next event is handled in the same wakeup as the one before */

static void link_ev(struct prog *p, int ifindex, int mac, bool up, int kind, int master,
		    bool bond_slave, int other, bool failover)
{
	int a = (ifindex - 1) | (mac << 2) | (up ? 0 : 0x30);
	int b = -1, c = -1;

	for (int x = 0; x < 256 && b < 0; x++)
		if (x % 6 == kind && ((x >> 3) % 3 == 0) == (master != 0) && (x & 0x0f) != 0x0f &&
		    (x & 0xe0) != 0xe0 && (x & 0xf0) != 0xd0)
			b = x;
	for (int x = 0; x < 256 && c < 0; x++)
		if ((!master || x % 5 == master) && !!(x & 0x08) == bond_slave &&
		    (x >> 4) % 5 == other && !!(x & 0x80) == failover)
			c = x;
	if (b < 0 || c < 0) {
		fprintf(stderr, "no encoding for link event\n");
		exit(1);
	}
	emit(p, 4, same_wakeup ? 130 : 0, a, b, c);
	same_wakeup = false;
}

/* Address ai (0, 1: IPv4; 2, 3: IPv6, whose additions take a DAD state: 0 = done). */
static void addr_ev_state(struct prog *p, bool add_it, int ifindex, int ai, int state)
{
	emit(p, 2, add_it ? 2 : 3, (ifindex - 1) | (ai << 2));
	if (add_it && ai >= 2)
		emit(p, 1, state);
}

static void addr_ev(struct prog *p, bool add_it, int ifindex, int ai)
{
	addr_ev_state(p, add_it, ifindex, ai, 0);
}

static void clock_ev(struct prog *p, int step, int times)
{
	for (int i = 0; i < times; i++)
		emit(p, 2, 5, step);
}

static void put_prog(const char *name, const struct prog *p)
{
	put("engine", name, p->b, p->n);
}

static void engine(void)
{
	struct prog p;

	/* one address on a plain link: probes, then the announcement */
	p.n = 0;
	for (int i = 0; i < 4; i++)
		policy(&p, 1, 0, 1);
	link_ev(&p, 1, 0, true, K_VETH, 0, false, 0, false);
	addr_ev(&p, true, 1, 0);
	clock_ev(&p, 4, 12);
	put_prog("plain", &p);

	/* removed while probing: no announcement may follow */
	p.n = 0;
	for (int i = 0; i < 4; i++)
		policy(&p, 3, 0, 1);
	link_ev(&p, 1, 0, true, K_VETH, 0, false, 0, false);
	addr_ev(&p, true, 1, 1);
	clock_ev(&p, 4, 2);
	addr_ev(&p, false, 1, 1);
	clock_ev(&p, 6, 4);
	put_prog("removed-while-probing", &p);

	/* a conflict while probing, then a MAC change and link flaps */
	p.n = 0;
	for (int i = 0; i < 4; i++)
		policy(&p, 2, 1, 1);
	link_ev(&p, 2, 1, true, K_NONE, 0, false, 0, false);
	addr_ev(&p, true, 2, 0);
	addr_ev(&p, true, 2, 1);
	clock_ev(&p, 4, 2);
	emit(&p, 3, 4, 0x03, 0x08); /* a reply, SPA 10.0.0.1, from another MAC, on if2 */
	clock_ev(&p, 6, 3);
	link_ev(&p, 2, 2, true, K_NONE, 0, false, 0, false); /* MAC change */
	link_ev(&p, 2, 2, false, K_NONE, 0, false, 0, false);
	link_ev(&p, 2, 2, true, K_NONE, 0, false, 0, false);
	emit(&p, 2, 7, 0x02); /* announce on if2, every address */
	emit(&p, 2, 7, 0x42); /* the sequence form */
	clock_ev(&p, 6, 5);
	put_prog("conflict-mac-flap", &p);

	/* bond failover with fail_over_mac=active: MAC and active slave change in one
	 * message, the failover event in the next, at the same instant */
	p.n = 0;
	for (int i = 0; i < 4; i++)
		policy(&p, 0, 0, 1);
	link_ev(&p, 3, 2, true, K_VETH, 2, true, 0, false);
	link_ev(&p, 4, 3, true, K_VETH, 2, true, 0, false);
	link_ev(&p, 2, 2, true, K_BOND, 0, false, 3, false);
	addr_ev(&p, true, 2, 0);
	clock_ev(&p, 6, 3);
	link_ev(&p, 2, 3, true, K_BOND, 0, false, 4, false);
	same_wakeup = true;
	link_ev(&p, 2, 3, true, K_BOND, 0, false, 4, true);
	clock_ev(&p, 6, 3);
	put_prog("bond-failover-mac", &p);
	/* the same, the failover event read in a later wakeup */
	p.n -= 2 * 3 + 4;
	link_ev(&p, 2, 3, true, K_BOND, 0, false, 4, true);
	clock_ev(&p, 6, 3);
	put_prog("bond-failover-mac-apart", &p);

	/* triggers in one wakeup: an address appears, announce and sequence
	 * (without probes: the same) asked for in the same instant */
	p.n = 0;
	for (int i = 0; i < 4; i++)
		policy(&p, 0, 0, 1);
	link_ev(&p, 1, 0, true, K_VETH, 0, false, 0, false);
	addr_ev(&p, true, 1, 0);
	emit(&p, 2, 137, 0x01); /* same wakeup: announce on if1 */
	emit(&p, 2, 137, 0x41); /* and the sequence form */
	clock_ev(&p, 6, 2);
	emit(&p, 2, 7, 0x01);
	emit(&p, 2, 137, 0x41);
	clock_ev(&p, 6, 2);
	put_prog("coinciding-triggers", &p);

	/* IPv6: an address tentative, then DAD done (NA), one with nodad (NS probes),
	 * one whose DAD fails; an NA from another host for the nodad one */
	p.n = 0;
	for (int i = 0; i < 4; i++)
		policy(&p, 2, 0, 1);
	link_ev(&p, 1, 0, true, K_VETH, 0, false, 0, false);
	addr_ev_state(&p, true, 1, 2, 1); /* tentative */
	clock_ev(&p, 6, 1);
	addr_ev_state(&p, true, 1, 2, 0); /* DAD done */
	addr_ev_state(&p, true, 1, 3, 4); /* nodad: garpd probes */
	clock_ev(&p, 4, 2);
	emit(&p, 3, 4, 0x80 | 0x08 | 0x01 | 0x04, 0x08); /* an NA for 2001:db8::2, other MAC, if2 */
	emit(&p, 3, 4, 0x80 | 0x08 | 0x01 | 0x04, 0x00); /* the same on if1 */
	clock_ev(&p, 6, 3);
	addr_ev_state(&p, true, 2, 2, 3); /* DAD failed */
	addr_ev(&p, true, 1, 0);
	emit(&p, 2, 7, 0x01 | 0x20 | (2 << 3)); /* announce 2001:db8::1 on if1 */
	clock_ev(&p, 6, 3);
	put_prog("ipv6", &p);

	/* a bond under a bridge with a VLAN on top: failover, FDB answer, relearn */
	p.n = 0;
	for (int i = 0; i < 4; i++)
		policy(&p, 0, 2, 1);
	link_ev(&p, 4, 3, true, K_BRIDGE, 0, false, 0, false);
	link_ev(&p, 2, 1, true, K_BOND, 4, false, 3, false);
	link_ev(&p, 3, 2, true, K_VETH, 2, true, 0, false);
	link_ev(&p, 1, 1, true, K_VLAN, 0, false, 2, false);
	addr_ev(&p, true, 4, 0);
	addr_ev(&p, true, 1, 1);
	clock_ev(&p, 6, 2);
	link_ev(&p, 2, 1, true, K_BOND, 4, false, 1, true);
	emit(&p, 5, 8, 0x0b, 0x21, 0x03, 0x45); /* the FDB answer: 3 entries, 1 VLAN run */
	emit(&p, 2, 8, 0x83);
	clock_ev(&p, 4, 8);
	put_prog("bridge-bond-relearn", &p);

	/* rate limit: 1 frame/s, four addresses announced at once, twice */
	p.n = 0;
	for (int i = 0; i < 4; i++)
		policy(&p, 0, 1, 1);
	link_ev(&p, 1, 0, true, K_VETH, 0, false, 0, false);
	for (int a = 0; a < 4; a++)
		addr_ev(&p, true, 1, a);
	emit(&p, 2, 7, 0x01);
	emit(&p, 2, 7, 0x01);
	clock_ev(&p, 3, 30);
	emit(&p, 2, 7, 0x41);
	clock_ev(&p, 0x46, 2);
	emit(&p, 1, 9); /* reload */
	clock_ev(&p, 6, 6);
	emit(&p, 2, 1, 0x00); /* the link goes, its addresses first */
	clock_ev(&p, 6, 2);
	put_prog("rate-limit", &p);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) < 0 && errno != EEXIST) {
		perror(root);
		return 1;
	}
	frames();
	nd();
	netlink();
	control();
	config();
	values();
	engine();
	return 0;
}
