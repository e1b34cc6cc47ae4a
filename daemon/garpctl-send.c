/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpctl send: the announcement sequence for some addresses, once, from the
 * command line -- what keepalived and pacemaker notify scripts run instead
 * of send_arp or arping -U. All addresses run their sequences at the same
 * time, on one merged schedule.
 */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "garp-config.h"
#include "garp-packet.h"
#include "garpctl.h"
#include "util.h"

#define ADDRS_MAX 1024

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
	       "one announcement 1 s after the last probe.\n"
	       "\n"
	       "  -i, --interface IFACE        the Ethernet interface to send on\n"
	       "      --probes N               ARP probes before announcing (0-%d, default 3)\n"
	       "      --probe-interval DUR     between probes (default 1s)\n"
	       "      --announce-delay DUR     from the last probe to the announcement (default 1s)\n"
	       "      --announcements N        announcements (0-%d, default 1)\n"
	       "      --announce-interval DUR  between announcements (default 1s)\n"
	       "      --frames request|reply|both  announcement form (default request)\n"
	       "      --target-mac broadcast|zero  THA of the request form (default broadcast)\n"
	       "  -h, --help                   this help\n"
	       "\n"
	       "DUR is an integer with a unit: 250ms, 1s, 2m (no unit: seconds).\n"
	       "Exit status: 0 all sent, 1 a send failed, 2 bad usage or input.\n",
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
		      struct in_addr *addrs, size_t *n_addrs)
{
	const char *ifname = NULL;
	int c;

	optind = 0; /* GNU: reinitialise; argv[0] is "send" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:h", send_options, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
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

/* Run the schedule from now on; all frames of one instant go in one batch. */
static int run_schedule(int fd, const struct util_link *link, const struct garpctl_slot *slots,
			size_t n_slots, const struct pkt_frame *frames, struct pkt_out *out)
{
	uint64_t t0 = util_now_ns();

	for (size_t i = 0; i < n_slots;) {
		size_t n = 0;
		int r;

		r = util_sleep_until_ns(t0 + slots[i].at_ns);
		if (r < 0)
			return r;
		for (uint64_t at = slots[i].at_ns; i < n_slots && slots[i].at_ns == at; i++, n++) {
			out[n].ifindex = link->ifindex;
			out[n].frame = frames[slots[i].addr * _GARPCTL_FRAME_MAX + slots[i].frame];
		}
		r = send_all(fd, out, n);
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
	const char *ifname = NULL, *why;
	size_t n_addrs = 0, n_slots;
	int r, fd = -1, ret = GARPCTL_EXIT_FAILURE;

	(void)ctx;
	addrs = calloc(ADDRS_MAX, sizeof(*addrs));
	if (!addrs)
		goto oom;
	r = parse_args(argc, argv, &seq, &ifname, addrs, &n_addrs);
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
	if (!frames || !slots || !out)
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
	r = run_schedule(fd, &link, slots, n_slots, frames, out);
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
	free(out);
	free(slots);
	free(frames);
	free(addrs);
	return ret;
}
