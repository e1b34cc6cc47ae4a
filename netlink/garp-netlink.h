/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * netlink/: what garpd knows about the host, from rtnetlink, as plain
 * structs. These structs are shared with the engine (daemon/engine.h):
 * the engine is driven by exactly what this library reports.
 */

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GNL_ALEN 6
#define GNL_KIND_LEN 16

/*
 * A link's kind (IFLA_INFO_KIND) or slave kind (IFLA_INFO_SLAVE_KIND),
 * mapped once by gnl_parse_link(): the kinds garpd has a rule for, and
 * OTHER for every other one ("dummy", "vxlan", ..., or a name longer than
 * any kernel kind). The name as the kernel sent it is kept beside it for
 * status and logs.
 */
enum gnl_kind {
	GNL_KIND_NONE,	/* no kind given: a plain device (or, as a slave kind, not enslaved) */
	GNL_KIND_OTHER, /* a kind garpd has no rule for */
	GNL_KIND_BOND,
	GNL_KIND_BRIDGE,
	GNL_KIND_VLAN,
	GNL_KIND_MACVLAN,
	GNL_KIND_MACVTAP,
	GNL_KIND_IPVLAN,
	GNL_KIND_VETH,
	_GNL_KIND_MAX,
};

struct gnl_link {
	int ifindex;
	char name[IFNAMSIZ];
	uint8_t mac[GNL_ALEN]; /* IFLA_ADDRESS; valid when mac_len == 6 */
	uint8_t mac_len;
	uint16_t type;		  /* ARPHRD_* */
	uint32_t flags;		  /* IFF_* (IFF_UP, IFF_NOARP, IFF_LOOPBACK, IFF_LOWER_UP, ...) */
	uint8_t operstate;	  /* IF_OPER_* */
	int master;		  /* IFLA_MASTER, 0 for none */
	int link;		  /* IFLA_LINK (lower device of a VLAN/macvlan), 0 for none */
	enum gnl_kind kind;	  /* IFLA_INFO_KIND */
	enum gnl_kind slave_kind; /* IFLA_INFO_SLAVE_KIND: what the master is */
	char kind_name[GNL_KIND_LEN]; /* IFLA_INFO_KIND as sent ("" for none; a longer one cut) */
	char slave_kind_name[GNL_KIND_LEN]; /* IFLA_INFO_SLAVE_KIND as sent, likewise */
	uint16_t vlan_id;		    /* IFLA_VLAN_ID for GNL_KIND_VLAN, else 0 */
	int bond_active_slave; /* IFLA_BOND_ACTIVE_SLAVE for GNL_KIND_BOND, 0 for none */
	bool has_bond_slave_state;
	uint8_t bond_slave_state; /* IFLA_BOND_SLAVE_STATE: BOND_STATE_ACTIVE/BACKUP */
	uint32_t event; /* IFLA_EVENT of this message (IFLA_EVENT_BONDING_FAILOVER, ...); 0 */
};

struct gnl_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	int ifindex;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr; /* IFA_LOCAL for IPv4 (IFA_ADDRESS when absent), IFA_ADDRESS for IPv6 */
	uint8_t prefixlen;
	uint8_t scope;	/* RT_SCOPE_* */
	uint32_t flags; /* IFA_FLAGS (32-bit) or ifa_flags: IFA_F_TENTATIVE, IFA_F_DADFAILED, ... */
	char label[IFNAMSIZ];
};

/* One bridge forwarding-database entry (RTM_NEWNEIGH, AF_BRIDGE). */
struct gnl_fdb {
	uint8_t mac[GNL_ALEN];
	int ifindex;	/* the bridge port it was learned on */
	int master;	/* the bridge (NDA_MASTER), 0 when not given */
	uint16_t vlan;	/* NDA_VLAN, 0 for none */
	uint16_t state; /* NUD_PERMANENT (local/static), NUD_NOARP, NUD_REACHABLE (learned) ... */
	uint8_t flags;	/* NTF_SELF, NTF_MASTER, NTF_EXT_LEARNED, ... */
};

/*
 * A bridge port's VLAN table (RTM_NEWLINK of family AF_BRIDGE asked for with
 * RTEXT_FILTER_BRVLAN, its IFLA_AF_SPEC/IFLA_BRIDGE_VLAN_INFO entries), as
 * runs of consecutive VLAN ids that share their flags. It says how the
 * bridge sends a VLAN's frames out of that port: tagged, or untagged.
 */
