/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control-socket requests: status, announce, reload, monitor, metrics.
 * Each request is one line of words; control.c frames the replies. What
 * they show comes from one snapshot of the daemon's state (status.h).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/if_addr.h>

#include "daemon.h"
#include "garpd-build.h"
#include "status.h"

#define WORDS_MAX 256

struct request {
	char copy[CONTROL_LINE_MAX + 1];
	char *word[WORDS_MAX];
	size_t n;
};

static int split(struct request *r, const char *line)
{
	char *save = NULL, *w;

	snprintf(r->copy, sizeof(r->copy), "%s", line);
	r->n = 0;
	for (w = strtok_r(r->copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (r->n == WORDS_MAX)
			return -E2BIG;
		r->word[r->n++] = w;
	}
	return 0;
}

/* A duration as the configuration writes it: "1s", "250ms", "0". */
static const char *dur(uint64_t ns, char buf[32])
{
	if (ns % CFG_NSEC_PER_SEC == 0)
		snprintf(buf, 32, "%llus", (unsigned long long)(ns / CFG_NSEC_PER_SEC));
	else if (ns % CFG_NSEC_PER_MSEC == 0)
		snprintf(buf, 32, "%llums", (unsigned long long)(ns / CFG_NSEC_PER_MSEC));
	else
		snprintf(buf, 32, "%lluus", (unsigned long long)(ns / 1000));
	return buf;
}

/* The policy new sequences on an interface get, as configuration keys. */
static void policy_text(const struct cfg_sequence *q, struct buf *out)
{
	char b1[32], b2[32], b3[32], b4[32];

	buf_printf(out,
		   "    policy profile=%s probes=%u probe_interval=%s announce_delay=%s "
		   "announcements=%u announce_interval=%s\n"
		   "           frames=%s on_conflict=%s on_link_up=%s on_mac_change=%s "
		   "on_bond_failover=%s refresh_interval=%s max_frames_per_second=%u\n",
		   cfg_profile_to_string(q->profile), q->probes, dur(q->probe_interval_ns, b1),
		   dur(q->announce_delay_ns, b2), q->announcements,
		   dur(q->announce_interval_ns, b3), cfg_frames_to_string(q->frames),
		   cfg_on_conflict_to_string(q->on_conflict), cfg_action_to_string(q->on_link_up),
		   cfg_action_to_string(q->on_mac_change),
		   cfg_action_to_string(q->on_bond_failover), dur(q->refresh_interval_ns, b4),
		   q->max_frames_per_second);
}

static void policy_json(const struct cfg_sequence *q, struct buf *out)
{
	buf_printf(out,
		   "{\"profile\":\"%s\",\"probes\":%u,\"probe_interval_ms\":%.3f,"
		   "\"announce_delay_ms\":%.3f,\"announcements\":%u,\"announce_interval_ms\":%.3f,"
		   "\"frames\":\"%s\",\"on_conflict\":\"%s\",\"on_link_up\":\"%s\","
		   "\"on_mac_change\":\"%s\",\"on_bond_failover\":\"%s\","
		   "\"refresh_interval_ms\":%.3f,\"max_frames_per_second\":%u}",
		   cfg_profile_to_string(q->profile), q->probes, q->probe_interval_ns / 1e6,
		   q->announce_delay_ns / 1e6, q->announcements, q->announce_interval_ns / 1e6,
		   cfg_frames_to_string(q->frames), cfg_on_conflict_to_string(q->on_conflict),
		   cfg_action_to_string(q->on_link_up), cfg_action_to_string(q->on_mac_change),
		   cfg_action_to_string(q->on_bond_failover), q->refresh_interval_ns / 1e6,
		   q->max_frames_per_second);
}

/* IPv6: what the kernel's DAD says about the address; NULL when it is usable. */
static const char *addr_dad_state(const struct engine_target_info *t)
{
	if (t->addr.family != AF_INET6)
		return NULL;
	if (t->addr_flags & IFA_F_DADFAILED)
		return "dadfailed";
	if (t->addr_flags & IFA_F_OPTIMISTIC)
		return "optimistic";
	if (t->addr_flags & IFA_F_TENTATIVE)
		return "tentative";
	return NULL;
}

static void target_progress(const struct engine_target_info *t, char *buf, size_t size)
{
	const char *state = engine_target_state_to_string(t->state);
	const char *dad = addr_dad_state(t);

	if (t->state == ENGINE_TARGET_PROBING || t->state == ENGINE_TARGET_ANNOUNCING)
		snprintf(buf, size, "%s %u/%u", state, t->sent, t->total);
	else if (dad)
		snprintf(buf, size, "%s", dad); /* why nothing is sent for it */
	else
		snprintf(buf, size, "%s", state);
}

/* Seconds since a monotonic time, for people; -1 for never. */
static double ago(const struct daemon_status *s, uint64_t t)
{
	if (!t)
		return -1;
	return t > s->now ? 0 : (double)(s->now - t) / 1e9;
}

/*
 * A status reply, in either form, is one walk over the snapshot: a
 * header, each interface with its addresses, then the counters and the
 * recent conflicts. A form says what each step prints.
 */
struct status_form {
	void (*begin)(const struct daemon_status *s, struct buf *out);
	/* the @i-th interface, up to its addresses */
	void (*link)(const struct daemon_status *s, size_t i, struct buf *out);
	/* the @k-th address of @l */
	void (*target)(const struct daemon_status *s, const struct status_link *l, size_t k,
		       struct buf *out);
	/* after an interface's addresses; NULL for nothing */
	void (*link_end)(struct buf *out);
	void (*end)(const struct daemon_status *s, struct buf *out);
};

/*
 * Where a status reply stopped: it is built in slices (control.h's jobs), so
 * that thousands of addresses never hold the loop. Each slice stops before
 * an address line once the payload has reached @until.
 */
struct status_cursor {
	size_t link, t;
	bool started, in_link;
};

static bool status_walk(const struct status_form *f, const struct daemon_status *s,
			struct status_cursor *cur, struct buf *out, size_t until)
{
	if (!cur->started)
		f->begin(s, out);
	cur->started = true;
	for (; cur->link < s->n_links; cur->link++) {
		const struct status_link *l = &s->links[cur->link];

		if (!cur->in_link) {
			f->link(s, cur->link, out);
			cur->t = 0;
			cur->in_link = true;
		}
		for (; cur->t < l->n_targets; cur->t++) {
			if (out->len >= until)
				return false;
			f->target(s, l, cur->t, out);
		}
		if (f->link_end)
			f->link_end(out);
		cur->in_link = false;
	}
	f->end(s, out);
	return true;
}

/* ---- status, as text ---- */

static void text_begin(const struct daemon_status *s, struct buf *out)
{
	(void)s;
	buf_printf(out, "%-16s %7s  %-17s  %-8s %-10s %s\n", "INTERFACE", "IFINDEX", "MAC", "KIND",
		   "STATE", "NOTE");
}

static void text_link(const struct daemon_status *s, size_t i, struct buf *out)
{
	const struct status_link *sl = &s->links[i];
	const struct gnl_link *l = &sl->link;
	const char *why = sl->ignored;
	char mac[PKT_MAC_STRLEN];

	buf_printf(out, "%-16s %7d  %-17s  %-8s %-10s %s%s", l->name, l->ifindex,
		   l->mac_len == PKT_ETH_ALEN ? pkt_mac_to_str(l->mac, mac) : "-",
		   l->kind_name[0] ? l->kind_name : "-", sl->state, why ? "ignored: " : "",
		   why ? why : "");
	if (l->kind == GNL_KIND_BOND)
		buf_printf(out, "%sactive_slave=%s", why ? " " : "",
			   l->bond_active_slave ? sl->active_slave : "none");
	buf_printf(out, "\n");
	if (!why)
		policy_text(&sl->policy, out);
}

static void text_target(const struct daemon_status *s, const struct status_link *l, size_t k,
			struct buf *out)
{
	const struct engine_target_info *ti = &s->targets[l->target + k];
	double when = ago(s, ti->last_announced);
	char a[GARP_ADDR_STRLEN], prog[32];

	target_progress(ti, prog, sizeof(prog));
	buf_printf(out, "    %-15s  %-16s", garp_addr_to_str(&ti->addr, a), prog);
	if (when < 0)
		buf_printf(out, "  never announced\n");
	else
		buf_printf(out, "  announced %.1f s ago\n", when);
}

/*
 * The daemon-wide counters, in the order status shows them: the text
 * report (a line ends where eol is set), the JSON "counters" object and,
 * for those with a metric name, the metrics. The per-interface metrics
 * (cmd_metrics()'s per_if) break the frame counters down instead.
 */
enum counter_src { COUNTER_ENGINE, COUNTER_NETLINK, COUNTER_DAEMON };

static const struct counter_desc {
	const char *text, *json, *metric, *help;
	enum counter_src src;
	size_t off;
	bool eol;
} counters[] = {
/* The offset of @f in @type, which must be a uint64_t (counter_value() reads 8 bytes). */
#define U64_AT(type, f)                                                                            \
	(offsetof(type, f) + 0 * sizeof(char[sizeof(((type *)0)->f) == sizeof(uint64_t) ? 1 : -1]))
#define EC(f) COUNTER_ENGINE, U64_AT(struct engine_counters, f)
#define GC(f) COUNTER_NETLINK, U64_AT(struct gnl_counters, f)
	{ "probes", "probes", NULL, NULL, EC(probes), false },
	{ "announcements", "announcements", NULL, NULL, EC(announcements), false },
	{ "replies", "replies", NULL, NULL, EC(replies), false },
	{ "relearn", "relearn", NULL, NULL, EC(relearn), true },
	{ "neighbour advertisements", "neighbour_advertisements", NULL, NULL, EC(na), false },
	{ "ns probes", "ns_probes", NULL, NULL, EC(ns_probes), false },
	{ "dad failures", "dad_failures", "dad_failures_total",
	  "IPv6 addresses whose kernel DAD failed.", EC(dad_failures), true },
	{ "conflicts", "conflicts", NULL, NULL, EC(conflicts), false },
	{ "cancellations", "cancellations", "cancellations_total",
	  "Sequences cancelled before they finished.", EC(cancellations), false },
	{ "rate-limit delays", "rate_limited", "rate_limit_delays_total",
	  "Frames delayed by the per-interface rate limit.", EC(rate_limited), false },
	{ "sequences", "sequences", "sequences_total", "Announcement sequences started.",
	  EC(sequences), true },
	{ "netlink resyncs", "resyncs", "netlink_resyncs_total",
	  "Netlink overflows recovered by a re-dump.", GC(resyncs), false },
	{ "malformed netlink", "malformed_netlink", "netlink_malformed_total",
	  "Malformed netlink messages skipped.", GC(malformed), false },
	{ "send errors", "send_errors", NULL, NULL, COUNTER_DAEMON,
	  U64_AT(struct daemon_status, send_errors), true },
	{ "directed refreshes", "refreshes", NULL, NULL, EC(refreshes), false },
	{ "refresh capped", "refresh_capped", NULL, NULL, EC(refresh_capped), true },
	{ "lost (out of memory)", "lost", "lost_total",
	  "Frames, targets or queries dropped: out of memory.", EC(lost), false },
	{ "notes dropped", "notes_dropped", "notes_dropped_total",
	  "Engine notes not logged: too many waiting or no memory.", EC(notes_dropped), true },
#undef EC
#undef GC
#undef U64_AT
};

static unsigned long long counter_value(const struct daemon_status *s, const struct counter_desc *c)
{
	const void *base = c->src == COUNTER_ENGINE    ? (const void *)&s->engine
			   : c->src == COUNTER_NETLINK ? (const void *)&s->netlink
						       : (const void *)s;
	uint64_t v;

	memcpy(&v, (const char *)base + c->off, sizeof(v));
	return (unsigned long long)v;
}

static void text_end(const struct daemon_status *s, struct buf *out)
{
	char mac[PKT_MAC_STRLEN], a[GARP_ADDR_STRLEN], b[IFNAMSIZ + 12];

	buf_printf(out, "\nCOUNTERS\n");
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		buf_printf(out, "  %s %llu%s", counters[i].text, counter_value(s, &counters[i]),
			   counters[i].eol ? "\n" : "");

	buf_printf(out, "\nRECENT CONFLICTS%s\n", s->n_conflicts ? "" : ": none");
	for (size_t i = 0; i < s->n_conflicts; i++) {
		const struct engine_conflict *c = &s->conflicts[i];

		buf_printf(out, "  %-16s %-15s  %s  %.1f s ago\n",
			   daemon_status_ifname(s, c->ifindex, b), garp_addr_to_str(&c->addr, a),
			   c->kernel_dad ? "kernel DAD failed" : pkt_mac_to_str(c->mac, mac),
			   ago(s, c->time));
	}
}

static const struct status_form status_text = {
	.begin = text_begin,
	.link = text_link,
	.target = text_target,
	.end = text_end,
};

/* ---- status, as JSON ---- */

static void json_key(struct buf *out, bool *first, const char *key)
{
	buf_printf(out, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
}

static void json_begin(const struct daemon_status *s, struct buf *out)
{
	(void)s;
	buf_printf(out, "{\"version\":\"%s\",\"interfaces\":[", GARPD_VERSION);
}

static void json_link(const struct daemon_status *s, size_t i, struct buf *out)
{
	const struct status_link *sl = &s->links[i];
	const struct gnl_link *l = &sl->link;
	bool first = true;
	char mac[PKT_MAC_STRLEN];

	buf_printf(out, "%s{", i ? "," : "");
	json_key(out, &first, "name");
	buf_json_string(out, l->name);
	json_key(out, &first, "ifindex");
	buf_printf(out, "%d", l->ifindex);
	json_key(out, &first, "mac");
	if (l->mac_len == PKT_ETH_ALEN)
		buf_printf(out, "\"%s\"", pkt_mac_to_str(l->mac, mac));
	else
		buf_printf(out, "null");
	json_key(out, &first, "kind");
	buf_json_string(out, l->kind_name);
	json_key(out, &first, "state");
	buf_printf(out, "\"%s\"", sl->state);
	json_key(out, &first, "ignored");
	buf_printf(out, "%s", sl->ignored ? "true" : "false");
	json_key(out, &first, "ignored_reason");
	if (sl->ignored)
		buf_printf(out, "\"%s\"", sl->ignored);
	else
		buf_printf(out, "null");
	json_key(out, &first, "policy");
	if (sl->ignored)
		buf_printf(out, "null");
	else
		policy_json(&sl->policy, out);
	if (l->kind == GNL_KIND_BOND) {
		json_key(out, &first, "active_slave");
		if (l->bond_active_slave)
			buf_json_string(out, sl->active_slave);
		else
			buf_printf(out, "null");
	}
	json_key(out, &first, "addresses");
	buf_printf(out, "[");
}

static void json_target(const struct daemon_status *s, const struct status_link *l, size_t k,
			struct buf *out)
{
	const struct engine_target_info *ti = &s->targets[l->target + k];
	double when = ago(s, ti->last_announced);
	char a[GARP_ADDR_STRLEN];

	buf_printf(out,
		   "%s{\"address\":\"%s\",\"family\":\"%s\",\"state\":\"%s\","
		   "\"sent\":%u,\"total\":%u,",
		   k ? "," : "", garp_addr_to_str(&ti->addr, a),
		   ti->addr.family == AF_INET6 ? "ipv6" : "ipv4",
		   engine_target_state_to_string(ti->state), ti->sent, ti->total);
	if (ti->addr.family == AF_INET6)
		buf_printf(out, "\"dad\":\"%s\",",
			   addr_dad_state(ti) ? addr_dad_state(ti) : "done");
	if (when < 0)
		buf_printf(out, "\"last_announced_seconds_ago\":null}");
	else
		buf_printf(out, "\"last_announced_seconds_ago\":%.3f}", when);
}

static void json_link_end(struct buf *out)
{
	buf_printf(out, "]}");
}

static void json_end(const struct daemon_status *s, struct buf *out)
{
	char mac[PKT_MAC_STRLEN], a[GARP_ADDR_STRLEN], b[IFNAMSIZ + 12];

	buf_printf(out, "],\"counters\":{");
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		buf_printf(out, "%s\"%s\":%llu", i ? "," : "", counters[i].json,
			   counter_value(s, &counters[i]));
	buf_printf(out, "},\"conflicts\":[");
	for (size_t i = 0; i < s->n_conflicts; i++) {
		const struct engine_conflict *c = &s->conflicts[i];

		buf_printf(out, "%s{\"interface\":", i ? "," : "");
		buf_json_string(out, daemon_status_ifname(s, c->ifindex, b));
		buf_printf(out, ",\"address\":\"%s\",", garp_addr_to_str(&c->addr, a));
		if (c->kernel_dad)
			buf_printf(out, "\"mac\":null,\"detected\":\"kernel-dad\",");
		else
			buf_printf(out, "\"mac\":\"%s\",", pkt_mac_to_str(c->mac, mac));
		buf_printf(out, "\"seconds_ago\":%.3f}", ago(s, c->time));
	}
	buf_printf(out, "]}\n");
}

static const struct status_form status_json = {
	.begin = json_begin,
	.link = json_link,
	.target = json_target,
	.link_end = json_link_end,
	.end = json_end,
};

/* A status reply in the making: the state as it was when asked, and how far it got. */
struct status_job {
	struct control_job job;
	const struct status_form *form;
	struct daemon_status s;
	struct status_cursor cur;
};

static bool status_step(struct control_job *job, struct buf *out, size_t until)
{
	struct status_job *j = (struct status_job *)job;

	return status_walk(j->form, &j->s, &j->cur, out, until);
}

static void status_free(struct control_job *job)
{
	struct status_job *j = (struct status_job *)job;

	daemon_status_free(&j->s);
	free(j);
}

static enum control_reply cmd_status(struct daemon *d, const struct request *r, struct buf *out,
				     struct control_job **ret_job)
{
	struct status_job *j;
	bool json = r->n == 2 && !strcmp(r->word[1], "json");

	if (r->n > 2 || (r->n == 2 && !json)) {
		buf_printf(out, "usage: status [json]");
		return CONTROL_REPLY_ERROR;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		goto oom;
	j->job = (struct control_job){ .step = status_step, .free = status_free };
	j->form = json ? &status_json : &status_text;
	if (daemon_status_take(d, &j->s) < 0) {
		status_free(&j->job);
		goto oom;
	}
	*ret_job = &j->job;
	return CONTROL_REPLY_OK;
oom:
	buf_printf(out, "out of memory");
	return CONTROL_REPLY_ERROR;
}

/* Wall-clock time of a monotonic time, as RFC 3339 UTC with milliseconds. */
static const char *mono_to_rfc3339(const struct daemon_status *s, uint64_t t, char buf[40])
{
	uint64_t wall = daemon_wall_ns();

	wall -= t < s->now ? s->now - t : 0;
	return daemon_format_time(wall, buf);
}

uint64_t daemon_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *daemon_format_time(uint64_t epoch_ns, char buf[40])
{
	time_t sec = (time_t)(epoch_ns / 1000000000ull);
	struct tm tm;

	if (!gmtime_r(&sec, &tm) || !strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm))
		return "unknown";
	snprintf(buf + 19, 40 - 19, ".%06uZ", (unsigned)(epoch_ns % 1000000000ull / 1000));
	return buf;
}

/* The newest recorded conflict of a target, or NULL when it is no longer kept. */
static const struct engine_conflict *conflict_of(const struct engine_conflict *c, size_t n,
						 int ifindex, const struct garp_addr *addr)
{
	while (n--)
		if (c[n].ifindex == ifindex && garp_addr_eq(&c[n].addr, addr))
			return &c[n];
	return NULL;
}

struct announce_req {
	enum engine_announce_kind kind;
	bool force;
	int ifindex;
	const struct status_link *link;
	struct garp_addr addrs[WORDS_MAX];
	size_t n;
};

/* Whether garpd announces on the interface of @ifindex. */
static bool link_announced(const struct daemon_status *s, int ifindex)
{
	const struct status_link *l = daemon_status_link(s, ifindex);

	return l && !l->ignored;
}

/* One target: announce it and say what happened. Return: 1 when something was started. */
static int announce_one(struct daemon *d, const struct daemon_status *s,
			const struct announce_req *q, const struct engine_target_info *ti,
			struct buf *out, struct buf *why)
{
	const struct engine_conflict *c;
	char a[GARP_ADDR_STRLEN], b[IFNAMSIZ + 12], mac[PKT_MAC_STRLEN], when[40];
	const char *ifname = daemon_status_ifname(s, ti->ifindex, b);
	int r;

	garp_addr_to_str(&ti->addr, a);
	r = engine_announce_now(d->engine, s->now, ti->ifindex, &ti->addr, q->kind, q->force);
	switch (r) {
	case ENGINE_NOW_STARTED:
		buf_printf(out, "started iface=%s addr=%s%s\n", ifname, a,
			   ti->state == ENGINE_TARGET_CONFLICT ? " forced=conflict" : "");
		return 1;
	case ENGINE_NOW_CUT_SHORT:
		buf_printf(out, "cut-short iface=%s addr=%s probes_skipped=%u\n", ifname, a,
			   ti->state == ENGINE_TARGET_PROBING ? ti->total - ti->sent : 0);
		return 1;
	case ENGINE_NOW_RESTARTED:
		buf_printf(out, "restarted iface=%s addr=%s\n", ifname, a);
		return 1;
	case ENGINE_NOW_RUNNING:
		buf_printf(out, "running iface=%s addr=%s state=%s\n", ifname, a,
			   engine_target_state_to_string(ti->state));
		buf_printf(why, "%s%s on %s: a sequence is already in flight", why->len ? "; " : "",
			   a, ifname);
		return 0;
	case ENGINE_NOW_WAITING:
		buf_printf(out, "waiting iface=%s addr=%s reason=cannot-send-now\n", ifname, a);
		buf_printf(why,
			   "%s%s on %s: cannot send now (link down or held down after a "
			   "removal); it runs when it can",
			   why->len ? "; " : "", a, ifname);
		return 0;
	case ENGINE_NOW_CONFLICT:
		c = conflict_of(s->conflicts, s->n_conflicts, ti->ifindex, &ti->addr);
		if (c && c->kernel_dad) {
			buf_printf(out,
				   "refused iface=%s addr=%s reason=conflict detected=kernel-dad "
				   "seen=%s\n",
				   ifname, a, mono_to_rfc3339(s, c->time, when));
			buf_printf(why,
				   "%s%s on %s: refused, the kernel's DAD failed at %s; --force "
				   "announces anyway",
				   why->len ? "; " : "", a, ifname, when);
		} else if (c) {
			buf_printf(out, "refused iface=%s addr=%s reason=conflict mac=%s seen=%s\n",
				   ifname, a, pkt_mac_to_str(c->mac, mac),
				   mono_to_rfc3339(s, c->time, when));
			buf_printf(why,
				   "%s%s on %s: refused, %s defended it at %s (%.1f s ago); "
				   "--force announces anyway",
				   why->len ? "; " : "", a, ifname, mac, when, ago(s, c->time));
		} else {
			buf_printf(out, "refused iface=%s addr=%s reason=conflict\n", ifname, a);
			buf_printf(why,
				   "%s%s on %s: refused, another host defended it; --force "
				   "announces anyway",
				   why->len ? "; " : "", a, ifname);
		}
		return 0;
	default:
		buf_printf(out, "refused iface=%s addr=%s reason=%s\n", ifname, a,
			   r == -ENODEV ? "interface-not-announced" : "not-configured");
		buf_printf(why, "%s%s on %s: %s", why->len ? "; " : "", a, ifname,
			   r == -ENODEV ? "the interface is not announced on" : "not configured");
		return 0;
	}
}

/* announce [iface=NAME] [sequence] [force] [ADDRESS...] */
static enum control_reply cmd_announce(struct daemon *d, const struct request *r, struct buf *out)
{
	struct announce_req q = { .kind = ENGINE_ANNOUNCE_ONLY };
	struct buf lines = BUF_INIT, why = BUF_INIT;
	char a[GARP_ADDR_STRLEN];
	struct daemon_status s;
	size_t considered = 0;
	int started = 0;

	if (daemon_status_take(d, &s) < 0) {
		daemon_status_free(&s);
		buf_printf(out, "out of memory");
		return CONTROL_REPLY_ERROR;
	}
	for (size_t i = 1; i < r->n; i++) {
		const char *w = r->word[i];

		if (!strncmp(w, "iface=", 6)) {
			q.link = daemon_status_link_by_name(&s, w + 6);
			if (!q.link) {
				buf_printf(out, "no interface \"%.*s\"", IFNAMSIZ, w + 6);
				goto fail;
			}
			q.ifindex = q.link->link.ifindex;
		} else if (!strcmp(w, "sequence")) {
			q.kind = ENGINE_ANNOUNCE_SEQUENCE;
		} else if (!strcmp(w, "force")) {
			q.force = true;
		} else if (garp_addr_from_str(w, &q.addrs[q.n]) == 0) {
			q.n++;
		} else {
			buf_printf(out, "\"%.64s\" is not an IPv4 or IPv6 address", w);
			goto fail;
		}
	}
	if (q.ifindex && q.link->ignored) {
		buf_printf(out, "%s is not announced on (%s)", q.link->link.name, q.link->ignored);
		goto fail;
	}

	/* Every address must be ours before anything is sent: all or nothing. */
	for (size_t i = 0; i < q.n; i++) {
		const struct engine_target_info *ti = NULL, *unusable = NULL;

		for (size_t t = 0; t < s.n_targets && !ti; t++) {
			if (!garp_addr_eq(&s.targets[t].addr, &q.addrs[i]) ||
			    (q.ifindex && s.targets[t].ifindex != q.ifindex) ||
			    !link_announced(&s, s.targets[t].ifindex))
				continue;
			if (addr_dad_state(&s.targets[t]))
				unusable = &s.targets[t];
			else
				ti = &s.targets[t];
		}
		if (!ti && unusable) {
			char b[IFNAMSIZ + 12];

			/* an IPv6 address in DAD, or whose DAD failed: never advertised */
			buf_printf(out, "%s on %s is %s: not advertised",
				   garp_addr_to_str(&q.addrs[i], a),
				   daemon_status_ifname(&s, unusable->ifindex, b),
				   addr_dad_state(unusable));
			goto fail;
		}
		if (!ti) {
			buf_printf(out, "%s is not configured on %s",
				   garp_addr_to_str(&q.addrs[i], a),
				   q.link ? q.link->link.name : "any interface garpd announces on");
			goto fail;
		}
	}

	for (size_t t = 0; t < s.n_targets; t++) {
		const struct engine_target_info *ti = &s.targets[t];
		bool wanted = q.n == 0;

		if ((q.ifindex && ti->ifindex != q.ifindex) || !link_announced(&s, ti->ifindex))
			continue;
		for (size_t i = 0; i < q.n && !wanted; i++)
			wanted = garp_addr_eq(&ti->addr, &q.addrs[i]);
		if (!wanted || addr_dad_state(ti))
			continue;
		considered++;
		started += announce_one(d, &s, &q, ti, &lines, &why);
	}
	if (!considered) {
		buf_printf(out, "nothing to announce%s%s", q.link ? " on " : "",
			   q.link ? q.link->link.name : "");
		goto fail;
	}
	if (!started) {
		/* nothing started: the reply is an error, with every reason on its one line */
		buf_printf(out, "nothing started: %s", why.data ? why.data : "");
		goto fail;
	}
	buf_append(out, lines.data, lines.len);
	buf_printf(out, "started %d target%s (%s)\n", started, started == 1 ? "" : "s",
		   q.kind == ENGINE_ANNOUNCE_SEQUENCE ? "sequence" : "announcement");
	buf_free(&lines);
	buf_free(&why);
	daemon_status_free(&s);
	return CONTROL_REPLY_OK;
fail:
	buf_free(&lines);
	buf_free(&why);
	daemon_status_free(&s);
	return CONTROL_REPLY_ERROR;
}

static void prom_family_typed(struct buf *out, const char *name, const char *help, const char *type)
{
	buf_printf(out, "# HELP garpd_%s %s\n# TYPE garpd_%s %s\n", name, help, name, type);
}

static void prom_family(struct buf *out, const char *name, const char *help)
{
	prom_family_typed(out, name, help, "counter");
}

/* Label values escape backslash, double quote and newline (exposition format). */
static void prom_label(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(out, "\\%c", *s);
		else if (*s == '\n')
			buf_printf(out, "\\n");
		else
			buf_append(out, s, 1);
	}
}

/* Gauges: the build, and per interface garpd announces on its addresses by state. */
static void metrics_gauges(const struct daemon_status *s, struct buf *out)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{ "addresses", "Addresses garpd tracks, IPv4 and IPv6." },
		{ "addresses_in_flight", "Addresses with a sequence in flight (probing, waiting "
					 "or announcing)." },
		{ "addresses_in_conflict", "Addresses another host defended (state conflict)." },
	};

	prom_family_typed(out, "build_info", "garpd's version; always 1.", "gauge");
	buf_printf(out, "garpd_build_info{version=\"");
	prom_label(out, GARPD_VERSION);
	buf_printf(out, "\"} 1\n");
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		prom_family_typed(out, fam[k].name, fam[k].help, "gauge");
		for (size_t i = 0; i < s->n_links; i++) {
			const struct status_link *l = &s->links[i];
			unsigned long n = 0;

			if (l->ignored)
				continue;
			for (size_t t = l->target; t < l->target + l->n_targets; t++) {
				enum engine_target_state st = s->targets[t].state;

				n += k == 0 ||
				     (k == 1 &&
				      (st == ENGINE_TARGET_PROBING || st == ENGINE_TARGET_WAITING ||
				       st == ENGINE_TARGET_ANNOUNCING)) ||
				     (k == 2 && st == ENGINE_TARGET_CONFLICT);
			}
			buf_printf(out, "garpd_%s{interface=\"", fam[k].name);
			prom_label(out, l->link.name);
			buf_printf(out, "\"} %lu\n", n);
		}
	}
}

