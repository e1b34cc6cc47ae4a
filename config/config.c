/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpd.conf: strict parsing of durations, sizes, and (below) the INI file.
 * Pure: no logging, no global state.
 */

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "garp-config.h"

/*
 * Parse a decimal unsigned integer at the start of @s: at least one digit,
 * no sign, no leading blanks. Sets *@ret_end past the digits.
 */
static int parse_u64_prefix(const char *s, uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	*ret_end = p;
	return 0;
}

static int mul_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	if (b != 0 && a > UINT64_MAX / b)
		return -ERANGE;
	*ret = a * b;
	return 0;
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

/* A non-negative integer followed by exactly one of @units' suffixes. */
static int parse_with_units(const char *s, const struct unit *units, size_t n, uint64_t *ret)
{
	const char *end;
	uint64_t v, out;
	int r;

	if (!s)
		return -EINVAL;
	r = parse_u64_prefix(s, &v, &end);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		r = mul_u64(v, units[i].mult, &out);
		if (r < 0)
			return r;
		*ret = out;
		return 0;
	}
	return -EINVAL;
}

/**
 * cfg_parse_duration() - parse "250ms", "1s", "2m", "1h" or a bare number
 * @s: the text; a non-negative integer, then optionally ms, s, m or h
 * @ret_ns: the duration in nanoseconds
 *
 * A bare number means seconds ("0" is valid). Signs, blanks, decimals,
 * an empty string, an unknown unit and overflow are rejected.
 *
 * Return: 0, or -EINVAL (bad syntax) or -ERANGE (overflow); *@ret_ns is
 * untouched on failure.
 */
int cfg_parse_duration(const char *s, uint64_t *ret_ns)
{
	static const struct unit units[] = {
		{ "", CFG_NSEC_PER_SEC },	  { "ms", CFG_NSEC_PER_MSEC },
		{ "s", CFG_NSEC_PER_SEC },	  { "m", 60 * CFG_NSEC_PER_SEC },
		{ "h", 3600 * CFG_NSEC_PER_SEC },
	};

	return parse_with_units(s, units, sizeof(units) / sizeof(units[0]), ret_ns);
}

/**
 * cfg_parse_size() - parse a byte count: "65536", "64K", "4M", "1G"
 * @s: a non-negative integer, then optionally K, M or G (powers of 1024)
 * @ret: the size in bytes
 *
 * Return: 0, or -EINVAL (bad syntax) or -ERANGE (overflow); *@ret is
 * untouched on failure.
 */
int cfg_parse_size(const char *s, uint64_t *ret)
{
	static const struct unit units[] = {
		{ "", 1 },
		{ "K", 1024ull },
		{ "M", 1024ull * 1024 },
		{ "G", 1024ull * 1024 * 1024 },
	};

	return parse_with_units(s, units, sizeof(units) / sizeof(units[0]), ret);
}

/* ------------------------------------------------------------------------ */
/* The file: lines are checked and cleaned here, split by libinih.           */

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ini.h>

#include "config-private.h"

/* A raw line, comments included, longer than this is an error. */
#define CFG_RAW_LINE_MAX 4096
/* A file larger than this is refused before it is read. */
#define CFG_FILE_MAX (1024 * 1024)
/* More [interface] sections than this is an error, not a memory sink. */
#define CFG_INTERFACES_MAX 1024

static const char *const profile_names[] = { "win8", "rfc5227", "immediate", NULL };
static const char *const frames_names[] = { "request", "reply", "both", NULL };
static const char *const tha_names[] = { "broadcast", "zero", NULL };
static const char *const conflict_names[] = { "abort", "announce", NULL };
static const char *const action_names[] = { "none", "announce", "sequence", NULL };
static const char *const failover_names[] = { "none", "announce", NULL };
static const char *const relearn_names[] = { "rarp", "arp", NULL };
static const char *const log_level_names[] = {
	"debug", "info", "notice", "warning", "error", NULL
};

_Static_assert(sizeof(enum cfg_frames) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum cfg_log_level) == sizeof(int), "enums are stored as int");

enum key_type {
	KT_PROFILE,
	KT_U32,
	KT_DURATION,
	KT_BOOL,
	KT_ENUM,
	KT_SIZE,
	KT_PATH,
	KT_USER,
	KT_GROUP,
	KT_ADDR_LIST, /* blank- or comma-separated unicast addresses, none twice */
	KT_INTERNAL,  /* set by a profile only, not a key of its own */
};

enum key_where {
	KW_DAEMON,
	KW_SEQUENCE,  /* [sequence] and [interface] */
	KW_INTERFACE, /* [interface] only */
};

struct key_desc {
	const char *name;
	enum key_where where;
	enum key_type type;
	size_t offset; /* in struct cfg_daemon or struct cfg_sequence */
	size_t size;
	uint64_t min, max;
	bool zero_ok; /* durations: 0 allowed below min ("never") */
	const char *const *names;
	const char *range; /* durations and sizes: the bounds for humans */
};

#define SEQ(f) offsetof(struct cfg_sequence, f), sizeof(((struct cfg_sequence *)0)->f)
#define DMN(f) offsetof(struct cfg_daemon, f), sizeof(((struct cfg_daemon *)0)->f)
#define MS CFG_NSEC_PER_MSEC
#define SEC CFG_NSEC_PER_SEC

