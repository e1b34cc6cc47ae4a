/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpctl send: the announcement sequence for some addresses, once, from the
 * command line -- what keepalived and pacemaker notify scripts run instead
 * of send_arp or arping -U.
 *
 * It has no schedule of its own: it drives the daemon's engine
 * (daemon/engine/), with the command line's sequence as the policy of the
 * one interface it is given. It learns the interface and its addresses
 * from one netlink dump (netlink/), asks the engine for the full sequence
 * of the named addresses (what `garpctl announce --sequence` asks of the
 * daemon), and then sends what the engine hands out, feeds it the ARP
 * frames heard while it probes and the address and link changes netlink
 * reports, until every address is announced, held by a conflict, or
 * cancelled. All addresses run their sequences at the same time.
 *
 * Like the daemon, it then sends the directed refresh (a unicast who-has,
 * or for IPv6 a neighbour solicitation, from the address to each known
 * neighbour, daemon/engine/engine-refresh.c):
 * the engine asks for the neighbour table and routes, which are read with
 * netlink/'s gnl_query_refresh() and handed back; --no-refresh turns it
 * off, --neighbour adds neighbours (the configuration's refresh_neighbours).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "garp-addr.h"
#include "garp-config.h"
#include "garp-nd.h"
#include "garp-netlink.h"
#include "garp-packet.h"
#include "garpctl.h"
#include "util.h"

#define ADDRS_MAX 1024
#define DUMP_TIMEOUT_MS 5000
/* A link just set up gets its carrier a moment later: waited for this long. */
#define CARRIER_WAIT_MS 2000
/*
 * A link that goes down may be on its way out: `ip link del` reports it
 * down, then its addresses gone, then the link gone, a few milliseconds
 * apart. Whatever ends a run is reported after this long, as the worst of
 * what was seen.
 */
#define SETTLE_NS (500ull * 1000000ull)

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("garpctl send: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see garpctl send --help)\n", stderr);
	return -EINVAL;
}

/* A duration as garpd.conf(5) writes it: 0, 250ms, 1s, 2m, 1h. */
static void fmt_dur(uint64_t ns, char *buf, size_t size)
{
	static const struct {
		uint64_t ns;
		const char *unit;
	} units[] = {
		{ 3600 * CFG_NSEC_PER_SEC, "h" },
		{ 60 * CFG_NSEC_PER_SEC, "m" },
		{ CFG_NSEC_PER_SEC, "s" },
		{ CFG_NSEC_PER_MSEC, "ms" },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ns && ns % units[i].ns == 0) {
			snprintf(buf, size, "%llu%s", (unsigned long long)(ns / units[i].ns),
				 units[i].unit);
			return;
		}
	snprintf(buf, size, "%llu%s", (unsigned long long)ns, ns ? "ns" : "");
}

/* "0-100, default 3" or "1ms-1h, default 1s": from the configuration's table. */
static const char *limits(const char *key, uint64_t def, char buf[96])
{
	uint64_t lo = 0, hi = 0;
	char a[24], b[24], d[24];
	bool dur = strstr(key, "interval") || strstr(key, "delay");

	if (cfg_sequence_key_bounds(key, &lo, &hi) < 0)
		return "";
	if (dur) {
		fmt_dur(lo, a, sizeof(a));
		fmt_dur(hi, b, sizeof(b));
		fmt_dur(def, d, sizeof(d));
	} else {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)lo);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)hi);
		snprintf(d, sizeof(d), "%llu", (unsigned long long)def);
	}
	snprintf(buf, 96, "%s-%s, default %s", a, b, d);
	return buf;
}

static void send_help(void)
{
	const struct cfg_sequence def = CFG_SEQUENCE_INIT;
	char l[5][96];

	printf(
	    "Usage: garpctl send -i IFACE [OPTION]... ADDRESS...\n"
	    "Send the gratuitous ARP sequence for each IPv4 ADDRESS, and unsolicited\n"
	    "neighbour advertisements for each IPv6 ADDRESS, out of IFACE, all\n"
	    "addresses at the same time; by default 3 probes 1 s apart, then one\n"
	    "announcement 1 s after the last probe (IPv6: probes only for an address\n"
	    "added with nodad; the kernel's DAD checked the others). Every ADDRESS\n"
	    "must be configured on IFACE, or nothing is sent (unless --force); a\n"
	    "tentative or dadfailed IPv6 ADDRESS is refused. While it probes it\n"
	    "listens: an ADDRESS another host answers for is not announced.\n"
	    "The limits are garpd.conf(5)'s for the key of the same name.\n"
	    "After the announcements, each known neighbour on IFACE of the address's\n"
	    "family (the kernel's neighbour table within the address's subnet, the\n"
	    "gateways of the routes through IFACE, every --neighbour; at most %u)\n"
	    "gets a directed refresh: a who-has from the ADDRESS (IPv6: a neighbour\n"
	    "solicitation from it), which stacks that ignore gratuitous ARP or\n"
	    "unsolicited advertisements obey.\n"
	    "\n"
	    "  -i, --interface IFACE        the Ethernet interface to send on\n"
	    "      --probes N               probes before announcing (%s)\n"
	    "      --probe-interval DUR     between probes (%s)\n"
	    "      --announce-delay DUR     from the last probe to the announcement (%s)\n"
	    "      --announcements N        announcements or NAs (%s)\n"
	    "      --announce-interval DUR  between announcements (%s)\n"
	    "      --frames request|reply|both  ARP announcement form (default request)\n"
	    "      --target-mac broadcast|zero  THA of the ARP request form (default broadcast)\n"
	    "      --no-refresh             no directed refresh after the announcements\n"
	    "      --neighbour ADDR         refresh this IPv4 or IPv6 neighbour too (repeatable)\n"
	    "  -f, --force                  send even for an ADDRESS not configured on IFACE,\n"
	    "                               or answered for by another host\n"
	    "  -h, --help                   this help\n"
	    "\n"
	    "DUR is an integer with a unit: 250ms, 1s, 2m (no unit: seconds).\n"
	    "Exit status: 0 all sent, 1 a send failed or an ADDRESS is not configured\n"
	    "on IFACE (or is tentative or dadfailed), 2 bad usage or input, 3 another\n"
	    "host holds an ADDRESS (it answered a probe; that ADDRESS was not announced).\n",
	    (unsigned)CFG_REFRESH_MAX_DEFAULT, limits("probes", def.probes, l[0]),
	    limits("probe_interval", def.probe_interval_ns, l[1]),
	    limits("announce_delay", def.announce_delay_ns, l[2]),
	    limits("announcements", def.announcements, l[3]),
	    limits("announce_interval", def.announce_interval_ns, l[4]));
}