#define GNL_VLAN_MAX 4094 /* VLAN ids are 1..4094 */
enum {
	GNL_VLAN_PVID = 1u << 0,     /* the port's PVID: untagged frames in belong to it */
	GNL_VLAN_UNTAGGED = 1u << 1, /* frames of this VLAN leave the port untagged */
};

struct gnl_port_vlan {
	int ifindex;	  /* the bridge port (or the bridge itself, for its own entries) */
	int master;	  /* the bridge (IFLA_MASTER: the bridge's own entry names itself) */
	uint16_t vid;	  /* first VLAN id of the run, 1..GNL_VLAN_MAX */
	uint16_t vid_end; /* last, >= vid */
	uint16_t flags;	  /* GNL_VLAN_* */
};

/* One port's whole VLAN table, as parsed from one message. */
struct gnl_port_vlans {
	int ifindex;
	int master;
	uint16_t pvid;	       /* 0 for none */
	uint64_t member[64];   /* bit v: the port is in VLAN v */
	uint64_t untagged[64]; /* bit v: VLAN v leaves the port untagged */
};

/* One neighbour-table entry (RTM_NEWNEIGH, AF_INET or AF_INET6). */
struct gnl_neigh {
	uint8_t family; /* AF_INET or AF_INET6: which of ip/ip6 */
	int ifindex;
	union {
		struct in_addr ip;   /* NDA_DST, AF_INET */
		struct in6_addr ip6; /* NDA_DST, AF_INET6 */
	};
	uint8_t mac[GNL_ALEN];
	bool has_mac;
	uint16_t state; /* NUD_* */
};

/*
 * One next hop of a route: the interface it leaves by, and its gateway if
 * any, of the route's family (RTA_GATEWAY; RTA_VIA, a gateway of another
 * family, is skipped).
 */
struct gnl_nexthop {
	int ifindex; /* RTA_OIF, or rtnh_ifindex in RTA_MULTIPATH; 0 when not given */
	bool has_gateway;
	union {
		struct in_addr gateway;	  /* AF_INET */
		struct in6_addr gateway6; /* AF_INET6: often link-local (fe80::/10) */
	};
};

#define GNL_ROUTE_NEXTHOPS_MAX 32

/* One route (RTM_NEWROUTE, AF_INET or AF_INET6). */
struct gnl_route {
	uint8_t family;	  /* AF_INET or AF_INET6: which of dst/dst6, gateway/gateway6 */
	uint32_t table;	  /* RTA_TABLE, else rtm_table (RT_TABLE_MAIN = 254) */
	uint8_t type;	  /* RTN_UNICAST, RTN_LOCAL, ... */
	uint8_t scope;	  /* RT_SCOPE_* */
	uint8_t protocol; /* RTPROT_* */
	uint32_t flags;	  /* RTM_F_* */
	union {
		struct in_addr dst;   /* RTA_DST, 0.0.0.0 for the default route */
		struct in6_addr dst6; /* RTA_DST, :: for the default route */
	};
	uint8_t dst_len;
	size_t n_nexthops;	   /* RTA_MULTIPATH's entries, or the one of RTA_OIF/RTA_GATEWAY */
	uint32_t nexthops_dropped; /* beyond GNL_ROUTE_NEXTHOPS_MAX */
	struct gnl_nexthop nexthops[GNL_ROUTE_NEXTHOPS_MAX];
};

/*
 * One next hop through the queried interface of a main-table unicast route
 * (GNL_EV_ROUTE_HOP, from gnl_query_refresh()): a gateway, or, without
 * one, a prefix that is on-link there.
 */
struct gnl_route_hop {
	uint8_t family; /* AF_INET or AF_INET6: which of the unions' members */
	int ifindex;
	union {
		struct in_addr dst;
		struct in6_addr dst6;
	};
	uint8_t dst_len;
	bool has_gateway;
	union {
		struct in_addr gateway;
		struct in6_addr gateway6;
	};
};

