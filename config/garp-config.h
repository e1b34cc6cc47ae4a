/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * config/: garpd.conf, parsed and validated into plain structs. Pure: the
 * parser takes a buffer (or a file it reads whole) and returns a struct or
 * an error naming file, line and key.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "../packet/garp-addr.h"
#include "../packet/garp-util.h"

#define CFG_NSEC_PER_MSEC GARP_NSEC_PER_MSEC
#define CFG_NSEC_PER_SEC GARP_NSEC_PER_SEC
/* control_socket's default; garpctl's too (daemon/common/control-proto.h). */
#define CFG_CONTROL_SOCKET_DEFAULT "/run/garpd/control"

enum cfg_profile {
	CFG_PROFILE_WIN8,    /* 3 probes 1 s apart, 1 s pause, 1 announcement */
	CFG_PROFILE_RFC5227, /* RFC 5227 §2.1.1/§2.3 timing with jitter, 2 announcements 2 s apart
			      */
	CFG_PROFILE_IMMEDIATE, /* no probes, announcement at once */
};

enum cfg_frames {
	CFG_FRAMES_REQUEST,
	CFG_FRAMES_REPLY,
	CFG_FRAMES_BOTH,
};

enum cfg_tha {
	CFG_THA_BROADCAST,
	CFG_THA_ZERO,
};

enum cfg_on_conflict {
	CFG_CONFLICT_ABORT,
	CFG_CONFLICT_ANNOUNCE,
};

/* What a trigger starts: nothing, the announcement only, or the whole sequence. */
enum cfg_action {
	CFG_ACTION_NONE,
	CFG_ACTION_ANNOUNCE,
	CFG_ACTION_SEQUENCE,
};

enum cfg_relearn {
	CFG_RELEARN_RARP,
	CFG_RELEARN_ARP,
};

/*
 * A list of IPv4 and IPv6 addresses from the file (refresh_neighbours), in
 * the order written, each built with garp_addr_v4()/garp_addr_v6(). The
 * array belongs to the struct cfg it was parsed into: a copy of a
 * cfg_sequence borrows it, valid until that cfg is freed.
 */
struct cfg_addr_list {
	const struct garp_addr *v;
	uint32_t n;
};

#define CFG_REFRESH_NEIGHBOURS_MAX 256 /* addresses in one refresh_neighbours list */
#define CFG_REFRESH_MAX_DEFAULT 64     /* refresh_neighbours_max */

/* The [sequence] keys: the policy for one interface. Durations in ns. */
struct cfg_sequence {
	enum cfg_profile profile;
	uint32_t probes;
	uint64_t probe_interval_ns;
	/* RFC 5227 profile: each probe waits a random time in [probe_interval, probe_max_ns]. */
	uint64_t probe_max_ns;	/* 0: no jitter */
	uint64_t probe_wait_ns; /* random delay before the first probe, 0..probe_wait_ns (RFC 5227
				   PROBE_WAIT) */
	uint64_t announce_delay_ns;
	uint32_t announcements;
	uint64_t announce_interval_ns;
	enum cfg_frames frames;
	enum cfg_tha target_mac;
	uint64_t refresh_interval_ns; /* 0 = never */
	enum cfg_on_conflict on_conflict;
	uint32_t max_frames_per_second;	  /* per interface; 0 = unlimited */
	enum cfg_action on_link_up;	  /* NONE, ANNOUNCE (default) or SEQUENCE */
	enum cfg_action on_mac_change;	  /* NONE, ANNOUNCE (default) or SEQUENCE */
	enum cfg_action on_bond_failover; /* NONE or ANNOUNCE (default) */
	bool relearn_guests;
	enum cfg_relearn relearn_frame;
	uint64_t
	    hold_down_ns; /* not a config key yet: min time between two sequences of one address */
	bool ignore;	  /* from [interface PATTERN] ignore = yes */
	/* Directed refresh: after each announcement, a request addressed to each known neighbour.
	 */
	bool directed_refresh;
	uint32_t refresh_neighbours_max;	 /* per address; more are counted, not sent */
	struct cfg_addr_list refresh_neighbours; /* configured neighbours, on top of the kernel's */
	bool ipv4;				 /* announce IPv4 addresses (gratuitous ARP) */
	bool ipv6;				 /* advertise IPv6 addresses (unsolicited NA) */
};

/* Built-in defaults (the win8 profile); CFG_SEQUENCE_INIT for a struct. */
#define CFG_SEQUENCE_INIT                                                                          \
	{                                                                                          \
		.profile = CFG_PROFILE_WIN8, .probes = 3, .probe_interval_ns = CFG_NSEC_PER_SEC,   \
		.announce_delay_ns = CFG_NSEC_PER_SEC, .announcements = 1,                         \
		.announce_interval_ns = CFG_NSEC_PER_SEC, .frames = CFG_FRAMES_REQUEST,            \
		.target_mac = CFG_THA_BROADCAST, .on_conflict = CFG_CONFLICT_ABORT,                \
		.max_frames_per_second = 1000, .on_link_up = CFG_ACTION_ANNOUNCE,                  \
		.on_mac_change = CFG_ACTION_ANNOUNCE, .on_bond_failover = CFG_ACTION_ANNOUNCE,     \
		.relearn_guests = true, .relearn_frame = CFG_RELEARN_RARP,                         \
		.hold_down_ns = CFG_NSEC_PER_SEC, .directed_refresh = true,                        \
		.refresh_neighbours_max = CFG_REFRESH_MAX_DEFAULT, .ipv4 = true, .ipv6 = true,     \
	}