enum {
	OPT_PROBES = 0x100,
	OPT_PROBE_INTERVAL,
	OPT_ANNOUNCE_DELAY,
	OPT_ANNOUNCEMENTS,
	OPT_ANNOUNCE_INTERVAL,
	OPT_FRAMES,
	OPT_TARGET_MAC,
	OPT_NO_REFRESH,
	OPT_NEIGHBOUR,
};

static const struct option send_options[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "probes", required_argument, NULL, OPT_PROBES },
	{ "probe-interval", required_argument, NULL, OPT_PROBE_INTERVAL },
	{ "announce-delay", required_argument, NULL, OPT_ANNOUNCE_DELAY },
	{ "announcements", required_argument, NULL, OPT_ANNOUNCEMENTS },
	{ "announce-interval", required_argument, NULL, OPT_ANNOUNCE_INTERVAL },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "target-mac", required_argument, NULL, OPT_TARGET_MAC },
	{ "no-refresh", no_argument, NULL, OPT_NO_REFRESH },
	{ "neighbour", required_argument, NULL, OPT_NEIGHBOUR },
	{ "force", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const char *option_name(int c)
{
	for (const struct option *o = send_options; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/*
 * An option that is a [sequence] key ("--probe-interval" is
 * probe_interval): parsed and checked by config/, as in the file.
 */
static int parse_key(struct cfg_sequence *seq, int c, const char *arg)
{
	const char *opt = option_name(c);
	char key[32];
	struct cfg_error err;
	const char *msg;
	size_t i;

	for (i = 0; opt[i] && i < sizeof(key) - 1; i++)
		key[i] = opt[i] == '-' ? '_' : opt[i];
	key[i] = '\0';
	if (cfg_sequence_set(seq, key, arg, &err) == 0)
		return 0;
	/* "probe_interval: expected ..." becomes "--probe-interval: expected ..." */
	msg = err.message;
	if (!strncmp(msg, key, i) && msg[i] == ':')
		msg += i + 1;
	while (*msg == ' ')
		msg++;
	fprintf(stderr, "garpctl send: --%s: %s\n", opt, msg);
	return -EINVAL;
}

/*
 * --neighbour ADDR: appended to @nb (CFG_REFRESH_NEIGHBOURS_MAX of them),
 * duplicates once. IPv4 strictly dotted-quad, IPv6 as inet_pton() takes it
 * (link-local too, without a zone: the interface is -i's).
 */
static int parse_neighbour(const char *arg, struct garp_addr *nb, size_t *n_nb)
{
	struct garp_addr a;
	struct in_addr v4;
	bool unicast;
	int r;

	if (strchr(arg, ':')) {
		r = garp_addr_from_str(arg, &a);
		if (r == 0 && a.family != AF_INET6)
			r = -EINVAL;
	} else {
		r = util_parse_ipv4(arg, &v4);
		a = garp_addr_v4(v4);
	}
	if (r < 0)
		return usage_error("--neighbour: %s: not an IPv4 or IPv6 address", arg);
	if (a.family == AF_INET) {
		uint32_t h = ntohl(a.v4.s_addr);

		unicast = !(h == 0 || (h >> 24) == 127 || (h >> 28) >= 0xe);
	} else {
		unicast = !(IN6_IS_ADDR_UNSPECIFIED(&a.v6) || IN6_IS_ADDR_LOOPBACK(&a.v6) ||
			    IN6_IS_ADDR_MULTICAST(&a.v6) || IN6_IS_ADDR_V4MAPPED(&a.v6));
	}
	if (!unicast)
		return usage_error("--neighbour: %s: not a unicast address", arg);
	for (size_t k = 0; k < *n_nb; k++)
		if (garp_addr_eq(&nb[k], &a))
			return 0;
	if (*n_nb == CFG_REFRESH_NEIGHBOURS_MAX)
		return usage_error("--neighbour: more than %d neighbours",
				   CFG_REFRESH_NEIGHBOURS_MAX);
	nb[(*n_nb)++] = a;
	return 0;
}

/*
 * Parse the command line into @seq, @ret_ifname and the addresses;
 * --neighbour's into @nb (CFG_REFRESH_NEIGHBOURS_MAX), borrowed by @seq.
 */
static int parse_args(int argc, char **argv, struct cfg_sequence *seq, const char **ret_ifname,
		      bool *ret_force, struct garp_addr *addrs, size_t *n_addrs,
		      struct garp_addr *nb)
{
	const char *ifname = NULL;
	size_t n_nb = 0;
	bool no_refresh = false;
	int c;

	optind = 0; /* GNU: reinitialise; argv[0] is "send" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:fh", send_options, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'f':
			*ret_force = true;
			break;
		case OPT_PROBES:
		case OPT_PROBE_INTERVAL:
		case OPT_ANNOUNCE_DELAY:
		case OPT_ANNOUNCEMENTS:
		case OPT_ANNOUNCE_INTERVAL:
		case OPT_FRAMES:
		case OPT_TARGET_MAC:
			if (parse_key(seq, c, optarg) < 0)
				return -EINVAL;
			break;
		case OPT_NO_REFRESH:
			no_refresh = true;
			break;
		case OPT_NEIGHBOUR:
			if (parse_neighbour(optarg, nb, &n_nb) < 0)
				return -EINVAL;
			break;
		case 'h':
			send_help();
			return 1;
		case ':':
			return usage_error("%s: needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (!ifname)
		return usage_error("no interface given (-i IFACE)");
	if (no_refresh && n_nb)
		return usage_error("--neighbour makes no sense with --no-refresh");
	seq->directed_refresh = !no_refresh;
	seq->refresh_neighbours = (struct cfg_addr_list){ .v = nb, .n = (uint32_t)n_nb };
	if (optind >= argc)
		return usage_error("no address given");

	*n_addrs = 0;
	for (int i = optind; i < argc; i++) {
		struct garp_addr a;
		struct in_addr v4;
		bool dup = false;
		int r;

		/* IPv4 strictly dotted-quad (util_parse_ipv4()), IPv6 as inet_pton() takes it */
		if (strchr(argv[i], ':')) {
			r = garp_addr_from_str(argv[i], &a);
			if (r == 0 && a.family != AF_INET6)
				r = -EINVAL;
		} else {
			r = util_parse_ipv4(argv[i], &v4);
			a = garp_addr_v4(v4);
		}
		if (r < 0) {
			fprintf(stderr, "garpctl send: %s: not an IPv4 or IPv6 address\n", argv[i]);
			return -EINVAL;
		}
		if (a.family == AF_INET6 &&
		    (a.v6.s6_addr[0] == 0xff || garp_addr_is_unspecified(&a))) {
			fprintf(stderr, "garpctl send: %s: not a unicast address\n", argv[i]);
			return -EINVAL;
		}
		for (size_t k = 0; k < *n_addrs; k++)
			dup = dup || garp_addr_eq(&addrs[k], &a);
		if (dup)
			continue;
		if (*n_addrs == ADDRS_MAX) {
			fprintf(stderr, "garpctl send: more than %d addresses\n", ADDRS_MAX);
			return -EINVAL;
		}
		addrs[(*n_addrs)++] = a;
	}
	*ret_ifname = ifname;
	return 0;
}

/* ---- the run: pure state, driven by events, frames and notes ----------- */

enum send_outcome {
	SEND_PENDING,
	SEND_ANNOUNCED,
	SEND_CONFLICT, /* another host answered: held back */
	SEND_CANCELLED,
};

/* What ended a run early, worst last: the worst seen is reported. */
enum send_failure {
	SEND_OK,
	SEND_ADDR_REMOVED,
	SEND_MAC_CHANGED,
	SEND_NOT_ELIGIBLE,
	SEND_LINK_DOWN,
	SEND_LINK_GONE,
};

struct send_target {
	struct garp_addr addr;
	struct gnl_addr ga; /* as the dump reported it; made up under --force */
	bool configured;    /* on the interface, per the dump */
	bool removed;	    /* cancelled because it was removed */
	enum send_outcome outcome;
	uint8_t mac[PKT_ETH_ALEN]; /* SEND_CONFLICT: the other host's */
};

struct sender {
	struct cfg_sequence seq; /* the command line's, the engine's policy */
	const char *ifname;
	bool force;
	bool listen; /* conflict detection: probes sent and not --force */

	struct gnl_link link;
	bool have_link;
	struct send_target *t;
	size_t n;

	struct engine *e;
	int pkt_fd;
	int nd_fd; /* IPv6 (NS/NA) packet socket: only when an address is IPv6 */
	bool filter_arp;
	bool filter_nd;
	enum send_failure failure;
	uint64_t settle_until; /* 0: not settling */

	/* the directed refresh's neighbour query (one link: one at a time) */
	bool q_busy;
	uint32_t q_id;
	int q_ifindex;
	struct gnl_neigh *neigh;
	size_t n_neigh, cap_neigh;
	struct gnl_route_hop *hops;
	size_t n_hops, cap_hops;
	struct pkt_out out[64];
};

static void send_policy(void *userdata, const char *ifname, struct cfg_sequence *ret)
{
	const struct sender *s = userdata;

	(void)ifname;
	*ret = s->seq;
}

/*
 * The engine's policy for a one-shot run: the sequence asked for, once.
 * Nothing restarts it (link up, MAC change, failover), nothing refreshes
 * it, no hold-down; a conflict holds the address back.
 */
static void send_sequence_oneshot(struct cfg_sequence *seq)
{
	seq->profile = CFG_PROFILE_WIN8; /* no random waits: the times asked for */
	seq->probe_max_ns = 0;
	seq->probe_wait_ns = 0;
	seq->refresh_interval_ns = 0;
	seq->on_conflict = CFG_CONFLICT_ABORT;
	seq->on_link_up = CFG_ACTION_NONE;
	seq->on_mac_change = CFG_ACTION_NONE;
	seq->on_bond_failover = CFG_ACTION_NONE;
	seq->relearn_guests = false;
	seq->hold_down_ns = 0;
	seq->ignore = false;
}

/*
 * The Router flag of the NAs: whether @ifname forwards IPv6 (as garpd
 * reads it, /proc/sys/net/ipv6/conf/IF/forwarding).
 */
static bool send_ipv6_router(void *userdata, int ifindex, const char *ifname)
{
	char path[64 + IFNAMSIZ], c = '0';
	int fd;

	(void)userdata;
	(void)ifindex;
	if (!ifname[0] || strchr(ifname, '/') || !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return false;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/forwarding", ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c != '0';
}

static struct send_target *send_find(struct sender *s, const struct garp_addr *a)
{
	for (size_t i = 0; i < s->n; i++)
		if (garp_addr_eq(&s->t[i].addr, a))
			return &s->t[i];
	return NULL;
}

/* The address a netlink address event is about. */
static struct garp_addr gnl_addr_key(const struct gnl_addr *ga)
{
	if (ga->family == AF_INET6)
		return garp_addr_v6(&ga->addr.v6);
	if (ga->family == AF_INET)
		return garp_addr_v4(ga->addr.v4);
	return (struct garp_addr){ 0 };
}

static bool send_any_v6(const struct sender *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].addr.family == AF_INET6)
			return true;
	return false;
}

/*
 * The first dump, one event at a time, until GNL_EV_SYNCED: the interface
 * by name, and which of the named addresses it has.
 */
static void send_collect(struct sender *s, const struct gnl_event *ev)
{
	switch (ev->type) {
	case GNL_EV_LINK_NEW:
	case GNL_EV_LINK_CHANGED:
		if (!strcmp(ev->link.name, s->ifname)) {
			s->link = ev->link;
			s->have_link = true;
		} else if (s->have_link && ev->link.ifindex == s->link.ifindex) {
			s->have_link = false; /* renamed away */
		}
		break;
	case GNL_EV_LINK_DEL:
		if (s->have_link && ev->link.ifindex == s->link.ifindex)
			s->have_link = false;
		break;
	case GNL_EV_ADDR_NEW:
	case GNL_EV_ADDR_CHANGED:
	case GNL_EV_ADDR_DEL: {
		struct garp_addr a = gnl_addr_key(&ev->addr);

		for (size_t i = 0; i < s->n; i++) {
			struct send_target *t = &s->t[i];

			if (!garp_addr_eq(&t->addr, &a))
				continue;
			/* the interface's index may come after its addresses: kept per index below
			 */
			if (ev->type == GNL_EV_ADDR_DEL) {
				if (t->configured && t->ga.ifindex == ev->addr.ifindex)
					t->configured = false;
			} else if (!t->configured || !s->have_link ||
				   ev->addr.ifindex == s->link.ifindex) {
				t->ga = ev->addr;
				t->configured = true;
			}
		}
		break;
	}
	default:
		break;
	}
}

/* After the dump: an address counts as configured only on the interface asked for. */
static void send_resolve(struct sender *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct send_target *t = &s->t[i];

		if (t->configured && (!s->have_link || t->ga.ifindex != s->link.ifindex))
			t->configured = false;
		if (!t->configured) {
			/* --force: what the engine is told, as if it were configured */
			t->ga = (struct gnl_addr){
				.family = t->addr.family,
				.ifindex = s->have_link ? s->link.ifindex : 0,
				.prefixlen = t->addr.family == AF_INET6 ? 128 : 32,
				.scope = RT_SCOPE_UNIVERSE,
				/* IPv6: no kernel DAD ran; the probes go out as for IPv4 */
				.flags = t->addr.family == AF_INET6 ? IFA_F_NODAD : 0,
			};
			if (t->addr.family == AF_INET6)
				t->ga.addr.v6 = t->addr.v6;
			else
				t->ga.addr.v4 = t->addr.v4;
		}
	}
}

