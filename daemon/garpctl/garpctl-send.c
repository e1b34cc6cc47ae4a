/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpctl send: the announcement sequence for some addresses, once, from the
 * command line -- what keepalived and pacemaker notify scripts run instead
 * of send_arp or arping -U. All addresses run their sequences at the same
 * time, on one merged schedule.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "garp-config.h"
#include "garp-netlink.h"
#include "garp-packet.h"
#include "garpctl.h"
#include "util.h"

#define ADDRS_MAX 1024
/* Room for one part of a dump: the kernel fills at most 32 KiB per recv(). */
#define DUMP_BUF_SIZE (64 * 1024)
/* A dump the address list changed under is read again, this many times. */
#define DUMP_TRIES 5
#define DUMP_TIMEOUT_MS 5000

size_t garpctl_schedule_len(const struct cfg_sequence *seq)
{
	size_t per_announcement = seq->frames == CFG_FRAMES_BOTH ? 2 : 1;

	return seq->probes + (size_t)seq->announcements * per_announcement;
}

/* @a * @b + @c, or -ERANGE. */
static int mul_add(uint64_t a, uint64_t b, uint64_t c, uint64_t *ret)
{
	uint64_t m;

	if (__builtin_mul_overflow(a, b, &m) || __builtin_add_overflow(m, c, ret))
		return -ERANGE;
	return 0;
}

int garpctl_schedule(const struct cfg_sequence *seq, size_t n_addrs, struct garpctl_slot *ret,
		     size_t n)
{
	enum garpctl_frame announce[2];
	size_t n_announce = 0, k = 0;
	uint64_t first = 0;

	if (n_addrs && garpctl_schedule_len(seq) > n / n_addrs)
		return -ENOBUFS;
	if (seq->frames != CFG_FRAMES_REPLY)
		announce[n_announce++] = GARPCTL_FRAME_REQUEST;
	if (seq->frames != CFG_FRAMES_REQUEST)
		announce[n_announce++] = GARPCTL_FRAME_REPLY;

	for (uint32_t i = 0; i < seq->probes; i++) {
		uint64_t at;

		if (mul_add(i, seq->probe_interval_ns, 0, &at) < 0)
			return -ERANGE;
		for (size_t a = 0; a < n_addrs; a++)
			ret[k++] = (struct garpctl_slot){at, a, GARPCTL_FRAME_PROBE};
	}
	/* The pause is counted from the last probe; without probes, announce at once. */
	if (seq->probes > 0 &&
	    mul_add(seq->probes - 1, seq->probe_interval_ns, seq->announce_delay_ns, &first) < 0)
		return -ERANGE;
	for (uint32_t j = 0; j < seq->announcements; j++) {
		uint64_t at;

		if (mul_add(j, seq->announce_interval_ns, first, &at) < 0)
			return -ERANGE;
		for (size_t f = 0; f < n_announce; f++)
			for (size_t a = 0; a < n_addrs; a++)
				ret[k++] = (struct garpctl_slot){at, a, announce[f]};
	}
	return (int)k;
}

/*
 * Which addresses the kernel has on the interface: an RTM_GETADDR dump. The
 * framing is checked here; each RTM_NEWADDR is read by netlink/'s
 * gnl_parse_addr(), the daemon's own bounds-checked parser.
 */

/* One RTM_NEWADDR of the dump: mark the address when it is ours. */
static int addr_msg_parse(struct garpctl_addr_dump *d, const struct nlmsghdr *nlh)
{
	struct ifaddrmsg ifa;
	struct gnl_addr a;
	int r;

	/* Other interfaces' and families' addresses are not ours to judge: skip them unread. */
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ifa)))
		return -EBADMSG;
	memcpy(&ifa, NLMSG_DATA(nlh), sizeof(ifa));
	if (ifa.ifa_family != AF_INET || (int)ifa.ifa_index != d->ifindex)
		return 0;
	r = gnl_parse_addr(nlh, &a);
	if (r == -ENOENT)
		return 0; /* no address in it */
	if (r < 0)
		return r;
	/* gnl_parse_addr() takes IFA_LOCAL, the peer's IFA_ADDRESS only without it. */
	for (size_t i = 0; i < d->n_addrs; i++)
		if (d->addrs[i].s_addr == a.addr.v4.s_addr)
			d->seen[i] = true;
	return 0;
}