static enum control_reply cmd_metrics(struct daemon *d, struct buf *out)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} per_if[] = {
		{ "probes_total", "ARP probes sent.", offsetof(struct if_stats, probes) },
		{ "announcements_total", "ARP announcements sent (request and reply forms).",
		  offsetof(struct if_stats, announcements) },
		{ "replies_total", "ARP announcements sent in reply form.",
		  offsetof(struct if_stats, replies) },
		{ "relearn_total", "Switch-relearn frames sent for guest MACs.",
		  offsetof(struct if_stats, relearn) },
		{ "conflicts_total",
		  "Address conflicts detected (while probing, or a failed IPv6 DAD).",
		  offsetof(struct if_stats, conflicts) },
		{ "neighbour_advertisements_total",
		  "IPv6 unsolicited neighbour advertisements sent.",
		  offsetof(struct if_stats, na) },
		{ "ns_probes_total", "IPv6 DAD neighbour solicitations sent for nodad addresses.",
		  offsetof(struct if_stats, ns_probes) },
		{ "send_errors_total", "Frames that could not be sent.",
		  offsetof(struct if_stats, send_errors) },
		{ "refreshes_total", "Directed refresh requests sent to neighbours.",
		  offsetof(struct if_stats, refreshes) },
		{ "refresh_capped_total",
		  "Neighbours not refreshed: beyond refresh_neighbours_max.",
		  offsetof(struct if_stats, refresh_capped) },
	};
	struct daemon_status s;

	if (daemon_status_take(d, &s) < 0) {
		daemon_status_free(&s);
		buf_printf(out, "out of memory");
		return CONTROL_REPLY_ERROR;
	}
	for (size_t k = 0; k < sizeof(per_if) / sizeof(per_if[0]); k++) {
		prom_family(out, per_if[k].name, per_if[k].help);
		for (size_t i = 0; i < s.n_if_stats; i++) {
			const uint64_t *v =
			    (const uint64_t *)((const char *)&s.if_stats[i] + per_if[k].off);

			buf_printf(out, "garpd_%s{interface=\"", per_if[k].name);
			prom_label(out, s.if_stats[i].name);
			buf_printf(out, "\"} %llu\n", (unsigned long long)*v);
		}
	}
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		if (!counters[i].metric)
			continue;
		prom_family(out, counters[i].metric, counters[i].help);
		buf_printf(out, "garpd_%s %llu\n", counters[i].metric,
			   counter_value(&s, &counters[i]));
	}
	metrics_gauges(&s, out);
	daemon_status_free(&s);
	return CONTROL_REPLY_OK;
}