static void send_fail(struct sender *s, uint64_t now, enum send_failure f)
{
	if (f > s->failure)
		s->failure = f;
	if (!s->settle_until)
		s->settle_until = f == SEND_ADDR_REMOVED ? now : now + SETTLE_NS;
}

static bool send_any_removed(const struct sender *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].removed)
			return true;
	return false;
}

static bool send_any_pending(const struct sender *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].outcome == SEND_PENDING)
			return true;
	return false;
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*v, c * size);
	if (!p)
		return false;
	*v = p;
	*cap = c;
	return true;
}

/*
 * The neighbour query's answer, one event at a time; at its end the engine
 * gets what came (whatever arrived is usable; the configured neighbours go
 * even when nothing did).
 */
static void send_query_event(struct sender *s, uint64_t now, const struct gnl_event *ev)
{
	if (!s->q_busy || ev->query != s->q_id)
		return;
	switch (ev->type) {
	case GNL_EV_NEIGH:
		if (grow((void **)&s->neigh, &s->cap_neigh, s->n_neigh, sizeof(*s->neigh)))
			s->neigh[s->n_neigh++] = ev->neigh;
		break;
	case GNL_EV_ROUTE_HOP:
		if (grow((void **)&s->hops, &s->cap_hops, s->n_hops, sizeof(*s->hops)))
			s->hops[s->n_hops++] = ev->hop;
		break;
	case GNL_EV_QUERY_DONE:
		s->q_busy = false;
		engine_neighbours(s->e, now, s->q_ifindex, s->neigh, s->n_neigh, s->hops,
				  s->n_hops);
		s->n_neigh = s->n_hops = 0;
		break;
	default:
		break;
	}
}

