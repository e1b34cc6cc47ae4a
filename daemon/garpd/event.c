/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events: what happened, as one key=value line for the log and for
 * `garpctl monitor`, and as a JSON object for `monitor --json`; the
 * engine's notes and netlink's link changes put into those words.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"
#include "garp-netlink.h"
#include "garp-packet.h"
#include "log.h"
#include "log-burst.h"

const char *daemon_ifname(const struct daemon *d, int ifindex, char buf[IFNAMSIZ + 12])
{
	const struct gnl_link *l = gnl_link_get(d->gnl, ifindex);

	if (l)
		return l->name;
	snprintf(buf, IFNAMSIZ + 12, "if%d", ifindex);
	return buf;
}

/* Whether an event field's value is a number (JSON without quotes). */
static bool key_is_number(const char *key)
{
	static const char *const numbers[] = { "probes", "guests", "neighbours", "capped", NULL };

	for (size_t i = 0; numbers[i]; i++)
		if (!strcmp(key, numbers[i]))
			return true;
	return false;
}

/* One "key=value key=value" line, cut (never overrun) at its capacity. */
struct kv_line {
	size_t len;
	char s[768];
};

static void kv_add(struct kv_line *l, const char *key, const char *val)
{
	const char *parts[] = { l->len ? " " : "", key, "=", val };

	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(parts[i]);

		if (n > sizeof(l->s) - 1 - l->len)
			n = sizeof(l->s) - 1 - l->len; /* room for the NUL the monitors need */
		memcpy(l->s + l->len, parts[i], n);
		l->len += n;
	}
}

/* key=value for the log and `garpctl monitor`; {"key":"value",...} for `monitor --json`. */
void daemon_emit(struct daemon *d, enum cfg_log_level level, const struct daemon_event *ev)
{
	char b[IFNAMSIZ + 12], a[GARP_ADDR_STRLEN], m[PKT_MAC_STRLEN];
	const char *keys[6], *vals[6];
	struct kv_line text;
	size_t n = 0;
	bool mon = control_has_monitors(d->control);

	if (!mon && !log_enabled(level))
		return;
	if (ev->ifindex) {
		keys[n] = "iface";
		vals[n++] = daemon_ifname(d, ev->ifindex, b);
	}
	if (ev->addr) {
		keys[n] = "addr";
		vals[n++] = garp_addr_to_str(ev->addr, a);
	}
	keys[n] = "event";
	vals[n++] = ev->event;
	if (ev->mac) {
		keys[n] = "mac";
		vals[n++] = pkt_mac_to_str(ev->mac, m);
	}
	if (ev->key1) {
		keys[n] = ev->key1;
		vals[n++] = ev->val1;
	}
	if (ev->key2) {
		keys[n] = ev->key2;
		vals[n++] = ev->val2;
	}
	text.len = 0;
	for (size_t i = 0; i < n; i++)
		kv_add(&text, keys[i], vals[i]);
	log_line(level, text.s, text.len);
	if (mon) {
		struct buf json = BUF_INIT, line = BUF_INIT;
		char when[40];
		uint64_t wall = daemon_wall_ns();

		/* monitors get the wall-clock time: "[RFC 3339] key=value ..." and "time",
		 * "time_ns" */
		daemon_format_time(wall, when);
		text.s[text.len] = '\0';
		buf_printf(&line, "[%s] %s", when, text.s);
		buf_printf(&json, "{\"time\":\"%s\",\"time_ns\":%llu", when,
			   (unsigned long long)wall);
		for (size_t i = 0; i < n; i++) {
			buf_printf(&json, ",\"%s\":", keys[i]);
			if (key_is_number(keys[i]))
				buf_printf(&json, "%s", vals[i]);
			else
				buf_json_string(&json, vals[i]);
		}
		buf_append(&json, "}", 1);
		if (!json.oom && !line.oom)
			control_broadcast(d->control, line.data, json.data);
		buf_free(&json);
		buf_free(&line);
	}
}