/* Indices into keys[]; bit (1u << K_x) in the masks. */
enum {
	K_PROFILE,
	K_PROBES,
	K_PROBE_INTERVAL,
	K_PROBE_MAX,
	K_PROBE_WAIT,
	K_ANNOUNCE_DELAY,
	K_ANNOUNCEMENTS,
	K_ANNOUNCE_INTERVAL,
	K_FRAMES,
	K_TARGET_MAC,
	K_REFRESH_INTERVAL,
	K_ON_CONFLICT,
	K_MAX_FPS,
	K_ON_LINK_UP,
	K_ON_MAC_CHANGE,
	K_ON_BOND_FAILOVER,
	K_RELEARN_GUESTS,
	K_RELEARN_FRAME,
	K_IGNORE,
	K_DIRECTED_REFRESH,
	K_REFRESH_NEIGHBOURS,
	K_REFRESH_NEIGHBOURS_MAX,
	K_IPV4,
	K_IPV6,
	K_CONTROL_SOCKET,
	K_USER,
	K_CONTROL_GROUP,
	K_LOG_LEVEL,
	K_ANNOUNCE_ON_START,
	K_NETLINK_RCVBUF,
	K_BATCH_WINDOW,
	_K_MAX,
};
_Static_assert(_K_MAX <= 32, "key masks are uint32_t");

static const struct key_desc keys[_K_MAX] = {
	[K_PROFILE] = { "profile", KW_SEQUENCE, KT_PROFILE, SEQ(profile), .names = profile_names },
	[K_PROBES] = { "probes", KW_SEQUENCE, KT_U32, SEQ(probes), 0, 100 },
	[K_PROBE_INTERVAL] = { "probe_interval", KW_SEQUENCE, KT_DURATION, SEQ(probe_interval_ns),
			       1 * MS, 3600 * SEC, .range = "a duration from 1ms to 1h" },
	[K_PROBE_MAX] = { "(probe_max)", KW_SEQUENCE, KT_INTERNAL, SEQ(probe_max_ns) },
	[K_PROBE_WAIT] = { "(probe_wait)", KW_SEQUENCE, KT_INTERNAL, SEQ(probe_wait_ns) },
	[K_ANNOUNCE_DELAY] = { "announce_delay", KW_SEQUENCE, KT_DURATION, SEQ(announce_delay_ns),
			       0, 3600 * SEC, .range = "a duration from 0 to 1h" },
	[K_ANNOUNCEMENTS] = { "announcements", KW_SEQUENCE, KT_U32, SEQ(announcements), 1, 100 },
	[K_ANNOUNCE_INTERVAL] = { "announce_interval", KW_SEQUENCE, KT_DURATION,
				  SEQ(announce_interval_ns), 1 * MS, 3600 * SEC,
				  .range = "a duration from 1ms to 1h" },
	[K_FRAMES] = { "frames", KW_SEQUENCE, KT_ENUM, SEQ(frames), .names = frames_names },
	[K_TARGET_MAC] = { "target_mac", KW_SEQUENCE, KT_ENUM, SEQ(target_mac),
			   .names = tha_names },
	[K_REFRESH_INTERVAL] = { "refresh_interval", KW_SEQUENCE, KT_DURATION,
				 SEQ(refresh_interval_ns), 1 * SEC, 24 * 3600 * SEC,
				 .zero_ok = true,
				 .range = "0 (never) or a duration from 1s to 24h" },
	[K_ON_CONFLICT] = { "on_conflict", KW_SEQUENCE, KT_ENUM, SEQ(on_conflict),
			    .names = conflict_names },
	[K_MAX_FPS] = { "max_frames_per_second", KW_SEQUENCE, KT_U32, SEQ(max_frames_per_second), 0,
			1000000 },
	[K_ON_LINK_UP] = { "on_link_up", KW_SEQUENCE, KT_ENUM, SEQ(on_link_up),
			   .names = action_names },
	[K_ON_MAC_CHANGE] = { "on_mac_change", KW_SEQUENCE, KT_ENUM, SEQ(on_mac_change),
			      .names = action_names },
	[K_ON_BOND_FAILOVER] = { "on_bond_failover", KW_SEQUENCE, KT_ENUM, SEQ(on_bond_failover),
				 .names = failover_names },
	[K_RELEARN_GUESTS] = { "relearn_guests", KW_SEQUENCE, KT_BOOL, SEQ(relearn_guests) },
	[K_RELEARN_FRAME] = { "relearn_frame", KW_SEQUENCE, KT_ENUM, SEQ(relearn_frame),
			      .names = relearn_names },
	[K_IGNORE] = { "ignore", KW_INTERFACE, KT_BOOL, SEQ(ignore) },
	[K_DIRECTED_REFRESH] = { "directed_refresh", KW_SEQUENCE, KT_BOOL, SEQ(directed_refresh) },
	[K_REFRESH_NEIGHBOURS] = { "refresh_neighbours", KW_SEQUENCE, KT_ADDR_LIST,
				   SEQ(refresh_neighbours), 0, CFG_REFRESH_NEIGHBOURS_MAX },
	[K_REFRESH_NEIGHBOURS_MAX] = { "refresh_neighbours_max", KW_SEQUENCE, KT_U32,
				       SEQ(refresh_neighbours_max), 1, 4096 },
	[K_IPV4] = { "ipv4", KW_SEQUENCE, KT_BOOL, SEQ(ipv4) },
	[K_IPV6] = { "ipv6", KW_SEQUENCE, KT_BOOL, SEQ(ipv6) },
	[K_CONTROL_SOCKET] = { "control_socket", KW_DAEMON, KT_PATH, DMN(control_socket) },
	[K_USER] = { "user", KW_DAEMON, KT_USER, DMN(user) },
	[K_CONTROL_GROUP] = { "control_group", KW_DAEMON, KT_GROUP, DMN(control_group) },
	[K_LOG_LEVEL] = { "log_level", KW_DAEMON, KT_ENUM, DMN(log_level),
			  .names = log_level_names },
	[K_ANNOUNCE_ON_START] = { "announce_on_start", KW_DAEMON, KT_BOOL, DMN(announce_on_start) },
	[K_NETLINK_RCVBUF] = { "netlink_rcvbuf", KW_DAEMON, KT_SIZE, DMN(netlink_rcvbuf), 64 * 1024,
			       1024 * 1024 * 1024, .range = "a size from 64K to 1G" },
	[K_BATCH_WINDOW] = { "batch_window", KW_DAEMON, KT_DURATION, DMN(batch_window_ns), 0,
			     1 * SEC, .range = "a duration from 0 to 1s" },
};