/* The engine's queries: only the neighbour query is asked of a one-shot run. */
static void send_queries(struct sender *s, struct gnl *g, uint64_t now)
{
	struct engine_query q;

	while (!s->q_busy && engine_pop_query(s->e, &q) == 0) {
		if (q.kind != ENGINE_QUERY_NEIGHBOURS)
			continue;
		if (gnl_query_refresh(g, q.ifindex, &s->q_id) == 0) {
			s->q_busy = true;
			s->q_ifindex = q.ifindex;
		} else {
			/* not read: the --neighbour ones go all the same */
			engine_neighbours(s->e, now, q.ifindex, NULL, 0, NULL, 0);
		}
	}
}

/* A netlink event after the dump: the interface's and the addresses' changes. */
static void send_event(struct sender *s, uint64_t now, const struct gnl_event *ev)
{
	switch (ev->type) {
	case GNL_EV_NEIGH:
	case GNL_EV_ROUTE_HOP:
	case GNL_EV_QUERY_DONE:
		send_query_event(s, now, ev);
		break;
	case GNL_EV_LINK_CHANGED:
		if (ev->link.ifindex != s->link.ifindex)
			break;
		s->link = ev->link;
		engine_link(s->e, now, &ev->link, ev->changes);
		break;
	case GNL_EV_LINK_DEL:
		if (ev->link.ifindex != s->link.ifindex)
			break;
		if (s->failure || send_any_pending(s))
			send_fail(s, now, SEND_LINK_GONE);
		engine_link_del(s->e, now, ev->link.ifindex);
		break;
	case GNL_EV_ADDR_NEW:
	case GNL_EV_ADDR_DEL: {
		struct garp_addr a = gnl_addr_key(&ev->addr);
		struct send_target *t;

		/* --force announces what is not configured: a removal changes nothing */
		if (s->force || ev->addr.ifindex != s->link.ifindex)
			break;
		t = send_find(s, &a);
		/*
		 * Remembered, and judged when an announcement is due (see
		 * send_drain()): probes carry SPA 0.0.0.0 and poison no cache.
		 */
		if (t)
			t->removed = ev->type == GNL_EV_ADDR_DEL;
		break;
	}
	default:
		/* new addresses are not ours to announce; a resync reports what it missed */
		break;
	}
}