/* What changed on a link, for GNL_EV_LINK_CHANGED (bits, several at once). */
enum {
	GNL_CHANGE_MAC = 1u << 0,
	GNL_CHANGE_CARRIER_UP = 1u << 1, /* operationally up (IF_OPER_UP/UNKNOWN + LOWER_UP) now */
	GNL_CHANGE_CARRIER_DOWN = 1u << 2, /* no longer operationally up */
	GNL_CHANGE_ACTIVE_SLAVE = 1u << 3, /* bond_active_slave differs */
	GNL_CHANGE_FAILOVER = 1u << 4,	   /* IFLA_EVENT_BONDING_FAILOVER in this message */
	GNL_CHANGE_MASTER = 1u << 5,
	GNL_CHANGE_NAME = 1u << 6,
	GNL_CHANGE_FLAGS = 1u << 7, /* IFF_UP, IFF_NOARP, ... */
	GNL_CHANGE_OTHER = 1u << 8, /* anything else we keep (kind, vlan, link, slave state) */
};

/*
 * Ordering: events come in the kernel's order; a link's ADDR_DELs come
 * before its LINK_DEL. Between RESYNC and SYNCED, events keep coming
 * (the re-dump's differences and live changes alike); at SYNCED the
 * ones that disappeared unseen are reported as ADDR_DEL/LINK_DEL.
 * One RESYNC per overflow episode, however many ENOBUFS it took.
 */
enum gnl_event_type {
	GNL_EV_LINK_NEW,     /* link: first seen */
	GNL_EV_LINK_CHANGED, /* link (new state), changes */
	GNL_EV_LINK_DEL,     /* link (last known state) */
	GNL_EV_ADDR_NEW,     /* addr: appeared (reported once per appearance) */
	GNL_EV_ADDR_CHANGED, /* addr: flags or scope changed (e.g. IPv6 DAD finished) */
	GNL_EV_ADDR_DEL,     /* addr */
	GNL_EV_FDB,	     /* fdb: one entry of a query's answer (query = its id) */
	GNL_EV_NEIGH,	     /* neigh: one entry of a query's answer (query = its id) */
	GNL_EV_QUERY_DONE,   /* query: finished (error = 0 or negative errno) */
	GNL_EV_SYNCED,	     /* the first dump, or a re-dump after an overflow, is reconciled */
	GNL_EV_RESYNC,	     /* the socket overflowed (ENOBUFS): a re-dump started */
	GNL_EV_PORT_VLAN,    /* port_vlan: one run of a port's VLAN table (query = its id) */
	GNL_EV_ROUTE_HOP,    /* hop: a route's next hop through the queried interface (query) */
};

struct gnl_event {
	enum gnl_event_type type;
	unsigned int changes; /* GNL_CHANGE_* for GNL_EV_LINK_CHANGED */
	uint32_t query;	      /* id from gnl_query_fdb()/gnl_query_neigh() */
	int error;	      /* GNL_EV_QUERY_DONE */
	union {
		struct gnl_link link;
		struct gnl_addr addr;
		struct gnl_fdb fdb;
		struct gnl_neigh neigh;
		struct gnl_port_vlan port_vlan;
		struct gnl_route_hop hop;
	};
	/* For GNL_EV_LINK_CHANGED: the state before (old MAC, old active slave). */
	struct gnl_link old;
};

struct gnl_counters {
	uint64_t malformed;    /* messages skipped because they did not validate */
	uint64_t resyncs;      /* overflows recovered by a re-dump */
	uint64_t route_dumps;  /* route dumps asked for by gnl_query_refresh() */
	uint64_t route_reused; /* refresh queries answered with the last route dump (unchanged) */
	uint64_t route_watch_read; /* route notifications read (the kernel's filter let through) */
};

struct gnl_options {
	int rcvbuf; /* SO_RCVBUF(FORCE) of the event socket in bytes; 0 = kernel default */
};

struct gnl;

/**
 * gnl_new() - open the event socket and the query socket
 * @ret: the new handle
 * @opts: options, or NULL for defaults
 *
 * Return: 0 or a negative errno.
 */
int gnl_new(struct gnl **ret, const struct gnl_options *opts);
/**
 * gnl_free() - close the sockets and free everything; NULL is fine
 * @g: the handle
 */
void gnl_free(struct gnl *g);

/**
 * gnl_start() - subscribe to links and addresses, then dump them
 *
 * Subscription comes first, so nothing is lost between the dump and the
 * events; the reconciled result arrives as GNL_EV_LINK_NEW/GNL_EV_ADDR_NEW
 * events followed by GNL_EV_SYNCED.
 *
 * Return: 0 or a negative errno.
 */
int gnl_start(struct gnl *g);