/* The keys a profile sets: the timing of the sequence. */
#define PROFILE_MASK                                                                               \
	((1u << K_PROFILE) | (1u << K_PROBES) | (1u << K_PROBE_INTERVAL) | (1u << K_PROBE_MAX) |   \
	 (1u << K_PROBE_WAIT) | (1u << K_ANNOUNCE_DELAY) | (1u << K_ANNOUNCEMENTS) |               \
	 (1u << K_ANNOUNCE_INTERVAL))

static void profile_apply(struct cfg_sequence *s, enum cfg_profile p)
{
	s->profile = p;
	switch (p) {
	case CFG_PROFILE_WIN8:
		/* Windows 8: 3 probes 1 s apart, 1 s pause, one announcement. */
		s->probes = 3;
		s->probe_interval_ns = SEC;
		s->probe_max_ns = 0;
		s->probe_wait_ns = 0;
		s->announce_delay_ns = SEC;
		s->announcements = 1;
		s->announce_interval_ns = SEC;
		break;
	case CFG_PROFILE_RFC5227:
		/*
		 * RFC 5227 §1.1 constants: PROBE_WAIT 1 s, PROBE_NUM 3,
		 * PROBE_MIN 1 s, PROBE_MAX 2 s, ANNOUNCE_WAIT 2 s,
		 * ANNOUNCE_NUM 2, ANNOUNCE_INTERVAL 2 s.
		 */
		s->probes = 3;
		s->probe_interval_ns = SEC;
		s->probe_max_ns = 2 * SEC;
		s->probe_wait_ns = SEC;
		s->announce_delay_ns = 2 * SEC;
		s->announcements = 2;
		s->announce_interval_ns = 2 * SEC;
		break;
	case CFG_PROFILE_IMMEDIATE:
		s->probes = 0;
		s->probe_interval_ns = SEC;
		s->probe_max_ns = 0;
		s->probe_wait_ns = 0;
		s->announce_delay_ns = 0;
		s->announcements = 1;
		s->announce_interval_ns = SEC;
		break;
	}
}

/**
 * cfg_init_defaults() - fill @ret with the built-in defaults
 * @ret: the configuration; owns nothing afterwards
 */
void cfg_init_defaults(struct cfg *ret)
{
	*ret = (struct cfg){
		.daemon = {
			.control_socket = CFG_CONTROL_SOCKET_DEFAULT,
			.user = "",
			.log_level = CFG_LOG_INFO,
			.announce_on_start = false,
			.netlink_rcvbuf = 4 * 1024 * 1024,
			.batch_window_ns = CFG_BATCH_WINDOW_DEFAULT_NS,
		},
		.sequence = CFG_SEQUENCE_INIT,
	};
}

/**
 * cfg_free() - free what a parsed configuration owns
 * @c: the configuration; left as after cfg_init_defaults()
 */
void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	/* Lists are owned where they were written: [sequence] and each section. */
	free((void *)c->sequence.refresh_neighbours.v);
	for (size_t i = 0; i < c->n_interfaces; i++)
		free((void *)c->interfaces[i].seq.refresh_neighbours.v);
	free(c->interfaces);
	cfg_init_defaults(c);
}

enum section_kind {
	SEC_NONE,
	SEC_DAEMON,
	SEC_SEQUENCE,
	SEC_INTERFACE,
	SEC_BROKEN, /* cfg_check_*(): after a bad section header, its keys are skipped */
};

struct parser {
	const char *text;
	size_t len;
	size_t pos;
	unsigned int line;
	struct cfg *cfg;
	size_t n_alloc;
	struct cfg_error *err;
	int r;		      /* first error: -EINVAL or -ENOMEM; 0 while all is well */
	cfg_report_fn report; /* cfg_check_*(): every error goes here, parsing goes on */
	void *report_data;
	unsigned int n_errors;
	enum section_kind kind;
	unsigned int daemon_line, sequence_line; /* where each section was opened */
	uint32_t written;			 /* keys written in this section */
	bool appending; /* a list key written again in its section: add to it */
	unsigned int written_line[_K_MAX];
	char cur[CFG_RAW_LINE_MAX + 1]; /* the current cleaned line, for messages */
};

