/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_netlink: the two netlink programs of the reaction-latency benchmark.
 *
 *   bench_netlink add IFACE BASE N INTERVAL_MS
 *       Adds BASE/32, BASE+1/32, ... one at a time, INTERVAL_MS apart (an
 *       absolute schedule), each with its own RTM_NEWADDR and acknowledged
 *       before the next. Prints "ADDR T_NS" per address, T_NS being
 *       CLOCK_REALTIME read just before sendmsg() — the clock the observer's
 *       kernel timestamps use.
 *
 *   bench_netlink floor IFACE|any [probe|announce]
 *       The floor: subscribes to RTNLGRP_IPV4_IFADDR and, for every new
 *       address on IFACE, sends one prebuilt ARP frame for it (a probe, or
 *       with "announce" the announcement garpd sends) over one AF_PACKET
 *       socket, nothing else: the least an event-driven announcer does. Prints "ready" to stderr
 * once subscribed; runs until killed.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int add(int argc, char **argv)
{
	static char buf[8192];
	struct in_addr base;
	unsigned int ifindex;
	unsigned long n, interval;
	struct mnl_socket *nl;
	struct timespec next;

	if (argc != 6 || inet_pton(AF_INET, argv[3], &base) != 1)
		return 2;
	ifindex = if_nametoindex(argv[2]);
	n = strtoul(argv[4], NULL, 0);
	interval = strtoul(argv[5], NULL, 0);
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!ifindex || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("bench_netlink add");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned long i = 0; i < n; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct ifaddrmsg *ifa;
		uint32_t a = htonl(ntohl(base.s_addr) + (uint32_t)i);
		char s[INET_ADDRSTRLEN];
		uint64_t t;
		int r;

		nlh->nlmsg_type = RTM_NEWADDR;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
		nlh->nlmsg_seq = (uint32_t)i + 1;
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = 32;
		ifa->ifa_scope = RT_SCOPE_UNIVERSE;
		ifa->ifa_index = ifindex;
		mnl_attr_put_u32(nlh, IFA_LOCAL, a);
		mnl_attr_put_u32(nlh, IFA_ADDRESS, a);

		t = realtime_ns();
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
			perror("bench_netlink add: sendto");
			return 1;
		}
		r = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (r < 0 || mnl_cb_run(buf, (size_t)r, nlh->nlmsg_seq, mnl_socket_get_portid(nl),
					NULL, NULL) < 0) {
			perror("bench_netlink add: RTM_NEWADDR");
			return 1;
		}
		printf("%s %llu\n", inet_ntop(AF_INET, &a, s, sizeof(s)), (unsigned long long)t);
		next.tv_nsec += (long)(interval * 1000000);
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	mnl_socket_close(nl);
	return 0;
}

struct floor_ctx {
	int fd;
	unsigned int ifindex; /* 0: every interface */
	bool announce;
	size_t n_macs;
	struct {
		unsigned int ifindex;
		uint8_t mac[6];
	} macs[64];
	uint8_t frame[60];
};

static const uint8_t *floor_mac(struct floor_ctx *c, unsigned int ifindex)
{
	struct ifreq ifr = { 0 };

	for (size_t i = 0; i < c->n_macs; i++)
		if (c->macs[i].ifindex == ifindex)
			return c->macs[i].mac;
	if (c->n_macs == sizeof(c->macs) / sizeof(c->macs[0]) ||
	    !if_indextoname(ifindex, ifr.ifr_name) || ioctl(c->fd, SIOCGIFHWADDR, &ifr) < 0)
		return NULL;
	c->macs[c->n_macs].ifindex = ifindex;
	memcpy(c->macs[c->n_macs].mac, ifr.ifr_hwaddr.sa_data, 6);
	return c->macs[c->n_macs++].mac;
}

static int floor_addr_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(attr) == IFA_LOCAL &&
	    mnl_attr_validate2(attr, MNL_TYPE_BINARY, 4) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int floor_msg(const struct nlmsghdr *nlh, void *data)
{
	struct floor_ctx *c = data;
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct ifaddrmsg *ifa;
	const uint8_t *mac;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET || (c->ifindex && ifa->ifa_index != c->ifindex))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), floor_addr_attr, tb);
	mac = floor_mac(c, ifa->ifa_index);
	if (!tb[IFA_LOCAL] || !mac)
		return MNL_CB_OK;
	memcpy(c->frame + 6, mac, 6);
	memcpy(c->frame + 22, mac, 6);
	memcpy(c->frame + 38, mnl_attr_get_payload(tb[IFA_LOCAL]), 4);
	if (c->announce)
		memcpy(c->frame + 28, c->frame + 38, 4);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ARP),
				   .sll_ifindex = (int)ifa->ifa_index,
				   .sll_halen = 6 };
	memset(sll.sll_addr, 0xff, 6);
	if (sendto(c->fd, c->frame, sizeof(c->frame), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		perror("bench_netlink floor: send");
	return MNL_CB_OK;
}

static int floor_run(int argc, char **argv)
{
	static char buf[8192];
	static struct floor_ctx c;
	struct mnl_socket *nl;

	if (argc < 3 || argc > 4 ||
	    (argc == 4 && strcmp(argv[3], "probe") && strcmp(argv[3], "announce")))
		return 2;
	c.announce = argc == 4 && !strcmp(argv[3], "announce");
	c.ifindex = strcmp(argv[2], "any") ? if_nametoindex(argv[2]) : 0;
	/* Protocol 0, unbound: sends on any interface, receives nothing. */
	c.fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if ((!c.ifindex && strcmp(argv[2], "any")) || c.fd < 0) {
		perror("bench_netlink floor");
		return 1;
	}
	/* An RFC 5227 probe (who-has A tell 0.0.0.0), or the announcement. */
	memset(c.frame, 0xff, 6);
	c.frame[12] = 0x08, c.frame[13] = 0x06;
	c.frame[15] = 1, c.frame[16] = 0x08, c.frame[18] = 6, c.frame[19] = 4, c.frame[21] = 1;
	if (c.announce)
		memset(c.frame + 32, 0xff, 6); /* THA broadcast, as garpd's default */

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 1U << (RTNLGRP_IPV4_IFADDR - 1), MNL_SOCKET_AUTOPID) < 0) {
		perror("bench_netlink floor: netlink");
		return 1;
	}
	/* As much room as garpd's default netlink_rcvbuf (4M). */
	int rb = 4 << 20;
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb));
	fprintf(stderr, "ready\n");
	for (;;) {
		ssize_t r = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: events lost; the floor does not resync, the run is invalid. */
			perror("bench_netlink floor: recv");
			return 1;
		}
		mnl_cb_run(buf, (size_t)r, 0, 0, floor_msg, &c);
	}
}

int main(int argc, char **argv)
{
	int r = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "add"))
		r = add(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "floor"))
		r = floor_run(argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: bench_netlink add IFACE BASE N INTERVAL_MS\n"
				"       bench_netlink floor IFACE|any [probe|announce]\n");
	return r;
}