/**
 * gnl_get_fds() - the file descriptors to poll for input
 * @ret_fds: filled with up to 2 fds
 * Return: how many.
 */
int gnl_get_fds(const struct gnl *g, int ret_fds[2]);

/**
 * gnl_dispatch() - read what is pending on @fd, in a bounded batch
 *
 * Never blocks. Results are queued; take them with gnl_pop_event().
 *
 * Return: 0 when @fd is drained, 1 when more is pending (call again after
 * the other event sources had their turn), or a negative errno on a fatal
 * socket error.
 */
int gnl_dispatch(struct gnl *g, int fd);

/**
 * gnl_pop_event() - take the next queued event
 * Return: 0 and @ret filled, or -EAGAIN when none is queued.
 */
int gnl_pop_event(struct gnl *g, struct gnl_event *ret);

/**
 * gnl_query_fdb() - start a dump of one bridge's forwarding database
 * @bridge: the bridge's ifindex
 * @ret_id: the query's id, found in its GNL_EV_FDB and GNL_EV_QUERY_DONE
 *
 * Asynchronous: queued behind any query in flight, answered through
 * gnl_dispatch() on the query socket.
 *
 * Return: 0 or a negative errno.
 */
int gnl_query_fdb(struct gnl *g, int bridge, uint32_t *ret_id);

/**
 * gnl_query_fdb_vlans() - gnl_query_fdb(), then the VLAN tables of the bridge's ports
 * @bridge: the bridge's ifindex
 * @ret_id: the query's id, found in all its events
 *
 * The answer is the FDB's GNL_EV_FDB events, then one GNL_EV_PORT_VLAN per
 * run of VLANs with equal flags of every port of @bridge (and of the bridge
 * itself), from an AF_BRIDGE link dump with RTEXT_FILTER_BRVLAN, then
 * GNL_EV_QUERY_DONE. The VLAN part is asked for only after a complete FDB
 * answer, and is best effort: when it fails or loses messages, the query
 * still ends with the FDB's result (error 0), and the ports it missed
 * simply have no GNL_EV_PORT_VLAN.
 *
 * Return: 0 or a negative errno.
 */
int gnl_query_fdb_vlans(struct gnl *g, int bridge, uint32_t *ret_id);

/**
 * gnl_query_neigh() - start a dump of one interface's IPv4 neighbours
 * Same as gnl_query_fdb() for the neighbour table of @ifindex.
 */
int gnl_query_neigh(struct gnl *g, int ifindex, uint32_t *ret_id);

/**
 * gnl_query_refresh() - what the directed refresh needs to know of one interface
 * @ifindex: the interface
 * @ret_id: the query's id, found in all its events
 *
 * The answer is the interface's neighbour-table entries, IPv4 then IPv6
 * (GNL_EV_NEIGH, every state: see gnl_neigh_usable()), then the next hops
 * through @ifindex of the main table's unicast routes, IPv4 then IPv6
 * (GNL_EV_ROUTE_HOP: the gateways, and the on-link prefixes), then
 * GNL_EV_QUERY_DONE. Four dumps, one after the other, each asked for only
 * after the one before ended, even with an error: whatever came is usable,
 * and QUERY_DONE's error is the first error of any part. The route dumps are
 * asked for with the kernel's filters (table, output interface) where it
 * has them, and filtered here anyway; each part keeps only messages of its
 * own family (a kernel without IPv6 answers an IPv6 route dump with every
 * family's routes, or not at all). While nothing can have changed the main
 * tables since the last route parts for @ifindex without a hole (no route
 * or nexthop notification, no link event, no address removal, no resync),
 * those are given again instead of new dumps, their error included
 * (gnl_counters.route_reused).
 *
 * Return: 0 or a negative errno.
 */
int gnl_query_refresh(struct gnl *g, int ifindex, uint32_t *ret_id);

/*
 * The library's view of the host, as last reconciled. NULL when unknown.
 * The pointer is valid until the next gnl_dispatch().
 */
const struct gnl_link *gnl_link_get(const struct gnl *g, int ifindex);

/* Calls @fn for every link in the library's view, in no set order. */
void gnl_foreach_link(const struct gnl *g, void (*fn)(void *userdata, const struct gnl_link *link),
		      void *userdata);

/**
 * gnl_get_counters() - malformed messages skipped and overflows recovered
 * @g: the handle
 * @ret: filled
 */
void gnl_get_counters(const struct gnl *g, struct gnl_counters *ret);