/* What the engine noted: each address's outcome. */
static void send_note(struct sender *s, const struct engine_note *n)
{
	struct send_target *t = send_find(s, &n->addr);

	if (!t || n->ifindex != s->link.ifindex)
		return;
	switch (n->type) {
	case ENGINE_NOTE_ANNOUNCED:
		if (t->outcome == SEND_PENDING)
			t->outcome = SEND_ANNOUNCED;
		break;
	case ENGINE_NOTE_CONFLICT:
		if (t->outcome == SEND_PENDING) {
			t->outcome = SEND_CONFLICT;
			memcpy(t->mac, n->mac, PKT_ETH_ALEN);
		}
		break;
	case ENGINE_NOTE_CANCELLED:
		if (t->outcome != SEND_PENDING)
			break;
		t->outcome = SEND_CANCELLED;
		switch (n->reason) {
		case ENGINE_CANCEL_ADDR_REMOVED:
			t->removed = true;
			send_fail(s, n->time, SEND_ADDR_REMOVED);
			break;
		case ENGINE_CANCEL_LINK_DOWN:
			send_fail(s, n->time, SEND_LINK_DOWN);
			break;
		case ENGINE_CANCEL_LINK_REMOVED:
			send_fail(s, n->time, SEND_LINK_GONE);
			break;
		case ENGINE_CANCEL_MAC_CHANGED:
			send_fail(s, n->time, SEND_MAC_CHANGED);
			break;
		case ENGINE_CANCEL_NOT_ELIGIBLE:
		default:
			send_fail(s, n->time, SEND_NOT_ELIGIBLE);
			break;
		}
		break;
	default:
		break;
	}
}

/* Send @n frames, waiting (up to a second each time) while the queue is full. */
static int send_all(int fd, const struct pkt_out *out, size_t n)
{
	size_t done = 0;

	while (done < n) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int r = pkt_send_batch(fd, out + done, n - done);

		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r == 0 || r == -EAGAIN) {
			r = poll(&p, 1, 1000);
			if (r < 0 && errno != EINTR)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
			continue;
		}
		return r;
	}
	return 0;
}

/*
 * Hand what the engine produced to the world: its notes, then its frames.
 * The ARP filter goes on before the first probe leaves (the owner of an
 * address answers within about 100 µs) and comes off once the engine no
 * longer listens. Nothing leaves once the run is failing.
 * Return: 0 or a negative errno from sending.
 */
static int send_drain(struct sender *s, uint64_t now)
{
	struct engine_frame f;
	struct engine_note n;
	bool want, want_nd;
	int r = 0;

	while (engine_pop_note(s->e, &n) == 0)
		send_note(s, &n);
	want = s->listen && engine_wants_arp(s->e);
	want_nd = s->listen && s->nd_fd >= 0 && engine_wants_nd(s->e);
	if (want && !s->filter_arp) {
		r = pkt_socket_set_filter(s->pkt_fd, PKT_FILTER_ARP);
		if (r < 0)
			return r;
		s->filter_arp = true;
	}
	if (want_nd && !s->filter_nd) {
		r = pkt_socket_set_filter(s->nd_fd, PKT_FILTER_ND);
		if (r < 0)
			return r;
		s->filter_nd = true;
	}
	for (;;) {
		size_t k = 0;

		while (k < sizeof(s->out) / sizeof(s->out[0]) && engine_pop_frame(s->e, &f) == 0) {
			/*
			 * DESIGN.md: never announce an address no longer
			 * configured at the moment of sending. All or nothing,
			 * as at the start: the run stops here.
			 */
			if (!s->failure && f.kind != ENGINE_FRAME_PROBE && send_any_removed(s)) {
				send_fail(s, now, SEND_ADDR_REMOVED);
				k = 0;
			}
			if (s->failure)
				continue;
			s->out[k].ifindex = f.ifindex;
			s->out[k++].frame = f.frame;
		}
		if (!k)
			break;
		r = send_all(s->pkt_fd, s->out, k);
		if (r < 0)
			return r;
	}
	if (!want && s->filter_arp && pkt_socket_set_filter(s->pkt_fd, PKT_FILTER_DROP_ALL) == 0)
		s->filter_arp = false;
	if (!want_nd && s->filter_nd && pkt_socket_set_filter(s->nd_fd, PKT_FILTER_DROP_ALL) == 0)
		s->filter_nd = false;
	return 0;
}

/* ARP frames heard while probing: the engine judges them. */
static void send_receive(struct sender *s, uint64_t now)
{
	uint8_t buf[256];

	for (int i = 0; i < 64; i++) {
		struct pkt_arp arp;
		size_t len;
		int ifindex;

		if (pkt_recv(s->pkt_fd, buf, sizeof(buf), &len, &ifindex) < 0)
			return;
		if (s->filter_arp && pkt_parse_arp(buf, len, &arp) == 0)
			engine_arp(s->e, now, ifindex, &arp);
	}
}

