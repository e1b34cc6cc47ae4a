/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gnl-watch: run netlink/ in the current network namespace and print every
 * event as one line on stdout, for the namespace tests.
 *
 *   gnl-watch [--rcvbuf BYTES]
 *
 * Commands on stdin, one per line:
 *   fdb IFINDEX      start gnl_query_fdb() on a bridge
 *   neigh IFINDEX    start gnl_query_neigh()
 *   refresh IFINDEX  start gnl_query_refresh()
 *   pause / resume   stop / restart reading the event socket (to overflow it)
 *   stats            print "COUNTERS malformed=N resyncs=N route_dumps=N route_reused=N
 *                   route_watch_read=N"
 *   quit             exit (also on EOF)
 */

#include "garp-netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const ev_names[] = {
	[GNL_EV_LINK_NEW] = "LINK_NEW",
	[GNL_EV_LINK_CHANGED] = "LINK_CHANGED",
	[GNL_EV_LINK_DEL] = "LINK_DEL",
	[GNL_EV_ADDR_NEW] = "ADDR_NEW",
	[GNL_EV_ADDR_CHANGED] = "ADDR_CHANGED",
	[GNL_EV_ADDR_DEL] = "ADDR_DEL",
	[GNL_EV_FDB] = "FDB",
	[GNL_EV_NEIGH] = "NEIGH",
	[GNL_EV_QUERY_DONE] = "QUERY_DONE",
	[GNL_EV_SYNCED] = "SYNCED",
	[GNL_EV_RESYNC] = "RESYNC",
	[GNL_EV_PORT_VLAN] = "PORT_VLAN",
	[GNL_EV_ROUTE_HOP] = "ROUTE_HOP",
};

static const char *const change_names[] = {
	"mac",	  "carrier_up", "carrier_down", "active_slave", "failover",
	"master", "name",	"flags",	"other",
};

static void fmt_mac(char *buf, const uint8_t *m)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void print_link(const struct gnl_link *l)
{
	char mac[32] = "-";

	if (l->mac_len == GNL_ALEN)
		fmt_mac(mac, l->mac);
	printf(" ifindex=%d name=%s mac=%s type=%u flags=0x%x operstate=%u up=%d master=%d"
	       " link=%d kind=%s slave_kind=%s vlan=%u active_slave=%d",
	       l->ifindex, l->name, mac, l->type, l->flags, l->operstate, gnl_link_is_oper_up(l),
	       l->master, l->link, l->kind_name[0] ? l->kind_name : "-",
	       l->slave_kind_name[0] ? l->slave_kind_name : "-", l->vlan_id, l->bond_active_slave);
}

static void print_event(const struct gnl_event *ev)
{
	char a[INET6_ADDRSTRLEN], mac[32];

	printf("%s", ev_names[ev->type]);
	switch (ev->type) {
	case GNL_EV_LINK_NEW:
	case GNL_EV_LINK_DEL:
		print_link(&ev->link);
		break;
	case GNL_EV_LINK_CHANGED:
		printf(" changes=");
		for (unsigned int i = 0, n = 0; i < sizeof(change_names) / sizeof(*change_names);
		     i++)
			if (ev->changes & (1u << i))
				printf("%s%s", n++ ? "," : "", change_names[i]);
		print_link(&ev->link);
		if (ev->old.mac_len == GNL_ALEN) {
			fmt_mac(mac, ev->old.mac);
			printf(" old_mac=%s", mac);
		}
		break;
	case GNL_EV_ADDR_NEW:
	case GNL_EV_ADDR_CHANGED:
	case GNL_EV_ADDR_DEL:
		inet_ntop(ev->addr.family, &ev->addr.addr, a, sizeof(a));
		printf(" ifindex=%d family=%d addr=%s/%u scope=%u flags=0x%x label=%s",
		       ev->addr.ifindex, ev->addr.family == AF_INET ? 4 : 6, a, ev->addr.prefixlen,
		       ev->addr.scope, ev->addr.flags, ev->addr.label[0] ? ev->addr.label : "-");
		break;
	case GNL_EV_FDB:
		fmt_mac(mac, ev->fdb.mac);
		printf(" query=%u mac=%s port=%d master=%d vlan=%u state=0x%x flags=0x%x",
		       ev->query, mac, ev->fdb.ifindex, ev->fdb.master, ev->fdb.vlan, ev->fdb.state,
		       ev->fdb.flags);
		break;
	case GNL_EV_NEIGH:
		inet_ntop(ev->neigh.family, &ev->neigh.ip6, a, sizeof(a));
		if (ev->neigh.has_mac)
			fmt_mac(mac, ev->neigh.mac);
		else
			strcpy(mac, "-");
		printf(" query=%u ifindex=%d ip=%s mac=%s state=0x%x", ev->query, ev->neigh.ifindex,
		       a, mac, ev->neigh.state);
		break;
	case GNL_EV_ROUTE_HOP: {
		char gw[INET6_ADDRSTRLEN] = "-";

		inet_ntop(ev->hop.family, &ev->hop.dst6, a, sizeof(a));
		if (ev->hop.has_gateway)
			inet_ntop(ev->hop.family, &ev->hop.gateway6, gw, sizeof(gw));
		printf(" query=%u ifindex=%d dst=%s/%u gateway=%s", ev->query, ev->hop.ifindex, a,
		       ev->hop.dst_len, gw);
		break;
	}
	case GNL_EV_QUERY_DONE:
		printf(" query=%u error=%d", ev->query, ev->error);
		break;
	default:
		break;
	}
	printf("\n");
}

