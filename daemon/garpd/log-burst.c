/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-address log lines of a burst, summarised at info (see log-burst.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "log-burst.h"

struct group {
	int ifindex;
	uint8_t family;
	const char *event;
	const char *key;
	char val[24];
	uint64_t last_ns;  /* the last event, alone or summarised */
	uint64_t first_ns; /* the first pending event */
	uint32_t count;	   /* pending events */
	uint32_t min, max; /* IPv4, host order */
	struct garp_addr list[LOG_BURST_LIST];
};

struct log_burst {
	struct group *groups;
	size_t n, cap;
	size_t last; /* the group found last: a burst's events come in runs of one kind */
};

int log_burst_new(struct log_burst **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void log_burst_free(struct log_burst *b)
{
	if (!b)
		return;
	free(b->groups);
	free(b);
}

static bool same(const struct group *g, int ifindex, uint8_t family, const char *event,
		 const char *key, const char *val)
{
	/* events and keys are literals: the same pointer, mostly, before strcmp() */
	if (g->ifindex != ifindex || g->family != family ||
	    (g->event != event && strcmp(g->event, event)))
		return false;
	if (!key)
		return !g->key;
	return g->key && (g->key == key || !strcmp(g->key, key)) &&
	       !strncmp(g->val, val, sizeof(g->val) - 1);
}

/* A group that is silent and has nothing pending is only memory: forget it. */
static void prune(struct log_burst *b, uint64_t now)
{
	size_t w = 0;

	for (size_t r = 0; r < b->n; r++) {
		const struct group *g = &b->groups[r];

		if (!g->count && now - g->last_ns >= LOG_BURST_GAP_NS)
			continue;
		b->groups[w++] = *g;
	}
	b->n = w;
}

static struct group *group_get(struct log_burst *b, uint64_t now, int ifindex, uint8_t family,
			       const char *event, const char *key, const char *val)
{
	struct group *g;

	if (b->last < b->n && same(&b->groups[b->last], ifindex, family, event, key, val))
		return &b->groups[b->last];
	for (size_t i = 0; i < b->n; i++)
		if (same(&b->groups[i], ifindex, family, event, key, val)) {
			b->last = i;
			return &b->groups[i];
		}
	if (b->n == b->cap) {
		size_t cap;

		prune(b, now);
		cap = b->cap ? b->cap * 2 : 8;
		if (b->n == b->cap) {
			g = realloc(b->groups, cap * sizeof(*g));
			if (!g)
				return NULL;
			b->groups = g;
			b->cap = cap;
		}
	}
	b->last = b->n;
	g = &b->groups[b->n++];
	*g = (struct group){ .ifindex = ifindex, .family = family, .event = event, .key = key };
	if (key)
		snprintf(g->val, sizeof(g->val), "%s", val ? val : "");
	g->last_ns = now - LOG_BURST_GAP_NS; /* as if silent for the whole gap */
	return g;
}

bool log_burst_add(struct log_burst *b, uint64_t now, int ifindex, const char *event,
		   const char *key, const char *val, const struct garp_addr *addr)
{
	struct group *g = group_get(b, now, ifindex, addr->family, event, key, val);
	uint32_t a = addr->family == AF_INET ? ntohl(addr->v4.s_addr) : 0;
	bool alone;

	if (!g)
		return true;
	alone = !g->count && now - g->last_ns >= LOG_BURST_GAP_NS;
	g->last_ns = now;
	if (alone)
		return true;
	if (!g->count) {
		g->first_ns = now;
		g->min = g->max = a;
	}
	if (a < g->min)
		g->min = a;
	if (a > g->max)
		g->max = a;
	if (g->count < LOG_BURST_LIST)
		g->list[g->count] = *addr;
	if (g->count < UINT32_MAX)
		g->count++;
	return false;
}

static uint64_t due(const struct group *g)
{
	return g->first_ns + LOG_BURST_HOLD_NS;
}

uint64_t log_burst_next_deadline(const struct log_burst *b)
{
	uint64_t next = LOG_BURST_NO_DEADLINE;

	for (size_t i = 0; i < b->n; i++)
		if (b->groups[i].count && due(&b->groups[i]) < next)
			next = due(&b->groups[i]);
	return next;
}

static void append(char *s, size_t size, size_t *len, const char *text)
{
	size_t n = strlen(text);

	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(s + *len, text, n);
	*len += n;
	s[*len] = '\0';
}

static void summarise(struct group *g, log_burst_emit_fn emit, void *userdata)
{
	char line[512], a[GARP_ADDR_STRLEN], num[16];
	size_t len = 0;
	struct garp_addr x;
	uint32_t shown = g->count < LOG_BURST_LIST ? g->count : LOG_BURST_LIST;

	line[0] = '\0';
	append(line, sizeof(line), &len, "event=");
	append(line, sizeof(line), &len, g->event);
	if (g->key) {
		append(line, sizeof(line), &len, " ");
		append(line, sizeof(line), &len, g->key);
		append(line, sizeof(line), &len, "=");
		append(line, sizeof(line), &len, g->val);
	}
	snprintf(num, sizeof(num), "%u", (unsigned)g->count);
	append(line, sizeof(line), &len, " count=");
	append(line, sizeof(line), &len, num);
	if (g->count > LOG_BURST_LIST && g->family == AF_INET) {
		x = garp_addr_v4((struct in_addr){ .s_addr = htonl(g->min) });
		append(line, sizeof(line), &len, " range=");
		append(line, sizeof(line), &len, garp_addr_to_str(&x, a));
		x.v4.s_addr = htonl(g->max);
		append(line, sizeof(line), &len, "-");
		append(line, sizeof(line), &len, garp_addr_to_str(&x, a));
	}
	append(line, sizeof(line), &len, " addrs=");
	for (uint32_t i = 0; i < shown; i++) {
		if (i)
			append(line, sizeof(line), &len, ",");
		append(line, sizeof(line), &len, garp_addr_to_str(&g->list[i], a));
	}
	if (g->count > shown) {
		snprintf(num, sizeof(num), ",+%u", (unsigned)(g->count - shown));
		append(line, sizeof(line), &len, num);
	}
	emit(userdata, g->ifindex, line, len);
	g->count = 0;
}

void log_burst_flush(struct log_burst *b, uint64_t now, bool all, log_burst_emit_fn emit,
		     void *userdata)
{
	for (size_t i = 0; i < b->n; i++) {
		struct group *g = &b->groups[i];

		if (g->count && (all || now >= due(g)))
			summarise(g, emit, userdata);
	}
}