int garpctl_addr_dump_parse(struct garpctl_addr_dump *d, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t rem = len;

	while (rem > 0) {
		struct nlmsghdr h;
		const struct nlmsghdr *msg = (const struct nlmsghdr *)p;
		const uint8_t *payload;
		size_t plen, step;
		int r, err;

		if (rem < sizeof(h))
			return -EBADMSG;
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > rem)
			return -EBADMSG;
		payload = p + NLMSG_HDRLEN;
		plen = h.nlmsg_len - NLMSG_HDRLEN;
		step = NLMSG_ALIGN(h.nlmsg_len);
		if (step > rem)
			step = rem;
		p += step;
		rem -= step;

		if (h.nlmsg_pid != d->portid || h.nlmsg_seq != d->seq)
			continue; /* not an answer to our request */
		if (h.nlmsg_flags & NLM_F_DUMP_INTR)
			d->interrupted = true;
		switch (h.nlmsg_type) {
		case NLMSG_DONE:
			/* Its payload, when there is one, is the dump's error. */
			if (plen >= sizeof(err)) {
				memcpy(&err, payload, sizeof(err));
				if (err < 0)
					return err;
			}
			return 1;
		case NLMSG_ERROR:
			if (plen < sizeof(err))
				return -EBADMSG;
			memcpy(&err, payload, sizeof(err));
			/* An acknowledgement does not end a dump. */
			return err < 0 ? err : -EPROTO;
		case RTM_NEWADDR:
			r = addr_msg_parse(d, msg);
			if (r < 0)
				return r;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Ask the kernel once for @d->ifindex's IPv4 addresses and read the answer. */
static int addr_dump_once(struct garpctl_addr_dump *d, uint8_t *buf)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	socklen_t salen = sizeof(sa);
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req = {
		.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		.h.nlmsg_type = RTM_GETADDR,
		.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		/* Kernels without strict checking ignore the index: filtered here too. */
		.ifa.ifa_family = AF_INET,
		.ifa.ifa_index = (unsigned int)d->ifindex,
	};
	int fd, r;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		r = -errno;
		goto out;
	}
	d->portid = sa.nl_pid;
	d->seq = (uint32_t)util_now_ns();
	d->interrupted = false;
	for (size_t i = 0; i < d->n_addrs; i++)
		d->seen[i] = false;
	req.h.nlmsg_seq = d->seq;
	req.h.nlmsg_pid = d->portid;
	sa = (struct sockaddr_nl){.nl_family = AF_NETLINK}; /* to the kernel */
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	do {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct iovec iov = {.iov_base = buf, .iov_len = DUMP_BUF_SIZE};
		struct msghdr msg = {
			.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n;

		r = poll(&pfd, 1, DUMP_TIMEOUT_MS);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0) {
			r = -errno;
			break;
		}
		if (r == 0) {
			r = -ETIMEDOUT;
			break;
		}
		n = recvmsg(fd, &msg, 0);
		if (n < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			r = -EMSGSIZE;
			break;
		}
		/* Only the kernel speaks for the kernel. */
		if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0) {
			r = 0;
			continue;
		}
		r = garpctl_addr_dump_parse(d, buf, (size_t)n);
	} while (r == 0);
	if (r == 1)
		r = d->interrupted ? -EINTR : 0;
out:
	close(fd);
	return r;
}

/*
 * Fill @seen for @addrs on @ifindex, from a consistent dump.
 * Return: 0, -EAGAIN when the list kept changing, or a negative errno.
 */
static int addrs_configured(int ifindex, const struct in_addr *addrs, size_t n_addrs, bool *seen)
{
	struct garpctl_addr_dump d = {
		.ifindex = ifindex, .addrs = addrs, .n_addrs = n_addrs, .seen = seen};
	uint8_t *buf = malloc(DUMP_BUF_SIZE);
	int r = -EAGAIN;

	if (!buf)
		return -ENOMEM;
	for (int i = 0; i < DUMP_TRIES && r == -EAGAIN; i++) {
		r = addr_dump_once(&d, buf);
		if (r == -EINTR)
			r = -EAGAIN;
	}
	free(buf);
	return r;
}

/*
 * garpctl send announces only addresses the host owns (DESIGN.md: an
 * announcement for an address that is not ours poisons every cache on the
 * segment): one line for each address of @addrs not configured on @link,
 * worded for before the first frame or, when @started, mid-sequence.
 * Return: 0 when all are, -ENOENT when one is not, or a negative errno;
 * every failure is printed.
 */