static void set_error(struct parser *p, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(struct parser *p, int r, const char *fmt, ...)
{
	va_list ap;

	if (p->report) {
		struct cfg_error e = { .line = p->line };

		snprintf(e.file, sizeof(e.file), "%s", p->err->file);
		va_start(ap, fmt);
		vsnprintf(e.message, sizeof(e.message), fmt, ap);
		va_end(ap);
		if (p->r == 0) {
			p->r = r;
			*p->err = e;
		}
		p->n_errors++;
		p->report(p->report_data, &e);
		return;
	}
	if (p->r < 0)
		return; /* the first error wins */
	p->r = r;
	p->err->line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
}

/* Quote a value for a message: at most 48 bytes, non-printables as '?'. */
static const char *quote(const char *s, char buf[static 64])
{
	size_t n = 0;

	for (; *s && n < 48; s++)
		buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	if (*s) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static void bad_value(struct parser *p, const struct key_desc *k, const char *value,
		      const char *expected)
{
	char q[64];

	set_error(p, -EINVAL, "%s: expected %s, got \"%s\"", k->name, expected, quote(value, q));
}

/* "a, b or c" */
static void join_names(const char *const *names, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i]; i++) {
		const char *sep = i == 0 ? "" : names[i + 1] ? ", " : " or ";
		int w = snprintf(buf + n, size - n, "%s%s", sep, names[i]);

		if (w < 0 || (size_t)w >= size - n)
			return;
		n += (size_t)w;
	}
}

static int lookup_name(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static int parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	if (lookup_name(yes, s) >= 0)
		return 1;
	if (lookup_name(no, s) >= 0)
		return 0;
	return -1;
}

/* A user name as useradd(8) would accept it, without looking it up. */
static bool user_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return true; /* stay root */
	if (n > 31)
		return false;
	if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static void store(void *base, const struct key_desc *k, uint64_t v)
{
	char *dst = (char *)base + k->offset;

	switch (k->size) {
	case sizeof(bool):
		*(bool *)(void *)dst = v != 0;
		break;
	case sizeof(uint32_t): {
		uint32_t u = (uint32_t)v; /* enums are int-sized, same bits */

		memcpy(dst, &u, sizeof(u));
		break;
	}
	case sizeof(uint64_t):
		memcpy(dst, &v, sizeof(v));
		break;
	default:
		assert(!"unexpected field size");
	}
}

/*
 * refresh_neighbours: "10.0.0.1 10.0.0.20 fe80::1" (blanks or commas
 * between), or nothing for no list. Each must be a unicast IPv4 address in
 * dotted-quad form or a unicast IPv6 address (link-local ones too: the
 * section's interface is their zone, none is written), at most once. The
 * key written again in its section adds to the list (a line holds about a
 * dozen addresses).
 */
