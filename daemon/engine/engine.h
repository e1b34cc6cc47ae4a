/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The announcement engine: pure and deterministic. It takes what the
 * kernel reports (netlink/ structs), the ARP frames seen on the wire
 * (packet/ structs) and the time `now` (monotonic ns), and hands back
 * frames to send, FDB queries to run, notes for the log, and the next
 * deadline. No clock reads, no sockets.
 *
 * Usage, from the event loop:
 *   engine_link(), engine_link_del(), engine_addr(), engine_addr_del(),
 *   engine_arp(), engine_fdb()/engine_fdb_vlans(), engine_announce() feed it;
 *   engine_run(e, now) when the deadline is reached (harmless earlier);
 *   then drain engine_pop_frame(), engine_pop_query(), engine_pop_note()
 *   and re-arm the timer for engine_next_deadline().
 * Every input function also does the work that is due at `now`, so a
 * zero-delay frame is queued at once.
 *
 * No silent loss. Inputs return void: when memory runs out inside one,
 * the engine drops that piece of work (a target, a frame, a query, a
 * relearn, a timer) and never leaves it unaccounted: it counts it in
 * engine_counters.lost and queues an ENGINE_NOTE_LOST (ifindex, and the
 * address when there is one). A note that cannot be queued (too many
 * waiting, or no memory) is counted in engine_counters.notes_dropped.
 * engine_new() alone returns -ENOMEM. The daemon shows both counters in
 * status and metrics and logs ENGINE_NOTE_LOST at warning; what was lost
 * comes back with the next trigger (link/address event, resync, announce).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "garp-config.h"
#include "garp-netlink.h"
#include "garp-nd.h"
#include "garp-packet.h"

#define ENGINE_NO_DEADLINE UINT64_MAX

struct engine;

/* Where the engine gets the policy for an interface (by name). */
struct engine_policy_source {
	void (*get)(void *userdata, const char *ifname, struct cfg_sequence *ret);
	void *userdata;
	/*
	 * Whether the interface forwards IPv6 (sets the Router flag of its
	 * neighbour advertisements); asked when an IPv6 sequence starts.
	 * NULL: never.
	 */
	bool (*ipv6_router)(void *userdata, int ifindex, const char *ifname);
};

/**
 * engine_new() - a new engine
 * @ret: the engine
 * @policy: the per-interface policy; NULL gives CFG_SEQUENCE_INIT everywhere
 * @seed: seed for the RFC 5227 profile's random jitter (tests fix it)
 *
 * Return: 0 or -ENOMEM.
 */
int engine_new(struct engine **ret, const struct engine_policy_source *policy, uint64_t seed);
void engine_free(struct engine *e);

/**
 * engine_reload_policy() - look up every known link's policy again
 *
 * Applies to sequences started from now on; those in flight carry on.
 */
void engine_reload_policy(struct engine *e);

/* Inputs. @now is monotonic time in ns; it never goes backwards. */

/* A link appeared or changed (GNL_EV_LINK_NEW/CHANGED: @changes = GNL_CHANGE_*; 0 for new). */
void engine_link(struct engine *e, uint64_t now, const struct gnl_link *link, unsigned int changes);
void engine_link_del(struct engine *e, uint64_t now, int ifindex);
/* An address appeared (GNL_EV_ADDR_NEW) or changed (GNL_EV_ADDR_CHANGED): @is_new. */
void engine_addr(struct engine *e, uint64_t now, const struct gnl_addr *addr, bool is_new);
void engine_addr_del(struct engine *e, uint64_t now, const struct gnl_addr *addr);
/* An ARP frame received on @ifindex. */
void engine_arp(struct engine *e, uint64_t now, int ifindex, const struct pkt_arp *arp);
/* An IPv6 neighbour solicitation or advertisement received on @ifindex (garp-nd.h). */
void engine_nd(struct engine *e, uint64_t now, int ifindex, const struct pkt_nd *nd);
/*
 * The answer to an FDB query (see engine_pop_query()): all entries at once.
 * Call it once per query, with @n = 0 when the query failed.
 */