static void print_counters(const struct gnl *g)
{
	struct gnl_counters c;

	gnl_get_counters(g, &c);
	printf("COUNTERS malformed=%llu resyncs=%llu route_dumps=%llu route_reused=%llu "
	       "route_watch_read=%llu\n",
	       (unsigned long long)c.malformed, (unsigned long long)c.resyncs,
	       (unsigned long long)c.route_dumps, (unsigned long long)c.route_reused,
	       (unsigned long long)c.route_watch_read);
}

/* Return: 1 to go on, 0 to quit. */
static int command(struct gnl *g, char *line, int *paused)
{
	uint32_t id;
	int idx, r;

	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "quit") == 0)
		return 0;
	if (strcmp(line, "pause") == 0) {
		*paused = 1;
		printf("PAUSED\n");
	} else if (strcmp(line, "resume") == 0) {
		*paused = 0;
		printf("RESUMED\n");
	} else if (strcmp(line, "stats") == 0) {
		print_counters(g);
	} else if (sscanf(line, "fdb %d", &idx) == 1) {
		r = gnl_query_fdb(g, idx, &id);
		printf("QUERY fdb ifindex=%d query=%u r=%d\n", idx, r == 0 ? id : 0, r);
	} else if (sscanf(line, "neigh %d", &idx) == 1) {
		r = gnl_query_neigh(g, idx, &id);
		printf("QUERY neigh ifindex=%d query=%u r=%d\n", idx, r == 0 ? id : 0, r);
	} else if (sscanf(line, "refresh %d", &idx) == 1) {
		r = gnl_query_refresh(g, idx, &id);
		printf("QUERY refresh ifindex=%d query=%u r=%d\n", idx, r == 0 ? id : 0, r);
	} else if (line[0]) {
		printf("ERROR unknown command '%s'\n", line);
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct gnl_options o = { 0 };
	struct gnl *g = NULL;
	struct gnl_event ev;
	int fds[2], paused = 0, c, r;
	char line[256];
	size_t llen = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			o.rcvbuf = atoi(optarg);
		else
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	r = gnl_new(&g, &o);
	if (r < 0) {
		fprintf(stderr, "gnl_new: %s\n", strerror(-r));
		return 1;
	}
	r = gnl_start(g);
	if (r < 0) {
		fprintf(stderr, "gnl_start: %s\n", strerror(-r));
		gnl_free(g);
		return 1;
	}
	gnl_get_fds(g, fds);

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = paused ? -1 : fds[0], .events = POLLIN },
			{ .fd = fds[1], .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLERR)))
				continue;
			r = gnl_dispatch(g, fds[i]);
			if (r < 0) {
				fprintf(stderr, "gnl_dispatch: %s\n", strerror(-r));
				gnl_free(g);
				return 1;
			}
		}
		while (gnl_pop_event(g, &ev) == 0)
			print_event(&ev);
		if (p[2].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(STDIN_FILENO, line + llen, sizeof(line) - 1 - llen);
			char *nl;

			if (n <= 0)
				break;
			llen += (size_t)n;
			line[llen] = '\0';
			while ((nl = strchr(line, '\n'))) {
				size_t used = (size_t)(nl + 1 - line);

				*nl = '\0';
				if (!command(g, line, &paused))
					goto out;
				memmove(line, nl + 1, llen - used + 1);
				llen -= used;
			}
			if (llen == sizeof(line) - 1)
				llen = 0; /* an overlong line: drop it */
		}
	}
out:
	print_counters(g);
	gnl_free(g);
	return 0;
}
