/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int util_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		unsigned int d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned int)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int util_parse_ipv4(const char *s, struct in_addr *ret)
{
	struct in6_addr a6;
	struct in_addr a;

	/* inet_pton() takes exactly four decimal parts, unlike inet_aton(). */
	if (inet_pton(AF_INET, s, &a) == 1) {
		*ret = a;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return -EAFNOSUPPORT;
	return -EINVAL;
}

int util_link_get(const char *ifname, struct util_link *ret)
{
	struct util_link l = { 0 };
	struct ifreq ifr = { 0 };
	size_t len = strlen(ifname);
	int fd, r = 0;

	if (len == 0 || len >= IF_NAMESIZE || strchr(ifname, '/'))
		return -EINVAL;
	memcpy(ifr.ifr_name, ifname, len + 1);
	memcpy(l.name, ifname, len + 1);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	l.ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	l.flags = (unsigned short)ifr.ifr_flags;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail;
	l.type = ifr.ifr_hwaddr.sa_family;
	memcpy(l.mac, ifr.ifr_hwaddr.sa_data, sizeof(l.mac));
	close(fd);
	*ret = l;
	return 0;
fail:
	r = errno == ENXIO ? -ENODEV : -errno;
	close(fd);
	return r;
}

const char *util_link_why_not_arp(const struct util_link *link)
{
	if (link->flags & IFF_LOOPBACK)
		return "is a loopback interface";
	if (link->type != ARPHRD_ETHER)
		return "is not an Ethernet interface";
	if (link->flags & IFF_NOARP)
		return "has ARP turned off (NOARP)";
	if (!(link->flags & IFF_UP))
		return "is down";
	return NULL;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UTIL_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

int util_sleep_until_ns(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / UTIL_NSEC_PER_SEC),
		.tv_nsec = (long)(deadline_ns % UTIL_NSEC_PER_SEC),
	};
	int r;

	do
		r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	while (r == EINTR);
	return -r;
}