/* NS/NA frames heard while garpd's own DAD probes run: the engine judges them. */
static void send_receive_nd(struct sender *s, uint64_t now)
{
	uint8_t buf[1536];

	for (int i = 0; i < 64; i++) {
		struct pkt_nd nd;
		size_t len;
		int ifindex;

		if (pkt_recv(s->nd_fd, buf, sizeof(buf), &len, &ifindex) < 0)
			return;
		if (s->filter_nd && pkt_parse_nd(buf, len, &nd) == 0)
			engine_nd(s->e, now, ifindex, &nd);
	}
}

/*
 * Whether the run is over: every address has its outcome and the directed
 * refresh is out (no query in flight, nothing left in the engine's rate
 * limiter), or a failure has settled.
 */
static bool send_finished(const struct sender *s, uint64_t now)
{
	if (s->failure)
		return s->failure == SEND_LINK_GONE || now >= s->settle_until;
	return !send_any_pending(s) && !s->q_busy &&
	       engine_next_deadline(s->e) == ENGINE_NO_DEADLINE;
}

/* ---- reporting ------------------------------------------------------- */

static int send_report(const struct sender *s)
{
	bool conflict = false;

	switch (s->failure) {
	case SEND_LINK_GONE:
		fprintf(stderr, "garpctl send: %s: interface went away\n", s->ifname);
		return GARPCTL_EXIT_FAILURE;
	case SEND_LINK_DOWN:
		fprintf(stderr, "garpctl send: %s: interface went down\n", s->ifname);
		return GARPCTL_EXIT_FAILURE;
	case SEND_NOT_ELIGIBLE: {
		struct util_link l = { .flags = s->link.flags, .type = s->link.type };
		const char *why = util_link_why_not_arp(&l);

		fprintf(stderr, "garpctl send: %s: %s, stopped sending ARP\n", s->ifname,
			why ? why : "is no longer eligible");
		return GARPCTL_EXIT_FAILURE;
	}
	case SEND_MAC_CHANGED:
		fprintf(stderr, "garpctl send: %s: its MAC address changed, stopped sending\n",
			s->ifname);
		return GARPCTL_EXIT_FAILURE;
	case SEND_ADDR_REMOVED:
		for (size_t i = 0; i < s->n; i++) {
			char a[GARP_ADDR_STRLEN];

			if (!s->t[i].removed)
				continue;
			garp_addr_to_str(&s->t[i].addr, a);
			fprintf(
			    stderr,
			    "garpctl send: %s is no longer configured on %s, not announcing it\n",
			    a, s->ifname);
		}
		return GARPCTL_EXIT_FAILURE;
	case SEND_OK:
		break;
	}
	for (size_t i = 0; i < s->n; i++) {
		char a[GARP_ADDR_STRLEN], m[PKT_MAC_STRLEN];

		if (s->t[i].outcome != SEND_CONFLICT)
			continue;
		garp_addr_to_str(&s->t[i].addr, a);
		fprintf(stderr, "garpctl send: %s is in use by %s on %s (%s), not announcing it\n",
			a, pkt_mac_to_str(s->t[i].mac, m), s->ifname,
			s->t[i].addr.family == AF_INET6
			    ? "seen during our duplicate address detection"
			    : "it answered our probe");
		conflict = true;
	}
	return conflict ? GARPCTL_EXIT_CONFLICT : GARPCTL_EXIT_OK;
}

static int send_failed(const char *ifname, int r)
{
	switch (r) {
	case -ENXIO:
	case -ENODEV:
		fprintf(stderr, "garpctl send: %s: interface went away\n", ifname);
		break;
	case -ENETDOWN:
		fprintf(stderr, "garpctl send: %s: interface went down\n", ifname);
		break;
	default:
		fprintf(stderr, "garpctl send: %s: sending failed: %s\n", ifname, strerror(-r));
	}
	return GARPCTL_EXIT_FAILURE;
}

/* ---- the sockets and the clock ------------------------------------------ */

struct send_io {
	struct gnl *gnl;
	int gnl_fds[2];
	int n_gnl_fds;
	int timer_fd;
	uint64_t armed;
};