enum control_reply daemon_control(void *userdata, const char *line, struct buf *out,
				  struct control_job **ret_job)
{
	struct daemon *d = userdata;
	struct request r;
	const char *cmd;

	if (split(&r, line) < 0) {
		buf_printf(out, "too many words");
		return CONTROL_REPLY_ERROR;
	}
	if (r.n == 0) {
		buf_printf(out, "empty request; try \"help\"");
		return CONTROL_REPLY_ERROR;
	}
	cmd = r.word[0];
	if (!strcmp(cmd, "status"))
		return cmd_status(d, &r, out, ret_job);
	if (!strcmp(cmd, "announce"))
		return cmd_announce(d, &r, out);
	if (!strcmp(cmd, "metrics") && r.n == 1)
		return cmd_metrics(d, out);
	if (!strcmp(cmd, "reload") && r.n == 1) {
		if (daemon_reload(d, out) < 0)
			return CONTROL_REPLY_ERROR;
		buf_printf(out, "ok\n");
		return CONTROL_REPLY_OK;
	}
	if (!strcmp(cmd, "monitor") && r.n == 1)
		return CONTROL_REPLY_MONITOR;
	if (!strcmp(cmd, "monitor") && r.n == 2 && !strcmp(r.word[1], "json"))
		return CONTROL_REPLY_MONITOR_JSON;
	if (!strcmp(cmd, "help") && r.n == 1) {
		buf_printf(out, "status [json]\nannounce [iface=NAME] [sequence] [ADDRESS...]\n"
				"reload\nmonitor [json]\nmetrics\nhelp\n");
		return CONTROL_REPLY_OK;
	}
	buf_printf(out, "unknown request \"%.32s\"; try \"help\"", cmd);
	return CONTROL_REPLY_ERROR;
}