void engine_fdb(struct engine *e, uint64_t now, int bridge, const struct gnl_fdb *entries,
		size_t n);
/*
 * engine_fdb() with the VLAN tables of the bridge's ports from the same
 * answer (GNL_EV_PORT_VLAN runs, of any of @bridge's ports). Relearn frames
 * leave through the bridge's port that leads to the bond; where that
 * port's table says a VLAN leaves it untagged (the PVID, VLAN 1 by
 * default), the bridge sends that VLAN's frames out of the bond without a
 * tag, and so does the relearn frame for a guest in it. Other VLANs keep
 * their tag; with no run for that port (or engine_fdb()), every entry with
 * a VLAN is tagged.
 */
void engine_fdb_vlans(struct engine *e, uint64_t now, int bridge, const struct gnl_fdb *entries,
		      size_t n, const struct gnl_port_vlan *vlans, size_t n_vlans);

/**
 * engine_neighbours() - the answer to an ENGINE_QUERY_NEIGHBOURS query
 * @ifindex: the interface it was about
 * @neigh: the interface's IPv4 and IPv6 neighbour-table entries, any state
 *         (the engine keeps those gnl_neigh_usable() accepts; each family's
 *         serve the addresses of that family)
 * @hops: the next hops through @ifindex of the main table's unicast routes,
 *        both families (gateways, and on-link prefixes)
 *
 * Call it once per query handed out, with whatever arrived (@n_neigh =
 * @n_hops = 0 when the query failed: the configured neighbours are still
 * refreshed). See engine-refresh.c for who gets a directed refresh, and when.
 */
void engine_neighbours(struct engine *e, uint64_t now, int ifindex, const struct gnl_neigh *neigh,
		       size_t n_neigh, const struct gnl_route_hop *hops, size_t n_hops);

enum engine_announce_kind {
	ENGINE_ANNOUNCE_ONLY,	  /* announcement(s) only */
	ENGINE_ANNOUNCE_SEQUENCE, /* probes + announcement(s) */
};

/**
 * engine_announce() - start announcing now (control socket, announce_on_start)
 * @ifindex: the interface, or 0 for every interface
 * @addr: the address, or NULL for every address of @ifindex
 * @kind: announcement only or the full sequence
 *
 * Return: how many targets were started, or -ENOENT when @addr is not
 * configured on @ifindex (on any interface when @ifindex is 0),
 * -ENODEV for an unknown or ineligible interface, or -ENETDOWN when
 * @ifindex is not operationally up. A target already in flight restarts
 * only when @kind asks for more than it is doing (not counted otherwise).
 */
int engine_announce(struct engine *e, uint64_t now, int ifindex, const struct garp_addr *addr,
		    enum engine_announce_kind kind);

enum engine_now_result {
	ENGINE_NOW_STARTED,   /* started (an announcement sent at once, or the sequence) */
	ENGINE_NOW_CUT_SHORT, /* was probing: the remaining probes skipped, announcing now */
	ENGINE_NOW_RESTARTED, /* was announcing: started again from the first announcement */
	ENGINE_NOW_RUNNING,   /* sequence asked, one already in flight: left alone */
	ENGINE_NOW_CONFLICT,  /* another host defended it (on_conflict = abort); not sent */
	ENGINE_NOW_WAITING,   /* cannot send now (link down, held down): runs when it can */
};

/**
 * engine_announce_now() - an operator's explicit announcement of one address
 * @ifindex: the interface
 * @addr: the address
 * @kind: ENGINE_ANNOUNCE_ONLY announces at once, cutting short probes in
 *        flight; ENGINE_ANNOUNCE_SEQUENCE behaves as engine_announce()
 * @force: announce even an address another host defended (state conflict)
 *
 * Return: an enum engine_now_result, -ENOENT when @addr is not configured
 * on @ifindex, or -ENODEV for an unknown or ineligible interface.
 */
int engine_announce_now(struct engine *e, uint64_t now, int ifindex, const struct garp_addr *addr,
			enum engine_announce_kind kind, bool force);