/* Decimal, without stdio: "probes=3" is written once per address. */
static const char *u32_str(uint32_t v, char buf[11])
{
	char *p = buf + 10;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void daemon_emit_note(struct daemon *d, const struct engine_note *n)
{
	char b[IFNAMSIZ + 12], num[16];
	struct daemon_event ev = { .ifindex = n->ifindex, .addr = &n->addr };
	enum cfg_log_level level = CFG_LOG_INFO;
	struct if_stats *st;

	switch (n->type) {
	case ENGINE_NOTE_STARTED:
		ev.event = "sequence-started";
		ev.key1 = "probes";
		ev.val1 = u32_str(n->probes, num);
		break;
	case ENGINE_NOTE_ANNOUNCED:
		ev.event = "announced";
		break;
	case ENGINE_NOTE_CONFLICT:
		ev.event = "conflict";
		if (n->kernel_dad) {
			/* the kernel's duplicate address detection failed: no MAC to show */
			ev.key1 = "detected";
			ev.val1 = "kernel-dad";
		} else {
			ev.mac = n->mac;
		}
		level = CFG_LOG_WARNING;
		st = daemon_if_stats(d, n->ifindex);
		if (st)
			st->conflicts++;
		break;
	case ENGINE_NOTE_CANCELLED:
		ev.event = "cancelled";
		ev.key1 = "reason";
		ev.val1 = engine_cancel_reason_to_string(n->reason);
		break;
	case ENGINE_NOTE_FAILOVER:
		ev.event = "bond-failover";
		ev.addr = NULL;
		ev.key1 = "active_slave";
		ev.val1 = daemon_ifname(d, n->slave, b);
		level = CFG_LOG_NOTICE;
		break;
	case ENGINE_NOTE_RELEARN:
		ev.event = "relearn";
		ev.addr = NULL;
		ev.key1 = "bridge";
		ev.val1 = daemon_ifname(d, n->bridge, b);
		ev.key2 = "guests";
		ev.val2 = u32_str(n->count, num);
		break;
	case ENGINE_NOTE_DEFERRED:
		ev.event = "held-down";
		level = CFG_LOG_DEBUG;
		break;
	case ENGINE_NOTE_LOST:
		/* out of memory: counted in status and metrics too (engine.h) */
		ev.event = "lost";
		if (!n->addr.family)
			ev.addr = NULL;
		ev.key1 = "reason";
		ev.val1 = "out-of-memory";
		daemon_emit(d, CFG_LOG_WARNING, &ev);
		return;
	case ENGINE_NOTE_REFRESHED: {
		char capped[16];

		/* one line per address, not one per neighbour */
		ev.event = "refreshed";
		ev.key1 = "neighbours";
		ev.val1 = u32_str(n->count, num);
		ev.key2 = "capped";
		ev.val2 = u32_str(n->capped, capped);
		st = daemon_if_stats(d, n->ifindex);
		if (st)
			st->refresh_capped += n->capped;
		if (!n->count && !n->capped)
			level = CFG_LOG_DEBUG;
		daemon_emit(d, level, &ev);
		return;
	}
	default:
		return;
	}
	/*
	 * A per-address line is debug. At info, a burst's lines become one
	 * summary (log-burst.h); at debug every line is there, no summary.
	 */
	if (level == CFG_LOG_INFO && n->type != ENGINE_NOTE_RELEARN) {
		if (log_enabled(CFG_LOG_DEBUG))
			level = CFG_LOG_DEBUG;
		else if (log_enabled(CFG_LOG_INFO) &&
			 !log_burst_add(d->burst, d->now, n->ifindex, ev.event, ev.key1, ev.val1,
					&n->addr))
			level = CFG_LOG_DEBUG;
	}
	daemon_emit(d, level, &ev);
}

void daemon_burst_emit(void *userdata, int ifindex, const char *fields, size_t len)
{
	struct daemon *d = userdata;
	char b[IFNAMSIZ + 12];
	struct kv_line text = { 0 };

	kv_add(&text, "iface", daemon_ifname(d, ifindex, b));
	if (len > sizeof(text.s) - 2 - text.len)
		len = sizeof(text.s) - 2 - text.len;
	text.s[text.len++] = ' ';
	memcpy(text.s + text.len, fields, len);
	text.len += len;
	log_line(CFG_LOG_INFO, text.s, text.len);
}

void daemon_emit_link_change(struct daemon *d, const struct gnl_event *ev)
{
	const struct gnl_link *l = &ev->link;
	char old[PKT_MAC_STRLEN];

	if (ev->changes & GNL_CHANGE_CARRIER_UP)
		daemon_emit(d, CFG_LOG_INFO,
			    &(struct daemon_event){ .event = "link-up", .ifindex = l->ifindex });
	if (ev->changes & GNL_CHANGE_CARRIER_DOWN)
		daemon_emit(d, CFG_LOG_INFO,
			    &(struct daemon_event){ .event = "link-down", .ifindex = l->ifindex });
	if (ev->changes & GNL_CHANGE_MAC) {
		const struct daemon_event e = {
			.event = "mac-changed",
			.ifindex = l->ifindex,
			.mac = l->mac,
			.key1 = "old",
			.val1 = pkt_mac_to_str(ev->old.mac, old),
		};

		daemon_emit(d, CFG_LOG_NOTICE, &e);
	}
}