static int check_owned(const struct util_link *link, const struct in_addr *addrs, size_t n_addrs,
		       bool *seen, bool started)
{
	int r = addrs_configured(link->ifindex, addrs, n_addrs, seen);

	if (r < 0) {
		fprintf(stderr, "garpctl send: %s: reading its addresses: %s\n", link->name,
			r == -EAGAIN ? "the list kept changing" : strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n_addrs; i++) {
		char a[INET_ADDRSTRLEN];

		if (seen[i])
			continue;
		inet_ntop(AF_INET, &addrs[i], a, sizeof(a));
		if (started)
			fprintf(stderr,
				"garpctl send: %s is no longer configured on %s, not announcing it\n",
				a, link->name);
		else
			fprintf(stderr,
				"garpctl send: %s is not configured on %s "
				"(use --force to send anyway)\n",
				a, link->name);
		r = -ENOENT;
	}
	return r;
}

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

static void send_help(void)
{
	printf("Usage: garpctl send -i IFACE [OPTION]... ADDRESS...\n"
	       "Send the gratuitous ARP sequence for each IPv4 ADDRESS out of IFACE,\n"
	       "all addresses at the same time; by default 3 probes 1 s apart, then\n"
	       "one announcement 1 s after the last probe. Every ADDRESS must be\n"
	       "configured on IFACE, or nothing is sent (unless --force).\n"
	       "\n"
	       "  -i, --interface IFACE        the Ethernet interface to send on\n"
	       "      --probes N               ARP probes before announcing (0-%d, default 3)\n"
	       "      --probe-interval DUR     between probes (default 1s)\n"
	       "      --announce-delay DUR     from the last probe to the announcement (default 1s)\n"
	       "      --announcements N        announcements (0-%d, default 1)\n"
	       "      --announce-interval DUR  between announcements (default 1s)\n"
	       "      --frames request|reply|both  announcement form (default request)\n"
	       "      --target-mac broadcast|zero  THA of the request form (default broadcast)\n"
	       "  -f, --force                  send even for an ADDRESS not configured on IFACE\n"
	       "  -h, --help                   this help\n"
	       "\n"
	       "DUR is an integer with a unit: 250ms, 1s, 2m (no unit: seconds).\n"
	       "Exit status: 0 all sent, 1 a send failed or an ADDRESS is not configured\n"
	       "on IFACE, 2 bad usage or input.\n",
	       GARPCTL_PROBES_MAX, GARPCTL_ANNOUNCEMENTS_MAX);
}

enum {
	OPT_PROBES = 0x100,
	OPT_PROBE_INTERVAL,
	OPT_ANNOUNCE_DELAY,
	OPT_ANNOUNCEMENTS,
	OPT_ANNOUNCE_INTERVAL,
	OPT_FRAMES,
	OPT_TARGET_MAC,
};

static const struct option send_options[] = {
	{"interface", required_argument, NULL, 'i'},
	{"probes", required_argument, NULL, OPT_PROBES},
	{"probe-interval", required_argument, NULL, OPT_PROBE_INTERVAL},
	{"announce-delay", required_argument, NULL, OPT_ANNOUNCE_DELAY},
	{"announcements", required_argument, NULL, OPT_ANNOUNCEMENTS},
	{"announce-interval", required_argument, NULL, OPT_ANNOUNCE_INTERVAL},
	{"frames", required_argument, NULL, OPT_FRAMES},
	{"target-mac", required_argument, NULL, OPT_TARGET_MAC},
	{"force", no_argument, NULL, 'f'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static const char *option_name(int c)
{
	for (const struct option *o = send_options; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

static int parse_count(int c, const char *arg, uint32_t max, uint32_t *ret)
{
	uint64_t v;
	char range[32];

	if (util_parse_uint(arg, max, &v) < 0) {
		snprintf(range, sizeof(range), "from 0 to %u", max);
		fprintf(stderr, "garpctl send: --%s: expected a number %s, got \"%s\"\n",
			option_name(c), range, arg);
		return -EINVAL;
	}
	*ret = (uint32_t)v;
	return 0;
}

static int parse_dur(int c, const char *arg, uint64_t *ret)
{
	uint64_t v;
	int r = cfg_parse_duration(arg, &v);

	if (r == 0 && v > GARPCTL_DURATION_MAX)
		r = -ERANGE;
	if (r < 0) {
		fprintf(stderr,
			"garpctl send: --%s: expected a duration like 250ms or 1s (at most 1h), "
			"got \"%s\"\n",
			option_name(c), arg);
		return r;
	}
	*ret = v;
	return 0;
}

/* Parse the command line into @seq, @ret_ifname and the addresses. */
static int parse_args(int argc, char **argv, struct cfg_sequence *seq, const char **ret_ifname,
		      bool *ret_force, struct in_addr *addrs, size_t *n_addrs)
{
	const char *ifname = NULL;
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
			if (parse_count(c, optarg, GARPCTL_PROBES_MAX, &seq->probes) < 0)
				return -EINVAL;
			break;
		case OPT_ANNOUNCEMENTS:
			if (parse_count(c, optarg, GARPCTL_ANNOUNCEMENTS_MAX, &seq->announcements) <
			    0)
				return -EINVAL;
			break;
		case OPT_PROBE_INTERVAL:
			if (parse_dur(c, optarg, &seq->probe_interval_ns) < 0)
				return -EINVAL;
			break;
		case OPT_ANNOUNCE_DELAY:
			if (parse_dur(c, optarg, &seq->announce_delay_ns) < 0)
				return -EINVAL;
			break;
		case OPT_ANNOUNCE_INTERVAL:
			if (parse_dur(c, optarg, &seq->announce_interval_ns) < 0)
				return -EINVAL;
			break;
		case OPT_FRAMES:
			if (!strcmp(optarg, "request"))
				seq->frames = CFG_FRAMES_REQUEST;
			else if (!strcmp(optarg, "reply"))
				seq->frames = CFG_FRAMES_REPLY;
			else if (!strcmp(optarg, "both"))
				seq->frames = CFG_FRAMES_BOTH;
			else
				return usage_error("--frames: expected request, reply or both, "
						   "got \"%s\"",
						   optarg);
			break;
		case OPT_TARGET_MAC:
			if (!strcmp(optarg, "broadcast"))
				seq->target_mac = CFG_THA_BROADCAST;
			else if (!strcmp(optarg, "zero"))
				seq->target_mac = CFG_THA_ZERO;
			else
				return usage_error("--target-mac: expected broadcast or zero, "
						   "got \"%s\"",
						   optarg);
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
	if (optind >= argc)
		return usage_error("no address given");

	*n_addrs = 0;
	for (int i = optind; i < argc; i++) {
		struct in_addr a;
		bool dup = false;
		int r = util_parse_ipv4(argv[i], &a);

		if (r == -EAFNOSUPPORT) {
			fprintf(stderr,
				"garpctl send: %s: not an IPv4 address (send announces IPv4 only)\n",
				argv[i]);
			return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "garpctl send: %s: not an IPv4 address\n", argv[i]);
			return -EINVAL;
		}
		for (size_t k = 0; k < *n_addrs; k++)
			dup = dup || addrs[k].s_addr == a.s_addr;
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

/* Build every frame kind for every address once. */
static int build_frames(const struct util_link *link, const struct cfg_sequence *seq,
			const struct in_addr *addrs, size_t n_addrs, struct pkt_frame *ret)
{
	enum pkt_tha tha = seq->target_mac == CFG_THA_ZERO ? PKT_THA_ZERO : PKT_THA_BROADCAST;

	for (size_t a = 0; a < n_addrs; a++) {
		struct pkt_frame *f = &ret[a * _GARPCTL_FRAME_MAX];
		int r;

		r = pkt_build_probe(&f[GARPCTL_FRAME_PROBE], link->mac, addrs[a], PKT_VLAN_NONE);
		if (r == 0)
			r = pkt_build_announce_request(&f[GARPCTL_FRAME_REQUEST], link->mac,
						       addrs[a], tha, PKT_VLAN_NONE);
		if (r == 0)
			r = pkt_build_announce_reply(&f[GARPCTL_FRAME_REPLY], link->mac, addrs[a],
						     PKT_VLAN_NONE);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Send @n frames, waiting (up to a second each time) while the queue is full. */
static int send_all(int fd, const struct pkt_out *out, size_t n)
{
	size_t done = 0;

	while (done < n) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
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

/* What run_schedule() sends, and whether it checks ownership again. */
struct send_plan {
	const struct util_link *link;
	const struct in_addr *addrs;
	size_t n_addrs;
	bool *seen; /* n_addrs, scratch for check_owned(); NULL: --force */
	const struct garpctl_slot *slots;
	size_t n_slots;
	const struct pkt_frame *frames;
	struct pkt_out *out; /* room for the frames of one instant */
};

/*
 * Run the schedule from now on; all frames of one instant go in one batch.
 * Unless forced, every instant that announces first checks again that the
 * addresses are still ours (DESIGN.md: never announce an address no
 * longer configured at the moment of sending); probes carry SPA 0.0.0.0
 * and change no cache, so they go unchecked. Return: 0, -ENOENT (printed),
 * or a negative errno.
 */
static int run_schedule(int fd, const struct send_plan *p)
{
	uint64_t t0 = util_now_ns();

	for (size_t i = 0; i < p->n_slots;) {
		bool announces = false;
		size_t n = 0;
		int r;

		r = util_sleep_until_ns(t0 + p->slots[i].at_ns);
		if (r < 0)
			return r;
		for (uint64_t at = p->slots[i].at_ns; i < p->n_slots && p->slots[i].at_ns == at;
		     i++, n++) {
			const struct garpctl_slot *s = &p->slots[i];

			announces = announces || s->frame != GARPCTL_FRAME_PROBE;
			p->out[n].ifindex = p->link->ifindex;
			p->out[n].frame = p->frames[s->addr * _GARPCTL_FRAME_MAX + s->frame];
		}
		if (announces && p->seen) {
			r = check_owned(p->link, p->addrs, p->n_addrs, p->seen, true);
			if (r < 0)
				return -ENOENT;
		}
		r = send_all(fd, p->out, n);
		if (r < 0)
			return r;
	}
	return 0;
}

int garpctl_send(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	struct cfg_sequence seq = CFG_SEQUENCE_INIT;
	struct in_addr *addrs = NULL;
	struct pkt_frame *frames = NULL;
	struct garpctl_slot *slots = NULL;
	struct pkt_out *out = NULL;
	struct util_link link;
	bool *seen = NULL;
	const char *ifname = NULL, *why;
	size_t n_addrs = 0, n_slots;
	bool force = false;
	int r, fd = -1, ret = GARPCTL_EXIT_FAILURE;

	(void)ctx;
	addrs = calloc(ADDRS_MAX, sizeof(*addrs));
	if (!addrs)
		goto oom;
	r = parse_args(argc, argv, &seq, &ifname, &force, addrs, &n_addrs);
	if (r != 0) {
		ret = r > 0 ? GARPCTL_EXIT_OK : GARPCTL_EXIT_USAGE;
		goto out;
	}

	r = util_link_get(ifname, &link);
	if (r < 0) {
		if (r == -ENODEV || r == -EINVAL)
			fprintf(stderr, "garpctl send: %s: no such interface\n", ifname);
		else
			fprintf(stderr, "garpctl send: %s: %s\n", ifname, strerror(-r));
		ret = GARPCTL_EXIT_USAGE;
		goto out;
	}
	why = util_link_why_not_arp(&link);
	if (why) {
		fprintf(stderr, "garpctl send: %s: %s, not sending ARP\n", ifname, why);
		ret = GARPCTL_EXIT_USAGE;
		goto out;
	}

	n_slots = garpctl_schedule_len(&seq) * n_addrs;
	frames = calloc(n_addrs * _GARPCTL_FRAME_MAX, sizeof(*frames));
	slots = calloc(n_slots ? n_slots : 1, sizeof(*slots));
	out = calloc(n_addrs * 2, sizeof(*out)); /* at most request + reply per address at once */
	seen = calloc(n_addrs, sizeof(*seen));
	if (!frames || !slots || !out || !seen)
		goto oom;
	r = garpctl_schedule(&seq, n_addrs, slots, n_slots);
	if (r < 0) {
		fprintf(stderr, "garpctl send: the sequence is too long: %s\n", strerror(-r));
		ret = GARPCTL_EXIT_USAGE;
		goto out;
	}
	n_slots = (size_t)r;
	r = build_frames(&link, &seq, addrs, n_addrs, frames);
	if (r < 0) {
		fprintf(stderr, "garpctl send: building frames: %s\n", strerror(-r));
		goto out;
	}

	/* All or nothing: one address that is not ours and no frame goes out. */
	if (!force && check_owned(&link, addrs, n_addrs, seen, false) < 0)
		goto out;

	r = pkt_socket_open(&fd);
	if (r < 0) {
		if (r == -EPERM || r == -EACCES)
			fprintf(stderr, "garpctl send: opening the packet socket needs CAP_NET_RAW "
					"(run as root): %s\n",
				strerror(-r));
		else
			fprintf(stderr, "garpctl send: opening the packet socket: %s\n",
				strerror(-r));
		goto out;
	}
	r = run_schedule(fd, &(struct send_plan){
				     .link = &link,
				     .addrs = addrs,
				     .n_addrs = n_addrs,
				     .seen = force ? NULL : seen,
				     .slots = slots,
				     .n_slots = n_slots,
				     .frames = frames,
				     .out = out,
			     });
	if (r == -ENOENT)
		goto out; /* printed */
	if (r < 0) {
		ret = send_failed(ifname, r);
		goto out;
	}
	ret = GARPCTL_EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "garpctl send: %s\n", strerror(ENOMEM));
out:
	if (fd >= 0)
		close(fd);
	free(seen);
	free(out);
	free(slots);
	free(frames);
	free(addrs);
	return ret;
}