/**
 * engine_run() - do what is due at @now: send, time out, refresh
 */
void engine_run(struct engine *e, uint64_t now);

/**
 * engine_next_deadline() - when engine_run() has work next, in O(1)
 * Return: monotonic ns, or ENGINE_NO_DEADLINE.
 */
uint64_t engine_next_deadline(const struct engine *e);

/**
 * engine_wants_arp() - whether received ARP frames matter now
 *
 * True while any target is probing (conflict detection); the event loop
 * switches the packet socket's filter between PKT_FILTER_ARP and
 * PKT_FILTER_DROP_ALL on this, so an idle daemon never wakes for ARP.
 */
bool engine_wants_arp(const struct engine *e);

/**
 * engine_wants_nd() - whether received NS/NA frames matter now
 *
 * True while garpd's own DAD probes run for an IPv6 address (one added
 * with nodad); the event loop switches the IPv6 packet socket's filter
 * between PKT_FILTER_ND and PKT_FILTER_DROP_ALL on this.
 */
bool engine_wants_nd(const struct engine *e);

/* Outputs. */

enum engine_frame_kind {
	ENGINE_FRAME_PROBE,
	ENGINE_FRAME_ANNOUNCE_REQUEST,
	ENGINE_FRAME_ANNOUNCE_REPLY,
	ENGINE_FRAME_RELEARN,
	ENGINE_FRAME_REFRESH,  /* directed refresh, to one neighbour: who-has NEIGHBOUR tell addr;
				* IPv6: an NS from addr for NEIGHBOUR with our MAC (SLLA) */
	ENGINE_FRAME_NS_PROBE, /* IPv6: a DAD neighbour solicitation (nodad addresses) */
	ENGINE_FRAME_NA,       /* IPv6: an unsolicited neighbour advertisement */
};

struct engine_frame {
	enum engine_frame_kind kind;
	int ifindex;	       /* where to send it */
	struct garp_addr addr; /* the target's address; family 0 for relearn frames */
	struct pkt_frame frame;
};

/* Return: 0 and @ret filled, or -EAGAIN. Frames come out in send order. */
int engine_pop_frame(struct engine *e, struct engine_frame *ret);

enum engine_query_kind {
	ENGINE_QUERY_FDB, /* gnl_query_fdb(_vlans)(bridge), answered by engine_fdb(_vlans)() */
	ENGINE_QUERY_NEIGHBOURS, /* gnl_query_refresh(ifindex), answered by engine_neighbours() */
};

/* A query the event loop must run and answer. */
struct engine_query {
	int bridge; /* ENGINE_QUERY_FDB: gnl_query_fdb(bridge) */
	enum engine_query_kind kind;
	int ifindex; /* ENGINE_QUERY_NEIGHBOURS */
};
int engine_pop_query(struct engine *e, struct engine_query *ret);

enum engine_note_type {
	ENGINE_NOTE_STARTED, /* a sequence started: ifindex, addr, probes (0 = announcement only) */
	ENGINE_NOTE_ANNOUNCED, /* the last announcement of a sequence went out */
	ENGINE_NOTE_CONFLICT,  /* ifindex, addr, mac (the other one; zero with kernel_dad) */
	ENGINE_NOTE_CANCELLED, /* ifindex, addr, reason */
	ENGINE_NOTE_FAILOVER,  /* ifindex (the bond), new active slave in `slave` */
	ENGINE_NOTE_RELEARN,   /* ifindex (the bond), bridge, count of guest MACs queued */
	ENGINE_NOTE_DEFERRED,  /* ifindex, addr: held down, runs at `when` */
	ENGINE_NOTE_REFRESHED, /* ifindex, addr: `count` directed refreshes queued, `capped` not
				* sent; none when there was nobody to refresh */
	ENGINE_NOTE_LOST,      /* ifindex, addr (family 0 if none): work dropped, out of memory */
};