/*
 * Pure parsers, usable without a socket (tests, fuzzing). Each takes one
 * netlink message and fills the struct. @nlh must have at least
 * nlmsg_len readable bytes (and nlmsg_len >= its header is checked); the
 * family header, every attribute and every nested attribute are bounds-
 * and size-checked before they are read, unknown attributes are skipped.
 * gnl_parse_link() takes RTM_NEWLINK/DELLINK of family AF_UNSPEC only
 * (AF_BRIDGE port notifications are partial: -EAFNOSUPPORT); an
 * IFLA_ADDRESS that is not 6 bytes long leaves mac zero with its length
 * in mac_len. gnl_parse_neigh() takes AF_INET and AF_INET6 (NDA_DST of
 * exactly 4 or 16 bytes) and sets has_mac only for a 6-byte NDA_LLADDR.
 *
 * Return: 0, -EBADMSG for a malformed message (truncated header or
 * attribute, bad attribute size, nested overrun), -EAFNOSUPPORT/-ENOENT
 * for a well-formed message this parser does not handle (wrong family, no
 * address).
 */
struct nlmsghdr;
int gnl_parse_link(const struct nlmsghdr *nlh, struct gnl_link *ret);
int gnl_parse_addr(const struct nlmsghdr *nlh, struct gnl_addr *ret);
int gnl_parse_fdb(const struct nlmsghdr *nlh, struct gnl_fdb *ret);
int gnl_parse_neigh(const struct nlmsghdr *nlh, struct gnl_neigh *ret);

/**
 * gnl_parse_route() - one IPv4 or IPv6 route
 * @nlh: RTM_NEWROUTE or RTM_DELROUTE of family AF_INET or AF_INET6
 * @ret: filled (all of it; nexthops[] up to n_nexthops)
 *
 * Every attribute is size-checked (RTA_DST, RTA_GATEWAY: 4 bytes for IPv4,
 * 16 for IPv6; RTA_OIF, RTA_TABLE: u32); RTA_MULTIPATH's struct rtnexthop
 * entries must each fit, with a length of at least their header, and their
 * own attributes be well formed. A destination prefix longer than the
 * family's address (32, 128) or a negative interface index is -EBADMSG.
 * Next hops beyond GNL_ROUTE_NEXTHOPS_MAX are counted, not kept.
 *
 * Return: as the parsers above; -EAFNOSUPPORT for another family.
 */
int gnl_parse_route(const struct nlmsghdr *nlh, struct gnl_route *ret);

/**
 * gnl_neigh_usable() - whether a neighbour entry holds a MAC to talk to
 *
 * True for an entry with a 6-byte link-layer address in state REACHABLE,
 * STALE, DELAY, PROBE or PERMANENT; false for INCOMPLETE, FAILED, NOARP,
 * NONE, or no MAC.
 */
bool gnl_neigh_usable(const struct gnl_neigh *n);

/**
 * gnl_parse_port_vlans() - one bridge port's VLAN table
 * @nlh: RTM_NEWLINK of family AF_BRIDGE (a dump asked for with
 *       RTEXT_FILTER_BRVLAN or RTEXT_FILTER_BRVLAN_COMPRESSED)
 * @ret: filled; a port without VLAN entries gives empty sets
 *
 * Single entries and RANGE_BEGIN/RANGE_END pairs are both understood. A VLAN
 * id outside 1..4094, an entry that is not exactly a struct
 * bridge_vlan_info, a range without its end (or an end without its
 * beginning, or one that goes backwards or changes flags), a PVID on a
 * range and two different PVIDs are -EBADMSG.
 *
 * Return: as the parsers above; -EAFNOSUPPORT for a family other than
 * AF_BRIDGE.
 */
int gnl_parse_port_vlans(const struct nlmsghdr *nlh, struct gnl_port_vlans *ret);

/**
 * gnl_port_vlans_next() - the next run of VLANs of a port with equal flags
 * @v: the parsed table
 * @pos: where to go on from: 1 for the first call; moved past the run
 * @ret: the run, with @v's ifindex and master
 *
 * Return: true with @ret filled, false when no VLAN is left.
 */
bool gnl_port_vlans_next(const struct gnl_port_vlans *v, uint16_t *pos, struct gnl_port_vlan *ret);

/* True when the link counts as operationally up (carrier present). */
bool gnl_link_is_oper_up(const struct gnl_link *l);
