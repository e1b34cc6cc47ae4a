/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_send: the raw limit, and the flooder of the idle benchmark.
 *
 *   bench_send limit IFACE[,IFACE...] BASE N PROFILE [BATCH]
 *       Builds, before timing anything, the frames garpd would send for the
 *       N addresses BASE, BASE+1, ... (PROFILE win8: three probes then one
 *       announcement each; immediate: one announcement each; 60 bytes,
 *       the same fields as packet/; address i on the (i mod L)-th of the L
 *       interfaces), then sends them all with sendmmsg() in batches of BATCH
 *       (default 64, as garpd) over one unbound AF_PACKET socket, each
 *       message addressed with a sockaddr_ll, as garpd does. Prints "frames=F cpu_ns=C wall_ns=W"
 * (CPU time of the sending loop only: CLOCK_PROCESS_CPUTIME_ID).
 *
 *   bench_send limit IFACE[,IFACE...] BASE N PROFILE BATCH SCHEDULE
 *       The paced limit: the same frames, sent on a schedule instead of
 *       back to back. SCHEDULE is a file of "OFFSET_NS COUNT" lines (the
 *       bursts in which garpd's frames reached the observer, from its
 *       capture): COUNT frames are sent, in sendmmsg() batches of BATCH,
 *       at OFFSET_NS after the start (clock_nanosleep, TIMER_ABSTIME). The
 *       counts must add up to the frames. CPU time covers the whole run:
 *       what waking up for each burst costs is the point.
 *
 *   bench_send flood IFACE RATE SECONDS
 *       Sends RATE unrelated ARP requests per second (who-has 10.251.x.y
 *       tell 10.250.x.y, from 02:00:00:00:fe:01) for SECONDS, in batches
 *       every millisecond. Prints "frames=F".
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 60
#define MAXBATCH 1024

#define MAXLINKS 64

struct frame {
	uint8_t b[FRAME];
	int ifindex; /* 0: the socket is bound */
};

static uint64_t ts_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void arp(struct frame *f, const uint8_t mac[6], uint16_t op, uint32_t spa,
		const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *b = f->b;

	memset(b, 0, FRAME);
	memset(b, 0xff, 6);
	memcpy(b + 6, mac, 6);
	b[12] = 0x08, b[13] = 0x06;
	b[14] = 0, b[15] = 1, b[16] = 0x08, b[17] = 0, b[18] = 6, b[19] = 4;
	b[20] = (uint8_t)(op >> 8), b[21] = (uint8_t)op;
	memcpy(b + 22, mac, 6);
	memcpy(b + 28, &spa, 4);
	memcpy(b + 32, tha, 6);
	memcpy(b + 38, &tpa, 4);
}

static int open_bound(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	unsigned int ifindex = if_nametoindex(ifname);
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (!ifindex || fd < 0) {
		fprintf(stderr, "bench_send: %s: %s\n", ifname, strerror(errno));
		exit(1);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("bench_send: SIOCGIFHWADDR");
		exit(1);
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	/* Protocol 0: this socket receives nothing. */
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)ifindex };
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bench_send: bind");
		exit(1);
	}
	return fd;
}