enum cfg_log_level {
	CFG_LOG_DEBUG,
	CFG_LOG_INFO,
	CFG_LOG_NOTICE,
	CFG_LOG_WARNING,
	CFG_LOG_ERROR,
};

#define CFG_PATH_MAX 256
#define CFG_NAME_MAX 64

struct cfg_daemon {
	char control_socket[CFG_PATH_MAX];
	char user[CFG_NAME_MAX];	  /* "" = stay root, without capabilities */
	unsigned int user_line;		  /* where user was set, 0 when not; for messages */
	char control_group[CFG_NAME_MAX]; /* the control socket's group; "" = the user's */
	enum cfg_log_level log_level;
	bool announce_on_start;
	uint64_t netlink_rcvbuf; /* bytes */
	uint64_t
	    batch_window_ns; /* a burst of kernel events is read this often; 0 = each at once */
};

#define CFG_BATCH_WINDOW_DEFAULT_NS (10 * CFG_NSEC_PER_MSEC)

struct cfg_interface; /* one [interface PATTERN] section, private */

struct cfg {
	struct cfg_daemon daemon;
	struct cfg_sequence sequence;	  /* [sequence]: defaults for every interface */
	struct cfg_interface *interfaces; /* in file order */
	size_t n_interfaces;
};

/* An error: where and what, ready to print as "%s:%u: %s". */
struct cfg_error {
	char file[CFG_PATH_MAX];
	unsigned int line; /* 0 when the error is not about one line (e.g. cannot open) */
	char
	    message[256]; /* "probe_interval: expected a duration like 250ms or 1s, got \"fast\"" */
};

/**
 * cfg_init_defaults() - fill @ret with the built-in defaults
 */
void cfg_init_defaults(struct cfg *ret);

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
int cfg_parse_buffer(struct cfg *ret, const char *text, size_t len, const char *name,
		     struct cfg_error *ret_err);

/**
 * cfg_load() - read and parse a file
 * @path: the file
 * @missing_ok: when true, a file that does not exist gives the defaults
 *
 * Return: as cfg_parse_buffer(); -ENOENT (with @ret_err) for a missing
 * file when !@missing_ok, or another negative errno for a read error.
 */
int cfg_load(struct cfg *ret, const char *path, bool missing_ok, struct cfg_error *ret_err);

/* Called once for each configuration error, in file order. */
typedef void (*cfg_report_fn)(void *userdata, const struct cfg_error *err);

/**
 * cfg_load_report() - cfg_load() that reports every error, not only the first
 * @report: called for each error (a file that cannot be read is one error);
 *          parsing goes on after a bad line, skipping the keys of a bad
 *          section header
 * @ret_err: the first error, or NULL
 *
 * Return: as cfg_load().
 */
int cfg_load_report(struct cfg *ret, const char *path, bool missing_ok, cfg_report_fn report,
		    void *report_data, struct cfg_error *ret_err);

void cfg_free(struct cfg *c);

/**
 * cfg_sequence_for() - the policy for an interface name
 *
 * [sequence] with every matching [interface PATTERN] section applied in
 * file order (later sections override earlier ones, key by key).
 */
void cfg_sequence_for(const struct cfg *c, const char *ifname, struct cfg_sequence *ret);

/**
 * cfg_sequence_set() - set one [sequence] key from its text, as the file does
 * @seq: the sequence to change
 * @key: the key's name as in garpd.conf(5): "probes", "probe_interval", ...
 * @value: its text: "3", "250ms", "both"
 * @ret_err: on failure (may be NULL), the message, without file or line:
 *           "announcements: expected an integer from 1 to 100, got \"0\""
 *
 * The configuration file's own table of keys, limits and parsers: one
 * definition of every limit, for the file and garpctl send's options.
 *
 * Return: 0, -ENOENT for a key that is not a [sequence] key, -EINVAL for
 * a value the file would refuse.
 */
int cfg_sequence_set(struct cfg_sequence *seq, const char *key, const char *value,
		     struct cfg_error *ret_err);

/**
 * cfg_sequence_key_bounds() - the limits of a numeric [sequence] key
 * @ret_min, @ret_max: the bounds, counts or nanoseconds
 *
 * Return: 0, or -ENOENT for a key that is not a count or a duration.
 */
int cfg_sequence_key_bounds(const char *key, uint64_t *ret_min, uint64_t *ret_max);

/* Names for logs and status output. */
const char *cfg_profile_to_string(enum cfg_profile p);
const char *cfg_action_to_string(enum cfg_action a);
const char *cfg_frames_to_string(enum cfg_frames f);
const char *cfg_on_conflict_to_string(enum cfg_on_conflict c);
const char *cfg_log_level_to_string(enum cfg_log_level l);
int cfg_log_level_from_string(const char *s, enum cfg_log_level *ret);

/**
 * cfg_parse_duration() - "250ms", "1s", "2m", "1h", "0" (no unit = seconds)
 * Integers only; no sign, blanks or decimals.
 * Return: 0, -EINVAL (syntax) or -ERANGE (overflow).
 */
int cfg_parse_duration(const char *s, uint64_t *ret_ns);

/**
 * cfg_parse_size() - "65536", "64K", "4M", "1G" (K/M/G are powers of 1024)
 * Return: 0, -EINVAL (syntax) or -ERANGE (overflow).
 */
int cfg_parse_size(const char *s, uint64_t *ret);