/* Read every pending netlink message; @fn gets each event. Return: 0 or a negative errno. */
static int nl_drain(struct send_io *io, struct sender *s, uint64_t now,
		    void (*fn)(struct sender *s, uint64_t now, const struct gnl_event *ev),
		    bool *synced)
{
	struct gnl_event ev;

	for (int i = 0; i < io->n_gnl_fds; i++) {
		int r;

		do {
			r = gnl_dispatch(io->gnl, io->gnl_fds[i]);
			while (gnl_pop_event(io->gnl, &ev) == 0) {
				if (ev.type == GNL_EV_SYNCED && synced)
					*synced = true;
				fn(s, now, &ev);
			}
		} while (r > 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static void collect_event(struct sender *s, uint64_t now, const struct gnl_event *ev)
{
	(void)now;
	send_collect(s, ev);
}

/* The first dump: until GNL_EV_SYNCED. */
static int nl_sync(struct send_io *io, struct sender *s)
{
	uint64_t end = util_now_ns() + DUMP_TIMEOUT_MS * 1000000ull;
	bool synced = false;
	int r;

	r = gnl_start(io->gnl);
	while (r >= 0) {
		struct pollfd p[2];
		uint64_t now;

		r = nl_drain(io, s, 0, collect_event, &synced);
		if (r < 0 || synced)
			break;
		now = util_now_ns();
		if (now >= end) {
			r = -ETIMEDOUT;
			break;
		}
		for (int i = 0; i < io->n_gnl_fds; i++)
			p[i] = (struct pollfd){ .fd = io->gnl_fds[i], .events = POLLIN };
		if (poll(p, (nfds_t)io->n_gnl_fds, (int)((end - now) / 1000000ull) + 1) < 0 &&
		    errno != EINTR)
			r = -errno;
	}
	return r;
}

/*
 * `ip link set up` returns before the carrier is there (a veth, a NIC
 * negotiating): an interface that is up but not yet running is given
 * CARRIER_WAIT_MS to get it. Return: 0 or a negative errno.
 */
static int nl_wait_carrier(struct send_io *io, struct sender *s)
{
	uint64_t end = util_now_ns() + CARRIER_WAIT_MS * 1000000ull;
	int r = 0;

	while (s->have_link && (s->link.flags & IFF_UP) && !gnl_link_is_oper_up(&s->link)) {
		struct pollfd p[2];
		uint64_t now = util_now_ns();

		if (now >= end)
			break;
		for (int i = 0; i < io->n_gnl_fds; i++)
			p[i] = (struct pollfd){ .fd = io->gnl_fds[i], .events = POLLIN };
		if (poll(p, (nfds_t)io->n_gnl_fds, (int)((end - now) / 1000000ull) + 1) < 0 &&
		    errno != EINTR)
			return -errno;
		r = nl_drain(io, s, 0, collect_event, NULL);
		if (r < 0)
			return r;
	}
	return r;
}

static void arm(struct send_io *io, uint64_t deadline)
{
	struct itimerspec its = { 0 };

	if (deadline == io->armed)
		return;
	if (deadline != ENGINE_NO_DEADLINE) {
		uint64_t t = deadline ? deadline : 1; /* 0 would disarm */

		its.it_value.tv_sec = (time_t)(t / UTIL_NSEC_PER_SEC);
		its.it_value.tv_nsec = (long)(t % UTIL_NSEC_PER_SEC);
	}
	if (timerfd_settime(io->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		io->armed = deadline;
}

/*
 * The loop: sleep until the engine's next deadline, a netlink event or an
 * ARP frame; then netlink first (a removal read in time stops its
 * address's announcement), the frames heard, what is due, and send.
 * Return: 0 when the run is over, 1 when netlink failed (printed), or a
 * negative errno from sending.
 */
static int send_loop(struct send_io *io, struct sender *s)
{
	for (;;) {
		struct pollfd p[5];
		uint64_t now = util_now_ns(), deadline;
		nfds_t np = 0;
		int r;

		r = nl_drain(io, s, now, send_event, NULL);
		if (r < 0) {
			fprintf(stderr, "garpctl send: following %s (netlink): %s\n", s->ifname,
				strerror(-r));
			return 1;
		}
		if (s->filter_arp)
			send_receive(s, now);
		if (s->filter_nd)
			send_receive_nd(s, now);
		engine_run(s->e, now);
		send_queries(s, io->gnl, now);
		r = send_drain(s, now);
		if (r < 0)
			return r;
		if (send_finished(s, now))
			return 0;

		deadline = s->failure ? s->settle_until : engine_next_deadline(s->e);
		arm(io, deadline);
		for (int i = 0; i < io->n_gnl_fds; i++)
			p[np++] = (struct pollfd){ .fd = io->gnl_fds[i], .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = io->timer_fd, .events = POLLIN };
		if (s->filter_arp)
			p[np++] = (struct pollfd){ .fd = s->pkt_fd, .events = POLLIN };
		if (s->filter_nd)
			p[np++] = (struct pollfd){ .fd = s->nd_fd, .events = POLLIN };
		if (deadline == ENGINE_NO_DEADLINE && !s->filter_arp && !s->filter_nd &&
		    !s->q_busy) {
			/* nothing the engine waits for, yet an address has no outcome */
			s->failure = s->failure ? s->failure : SEND_NOT_ELIGIBLE;
			return 0;
		}
		if (poll(p, np, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "garpctl send: poll: %s\n", strerror(errno));
			return 1;
		}
		if (p[io->n_gnl_fds].revents & POLLIN) {
			uint64_t ticks;

			(void)!read(io->timer_fd, &ticks, sizeof(ticks));
			io->armed = ENGINE_NO_DEADLINE;
		}
	}
}

/* ---- the command ------------------------------------------------------ */

/* Why a configured IPv6 address may not be advertised yet (or ever); NULL when it may. */
static const char *send_dad_refusal(const struct send_target *t)
{
	if (t->addr.family != AF_INET6 || !t->configured)
		return NULL;
	if (t->ga.flags & IFA_F_DADFAILED)
		return "dadfailed (duplicate address detection found another host using it)";
	if (t->ga.flags & IFA_F_TENTATIVE)
		return "tentative (duplicate address detection has not finished)";
	if (t->ga.flags & IFA_F_OPTIMISTIC)
		return "optimistic (duplicate address detection has not finished)";
	return NULL;
}

/* Why the engine will not run a sequence on @l; NULL when it will. Exit 2 either way. */
static const char *link_refusal(const struct gnl_link *l)
{
	struct util_link u = { .ifindex = l->ifindex, .flags = l->flags, .type = l->type };
	const char *why = util_link_why_not_arp(&u);

	if (why)
		return why;
	if (l->mac_len != PKT_ETH_ALEN)
		return "has no Ethernet address";
	if (!gnl_link_is_oper_up(l))
		return "has no carrier (operationally down)";
	if (l->slave_kind == GNL_KIND_BOND)
		return "is a bond's slave (send on the bond)";
	return NULL;
}

static int send_start(struct sender *s, uint64_t now)
{
	struct engine_policy_source policy = { .get = send_policy,
					       .userdata = s,
					       .ipv6_router = send_ipv6_router };
	int r;

	r = engine_new(&s->e, &policy, now);
	if (r < 0)
		return r;
	engine_link(s->e, now, &s->link, 0);
	for (size_t i = 0; i < s->n; i++)
		engine_addr(s->e, now, &s->t[i].ga, false);
	for (size_t i = 0; i < s->n; i++) {
		char b[GARP_ADDR_STRLEN];

		/* what `garpctl announce --sequence` asks of the daemon */
		r = engine_announce(s->e, now, s->link.ifindex, &s->t[i].addr,
				    ENGINE_ANNOUNCE_SEQUENCE);
		if (r == 1)
			continue;
		garp_addr_to_str(&s->t[i].addr, b);
		if (r == -ENETDOWN || r == -ENODEV)
			fprintf(stderr, "garpctl send: %s: %s, not sending ARP\n", s->ifname,
				r == -ENETDOWN ? "has no carrier" : "cannot send ARP");
		else
			fprintf(stderr, "garpctl send: %s: cannot be announced on %s\n", b,
				s->ifname);
		return -EINVAL;
	}
	return 0;
}

int garpctl_send(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	struct sender s = { .seq = CFG_SEQUENCE_INIT, .pkt_fd = -1, .nd_fd = -1 };
	struct send_io io = { .timer_fd = -1, .armed = ENGINE_NO_DEADLINE };
	struct garp_addr *addrs = NULL;
	struct garp_addr *nb = NULL;
	size_t n_addrs = 0;
	const char *why;
	bool missing = false;
	int r, ret = GARPCTL_EXIT_FAILURE;

	(void)ctx;
	addrs = calloc(ADDRS_MAX, sizeof(*addrs));
	nb = calloc(CFG_REFRESH_NEIGHBOURS_MAX, sizeof(*nb));
	if (!addrs || !nb)
		goto oom;
	r = parse_args(argc, argv, &s.seq, &s.ifname, &s.force, addrs, &n_addrs, nb);
	if (r != 0) {
		ret = r > 0 ? GARPCTL_EXIT_OK : GARPCTL_EXIT_USAGE;
		goto out;
	}
	send_sequence_oneshot(&s.seq);
	s.listen = !s.force && s.seq.probes > 0;
	s.t = calloc(n_addrs, sizeof(*s.t));
	if (!s.t)
		goto oom;
	for (size_t i = 0; i < n_addrs; i++)
		s.t[i].addr = addrs[i];
	s.n = n_addrs;

	/* One dump: the interface and which of the addresses it has. */
	r = gnl_new(&io.gnl, NULL);
	if (r == 0) {
		io.n_gnl_fds = gnl_get_fds(io.gnl, io.gnl_fds);
		r = nl_sync(&io, &s);
	}
	if (r >= 0)
		r = nl_wait_carrier(&io, &s);
	if (r < 0) {
		fprintf(stderr, "garpctl send: reading the interfaces (netlink): %s\n",
			strerror(-r));
		goto out;
	}
	if (!s.have_link) {
		fprintf(stderr, "garpctl send: %s: no such interface\n", s.ifname);
		ret = GARPCTL_EXIT_USAGE;
		goto out;
	}
	why = link_refusal(&s.link);
	if (why) {
		fprintf(stderr, "garpctl send: %s: %s, not sending ARP\n", s.ifname, why);
		ret = GARPCTL_EXIT_USAGE;
		goto out;
	}
	send_resolve(&s);

	/* All or nothing: one address that is not ours and no frame goes out. */
	for (size_t i = 0; i < s.n && !s.force; i++) {
		char a[GARP_ADDR_STRLEN];

		if (s.t[i].configured)
			continue;
		garp_addr_to_str(&s.t[i].addr, a);
		fprintf(stderr,
			"garpctl send: %s is not configured on %s (use --force to send anyway)\n",
			a, s.ifname);
		missing = true;
	}
	if (missing)
		goto out;
	/* IPv6: never advertised before the kernel's DAD passed (--force or not) */
	for (size_t i = 0; i < s.n; i++) {
		const char *state = send_dad_refusal(&s.t[i]);
		char a[GARP_ADDR_STRLEN];

		if (!state)
			continue;
		fprintf(stderr, "garpctl send: %s on %s is %s, not advertising it\n",
			garp_addr_to_str(&s.t[i].addr, a), s.ifname, state);
		missing = true;
	}
	if (missing)
		goto out;

	r = pkt_socket_open(&s.pkt_fd);
	if (r < 0) {
		if (r == -EPERM || r == -EACCES)
			fprintf(stderr,
				"garpctl send: opening the packet socket needs CAP_NET_RAW "
				"(run as root): %s\n",
				strerror(-r));
		else
			fprintf(stderr, "garpctl send: opening the packet socket: %s\n",
				strerror(-r));
		goto out;
	}
	if (send_any_v6(&s)) {
		r = pkt_socket_open_nd(&s.nd_fd);
		if (r < 0) {
			fprintf(stderr, "garpctl send: opening the IPv6 packet socket: %s\n",
				strerror(-r));
			goto out;
		}
	}
	io.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (io.timer_fd < 0) {
		fprintf(stderr, "garpctl send: timerfd: %s\n", strerror(errno));
		goto out;
	}

	r = send_start(&s, util_now_ns());
	if (r == -ENOMEM)
		goto oom;
	if (r < 0) {
		ret = GARPCTL_EXIT_USAGE;
		goto out;
	}
	r = send_loop(&io, &s);
	if (r > 0)
		goto out; /* printed */
	if (r < 0) {
		ret = send_failed(s.ifname, r);
		goto out;
	}
	ret = send_report(&s);
	goto out;
oom:
	fprintf(stderr, "garpctl send: %s\n", strerror(ENOMEM));
out:
	engine_free(s.e);
	gnl_free(io.gnl);
	if (s.pkt_fd >= 0)
		close(s.pkt_fd);
	if (s.nd_fd >= 0)
		close(s.nd_fd);
	if (io.timer_fd >= 0)
		close(io.timer_fd);
	free(s.t);
	free(s.neigh);
	free(s.hops);
	free(addrs);
	free(nb);
	return ret;
}