static int send_all(int fd, struct frame *fr, size_t n, size_t batch)
{
	static struct mmsghdr msg[MAXBATCH];
	static struct iovec iov[MAXBATCH];
	static struct sockaddr_ll sll[MAXBATCH];
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < batch ? n - done : batch;
		int r;

		for (size_t i = 0; i < k; i++) {
			iov[i].iov_base = fr[done + i].b;
			iov[i].iov_len = FRAME;
			memset(&msg[i], 0, sizeof(msg[i]));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			if (fr[done + i].ifindex) {
				sll[i] = (struct sockaddr_ll){
					.sll_family = AF_PACKET,
					.sll_protocol = htons(ETH_P_ARP),
					.sll_ifindex = fr[done + i].ifindex,
					.sll_halen = 6,
				};
				memset(sll[i].sll_addr, 0xff, 6);
				msg[i].msg_hdr.msg_name = &sll[i];
				msg[i].msg_hdr.msg_namelen = sizeof(sll[i]);
			}
		}
		r = sendmmsg(fd, msg, (unsigned int)k, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("bench_send: sendmmsg");
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

struct burst {
	uint64_t offset_ns;
	size_t count;
};

/* "OFFSET_NS COUNT" per line, offsets not decreasing, counts adding up to @total. */
static int read_schedule(const char *path, size_t total, struct burst **ret, size_t *ret_n)
{
	FILE *f = fopen(path, "re");
	struct burst *b = NULL;
	size_t n = 0, cap = 0, sum = 0;
	unsigned long long off, cnt, last = 0;
	int r = -1;

	if (!f) {
		fprintf(stderr, "bench_send: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fscanf(f, "%llu %llu", &off, &cnt) == 2) {
		if (off < last || !cnt || cnt > total - sum)
			goto out;
		if (n == cap) {
			struct burst *p = realloc(b, (cap = cap ? 2 * cap : 256) * sizeof(*b));

			if (!p)
				goto out;
			b = p;
		}
		b[n++] = (struct burst){ .offset_ns = off, .count = (size_t)cnt };
		sum += (size_t)cnt;
		last = off;
	}
	if (feof(f) && sum == total)
		r = 0;
out:
	fclose(f);
	if (r < 0) {
		fprintf(stderr, "bench_send: %s: not a schedule for %zu frames\n", path, total);
		free(b);
		return -1;
	}
	*ret = b;
	*ret_n = n;
	return 0;
}

static int limit(int argc, char **argv)
{
	static const uint8_t zero[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct in_addr base;
	uint8_t mac[6], macs[MAXLINKS][6];
	int ifx[MAXLINKS];
	unsigned long n, batch = 64;
	size_t k, nf = 0;
	struct frame *fr;
	int fd;

	if (argc < 6 || argc > 8 || inet_pton(AF_INET, argv[3], &base) != 1)
		return 2;
	n = strtoul(argv[4], NULL, 0);
	if (!strcmp(argv[5], "win8"))
		k = 4;
	else if (!strcmp(argv[5], "immediate"))
		k = 1;
	else
		return 2;
	if (argc >= 7)
		batch = strtoul(argv[6], NULL, 0);
	if (!batch || batch > MAXBATCH)
		return 2;
	char *names = strdup(argv[2]), *save = NULL;
	size_t nl = 0;
	for (char *t = strtok_r(names, ",", &save); t && nl < MAXLINKS;
	     t = strtok_r(NULL, ",", &save)) {
		fd = open_bound(t, macs[nl]);
		close(fd);
		ifx[nl++] = (int)if_nametoindex(t);
	}
	free(names);
	if (!nl)
		return 2;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	fr = calloc(n * k, sizeof(*fr));
	if (!fr || fd < 0)
		return 1;
	(void)mac;
	/* garpd's order: every address's probes by round, then the announcements. */
	for (size_t round = 0; round < k; round++)
		for (unsigned long i = 0; i < n; i++) {
			uint32_t a = htonl(ntohl(base.s_addr) + (uint32_t)i);

			fr[nf].ifindex = ifx[i % nl];
			if (round + 1 < k)
				arp(&fr[nf++], macs[i % nl], 1, 0, zero, a);
			else
				arp(&fr[nf++], macs[i % nl], 1, a, bcast, a);
		}

	struct burst *bursts = NULL;
	size_t nb = 0;
	if (argc == 8 && read_schedule(argv[7], nf, &bursts, &nb) < 0)
		return 2;

	uint64_t c0 = ts_ns(CLOCK_PROCESS_CPUTIME_ID), w0 = ts_ns(CLOCK_MONOTONIC);
	if (!bursts) {
		if (send_all(fd, fr, nf, batch) < 0)
			return 1;
	} else {
		size_t done = 0;

		for (size_t i = 0; i < nb; i++) {
			uint64_t t = w0 + bursts[i].offset_ns;
			struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ULL),
					       .tv_nsec = (long)(t % 1000000000ULL) };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
			if (send_all(fd, fr + done, bursts[i].count, batch) < 0)
				return 1;
			done += bursts[i].count;
		}
		free(bursts);
	}
	uint64_t c1 = ts_ns(CLOCK_PROCESS_CPUTIME_ID), w1 = ts_ns(CLOCK_MONOTONIC);

	printf("frames=%zu cpu_ns=%llu wall_ns=%llu\n", nf, (unsigned long long)(c1 - c0),
	       (unsigned long long)(w1 - w0));
	free(fr);
	return 0;
}

static int flood(int argc, char **argv)
{
	static const uint8_t zero[6];
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0xfe, 0x01 };
	static struct frame fr[MAXBATCH];
	unsigned long rate, secs, sent = 0;
	uint8_t mac[6];
	int fd;

	if (argc != 5)
		return 2;
	rate = strtoul(argv[3], NULL, 0);
	secs = strtoul(argv[4], NULL, 0);
	if (!rate || rate > 1000UL * MAXBATCH)
		return 2;
	fd = open_bound(argv[2], mac);

	uint64_t start = ts_ns(CLOCK_MONOTONIC), total = rate * secs;
	for (uint64_t ms = 1; sent < total; ms++) {
		uint64_t due = rate * ms / 1000, k = due > total ? total - sent : due - sent;
		struct timespec t = { .tv_sec = (time_t)((start + ms * 1000000) / 1000000000ULL),
				      .tv_nsec = (long)((start + ms * 1000000) % 1000000000ULL) };

		for (uint64_t i = 0; i < k; i++) {
			uint32_t s = htonl(0x0afa0000u | (uint32_t)((sent + i) & 0xffff));
			uint32_t d = htonl(0x0afb0000u | (uint32_t)((sent + i) * 7 & 0xffff));

			arp(&fr[i], src, 1, s, zero, d);
		}
		if (k && send_all(fd, fr, k, k) < 0)
			return 1;
		sent += k;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
	}
	printf("frames=%lu\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;

	if (argc > 1 && !strcmp(argv[1], "limit"))
		r = limit(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "flood"))
		r = flood(argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: bench_send limit IFACE[,IFACE...] BASE N win8|immediate "
				"[BATCH [SCHEDULE]]\n"
				"       bench_send flood IFACE RATE SECONDS\n");
	return r;
}
