/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns_capture: print the frames one interface receives, with kernel
 * timestamps, for the namespace tests. Runs inside a test's namespace:
 *
 *   ip netns exec NS netns_capture [-c COUNT] [-t TIMEOUT_MS] [-e ETHERTYPE]...
 *                                  [-d in|out|any] IFACE
 *
 * One line per frame on stdout, flushed: "<ts ns> <len> <hex bytes>", the
 * timestamp from SO_TIMESTAMPNS (CLOCK_REALTIME, taken by the kernel when
 * the frame arrived). An 802.1Q tag the driver moved out of the frame is put
 * back, as libpcap does. "ready" goes to stderr once the socket is bound;
 * at the end "stats packets=N drops=M" (PACKET_STATISTICS) goes to stderr.
 * Exits 0 after COUNT matching frames, after TIMEOUT_MS, or on SIGTERM or
 * SIGINT; 1 on an error, 2 on a usage error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ETHERTYPES 8
#define FRAME_MAX 65536

enum direction {
	DIR_ANY,
	DIR_IN,
	DIR_OUT,
};

struct opts {
	unsigned long count; /* 0: no limit */
	long timeout_ms;     /* -1: none */
	uint16_t ethertypes[MAX_ETHERTYPES];
	size_t n_ethertypes;
	enum direction dir;
	const char *ifname;
};

static void usage(void)
{
	fprintf(stderr, "usage: netns_capture [-c COUNT] [-t TIMEOUT_MS] [-e ETHERTYPE]... "
			"[-d in|out|any] IFACE\n");
	exit(2);
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	unsigned long v;
	int c;

	while ((c = getopt(argc, argv, "c:t:e:d:")) != -1) {
		switch (c) {
		case 'c':
			if (parse_ulong(optarg, ULONG_MAX, &o->count) < 0)
				usage();
			break;
		case 't':
			if (parse_ulong(optarg, LONG_MAX, &v) < 0)
				usage();
			o->timeout_ms = (long)v;
			break;
		case 'e':
			if (o->n_ethertypes == MAX_ETHERTYPES ||
			    parse_ulong(optarg, 0xffff, &v) < 0)
				usage();
			o->ethertypes[o->n_ethertypes++] = (uint16_t)v;
			break;
		case 'd':
			if (!strcmp(optarg, "in"))
				o->dir = DIR_IN;
			else if (!strcmp(optarg, "out"))
				o->dir = DIR_OUT;
			else if (!strcmp(optarg, "any"))
				o->dir = DIR_ANY;
			else
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	o->ifname = argv[optind];
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool wanted(const struct opts *o, const uint8_t *frame, size_t len)
{
	uint16_t type;
	size_t off = 12;

	if (o->n_ethertypes == 0)
		return true;
	if (len < off + 2)
		return false;
	type = (uint16_t)(frame[off] << 8 | frame[off + 1]);
	/* Match the type inside one 802.1Q tag too. */
	if ((type == 0x8100 || type == 0x88a8) && len >= off + 6) {
		off += 4;
		type = (uint16_t)(frame[off] << 8 | frame[off + 1]);
	}
	for (size_t i = 0; i < o->n_ethertypes; i++)
		if (o->ethertypes[i] == type)
			return true;
	return false;
}

static int open_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, rcvbuf = 4 << 20;
	int fd;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0) {
		fprintf(stderr, "netns_capture: %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	/* Protocol 0: receive nothing until bound to the one interface. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("netns_capture: socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		perror("netns_capture: setsockopt");
		close(fd);
		return -1;
	}
	/* Best effort: a larger queue only makes drops less likely. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("netns_capture: bind");
		close(fd);
		return -1;
	}
	return fd;
}

/* Receive one frame and print it if wanted; 1 printed, 0 skipped, -1 error. */
static int handle_frame(int fd, const struct opts *o, uint8_t *buf)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec)) +
			 CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct cmsghdr align;
	} control;
	struct sockaddr_ll from;
	/* Room for a tag put back in front of the payload. */
	struct iovec iov = { .iov_base = buf + 4, .iov_len = FRAME_MAX };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct timespec ts = { 0 };
	const struct tpacket_auxdata *aux = NULL;
	uint8_t *frame = buf + 4;
	ssize_t n;
	size_t len;

	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		perror("netns_capture: recvmsg");
		return -1;
	}
	len = (size_t)n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(ts)))
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		else if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
			 c->cmsg_len >= CMSG_LEN(sizeof(*aux)))
			aux = (const struct tpacket_auxdata *)CMSG_DATA(c);
	}
	if (o->dir == DIR_IN && from.sll_pkttype == PACKET_OUTGOING)
		return 0;
	if (o->dir == DIR_OUT && from.sll_pkttype != PACKET_OUTGOING)
		return 0;
	if (aux && (aux->tp_status & TP_STATUS_VLAN_VALID) && len >= 12) {
		uint16_t tpid =
		    (aux->tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux->tp_vlan_tpid : 0x8100;
		uint16_t tci = aux->tp_vlan_tci;

		memmove(buf, frame, 12);
		frame = buf;
		frame[12] = (uint8_t)(tpid >> 8);
		frame[13] = (uint8_t)tpid;
		frame[14] = (uint8_t)(tci >> 8);
		frame[15] = (uint8_t)tci;
		len += 4;
	}
	if (!wanted(o, frame, len))
		return 0;
	printf("%" PRIu64 " %zu ", (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, len);
	for (size_t i = 0; i < len; i++)
		printf("%02x", frame[i]);
	putchar('\n');
	fflush(stdout);
	return 1;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout_ms = -1, .dir = DIR_ANY };
	struct tpacket_stats st = { 0 };
	socklen_t stlen = sizeof(st);
	unsigned long seen = 0;
	uint64_t deadline = 0;
	uint8_t *buf;
	sigset_t mask;
	int fd, sfd, ret = 0;

	parse_opts(argc, argv, &o);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		perror("netns_capture: sigprocmask");
		return 1;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("netns_capture: signalfd");
		return 1;
	}
	buf = malloc(FRAME_MAX + 4);
	if (!buf) {
		perror("netns_capture: malloc");
		return 1;
	}
	fd = open_socket(o.ifname);
	if (fd < 0) {
		free(buf);
		return 1;
	}
	if (o.timeout_ms >= 0)
		deadline = now_ms() + (uint64_t)o.timeout_ms;
	fprintf(stderr, "ready\n");
	fflush(stderr);

	while (o.count == 0 || seen < o.count) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
					 { .fd = sfd, .events = POLLIN } };
		int wait = -1, r;

		if (o.timeout_ms >= 0) {
			uint64_t now = now_ms();

			if (now >= deadline)
				break;
			wait = (int)(deadline - now > INT_MAX ? INT_MAX : deadline - now);
		}
		r = poll(pfd, 2, wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("netns_capture: poll");
			ret = 1;
			break;
		}
		/* Frames first, so none already queued is lost to a SIGTERM. */
		if (pfd[0].revents & POLLIN) {
			r = handle_frame(fd, &o, buf);
			if (r < 0) {
				ret = 1;
				break;
			}
			seen += (unsigned long)r;
			continue;
		}
		if (pfd[1].revents & POLLIN)
			break;
	}

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen) == 0)
		fprintf(stderr, "stats packets=%u drops=%u\n", st.tp_packets, st.tp_drops);
	close(fd);
	close(sfd);
	free(buf);
	return ret;
}
