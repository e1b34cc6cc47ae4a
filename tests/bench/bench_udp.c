/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_udp: the convergence scenario's client traffic and its observer.
 *
 *   bench_udp send DST PORT PPS [IFACE]
 *     Sends one 16-byte UDP datagram to DST:PORT (IPv4 or IPv6) every 1/PPS seconds
 *     (absolute CLOCK_MONOTONIC deadlines, unconnected socket, every send
 *     error ignored: while the destination is unresolved the kernel drops
 *     the datagrams, which is what a client does). Runs until SIGTERM or
 *     until its parent exits. With IFACE, SIGUSR1 deletes the neighbour
 *     entry for DST on IFACE (RTM_DELNEIGH) and prints "deleted" on
 *     stdout once the kernel acknowledged it ("deleted error=E" if not):
 *     the benchmark empties many clients' entries at the same instant.
 *
 *   bench_udp observe PORT VIP[,VIP6] TIMEOUT_MS COUNT
 *     The node that takes the address(es) over: a dual-stack UDP socket
 *     bound to [::]:PORT (so the kernel answers no datagram with an ICMP
 *     error) with SO_TIMESTAMPNS, and a netlink socket on
 *     RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR. Prints on stdout, as it
 *     happens:
 *       vip_added ADDR TS the first RTM_NEWADDR for VIP ADDR that is not
 *                         tentative (time it was read; an IPv6 VIP added
 *                         with nodad is usable at once)
 *       first SRC TS      the first datagram from source address SRC
 *                         (kernel receive time; IPv4 sources printed as
 *                         IPv4, not v4-mapped)
 *     TS in ns, CLOCK_REALTIME. "ready" goes to stderr once both sockets
 *     are bound. Stops after COUNT distinct sources, after TIMEOUT_MS, or
 *     on SIGTERM/SIGINT; then "stats datagrams=N sources=M" on stderr.
 *
 * Exits 0, 1 on an error, 2 on usage.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VLEN 64
#define MAX_SOURCES 4096

static void usage(void)
{
	fprintf(stderr, "usage: bench_udp send DST PORT PPS [IFACE]\n"
			"       bench_udp observe PORT VIP[,VIP6] TIMEOUT_MS COUNT\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static volatile sig_atomic_t want_delete;

static void on_usr1(int sig)
{
	(void)sig;
	want_delete = 1;
}

/* An IPv4 or IPv6 address, as the kernel's netlink attributes carry it. */
struct addr {
	int family;
	size_t len;
	unsigned char b[16];
};

static int parse_addr(const char *s, struct addr *a)
{
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		a->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		a->len = 16;
		return 0;
	}
	return -1;
}

/* RTM_DELNEIGH for @dst on @ifindex; 0 or the kernel's errno. */
static int neigh_delete(const struct addr *dst, int ifindex)
{
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		return errno;
	struct {
		struct nlmsghdr nh;
		struct ndmsg ndm;
		struct rtattr rta;
		unsigned char dst[16];
	} req = {
		.nh = { .nlmsg_len =
			    (uint32_t)(NLMSG_LENGTH(sizeof(struct ndmsg)) + RTA_LENGTH(dst->len)),
			.nlmsg_type = RTM_DELNEIGH,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = 1 },
		.ndm = { .ndm_family = (unsigned char)dst->family, .ndm_ifindex = ifindex },
		.rta = { .rta_len = (unsigned short)RTA_LENGTH(dst->len), .rta_type = NDA_DST },
	};
	memcpy(req.dst, dst->b, dst->len);
	int err = EIO;
	if (send(nl, &req, req.nh.nlmsg_len, 0) == (ssize_t)req.nh.nlmsg_len) {
		char buf[1024];
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
		    h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len <= (size_t)n)
			err = -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	close(nl);
	return err;
}

static int cmd_send(int argc, char **argv)
{
	if (argc != 5 && argc != 6)
		usage();
	int ifindex = 0;
	if (argc == 6 && !(ifindex = (int)if_nametoindex(argv[5])))
		usage();
	struct addr to;
	if (parse_addr(argv[2], &to))
		usage();
	uint16_t port = htons((uint16_t)num(argv[3], 1, 65535));
	struct sockaddr_storage dst = { .ss_family = (sa_family_t)to.family };
	socklen_t dlen;
	if (to.family == AF_INET) {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;
		memcpy(&d->sin_addr, to.b, 4);
		d->sin_port = port;
		dlen = sizeof(*d);
	} else {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;
		memcpy(&d->sin6_addr, to.b, 16);
		d->sin6_port = port;
		dlen = sizeof(*d);
	}
	long pps = num(argv[4], 1, 100000);

	/* Started by the benchmark: never outlive it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 0;
	int fd = socket(to.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (ifindex) {
		struct sigaction sa = { .sa_handler = on_usr1 };
		sigaction(SIGUSR1, &sa, NULL);
	}
	uint64_t period = 1000000000u / (uint64_t)pps;
	uint64_t next = now_ns(CLOCK_MONOTONIC);
	uint64_t seq = 0;
	for (;;) {
		if (want_delete) {
			want_delete = 0;
			int err = neigh_delete(&to, ifindex);
			if (err)
				printf("deleted error=%d\n", err);
			else
				printf("deleted\n");
			fflush(stdout);
		}
		char payload[16] = "garpd-bench";
		memcpy(payload + 8, &seq, sizeof(seq));
		seq++;
		(void)sendto(fd, payload, sizeof(payload), MSG_DONTWAIT, (struct sockaddr *)&dst,
			     dlen);
		next += period;
		struct timespec ts = { .tv_sec = (time_t)(next / 1000000000u),
				       .tv_nsec = (long)(next % 1000000000u) };
		/* Late (a loaded machine): skip the missed slots, no burst. */
		if (next < now_ns(CLOCK_MONOTONIC))
			next = now_ns(CLOCK_MONOTONIC);
		else
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
				   EINTR &&
			       !want_delete)
				;
	}
}

