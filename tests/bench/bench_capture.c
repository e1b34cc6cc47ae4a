/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_capture: the benchmark's observer. Records every ARP frame one
 * interface receives, with its kernel timestamp, as fixed-size binary
 * records, lean enough for 400,000 frames in a few seconds:
 *
 *   ip netns exec NS bench_capture -o FILE [-c COUNT] [-t TIMEOUT_MS]
 *                                  [-b RCVBUF_BYTES] IFACE|any
 *
 * One AF_PACKET socket bound to IFACE (or to every interface of the
 * namespace with "any") for ETH_P_ARP, SO_TIMESTAMPNS
 * (CLOCK_REALTIME, stamped by the kernel on arrival), SO_RCVBUFFORCE to
 * RCVBUF_BYTES (default 256M), read with recvmmsg(). Records are kept in
 * memory and written to FILE at the end (struct bench_rec below, native
 * byte order, addresses as on the wire). "ready" goes to stderr once the
 * socket is bound; at the end "stats packets=N drops=M frames=K" where
 * packets/drops are PACKET_STATISTICS since the socket was opened: a run
 * with drops > 0 is invalid. Stops after COUNT frames, after TIMEOUT_MS
 * (default 60 s), or on SIGTERM/SIGINT. Exits 0, 1 on an error, 2 on usage.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* 24 bytes; the Python side reads it with struct "<QIIHBB4s". */
struct bench_rec {
	uint64_t ts_ns; /* kernel receive time, CLOCK_REALTIME */
	uint32_t spa;	/* as on the wire (network order) */
	uint32_t tpa;
	uint16_t op;	/* host order */
	uint8_t tha0;	/* first byte of THA */
	uint8_t len;	/* frame length, capped at 255 */
	uint8_t sha[4]; /* last four bytes of SHA */
};

#define VLEN 256
#define SNAP 64

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_capture -o FILE [-c COUNT] [-t TIMEOUT_MS] [-b RCVBUF] IFACE\n");
	exit(2);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	unsigned long count = 0, timeout_ms = 60000, rcvbuf = 256UL << 20;
	const char *out = NULL;
	struct bench_rec *recs = NULL;
	size_t n = 0, cap = 0;
	int c, fd, sfd, one = 1, rb;
	unsigned int ifindex;
	sigset_t mask;

	while ((c = getopt(argc, argv, "o:c:t:b:")) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'c':
			count = strtoul(optarg, NULL, 0);
			break;
		case 't':
			timeout_ms = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			rcvbuf = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!out || optind + 1 != argc)
		usage();
	ifindex = strcmp(argv[optind], "any") ? if_nametoindex(argv[optind]) : 0;
	if (!ifindex && strcmp(argv[optind], "any")) {
		fprintf(stderr, "bench_capture: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	/* Protocol 0 until bound: nothing is queued from other interfaces. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0 || sfd < 0) {
		perror("bench_capture: socket");
		return 1;
	}
	rb = rcvbuf > INT32_MAX / 2 ? INT32_MAX / 2 : (int)rcvbuf;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		perror("bench_capture: setsockopt");
		return 1;
	}
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = (int)ifindex,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bench_capture: bind");
		return 1;
	}
	fprintf(stderr, "ready\n");

	static uint8_t bufs[VLEN][SNAP];
	static uint8_t ctl[VLEN][CMSG_SPACE(sizeof(struct timespec))];
	struct mmsghdr msgs[VLEN];
	struct iovec iov[VLEN];
	uint64_t end = now_ms() + timeout_ms;
	int stop = 0;

	while (!stop && (!count || n < count)) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		uint64_t t = now_ms();
		int r;

		if (t >= end)
			break;
		r = poll(p, 2, (int)(end - t));
		if (r < 0 && errno != EINTR) {
			perror("bench_capture: poll");
			return 1;
		}
		if (p[1].revents)
			stop = 1;
		if (!(p[0].revents & POLLIN))
			continue;
		for (;;) {
			for (int i = 0; i < VLEN; i++) {
				iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = SNAP };
				msgs[i].msg_hdr = (struct msghdr){
					.msg_iov = &iov[i],
					.msg_iovlen = 1,
					.msg_control = ctl[i],
					.msg_controllen = sizeof(ctl[i]),
				};
			}
			r = recvmmsg(fd, msgs, VLEN, MSG_DONTWAIT, NULL);
			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				perror("bench_capture: recvmmsg");
				return 1;
			}
			if (cap < n + (size_t)r) {
				cap = cap ? cap * 2 : 65536;
				recs = realloc(recs, cap * sizeof(*recs));
				if (!recs) {
					perror("bench_capture: realloc");
					return 1;
				}
			}
			for (int i = 0; i < r; i++) {
				const uint8_t *b = bufs[i];
				size_t len = msgs[i].msg_len;
				struct bench_rec *rec = &recs[n];
				struct cmsghdr *cm;

				if (len < 42 || b[12] != 0x08 || b[13] != 0x06)
					continue;
				memset(rec, 0, sizeof(*rec));
				for (cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm;
				     cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm)) {
					if (cm->cmsg_level == SOL_SOCKET &&
					    cm->cmsg_type == SCM_TIMESTAMPNS) {
						struct timespec ts;

						memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
						rec->ts_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
							     (uint64_t)ts.tv_nsec;
					}
				}
				rec->op = (uint16_t)(b[20] << 8 | b[21]);
				memcpy(rec->sha, b + 24, 4);
				memcpy(&rec->spa, b + 28, 4);
				rec->tha0 = b[32];
				memcpy(&rec->tpa, b + 38, 4);
				rec->len = len > 255 ? 255 : (uint8_t)len;
				n++;
			}
			if (r < VLEN || (count && n >= count))
				break;
		}
	}

	struct tpacket_stats st = { 0 };
	socklen_t sl = sizeof(st);

	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	FILE *f = fopen(out, "wb");
	if (!f || (n && fwrite(recs, sizeof(*recs), n, f) != n) || fclose(f) != 0) {
		perror("bench_capture: write");
		return 1;
	}
	fprintf(stderr, "stats packets=%u drops=%u frames=%zu\n", st.tp_packets, st.tp_drops, n);
	free(recs);
	return 0;
}