enum engine_cancel_reason {
	ENGINE_CANCEL_ADDR_REMOVED,
	ENGINE_CANCEL_LINK_DOWN,
	ENGINE_CANCEL_LINK_REMOVED,
	ENGINE_CANCEL_MAC_CHANGED,
	ENGINE_CANCEL_NOT_ELIGIBLE, /* became NOARP, ignored by config, ... */
};

struct engine_note {
	enum engine_note_type type;
	uint64_t time;
	int ifindex;
	struct garp_addr addr; /* family 0 when the note is not about an address */
	uint8_t mac[PKT_ETH_ALEN];
	enum engine_cancel_reason reason;
	uint32_t probes; /* STARTED: probes in this sequence */
	int slave;	 /* FAILOVER */
	int bridge;	 /* RELEARN */
	uint32_t count;	 /* RELEARN, REFRESHED */
	uint32_t capped; /* REFRESHED: neighbours beyond refresh_neighbours_max */
	uint64_t when;	 /* DEFERRED */
	bool kernel_dad; /* CONFLICT: the kernel's DAD failed for this IPv6 address */
};
int engine_pop_note(struct engine *e, struct engine_note *ret);

const char *engine_note_type_to_string(enum engine_note_type t);
const char *engine_cancel_reason_to_string(enum engine_cancel_reason r);

struct engine_counters {
	uint64_t probes;
	uint64_t announcements; /* announcement frames, request and reply forms */
	uint64_t replies;	/* of which reply form */
	uint64_t relearn;
	uint64_t conflicts;
	uint64_t cancellations;
	uint64_t rate_limited;	 /* frames delayed by the token bucket */
	uint64_t sequences;	 /* sequences started */
	uint64_t notes_dropped;	 /* notes not kept: ENGINE_NOTES_MAX were waiting unpopped */
	uint64_t refreshes;	 /* directed refresh frames */
	uint64_t refresh_capped; /* neighbours not refreshed: beyond refresh_neighbours_max */
	uint64_t na;		 /* IPv6 neighbour advertisements (not in announcements) */
	uint64_t ns_probes;	 /* IPv6 DAD solicitations of our own (not in probes) */
	uint64_t dad_failures;	 /* the kernel's DAD failed (also counted in conflicts) */
	uint64_t lost;		 /* targets, frames, queries, timers dropped: out of memory */
};
void engine_get_counters(const struct engine *e, struct engine_counters *ret);

/* A recorded conflict. The engine keeps the last ENGINE_CONFLICTS_KEPT. */
#define ENGINE_CONFLICTS_KEPT 32
struct engine_conflict {
	int ifindex;
	struct garp_addr addr;
	uint8_t mac[PKT_ETH_ALEN];
	uint64_t time;
	bool kernel_dad; /* the kernel's DAD failed: no MAC known */
};
/* Copies up to @max recent conflicts, newest last; returns how many. */
size_t engine_get_conflicts(const struct engine *e, struct engine_conflict *ret, size_t max);

/* Status, for the control socket. */
enum engine_target_state {
	ENGINE_TARGET_IDLE,
	ENGINE_TARGET_PROBING,
	ENGINE_TARGET_WAITING,
	ENGINE_TARGET_ANNOUNCING,
	ENGINE_TARGET_DONE,
	ENGINE_TARGET_CONFLICT,
	ENGINE_TARGET_CANCELLED,
};
const char *engine_target_state_to_string(enum engine_target_state s);

struct engine_target_info {
	int ifindex;
	struct garp_addr addr;
	enum engine_target_state state;
	uint32_t sent;		 /* probes or announcements sent in the current phase */
	uint32_t total;		 /* of how many */
	uint64_t last_announced; /* 0 = never */
	uint32_t addr_flags; /* IFA_F_* as last reported (IPv6: tentative, dadfailed, nodad...) */
};

/* Calls @fn for each address the engine knows, in no set order. */
void engine_foreach_target(const struct engine *e,
			   void (*fn)(void *userdata, const struct engine_target_info *info),
			   void *userdata);

/* Whether the engine considers an interface at all (not lo/NOARP/non-Ethernet/ignored). */
bool engine_link_eligible(const struct engine *e, int ifindex);