/* Is @nlh an RTM_NEWADDR for @vip, not tentative? Bounds from the netlink macros. */
static int is_vip_add(const struct nlmsghdr *nlh, const struct addr *vip)
{
	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return 0;
	const struct ifaddrmsg *ifa = NLMSG_DATA(nlh);
	if (ifa->ifa_family != vip->family || (ifa->ifa_flags & IFA_F_TENTATIVE))
		return 0;
	int len = (int)IFA_PAYLOAD(nlh);
	for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if ((rta->rta_type == IFA_LOCAL || rta->rta_type == IFA_ADDRESS) &&
		    RTA_PAYLOAD(rta) == vip->len && memcmp(RTA_DATA(rta), vip->b, vip->len) == 0)
			return 1;
	}
	return 0;
}

static int cmd_observe(int argc, char **argv)
{
	if (argc != 6)
		usage();
	uint16_t port = (uint16_t)num(argv[2], 1, 65535);
	struct addr vips[2];
	const char *vipname[2];
	int nvip = 0;
	char vipbuf[128];
	if (strlen(argv[3]) >= sizeof(vipbuf))
		usage();
	strcpy(vipbuf, argv[3]);
	for (char *save = NULL, *t = strtok_r(vipbuf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (nvip == 2 || parse_addr(t, &vips[nvip]))
			usage();
		vipname[nvip++] = t;
	}
	if (!nvip)
		usage();
	long timeout_ms = num(argv[4], 1, 24L * 3600 * 1000);
	long want = num(argv[5], 0, MAX_SOURCES);

	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0, rcvbuf = 8 << 20;
	struct sockaddr_in6 any = { .sin6_family = AF_INET6,
				    .sin6_port = htons(port),
				    .sin6_addr = IN6ADDR_ANY_INIT };
	/* Dual stack: IPv4 datagrams arrive with v4-mapped sources. */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		perror("udp socket");
		return 1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK,
				   .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	if (nl < 0 || bind(nl, (struct sockaddr *)&snl, sizeof(snl)) < 0) {
		perror("netlink socket");
		return 1;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("signalfd");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "ready\n");

	static struct in6_addr seen[MAX_SOURCES];
	long nseen = 0, datagrams = 0;
	int vip_seen[2] = { 0, 0 };
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000u;
	static char bufs[VLEN][64];
	static char ctl[VLEN][CMSG_SPACE(sizeof(struct timespec))];
	static struct sockaddr_in6 from[VLEN];
	struct iovec iov[VLEN];
	struct mmsghdr msgs[VLEN];
	while (want == 0 || nseen < want) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		if (now >= end)
			break;
		struct pollfd p[3] = { { fd, POLLIN, 0 }, { nl, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		int left = (int)((end - now) / 1000000u) + 1;
		if (poll(p, 3, left) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		if (p[2].revents)
			break;
		if (p[1].revents) {
			char nbuf[16384];
			ssize_t n = recv(nl, nbuf, sizeof(nbuf), MSG_DONTWAIT);
			uint64_t t = now_ns(CLOCK_REALTIME);
			/* ENOBUFS (an overflow) loses nothing we need: vip_added is best effort. */
			int len = (int)n;
			for (const struct nlmsghdr *h = (const struct nlmsghdr *)nbuf;
			     n > 0 && mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
				for (int v = 0; v < nvip; v++) {
					if (!vip_seen[v] && is_vip_add(h, &vips[v])) {
						vip_seen[v] = 1;
						printf("vip_added %s %llu\n", vipname[v],
						       (unsigned long long)t);
					}
				}
			}
		}
		if (!p[0].revents)
			continue;
		for (int i = 0; i < VLEN; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			msgs[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i],
				.msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i],
				.msg_iovlen = 1,
				.msg_control = ctl[i],
				.msg_controllen = sizeof(ctl[i]),
			};
		}
		int n = recvmmsg(fd, msgs, VLEN, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("recvmmsg");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			datagrams++;
			struct in6_addr src = from[i].sin6_addr;
			long k;
			for (k = 0; k < nseen && memcmp(&seen[k], &src, sizeof(src)) != 0; k++)
				;
			if (k < nseen || nseen == MAX_SOURCES)
				continue;
			seen[nseen++] = src;
			uint64_t ts = 0;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
			     c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS &&
				    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
					struct timespec t;
					memcpy(&t, CMSG_DATA(c), sizeof(t));
					ts = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
				}
			}
			if (!ts)
				ts = now_ns(CLOCK_REALTIME);
			char a[INET6_ADDRSTRLEN];
			if (IN6_IS_ADDR_V4MAPPED(&src))
				inet_ntop(AF_INET, &src.s6_addr[12], a, sizeof(a));
			else
				inet_ntop(AF_INET6, &src, a, sizeof(a));
			printf("first %s %llu\n", a, (unsigned long long)ts);
		}
	}
	fprintf(stderr, "stats datagrams=%ld sources=%ld\n", datagrams, nseen);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc, argv);
	if (strcmp(argv[1], "observe") == 0)
		return cmd_observe(argc, argv);
	usage();
}