static int list_grow(struct parser *p, struct garp_addr **v, uint32_t *cap)
{
	uint32_t c = *cap ? 2 * *cap : 4;
	struct garp_addr *nv = realloc(*v, c * sizeof(*nv));

	if (!nv) {
		set_error(p, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	*v = nv;
	*cap = c;
	return 0;
}

/* garp_addr_eq() without linking packet/: both are built zeroed, compared whole. */
static bool addr_same(const struct garp_addr *a, const struct garp_addr *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* A neighbour's address: not unspecified, loopback, multicast, broadcast, class E, v4-mapped. */
static bool addr_is_neighbour(const struct garp_addr *a)
{
	if (a->family == AF_INET) {
		uint32_t h = ntohl(a->v4.s_addr);

		return !(h == 0 || h == UINT32_MAX || (h >> 28) >= 0xe || (h >> 24) == 127);
	}
	return !(IN6_IS_ADDR_UNSPECIFIED(&a->v6) || IN6_IS_ADDR_LOOPBACK(&a->v6) ||
		 IN6_IS_ADDR_MULTICAST(&a->v6) || IN6_IS_ADDR_V4MAPPED(&a->v6));
}

static int parse_addr_list(struct parser *p, const struct key_desc *k, const char *value,
			   void *base)
{
	struct cfg_addr_list *dst = (struct cfg_addr_list *)(void *)((char *)base + k->offset);
	struct garp_addr *v = NULL;
	uint32_t n = 0, cap = 0;
	const char *s = value;
	char word[64], q[64];

	while (*s) {
		size_t len = strcspn(s, " \t,");
		struct in_addr a4;
		struct in6_addr a6;
		struct garp_addr a;

		if (len == 0) {
			s++;
			continue;
		}
		if (len >= sizeof(word)) {
			memcpy(word, s, sizeof(word) - 1);
			word[sizeof(word) - 1] = '\0';
		} else {
			memcpy(word, s, len);
			word[len] = '\0';
		}
		s += len;
		if (len < sizeof(word) && inet_pton(AF_INET, word, &a4) == 1) {
			a = garp_addr_v4(a4);
		} else if (len < sizeof(word) && inet_pton(AF_INET6, word, &a6) == 1) {
			a = garp_addr_v6(&a6);
		} else {
			set_error(
			    p, -EINVAL,
			    "%s: expected IPv4 or IPv6 addresses like 192.0.2.1 or 2001:db8::1, "
			    "got \"%s\"",
			    k->name, quote(word, q));
			goto fail;
		}
		if (!addr_is_neighbour(&a)) {
			set_error(p, -EINVAL,
				  "%s: %s is not a neighbour's address (unspecified, loopback, "
				  "multicast or broadcast)",
				  k->name, word);
			goto fail;
		}
		for (uint32_t i = 0; i < n; i++)
			if (addr_same(&v[i], &a)) {
				set_error(p, -EINVAL, "%s: %s is listed twice", k->name, word);
				goto fail;
			}
		if (n == k->max) {
			set_error(p, -EINVAL, "%s: more than %llu addresses", k->name,
				  (unsigned long long)k->max);
			goto fail;
		}
		if (n == cap && list_grow(p, &v, &cap) < 0)
			goto fail;
		v[n++] = a;
	}
	if (p->appending && dst->n) {
		/* The lines before come first; none of ours may repeat them. */
		struct garp_addr *all = malloc((dst->n + (size_t)n) * sizeof(*all));

		if (!all) {
			set_error(p, -ENOMEM, "out of memory");
			goto fail;
		}
		memcpy(all, dst->v, dst->n * sizeof(*all));
		for (uint32_t i = 0; i < n; i++) {
			for (uint32_t j = 0; j < dst->n; j++)
				if (addr_same(&all[j], &v[i])) {
					inet_ntop(v[i].family, &v[i].v6, word, sizeof(word));
					set_error(p, -EINVAL, "%s: %s is listed twice", k->name,
						  word);
					free(all);
					goto fail;
				}
		}
		if (dst->n + (uint64_t)n > k->max) {
			set_error(p, -EINVAL, "%s: more than %llu addresses", k->name,
				  (unsigned long long)k->max);
			free(all);
			goto fail;
		}
		if (n) /* v is NULL for an empty line: memcpy() wants a pointer all the same */
			memcpy(all + dst->n, v, n * sizeof(*all));
		free(v);
		free((void *)dst->v);
		*dst = (struct cfg_addr_list){ .v = all, .n = dst->n + n };
		return 0;
	}
	if (p->appending && !n)
		return 0;
	free((void *)dst->v);
	*dst = (struct cfg_addr_list){ .v = v, .n = n };
	return 0;
fail:
	free(v);
	return p->r;
}

/*
 * Parse @value for key @k into @base (a struct cfg_daemon or cfg_sequence).
 * Return: 0, or -EINVAL with the error set.
 */
static int parse_value(struct parser *p, const struct key_desc *k, const char *value, void *base)
{
	char expected[128];
	uint64_t v;
	int i, r;

	switch (k->type) {
	case KT_PROFILE:
		i = lookup_name(k->names, value);
		if (i < 0) {
			join_names(k->names, expected, sizeof(expected));
			bad_value(p, k, value, expected);
			return -EINVAL;
		}
		profile_apply(base, (enum cfg_profile)i);
		return 0;
	case KT_U32:
		r = cfg_parse_size(value, &v); /* digits only, then a unit we refuse */
		if (r < 0 || strspn(value, "0123456789") != strlen(value) || v < k->min ||
		    v > k->max) {
			snprintf(expected, sizeof(expected), "an integer from %llu to %llu",
				 (unsigned long long)k->min, (unsigned long long)k->max);
			bad_value(p, k, value, expected);
			return -EINVAL;
		}
		break;
	case KT_DURATION:
		r = cfg_parse_duration(value, &v);
		if (r < 0) {
			bad_value(p, k, value, "a duration like 250ms or 1s");
			return -EINVAL;
		}
		if (!(k->zero_ok && v == 0) && (v < k->min || v > k->max)) {
			bad_value(p, k, value, k->range);
			return -EINVAL;
		}
		break;
	case KT_SIZE:
		r = cfg_parse_size(value, &v);
		if (r < 0) {
			bad_value(p, k, value, "a size like 64K or 4M");
			return -EINVAL;
		}
		if (v < k->min || v > k->max) {
			bad_value(p, k, value, k->range);
			return -EINVAL;
		}
		break;
	case KT_BOOL:
		i = parse_bool(value);
		if (i < 0) {
			bad_value(p, k, value, "yes or no");
			return -EINVAL;
		}
		v = (uint64_t)i;
		break;
	case KT_ENUM:
		i = lookup_name(k->names, value);
		if (i < 0) {
			join_names(k->names, expected, sizeof(expected));
			bad_value(p, k, value, expected);
			return -EINVAL;
		}
		v = (uint64_t)i;
		break;
	case KT_PATH: {
		size_t n = strlen(value);

		/* It becomes a sockaddr_un's sun_path. */
		if (value[0] != '/' || n >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
		    n >= k->size) {
			snprintf(expected, sizeof(expected),
				 "an absolute path of at most %zu bytes",
				 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			bad_value(p, k, value, expected);
			return -EINVAL;
		}
		memcpy((char *)base + k->offset, value, n + 1);
		return 0;
	}
	case KT_USER:
		if (!user_name_valid(value) || strlen(value) >= k->size) {
			bad_value(p, k, value,
				  "a user name (a letter or '_', then letters, digits, '_', '-' or "
				  "'.', at most 31) or nothing");
			return -EINVAL;
		}
		memcpy((char *)base + k->offset, value, strlen(value) + 1);
		p->cfg->daemon.user_line = p->line;
		return 0;
	case KT_GROUP: /* the same rules as a user name */
		if (!user_name_valid(value) || strlen(value) >= k->size) {
			bad_value(
			    p, k, value,
			    "a group name (a letter or '_', then letters, digits, '_', '-' or "
			    "'.', at most 31) or nothing");
			return -EINVAL;
		}
		memcpy((char *)base + k->offset, value, strlen(value) + 1);
		return 0;
	case KT_ADDR_LIST:
		return parse_addr_list(p, k, value, base);
	case KT_INTERNAL:
	default:
		assert(!"not a writable key");
		return -EINVAL;
	}
	store(base, k, v);
	return 0;
}

static int find_key(const char *name)
{
	for (int i = 0; i < _K_MAX; i++)
		if (keys[i].type != KT_INTERNAL && strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

static const char *section_name(enum section_kind kind)
{
	switch (kind) {
	case SEC_DAEMON:
		return "[daemon]";
	case SEC_SEQUENCE:
		return "[sequence]";
	case SEC_INTERFACE:
		return "[interface]";
	default:
		return "no section";
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const struct key_desc *k;
	struct cfg_interface *ifc = NULL;
	void *base;
	int i;

	if (p->r < 0 && !p->report)
		return 0;
	if (p->kind == SEC_BROKEN)
		return 1;
	if (p->kind == SEC_NONE) {
		set_error(p, -EINVAL, "%s: key outside any section", name);
		return 0;
	}
	i = find_key(name);
	if (i < 0) {
		set_error(p, -EINVAL, "%s: unknown key in %s", name, section_name(p->kind));
		return 0;
	}
	k = &keys[i];
	switch (k->where) {
	case KW_DAEMON:
		if (p->kind != SEC_DAEMON) {
			set_error(p, -EINVAL, "%s: belongs in [daemon], not in %s", name,
				  section_name(p->kind));
			return 0;
		}
		break;
	case KW_SEQUENCE:
		if (p->kind == SEC_DAEMON) {
			set_error(
			    p, -EINVAL,
			    "%s: belongs in [sequence] or [interface PATTERN], not in [daemon]",
			    name);
			return 0;
		}
		break;
	case KW_INTERFACE:
		if (p->kind != SEC_INTERFACE) {
			set_error(p, -EINVAL, "%s: only valid in an [interface PATTERN] section",
				  name);
			return 0;
		}
		break;
	}
	p->appending = false;
	if ((p->written & (1u << i)) && k->type == KT_ADDR_LIST) {
		/* A list longer than a line goes on several lines. */
		p->appending = true;
	} else if (p->written & (1u << i)) {
		set_error(p, -EINVAL, "%s: set twice in this section (first on line %u)", name,
			  p->written_line[i]);
		return 0;
	}
	p->written |= 1u << i;
	p->written_line[i] = p->line;

	if (p->kind == SEC_DAEMON) {
		base = &p->cfg->daemon;
	} else if (p->kind == SEC_SEQUENCE) {
		base = &p->cfg->sequence;
	} else {
		ifc = &p->cfg->interfaces[p->cfg->n_interfaces - 1];
		base = &ifc->seq;
	}
	if (parse_value(p, k, value, base) < 0)
		return 0;
	if (ifc)
		ifc->set |= k->type == KT_PROFILE ? PROFILE_MASK : 1u << i;
	return 1;
}

/* Open a section from its header line "[...]", already trimmed. */
static void open_section(struct parser *p, const char *line, size_t n)
{
	char inner[CFG_RAW_LINE_MAX + 1];
	char q[64];
	size_t a, b;

	if (n < 2 || line[n - 1] != ']') {
		set_error(p, -EINVAL, "syntax error: expected \"[section]\", got \"%s\"",
			  quote(line, q));
		return;
	}
	for (a = 1; a < n - 1 && (line[a] == ' ' || line[a] == '\t'); a++)
		;
	for (b = n - 1; b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'); b--)
		;
	memcpy(inner, line + a, b - a);
	inner[b - a] = '\0';

	p->written = 0;
	if (strcmp(inner, "daemon") == 0 || strcmp(inner, "sequence") == 0) {
		bool daemon = inner[0] == 'd';
		unsigned int *seen = daemon ? &p->daemon_line : &p->sequence_line;

		if (*seen) {
			set_error(p, -EINVAL, "section [%s] appears twice (first on line %u)",
				  inner, *seen);
			return;
		}
		*seen = p->line;
		p->kind = daemon ? SEC_DAEMON : SEC_SEQUENCE;
		return;
	}
	if (strncmp(inner, "interface", 9) == 0 && (inner[9] == ' ' || inner[9] == '\t')) {
		const char *pat = inner + 10;
		struct cfg_interface *ifc;

		while (*pat == ' ' || *pat == '\t')
			pat++;
		if (*pat == '\0' || strlen(pat) >= CFG_PATTERN_MAX ||
		    strpbrk(pat, " \t/") != NULL) {
			set_error(p, -EINVAL,
				  "interface: expected a pattern of at most %d characters without "
				  "blanks or '/', got \"%s\"",
				  CFG_PATTERN_MAX - 1, quote(pat, q));
			return;
		}
		if (p->cfg->n_interfaces >= CFG_INTERFACES_MAX) {
			set_error(p, -EINVAL, "too many [interface] sections (at most %d)",
				  CFG_INTERFACES_MAX);
			return;
		}
		if (p->cfg->n_interfaces == p->n_alloc) {
			size_t na = p->n_alloc ? p->n_alloc * 2 : 4;
			struct cfg_interface *ni = realloc(p->cfg->interfaces, na * sizeof(*ni));

			if (!ni) {
				set_error(p, -ENOMEM, "out of memory");
				return;
			}
			p->cfg->interfaces = ni;
			p->n_alloc = na;
		}
		ifc = &p->cfg->interfaces[p->cfg->n_interfaces++];
		*ifc = (struct cfg_interface){ .line = p->line, .seq = CFG_SEQUENCE_INIT };
		memcpy(ifc->pattern, pat, strlen(pat) + 1);
		p->kind = SEC_INTERFACE;
		return;
	}
	set_error(p, -EINVAL,
		  "unknown section [%s]; expected [daemon], [sequence] or [interface PATTERN]",
		  quote(inner, q));
}

/*
 * Check and clean the next line for libinih: comments and leading blanks
 * removed (so inih never sees a continuation line and never glues two
 * lines), control characters and overlong lines refused, section headers
 * handled here (so an empty unknown section is still an error), and a
 * "key = value" line checked for its shape. Every line is handed over,
 * even when empty, so inih's line count stays ours.
 */
/* After an error in a line: stop, or (reporting every error) hand inih an empty line. */
static char *skip_line(struct parser *p, char *str)
{
	if (!p->report)
		return NULL;
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *start, *nl;
	size_t raw, n, i;
	char *line = p->cur;
	char q[64];

	if ((p->r < 0 && !p->report) || p->pos >= p->len || num < 3)
		return NULL;
	p->line++;
	start = p->text + p->pos;
	nl = memchr(start, '\n', p->len - p->pos);
	raw = nl ? (size_t)(nl - start) : p->len - p->pos;
	p->pos += raw + (nl ? 1 : 0);

	if (raw > CFG_RAW_LINE_MAX) {
		set_error(p, -EINVAL, "line too long (more than %d bytes)", CFG_RAW_LINE_MAX);
		return skip_line(p, str);
	}
	if (raw > 0 && start[raw - 1] == '\r')
		raw--;
	for (i = 0; i < raw; i++) {
		unsigned char c = (unsigned char)start[i];

		if (c == '\0') {
			set_error(p, -EINVAL, "line contains a NUL byte");
			return skip_line(p, str);
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			set_error(p, -EINVAL, "line contains a control character (0x%02x)", c);
			return skip_line(p, str);
		}
	}

	/* Leading blanks; '#' or ';' at the start or after a blank: a comment. */
	while (raw > 0 && (*start == ' ' || *start == '\t')) {
		start++;
		raw--;
	}
	for (n = 0; n < raw; n++) {
		if ((start[n] == '#' || start[n] == ';') &&
		    (n == 0 || start[n - 1] == ' ' || start[n - 1] == '\t'))
			break;
	}
	while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
		n--;
	memcpy(line, start, n);
	line[n] = '\0';

	if (n > 0 && line[0] == '[') {
		unsigned int before = p->n_errors;

		open_section(p, line, n);
		if (p->r < 0 && !p->report)
			return NULL;
		if (p->n_errors != before)
			p->kind = SEC_BROKEN; /* its keys would only repeat the error */
		n = 0; /* inih need not see it: it only passes the name along */
		line[0] = '\0';
	} else if (n > 0) {
		size_t k = strspn(
		    line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
		size_t e = k + strspn(line + k, " \t");

		if (k == 0 || line[e] != '=') {
			set_error(
			    p, -EINVAL,
			    "syntax error: expected \"key = value\" or \"[section]\", got \"%s\"",
			    quote(line, q));
			return skip_line(p, str);
		}
		if (n + 2 > (size_t)num) {
			set_error(p, -EINVAL,
				  "%.*s: line too long (at most %d bytes without comments)", (int)k,
				  line, num - 2);
			return skip_line(p, str);
		}
	}
	memcpy(str, line, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/**
 * cfg_parse_buffer() - parse a configuration file's text
 * @ret: the configuration; on success the caller frees it with cfg_free()
 * @text: the file's contents (need not be NUL-terminated)
 * @len: its length
 * @name: the file name to put in errors
 * @ret_err: on failure, the error
 *
 * Return: 0, -EINVAL for a configuration error (@ret_err says which), or
 * -ENOMEM. On failure @ret is left as after cfg_init_defaults() and owns
 * nothing.
 */
static int parse_buffer(struct cfg *ret, const char *text, size_t len, const char *name,
			struct cfg_error *ret_err, cfg_report_fn report, void *report_data)
{
	struct cfg_error dummy;
	struct parser *p;
	int r;

	assert(ret);
	if (!ret_err)
		ret_err = &dummy;
	*ret_err = (struct cfg_error){ 0 };
	snprintf(ret_err->file, sizeof(ret_err->file), "%s", name ? name : "<config>");
	cfg_init_defaults(ret);
	if (!text && len > 0)
		return -EINVAL;

	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(ret_err->message, sizeof(ret_err->message), "out of memory");
		return -ENOMEM;
	}
	p->text = text;
	p->len = len;
	p->cfg = ret;
	p->err = ret_err;
	p->report = report;
	p->report_data = report_data;
	/* A UTF-8 byte order mark at the start is allowed. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p->pos = 3;

	r = ini_parse_stream(reader, p, handler, p);
	if (p->r == 0 && r != 0) {
		/* inih refused a line our checks let through. */
		p->line = r > 0 ? (unsigned int)r : 0;
		set_error(p, r == -2 ? -ENOMEM : -EINVAL,
			  r == -2 ? "out of memory" : "syntax error");
	}
	r = p->r;
	free(p);
	if (r < 0) {
		cfg_free(ret);
		return r;
	}
	return 0;
}

int cfg_parse_buffer(struct cfg *ret, const char *text, size_t len, const char *name,
		     struct cfg_error *ret_err)
{
	return parse_buffer(ret, text, len, name, ret_err, NULL, NULL);
}

/**
 * cfg_load() - read and parse a file
 * @ret: the configuration; on success the caller frees it with cfg_free()
 * @path: the file
 * @missing_ok: when true, a file that does not exist gives the defaults
 * @ret_err: on failure, the error (line 0 when it is about the whole file)
 *
 * Return: as cfg_parse_buffer(); -ENOENT (with @ret_err) for a missing
 * file when !@missing_ok, or another negative errno for a read error.
 */
static int load(struct cfg *ret, const char *path, bool missing_ok, struct cfg_error *ret_err,
		cfg_report_fn report, void *report_data)
{
	struct cfg_error dummy;
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd, r;

	if (!ret_err)
		ret_err = &dummy;
	*ret_err = (struct cfg_error){ 0 };
	snprintf(ret_err->file, sizeof(ret_err->file), "%s", path);
	cfg_init_defaults(ret);

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && missing_ok)
			return 0;
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(ret_err->message, sizeof(ret_err->message), "not a regular file");
		goto out;
	}
	if (st.st_size > CFG_FILE_MAX) {
		r = -EFBIG;
		snprintf(ret_err->message, sizeof(ret_err->message),
			 "file too large (more than %d bytes)", CFG_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto fail;
	}
	/* Read at most what fstat() promised plus one byte, to see growth. */
	for (;;) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size + 1 - n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto fail;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > (size_t)st.st_size) {
			r = -EFBIG;
			snprintf(ret_err->message, sizeof(ret_err->message),
				 "file changed while being read");
			goto out;
		}
	}
	close(fd);
	fd = -1;
	r = parse_buffer(ret, buf, n, path, ret_err, report, report_data);
	free(buf);
	return r;

fail:
	snprintf(ret_err->message, sizeof(ret_err->message), "%s", strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (report)
		report(report_data, ret_err);
	return r;
}

int cfg_load(struct cfg *ret, const char *path, bool missing_ok, struct cfg_error *ret_err)
{
	return load(ret, path, missing_ok, ret_err, NULL, NULL);
}

int cfg_load_report(struct cfg *ret, const char *path, bool missing_ok, cfg_report_fn report,
		    void *report_data, struct cfg_error *ret_err)
{
	struct cfg_error dummy;

	assert(report);
	return load(ret, path, missing_ok, ret_err ? ret_err : &dummy, report, report_data);
}

/**
 * cfg_sequence_for() - the policy for an interface name
 * @c: the configuration
 * @ifname: the interface name
 * @ret: [sequence] with every matching [interface PATTERN] section applied
 *
 * Sections apply in file order, each only with the keys it sets, so a later
 * section overrides an earlier one key by key. A profile counts as setting
 * every timing key. When the RFC 5227 jitter bound ends up below the
 * probe interval (probe_interval raised after the profile), it is raised to
 * the interval.
 */
void cfg_sequence_for(const struct cfg *c, const char *ifname, struct cfg_sequence *ret)
{
	struct cfg_sequence s = c->sequence;

	for (size_t i = 0; i < c->n_interfaces; i++) {
		const struct cfg_interface *ifc = &c->interfaces[i];

		if (fnmatch(ifc->pattern, ifname, 0) != 0)
			continue;
		for (int k = 0; k < _K_MAX; k++) {
			if (!(ifc->set & (1u << k)))
				continue;
			memcpy((char *)&s + keys[k].offset,
			       (const char *)&ifc->seq + keys[k].offset, keys[k].size);
		}
	}
	if (s.probe_max_ns != 0 && s.probe_max_ns < s.probe_interval_ns)
		s.probe_max_ns = s.probe_interval_ns;
	*ret = s;
}

const char *cfg_profile_to_string(enum cfg_profile p)
{
	return (unsigned int)p < ARRAY_SIZE(profile_names) - 1 ? profile_names[p] : "?";
}

const char *cfg_action_to_string(enum cfg_action a)
{
	return (unsigned int)a < ARRAY_SIZE(action_names) - 1 ? action_names[a] : "?";
}

const char *cfg_frames_to_string(enum cfg_frames f)
{
	return (unsigned int)f < ARRAY_SIZE(frames_names) - 1 ? frames_names[f] : "?";
}

const char *cfg_on_conflict_to_string(enum cfg_on_conflict c)
{
	return (unsigned int)c < ARRAY_SIZE(conflict_names) - 1 ? conflict_names[c] : "?";
}

const char *cfg_log_level_to_string(enum cfg_log_level l)
{
	return (unsigned int)l < ARRAY_SIZE(log_level_names) - 1 ? log_level_names[l] : "?";
}

/**
 * cfg_log_level_from_string() - "debug" ... "error" to its level
 * @s: the name
 * @ret: the level
 *
 * Return: 0, or -EINVAL for an unknown name.
 */
int cfg_log_level_from_string(const char *s, enum cfg_log_level *ret)
{
	int i = s ? lookup_name(log_level_names, s) : -1;

	if (i < 0)
		return -EINVAL;
	*ret = (enum cfg_log_level)i;
	return 0;
}

/*
 * One [sequence] key set from its text by the configuration's own table
 * and checks: garpctl send's options take exactly what the file takes.
 */
static int find_sequence_key(const char *name)
{
	int i = find_key(name);

	return i >= 0 && keys[i].where != KW_DAEMON && i != K_IGNORE ? i : -1;
}

int cfg_sequence_set(struct cfg_sequence *seq, const char *key, const char *value,
		     struct cfg_error *ret_err)
{
	struct cfg_error err = { .line = 0 };
	struct parser p = { .err = &err };
	int i = find_sequence_key(key);

	if (i < 0) {
		snprintf(err.message, sizeof(err.message), "%s: not a [sequence] key", key);
		if (ret_err)
			*ret_err = err;
		return -ENOENT;
	}
	if (parse_value(&p, &keys[i], value, seq) < 0) {
		if (ret_err)
			*ret_err = err;
		return -EINVAL;
	}
	return 0;
}

int cfg_sequence_key_bounds(const char *key, uint64_t *ret_min, uint64_t *ret_max)
{
	int i = find_sequence_key(key);

	if (i < 0 || (keys[i].type != KT_U32 && keys[i].type != KT_DURATION))
		return -ENOENT;
	*ret_min = keys[i].min;
	*ret_max = keys[i].max;
	return 0;
}
