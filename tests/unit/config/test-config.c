/* SPDX-License-Identifier: GPL-2.0-or-later */
/* garpd.conf parsing: every key, every error class, profiles, interface sections. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "garp-config.h"

#define SEC CFG_NSEC_PER_SEC
#define MS CFG_NSEC_PER_MSEC

static int parse(struct cfg *c, const char *text, struct cfg_error *e)
{
	return cfg_parse_buffer(c, text, strlen(text), "garpd.conf", e);
}

static void assert_seq_equal(const struct cfg_sequence *a, const struct cfg_sequence *b)
{
	assert_int_equal(a->profile, b->profile);
	assert_int_equal(a->probes, b->probes);
	assert_int_equal(a->probe_interval_ns, b->probe_interval_ns);
	assert_int_equal(a->probe_max_ns, b->probe_max_ns);
	assert_int_equal(a->probe_wait_ns, b->probe_wait_ns);
	assert_int_equal(a->announce_delay_ns, b->announce_delay_ns);
	assert_int_equal(a->announcements, b->announcements);
	assert_int_equal(a->announce_interval_ns, b->announce_interval_ns);
	assert_int_equal(a->frames, b->frames);
	assert_int_equal(a->target_mac, b->target_mac);
	assert_int_equal(a->refresh_interval_ns, b->refresh_interval_ns);
	assert_int_equal(a->on_conflict, b->on_conflict);
	assert_int_equal(a->max_frames_per_second, b->max_frames_per_second);
	assert_int_equal(a->on_link_up, b->on_link_up);
	assert_int_equal(a->on_mac_change, b->on_mac_change);
	assert_int_equal(a->on_bond_failover, b->on_bond_failover);
	assert_int_equal(a->relearn_guests, b->relearn_guests);
	assert_int_equal(a->relearn_frame, b->relearn_frame);
	assert_int_equal(a->hold_down_ns, b->hold_down_ns);
	assert_int_equal(a->ignore, b->ignore);
	assert_int_equal(a->directed_refresh, b->directed_refresh);
	assert_int_equal(a->refresh_neighbours_max, b->refresh_neighbours_max);
	assert_int_equal(a->refresh_neighbours.n, b->refresh_neighbours.n);
	if (a->refresh_neighbours.n)
		assert_memory_equal(a->refresh_neighbours.v, b->refresh_neighbours.v,
				    a->refresh_neighbours.n * sizeof(struct garp_addr));
	assert_int_equal(a->ipv4, b->ipv4);
	assert_int_equal(a->ipv6, b->ipv6);
}

static void assert_cfg_equal(const struct cfg *a, const struct cfg *b)
{
	assert_string_equal(a->daemon.control_socket, b->daemon.control_socket);
	assert_string_equal(a->daemon.user, b->daemon.user);
	assert_int_equal(a->daemon.log_level, b->daemon.log_level);
	assert_int_equal(a->daemon.announce_on_start, b->daemon.announce_on_start);
	assert_int_equal(a->daemon.netlink_rcvbuf, b->daemon.netlink_rcvbuf);
	assert_int_equal(a->daemon.batch_window_ns, b->daemon.batch_window_ns);
	assert_seq_equal(&a->sequence, &b->sequence);
	assert_int_equal(a->n_interfaces, b->n_interfaces);
}

static void test_defaults(void **state)
{
	struct cfg c, d;
	struct cfg_error e;

	cfg_init_defaults(&d);
	assert_string_equal(d.daemon.control_socket, "/run/garpd/control");
	assert_string_equal(d.daemon.user, "");
	assert_int_equal(d.daemon.log_level, CFG_LOG_INFO);
	assert_false(d.daemon.announce_on_start);
	assert_int_equal(d.daemon.netlink_rcvbuf, 4 * 1024 * 1024);
	assert_int_equal(d.daemon.batch_window_ns, 10 * MS);
	assert_int_equal(d.sequence.profile, CFG_PROFILE_WIN8);
	assert_int_equal(d.sequence.probes, 3);
	assert_true(d.sequence.ipv4);
	assert_true(d.sequence.ipv6);
	assert_null(d.interfaces);

	assert_int_equal(cfg_parse_buffer(&c, NULL, 0, "garpd.conf", &e), 0);
	assert_cfg_equal(&c, &d);
	cfg_free(&c);
	assert_int_equal(parse(&c, "\n# only a comment\n\n[daemon]\n[sequence]\n", &e), 0);
	assert_cfg_equal(&c, &d);
	cfg_free(&c);
	/* A UTF-8 byte order mark and CRLF line ends are fine. */
	assert_int_equal(parse(&c, "\xef\xbb\xbf[sequence]\r\nprobes = 2\r\n", &e), 0);
	assert_int_equal(c.sequence.probes, 2);
	cfg_free(&c);
}

/* The shipped file parses to the defaults, and so does it uncommented. */
static void test_shipped(void **state)
{
	struct cfg c, d;
	struct cfg_error e;
	char *buf, *out, *line, *save = NULL;
	size_t n = 0;
	FILE *f;

	cfg_init_defaults(&d);
	assert_int_equal(cfg_load(&c, SHIPPED_CONF, false, &e), 0);
	assert_cfg_equal(&c, &d);
	cfg_free(&c);

	f = fopen(SHIPPED_CONF, "re");
	assert_non_null(f);
	buf = calloc(1, 65536);
	out = calloc(1, 65536);
	assert_non_null(buf);
	assert_non_null(out);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	assert_true(n > 0);
	/* "#key = default" becomes "key = default", up to the examples. */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# [interface", 12) == 0)
			break;
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z')
			line++;
		strcat(out, line);
		strcat(out, "\n");
	}
	assert_non_null(strstr(out, "\nprobe_interval = 1s"));
	assert_non_null(strstr(out, "\nuser = "));
	assert_int_equal(parse(&c, out, &e), 0);
	assert_cfg_equal(&c, &d);
	cfg_free(&c);
	free(buf);
	free(out);
}

/* Value of a key, for the table below. */
static uint64_t get(const struct cfg *c, const char *key)
{
	const struct cfg_sequence *s = &c->sequence;

	if (!strcmp(key, "log_level"))
		return c->daemon.log_level;
	if (!strcmp(key, "announce_on_start"))
		return c->daemon.announce_on_start;
	if (!strcmp(key, "netlink_rcvbuf"))
		return c->daemon.netlink_rcvbuf;
	if (!strcmp(key, "batch_window"))
		return c->daemon.batch_window_ns;
	if (!strcmp(key, "profile"))
		return s->profile;
	if (!strcmp(key, "probes"))
		return s->probes;
	if (!strcmp(key, "probe_interval"))
		return s->probe_interval_ns;
	if (!strcmp(key, "announce_delay"))
		return s->announce_delay_ns;
	if (!strcmp(key, "announcements"))
		return s->announcements;
	if (!strcmp(key, "announce_interval"))
		return s->announce_interval_ns;
	if (!strcmp(key, "frames"))
		return s->frames;
	if (!strcmp(key, "target_mac"))
		return s->target_mac;
	if (!strcmp(key, "refresh_interval"))
		return s->refresh_interval_ns;
	if (!strcmp(key, "on_conflict"))
		return s->on_conflict;
	if (!strcmp(key, "max_frames_per_second"))
		return s->max_frames_per_second;
	if (!strcmp(key, "on_link_up"))
		return s->on_link_up;
	if (!strcmp(key, "on_mac_change"))
		return s->on_mac_change;
	if (!strcmp(key, "on_bond_failover"))
		return s->on_bond_failover;
	if (!strcmp(key, "relearn_guests"))
		return s->relearn_guests;
	if (!strcmp(key, "relearn_frame"))
		return s->relearn_frame;
	if (!strcmp(key, "directed_refresh"))
		return s->directed_refresh;
	if (!strcmp(key, "refresh_neighbours_max"))
		return s->refresh_neighbours_max;
	if (!strcmp(key, "ipv4"))
		return s->ipv4;
	if (!strcmp(key, "ipv6"))
		return s->ipv6;
	fail_msg("no getter for %s", key);
	return 0;
}

static void test_good_values(void **state)
{
	static const struct {
		const char *section, *key, *value;
		uint64_t want;
	} good[] = {
		{ "daemon", "log_level", "debug", CFG_LOG_DEBUG },
		{ "daemon", "log_level", "info", CFG_LOG_INFO },
		{ "daemon", "log_level", "notice", CFG_LOG_NOTICE },
		{ "daemon", "log_level", "warning", CFG_LOG_WARNING },
		{ "daemon", "log_level", "error", CFG_LOG_ERROR },
		{ "daemon", "announce_on_start", "yes", 1 },
		{ "daemon", "announce_on_start", "true", 1 },
		{ "daemon", "announce_on_start", "on", 1 },
		{ "daemon", "announce_on_start", "1", 1 },
		{ "daemon", "announce_on_start", "no", 0 },
		{ "daemon", "announce_on_start", "false", 0 },
		{ "daemon", "announce_on_start", "off", 0 },
		{ "daemon", "announce_on_start", "0", 0 },
		{ "daemon", "netlink_rcvbuf", "64K", 65536 },
		{ "daemon", "netlink_rcvbuf", "65536", 65536 },
		{ "daemon", "netlink_rcvbuf", "16M", 16 << 20 },
		{ "daemon", "netlink_rcvbuf", "1G", 1 << 30 },
		{ "daemon", "batch_window", "0", 0 },
		{ "daemon", "batch_window", "1ms", MS },
		{ "daemon", "batch_window", "1s", SEC },
		{ "sequence", "profile", "win8", CFG_PROFILE_WIN8 },
		{ "sequence", "profile", "rfc5227", CFG_PROFILE_RFC5227 },
		{ "sequence", "profile", "immediate", CFG_PROFILE_IMMEDIATE },
		{ "sequence", "probes", "0", 0 },
		{ "sequence", "probes", "100", 100 },
		{ "sequence", "probe_interval", "1ms", MS },
		{ "sequence", "probe_interval", "250ms", 250 * MS },
		{ "sequence", "probe_interval", "2", 2 * SEC },
		{ "sequence", "probe_interval", "1h", 3600 * SEC },
		{ "sequence", "announce_delay", "0", 0 },
		{ "sequence", "announce_delay", "60m", 3600 * SEC },
		{ "sequence", "announcements", "1", 1 },
		{ "sequence", "announcements", "100", 100 },
		{ "sequence", "announce_interval", "1ms", MS },
		{ "sequence", "announce_interval", "3s", 3 * SEC },
		{ "sequence", "frames", "request", CFG_FRAMES_REQUEST },
		{ "sequence", "frames", "reply", CFG_FRAMES_REPLY },
		{ "sequence", "frames", "both", CFG_FRAMES_BOTH },
		{ "sequence", "target_mac", "broadcast", CFG_THA_BROADCAST },
		{ "sequence", "target_mac", "zero", CFG_THA_ZERO },
		{ "sequence", "refresh_interval", "0", 0 },
		{ "sequence", "refresh_interval", "0s", 0 },
		{ "sequence", "refresh_interval", "1s", SEC },
		{ "sequence", "refresh_interval", "24h", 24 * 3600 * SEC },
		{ "sequence", "on_conflict", "abort", CFG_CONFLICT_ABORT },
		{ "sequence", "on_conflict", "announce", CFG_CONFLICT_ANNOUNCE },
		{ "sequence", "max_frames_per_second", "0", 0 },
		{ "sequence", "max_frames_per_second", "1000000", 1000000 },
		{ "sequence", "on_link_up", "none", CFG_ACTION_NONE },
		{ "sequence", "on_link_up", "announce", CFG_ACTION_ANNOUNCE },
		{ "sequence", "on_link_up", "sequence", CFG_ACTION_SEQUENCE },
		{ "sequence", "on_mac_change", "none", CFG_ACTION_NONE },
		{ "sequence", "on_mac_change", "sequence", CFG_ACTION_SEQUENCE },
		{ "sequence", "on_bond_failover", "none", CFG_ACTION_NONE },
		{ "sequence", "on_bond_failover", "announce", CFG_ACTION_ANNOUNCE },
		{ "sequence", "relearn_guests", "no", 0 },
		{ "sequence", "relearn_guests", "yes", 1 },
		{ "sequence", "relearn_frame", "arp", CFG_RELEARN_ARP },
		{ "sequence", "relearn_frame", "rarp", CFG_RELEARN_RARP },
		{ "sequence", "directed_refresh", "no", 0 },
		{ "sequence", "directed_refresh", "yes", 1 },
		{ "sequence", "refresh_neighbours_max", "1", 1 },
		{ "sequence", "refresh_neighbours_max", "4096", 4096 },
		{ "sequence", "ipv4", "no", 0 },
		{ "sequence", "ipv4", "yes", 1 },
		{ "sequence", "ipv6", "no", 0 },
		{ "sequence", "ipv6", "yes", 1 },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[256];
		struct cfg c;
		struct cfg_error e;

		/* With and without blanks and a trailing comment. */
		for (int form = 0; form < 3; form++) {
			if (form == 0)
				snprintf(text, sizeof(text), "[%s]\n%s = %s\n", good[i].section,
					 good[i].key, good[i].value);
			else if (form == 1)
				snprintf(text, sizeof(text), "[%s]\n%s=%s\n", good[i].section,
					 good[i].key, good[i].value);
			else
				snprintf(text, sizeof(text), "  [%s]  # c\n\t%s\t=\t%s   ; c\n",
					 good[i].section, good[i].key, good[i].value);
			print_message("%s", text);
			assert_int_equal(parse(&c, text, &e), 0);
			assert_int_equal(get(&c, good[i].key), good[i].want);
			cfg_free(&c);
		}
	}
}

static void test_daemon_strings(void **state)
{
	struct cfg c;
	struct cfg_error e;

	assert_int_equal(
	    parse(&c, "[daemon]\ncontrol_socket = /tmp/ns1/garpd.sock\nuser = garpd\n", &e), 0);
	assert_string_equal(c.daemon.control_socket, "/tmp/ns1/garpd.sock");
	assert_string_equal(c.daemon.user, "garpd");
	cfg_free(&c);
	assert_int_equal(parse(&c, "[daemon]\nuser = _garp-d.x\n", &e), 0);
	assert_string_equal(c.daemon.user, "_garp-d.x");
	assert_string_equal(c.daemon.control_group, "");
	cfg_free(&c);
	assert_int_equal(parse(&c, "[daemon]\nuser = garpd\ncontrol_group = netadmin\n", &e), 0);
	assert_string_equal(c.daemon.control_group, "netadmin");
	cfg_free(&c);
	/* The documented form: an empty value, then a comment. */
	assert_int_equal(
	    parse(&c, "[daemon]\nuser =                      # empty: stay root\n", &e), 0);
	assert_string_equal(c.daemon.user, "");
	cfg_free(&c);
	/* '#' and ';' inside a value (no blank before them) are kept. */
	assert_int_equal(parse(&c, "[daemon]\ncontrol_socket = /run/a#b;c # comment\n", &e), 0);
	assert_string_equal(c.daemon.control_socket, "/run/a#b;c");
	cfg_free(&c);
}

struct bad {
	const char *text;
	unsigned int line;
	const char *message;
};

static void check_bad(const struct bad *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cfg c;
		struct cfg_error e;

		print_message("%s\n", b[i].text);
		assert_int_equal(parse(&c, b[i].text, &e), -EINVAL);
		assert_string_equal(e.file, "garpd.conf");
		assert_string_equal(e.message, b[i].message);
		assert_int_equal(e.line, b[i].line);
		/* On failure the struct holds the defaults and owns nothing. */
		assert_null(c.interfaces);
		assert_int_equal(c.n_interfaces, 0);
		assert_int_equal(c.sequence.probes, 3);
		cfg_free(&c);
	}
}

static void test_bad_values(void **state)
{
	static const struct bad bad[] = {
		{ "[sequence]\nprobe_interval = fast\n", 2,
		  "probe_interval: expected a duration like 250ms or 1s, got \"fast\"" },
		{ "[sequence]\nprobe_interval = 1.5s\n", 2,
		  "probe_interval: expected a duration like 250ms or 1s, got \"1.5s\"" },
		{ "[sequence]\nprobe_interval = -1s\n", 2,
		  "probe_interval: expected a duration like 250ms or 1s, got \"-1s\"" },
		{ "[sequence]\nprobe_interval =\n", 2,
		  "probe_interval: expected a duration like 250ms or 1s, got \"\"" },
		{ "[sequence]\nprobe_interval = 0\n", 2,
		  "probe_interval: expected a duration from 1ms to 1h, got \"0\"" },
		{ "[sequence]\nprobe_interval = 61m\n", 2,
		  "probe_interval: expected a duration from 1ms to 1h, got \"61m\"" },
		{ "[sequence]\nprobe_interval = 99999999999999999999s\n", 2,
		  "probe_interval: expected a duration like 250ms or 1s, got "
		  "\"99999999999999999999s\"" },
		{ "[sequence]\nannounce_delay = 2h\n", 2,
		  "announce_delay: expected a duration from 0 to 1h, got \"2h\"" },
		{ "[sequence]\nannounce_interval = 0ms\n", 2,
		  "announce_interval: expected a duration from 1ms to 1h, got \"0ms\"" },
		{ "[sequence]\nrefresh_interval = 500ms\n", 2,
		  "refresh_interval: expected 0 (never) or a duration from 1s to 24h, got "
		  "\"500ms\"" },
		{ "[sequence]\nrefresh_interval = 25h\n", 2,
		  "refresh_interval: expected 0 (never) or a duration from 1s to 24h, got "
		  "\"25h\"" },
		{ "[sequence]\nprobes = 101\n", 2,
		  "probes: expected an integer from 0 to 100, got \"101\"" },
		{ "[sequence]\nprobes = -1\n", 2,
		  "probes: expected an integer from 0 to 100, got \"-1\"" },
		{ "[sequence]\nprobes = 3x\n", 2,
		  "probes: expected an integer from 0 to 100, got \"3x\"" },
		{ "[sequence]\nprobes = 3K\n", 2,
		  "probes: expected an integer from 0 to 100, got \"3K\"" },
		{ "[sequence]\nprobes = 0x3\n", 2,
		  "probes: expected an integer from 0 to 100, got \"0x3\"" },
		{ "[sequence]\nprobes = 99999999999999999999999\n", 2,
		  "probes: expected an integer from 0 to 100, got \"99999999999999999999999\"" },
		{ "[sequence]\nannouncements = 0\n", 2,
		  "announcements: expected an integer from 1 to 100, got \"0\"" },
		{ "[sequence]\nmax_frames_per_second = 1000001\n", 2,
		  "max_frames_per_second: expected an integer from 0 to 1000000, got \"1000001\"" },
		{ "[sequence]\nprofile = fast\n", 2,
		  "profile: expected win8, rfc5227 or immediate, got \"fast\"" },
		{ "[sequence]\nframes = all\n", 2,
		  "frames: expected request, reply or both, got \"all\"" },
		{ "[sequence]\ntarget_mac = ff:ff:ff:ff:ff:ff\n", 2,
		  "target_mac: expected broadcast or zero, got \"ff:ff:ff:ff:ff:ff\"" },
		{ "[sequence]\non_conflict = ignore\n", 2,
		  "on_conflict: expected abort or announce, got \"ignore\"" },
		{ "[sequence]\non_link_up = yes\n", 2,
		  "on_link_up: expected none, announce or sequence, got \"yes\"" },
		{ "[sequence]\non_mac_change = Announce\n", 2,
		  "on_mac_change: expected none, announce or sequence, got \"Announce\"" },
		{ "[sequence]\non_bond_failover = sequence\n", 2,
		  "on_bond_failover: expected none or announce, got \"sequence\"" },
		{ "[sequence]\nrelearn_guests = maybe\n", 2,
		  "relearn_guests: expected yes or no, got \"maybe\"" },
		{ "[sequence]\nrelearn_frame = garp\n", 2,
		  "relearn_frame: expected rarp or arp, got \"garp\"" },
		{ "[sequence]\ndirected_refresh = sometimes\n", 2,
		  "directed_refresh: expected yes or no, got \"sometimes\"" },
		{ "[sequence]\nrefresh_neighbours_max = 0\n", 2,
		  "refresh_neighbours_max: expected an integer from 1 to 4096, got \"0\"" },
		{ "[sequence]\nrefresh_neighbours_max = 5000\n", 2,
		  "refresh_neighbours_max: expected an integer from 1 to 4096, got \"5000\"" },
		{ "[interface eth0]\nrefresh_neighbours = 10.0.0.1 gateway\n", 2,
		  "refresh_neighbours: expected IPv4 or IPv6 addresses like 192.0.2.1 or "
		  "2001:db8::1, got \"gateway\"" },
		{ "[interface eth0]\nrefresh_neighbours = 10.0.0.256\n", 2,
		  "refresh_neighbours: expected IPv4 or IPv6 addresses like 192.0.2.1 or "
		  "2001:db8::1, got \"10.0.0.256\"" },
		{ "[interface eth0]\nrefresh_neighbours = 10.1\n", 2,
		  "refresh_neighbours: expected IPv4 or IPv6 addresses like 192.0.2.1 or "
		  "2001:db8::1, got \"10.1\"" },
		{ "[interface eth0]\nrefresh_neighbours = 2001:db8::1/64\n", 2,
		  "refresh_neighbours: expected IPv4 or IPv6 addresses like 192.0.2.1 or "
		  "2001:db8::1, got \"2001:db8::1/64\"" },
		{ "[interface eth0]\nrefresh_neighbours = fe80::1%eth0\n", 2,
		  "refresh_neighbours: expected IPv4 or IPv6 addresses like 192.0.2.1 or "
		  "2001:db8::1, got \"fe80::1%eth0\"" },
		{ "[interface eth0]\nrefresh_neighbours = 2001:db8:::1\n", 2,
		  "refresh_neighbours: expected IPv4 or IPv6 addresses like 192.0.2.1 or "
		  "2001:db8::1, got \"2001:db8:::1\"" },
		{ "[interface eth0]\nrefresh_neighbours = fe80::1 ff02::1\n", 2,
		  "refresh_neighbours: ff02::1 is not a neighbour's address (unspecified, "
		  "loopback, multicast or broadcast)" },
		{ "[interface eth0]\nrefresh_neighbours = ::\n", 2,
		  "refresh_neighbours: :: is not a neighbour's address (unspecified, loopback, "
		  "multicast or broadcast)" },
		{ "[interface eth0]\nrefresh_neighbours = ::1\n", 2,
		  "refresh_neighbours: ::1 is not a neighbour's address (unspecified, loopback, "
		  "multicast or broadcast)" },
		{ "[interface eth0]\nrefresh_neighbours = ::ffff:10.0.0.1\n", 2,
		  "refresh_neighbours: ::ffff:10.0.0.1 is not a neighbour's address (unspecified, "
		  "loopback, multicast or broadcast)" },
		{ "[interface eth0]\nrefresh_neighbours = fe80::1 10.0.0.1 FE80::0:1\n", 2,
		  "refresh_neighbours: FE80::0:1 is listed twice" },
		{ "[interface eth0]\nrefresh_neighbours = 10.0.0.1 224.0.0.1\n", 2,
		  "refresh_neighbours: 224.0.0.1 is not a neighbour's address (unspecified, "
		  "loopback, multicast or broadcast)" },
		{ "[interface eth0]\nrefresh_neighbours = 0.0.0.0\n", 2,
		  "refresh_neighbours: 0.0.0.0 is not a neighbour's address (unspecified, "
		  "loopback, multicast or broadcast)" },
		{ "[interface eth0]\nrefresh_neighbours = 255.255.255.255\n", 2,
		  "refresh_neighbours: 255.255.255.255 is not a neighbour's address (unspecified, "
		  "loopback, multicast or broadcast)" },
		{ "[interface eth0]\nrefresh_neighbours = 127.0.0.1\n", 2,
		  "refresh_neighbours: 127.0.0.1 is not a neighbour's address (unspecified, "
		  "loopback, multicast or broadcast)" },
		{ "[interface eth0]\nrefresh_neighbours = 10.0.0.1, 10.0.0.2 10.0.0.1\n", 2,
		  "refresh_neighbours: 10.0.0.1 is listed twice" },
		{ "[daemon]\nrefresh_neighbours = 10.0.0.1\n", 2,
		  "refresh_neighbours: belongs in [sequence] or [interface PATTERN], not in "
		  "[daemon]" },
		{ "[sequence]\nipv6 = v6\n", 2, "ipv6: expected yes or no, got \"v6\"" },
		{ "[interface eth*]\nipv4 =\n", 2, "ipv4: expected yes or no, got \"\"" },
		{ "[daemon]\nlog_level = verbose\n", 2,
		  "log_level: expected debug, info, notice, warning or error, got \"verbose\"" },
		{ "[daemon]\nannounce_on_start = yes please\n", 2,
		  "announce_on_start: expected yes or no, got \"yes please\"" },
		{ "[daemon]\nnetlink_rcvbuf = 4MB\n", 2,
		  "netlink_rcvbuf: expected a size like 64K or 4M, got \"4MB\"" },
		{ "[daemon]\nnetlink_rcvbuf = 63K\n", 2,
		  "netlink_rcvbuf: expected a size from 64K to 1G, got \"63K\"" },
		{ "[daemon]\nnetlink_rcvbuf = 2G\n", 2,
		  "netlink_rcvbuf: expected a size from 64K to 1G, got \"2G\"" },
		{ "[daemon]\nbatch_window = 2s\n", 2,
		  "batch_window: expected a duration from 0 to 1s, got \"2s\"" },
		{ "[daemon]\nbatch_window = soon\n", 2,
		  "batch_window: expected a duration like 250ms or 1s, got \"soon\"" },
		{ "[daemon]\ncontrol_socket = run/garpd\n", 2,
		  "control_socket: expected an absolute path of at most 107 bytes, got "
		  "\"run/garpd\"" },
		{ "[daemon]\ncontrol_socket =\n", 2,
		  "control_socket: expected an absolute path of at most 107 bytes, got \"\"" },
		{ "[daemon]\ncontrol_socket = "
		  "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  2,
		  "control_socket: expected an absolute path of at most 107 bytes, got "
		  "\"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"" },
		{ "[daemon]\nuser = 0day\n", 2,
		  "user: expected a user name (a letter or '_', then letters, digits, '_', '-' or "
		  "'.', at most 31) or nothing, got \"0day\"" },
		{ "[daemon]\nuser = ro ot\n", 2,
		  "user: expected a user name (a letter or '_', then letters, digits, '_', '-' or "
		  "'.', at most 31) or nothing, got \"ro ot\"" },
		{ "[daemon]\nuser = ../etc\n", 2,
		  "user: expected a user name (a letter or '_', then letters, digits, '_', '-' or "
		  "'.', at most 31) or nothing, got \"../etc\"" },
		{ "[daemon]\nuser = abcdefghijabcdefghijabcdefghijab\n", 2,
		  "user: expected a user name (a letter or '_', then letters, digits, '_', '-' or "
		  "'.', at most 31) or nothing, got \"abcdefghijabcdefghijabcdefghijab\"" },
		{ "[daemon]\ncontrol_group = 1ops\n", 2,
		  "control_group: expected a group name (a letter or '_', then letters, digits, "
		  "'_', '-' or '.', at most 31) or nothing, got \"1ops\"" },
		/* An error on a later line reports that line. */
		{ "# header\n\n[daemon]\nlog_level = debug\n\n[sequence]\nprobes = "
		  "2\n\n\n\n\nprobe_interval = fast\n",
		  12, "probe_interval: expected a duration like 250ms or 1s, got \"fast\"" },
		/* The first error wins. */
		{ "[sequence]\nprobes = 500\nframes = all\n", 2,
		  "probes: expected an integer from 0 to 100, got \"500\"" },
	};

	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

/* The @i-th refresh neighbour of @s as text. */
static const char *nb_str(const struct cfg_sequence *s, uint32_t i, char buf[GARP_ADDR_STRLEN])
{
	const struct garp_addr *a = &s->refresh_neighbours.v[i];

	assert_non_null(inet_ntop(a->family, &a->v6, buf, GARP_ADDR_STRLEN));
	return buf;
}

static void test_refresh_neighbours(void **state)
{
	static const char text[] = "[sequence]\n"
				   "refresh_neighbours = 192.0.2.1\n"
				   "[interface eth*]\n"
				   "refresh_neighbours = 10.0.0.1, 10.0.0.20\t10.0.0.3,\n"
				   "refresh_neighbours = fe80::1 2001:db8::20\n"
				   "[interface eth1]\n"
				   "refresh_neighbours =\n"
				   "directed_refresh = no\n"
				   "refresh_neighbours_max = 8\n";
	struct cfg c;
	struct cfg_error e;
	struct cfg_sequence s;
	char a[GARP_ADDR_STRLEN];

	assert_int_equal(parse(&c, text, &e), 0);
	cfg_sequence_for(&c, "bond0", &s);
	assert_int_equal(s.refresh_neighbours.n, 1);
	assert_string_equal(nb_str(&s, 0, a), "192.0.2.1");
	assert_true(s.directed_refresh);
	assert_int_equal(s.refresh_neighbours_max, CFG_REFRESH_MAX_DEFAULT);
	cfg_sequence_for(&c, "eth0", &s);
	/* in the order written, both families, the second line after the first */
	assert_int_equal(s.refresh_neighbours.n, 5);
	assert_string_equal(nb_str(&s, 0, a), "10.0.0.1");
	assert_string_equal(nb_str(&s, 1, a), "10.0.0.20");
	assert_string_equal(nb_str(&s, 2, a), "10.0.0.3");
	assert_string_equal(nb_str(&s, 3, a), "fe80::1");
	assert_int_equal(s.refresh_neighbours.v[3].family, AF_INET6);
	assert_string_equal(nb_str(&s, 4, a), "2001:db8::20");
	/* An empty value clears the list for the interfaces it matches. */
	cfg_sequence_for(&c, "eth1", &s);
	assert_int_equal(s.refresh_neighbours.n, 0);
	assert_false(s.directed_refresh);
	assert_int_equal(s.refresh_neighbours_max, 8);
	cfg_free(&c);

	/*
	 * Written again in its section with an empty value, the key adds
	 * nothing: the list of the lines before stays (this was a memcpy()
	 * from NULL, found by fuzz-config).
	 */
	assert_int_equal(parse(&c,
			       "[interface eth*]\n"
			       "refresh_neighbours = 10.0.0.1, fe80::1\n"
			       "refresh_neighbours =\n",
			       &e),
			 0);
	cfg_sequence_for(&c, "eth0", &s);
	assert_int_equal(s.refresh_neighbours.n, 2);
	assert_string_equal(nb_str(&s, 0, a), "10.0.0.1");
	assert_string_equal(nb_str(&s, 1, a), "fe80::1");
	cfg_free(&c);

	/* A list on several lines adds up; the most a list takes, and one more. */
	{
		char big[CFG_REFRESH_NEIGHBOURS_MAX * 40 + 64];
		size_t n = 0;

		n += (size_t)snprintf(big + n, sizeof(big) - n, "[sequence]\n");
		for (int i = 0; i < CFG_REFRESH_NEIGHBOURS_MAX; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n,
					      "refresh_neighbours = 10.0.%d.%d\n", i / 200,
					      i % 200 + 1);
		assert_int_equal(parse(&c, big, &e), 0);
		assert_int_equal(c.sequence.refresh_neighbours.n, CFG_REFRESH_NEIGHBOURS_MAX);
		assert_string_equal(nb_str(&c.sequence, 255, a), "10.0.1.56");
		cfg_free(&c);
		snprintf(big + n, sizeof(big) - n, "refresh_neighbours = 10.9.9.9\n");
		assert_int_equal(parse(&c, big, &e), -EINVAL);
		assert_string_equal(e.message, "refresh_neighbours: more than 256 addresses");
		assert_int_equal(e.line, CFG_REFRESH_NEIGHBOURS_MAX + 2);
		snprintf(big + n, sizeof(big) - n, "refresh_neighbours = 10.0.0.7\n");
		assert_int_equal(parse(&c, big, &e), -EINVAL);
		assert_string_equal(e.message, "refresh_neighbours: 10.0.0.7 is listed twice");
	}
}

static void test_bad_structure(void **state)
{
	static const struct bad bad[] = {
		{ "[sequence]\nfoo = 1\n", 2, "foo: unknown key in [sequence]" },
		{ "[daemon]\nprobes = 1\n", 2,
		  "probes: belongs in [sequence] or [interface PATTERN], not in [daemon]" },
		{ "[sequence]\nuser = x\n", 2, "user: belongs in [daemon], not in [sequence]" },
		{ "[interface eth0]\nlog_level = info\n", 2,
		  "log_level: belongs in [daemon], not in [interface]" },
		{ "[sequence]\nignore = yes\n", 2,
		  "ignore: only valid in an [interface PATTERN] section" },
		{ "[bogus]\nprobes = 1\n", 1,
		  "unknown section [bogus]; expected [daemon], [sequence] or [interface PATTERN]" },
		/* An unknown section with no keys at all is still an error. */
		{ "[daemon]\n[bogus]\n", 2,
		  "unknown section [bogus]; expected [daemon], [sequence] or [interface PATTERN]" },
		{ "[bogus]", 1,
		  "unknown section [bogus]; expected [daemon], [sequence] or [interface PATTERN]" },
		{ "[Daemon]\n", 1,
		  "unknown section [Daemon]; expected [daemon], [sequence] or [interface "
		  "PATTERN]" },
		{ "[interface]\n", 1,
		  "unknown section [interface]; expected [daemon], [sequence] or [interface "
		  "PATTERN]" },
		{ "[interfaceeth0]\n", 1,
		  "unknown section [interfaceeth0]; expected [daemon], [sequence] or [interface "
		  "PATTERN]" },
		{ "[interface eth 0]\n", 1,
		  "interface: expected a pattern of at most 63 characters without blanks or '/', "
		  "got \"eth 0\"" },
		{ "[interface a/b]\n", 1,
		  "interface: expected a pattern of at most 63 characters without blanks or '/', "
		  "got \"a/b\"" },
		{ "[interface aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
		  1,
		  "interface: expected a pattern of at most 63 characters without blanks or '/', "
		  "got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"" },
		{ "[daemon\n", 1, "syntax error: expected \"[section]\", got \"[daemon\"" },
		{ "[daemon] junk\n", 1,
		  "syntax error: expected \"[section]\", got \"[daemon] junk\"" },
		{ "probes = 1\n[sequence]\n", 1, "probes: key outside any section" },
		{ "[daemon]\nnoequals\n", 2,
		  "syntax error: expected \"key = value\" or \"[section]\", got \"noequals\"" },
		{ "[daemon]\n= value\n", 2,
		  "syntax error: expected \"key = value\" or \"[section]\", got \"= value\"" },
		{ "[sequence]\nprobes : 3\n", 2,
		  "syntax error: expected \"key = value\" or \"[section]\", got \"probes : 3\"" },
		{ "[sequence]\nProbes = 3\n", 2, "Probes: unknown key in [sequence]" },
		/* A continuation line is not glued to the one before. */
		{ "[sequence]\nprobes = 3\n    4\n", 3,
		  "syntax error: expected \"key = value\" or \"[section]\", got \"4\"" },
		{ "[sequence]\nprobes = 1\nprobes = 2\n", 3,
		  "probes: set twice in this section (first on line 2)" },
		{ "[interface e*]\nignore = no\n\nignore = yes\n", 4,
		  "ignore: set twice in this section (first on line 2)" },
		{ "[daemon]\n[sequence]\n[daemon]\n", 3,
		  "section [daemon] appears twice (first on line 1)" },
		{ "[sequence]\n[sequence]\n", 2,
		  "section [sequence] appears twice (first on line 1)" },
		/* libinih would split "k: v"; we do not accept it. */
		{ "[daemon]\nuser: root\n", 2,
		  "syntax error: expected \"key = value\" or \"[section]\", got \"user: root\"" },
	};

	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_comments(void **state)
{
	static const char text[] = "# full line\n"
				   "; full line\n"
				   "   # indented\n"
				   "[daemon]   # the daemon\n"
				   "user =                      # empty: stay root\n"
				   "log_level = debug;not a comment? no: debug;x is the value\n";
	struct cfg c;
	struct cfg_error e;

	assert_int_equal(parse(&c, text, &e), -EINVAL);
	assert_int_equal(e.line, 6);
	assert_string_equal(e.message, "log_level: expected debug, info, notice, warning or error, "
				       "got \"debug;not a comment? no: debug;x is the value\"");

	assert_int_equal(parse(&c,
			       "[sequence]          # defaults for every interface\n"
			       "profile = rfc5227 # preset\n"
			       "probes = 5 ; five\n"
			       "frames = both\t# tab before the comment\n",
			       &e),
			 0);
	assert_int_equal(c.sequence.profile, CFG_PROFILE_RFC5227);
	assert_int_equal(c.sequence.probes, 5);
	assert_int_equal(c.sequence.frames, CFG_FRAMES_BOTH);
	cfg_free(&c);
}

static void test_profiles(void **state)
{
	struct cfg c;
	struct cfg_error e;
	struct cfg_sequence s;

	assert_int_equal(parse(&c, "[sequence]\nprofile = rfc5227\n", &e), 0);
	s = c.sequence;
	assert_int_equal(s.profile, CFG_PROFILE_RFC5227);
	assert_int_equal(s.probe_wait_ns, SEC);
	assert_int_equal(s.probes, 3);
	assert_int_equal(s.probe_interval_ns, SEC);
	assert_int_equal(s.probe_max_ns, 2 * SEC);
	assert_int_equal(s.announce_delay_ns, 2 * SEC);
	assert_int_equal(s.announcements, 2);
	assert_int_equal(s.announce_interval_ns, 2 * SEC);
	/* Non-timing keys keep their defaults. */
	assert_int_equal(s.frames, CFG_FRAMES_REQUEST);
	assert_int_equal(s.max_frames_per_second, 1000);
	cfg_free(&c);

	assert_int_equal(parse(&c, "[sequence]\nprofile = immediate\n", &e), 0);
	assert_int_equal(c.sequence.profile, CFG_PROFILE_IMMEDIATE);
	assert_int_equal(c.sequence.probes, 0);
	assert_int_equal(c.sequence.announce_delay_ns, 0);
	assert_int_equal(c.sequence.announcements, 1);
	assert_int_equal(c.sequence.probe_wait_ns, 0);
	cfg_free(&c);

	/* win8 written out equals the built-in defaults. */
	assert_int_equal(parse(&c, "[sequence]\nprofile = immediate\n", &e), 0);
	cfg_free(&c);
	{
		struct cfg d;

		cfg_init_defaults(&d);
		assert_int_equal(parse(&c, "[sequence]\nprofile = win8\n", &e), 0);
		assert_seq_equal(&c.sequence, &d.sequence);
		cfg_free(&c);
	}

	/* A key after the profile overrides that key alone. */
	assert_int_equal(parse(&c, "[sequence]\nprofile = rfc5227\nannouncements = 5\n", &e), 0);
	assert_int_equal(c.sequence.announcements, 5);
	assert_int_equal(c.sequence.announce_interval_ns, 2 * SEC);
	assert_int_equal(c.sequence.probe_wait_ns, SEC);
	cfg_free(&c);

	/* A key before the profile is overwritten by it (documented). */
	assert_int_equal(
	    parse(&c, "[sequence]\nannouncements = 5\nframes = both\nprofile = rfc5227\n", &e), 0);
	assert_int_equal(c.sequence.announcements, 2);
	assert_int_equal(c.sequence.frames, CFG_FRAMES_BOTH); /* not a timing key */
	cfg_free(&c);

	/* probe_interval above RFC 5227's PROBE_MAX raises the jitter bound. */
	assert_int_equal(parse(&c, "[sequence]\nprofile = rfc5227\nprobe_interval = 3s\n", &e), 0);
	cfg_sequence_for(&c, "eth0", &s);
	assert_int_equal(s.probe_interval_ns, 3 * SEC);
	assert_int_equal(s.probe_max_ns, 3 * SEC);
	cfg_free(&c);
}

/*
 * RFC 4861 §7.2.6: at most MAX_NEIGHBOR_ADVERTISEMENT (3) unsolicited NAs,
 * at least RetransTimer (1 s) apart. The defaults, every profile and the
 * shipped examples keep to it, for IPv6 rides on the same keys as ARP.
 */
static void test_rfc4861_limit(void **state)
{
	static const char *const texts[] = {
		"",
		"[sequence]\nprofile = win8\n",
		"[sequence]\nprofile = rfc5227\n",
		"[sequence]\nprofile = immediate\n",
		/* the shipped example for bonds */
		"[interface bond*]\nprofile = immediate\nannouncements = 3\n",
	};
	struct cfg c;
	struct cfg_error e;
	struct cfg_sequence s;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(parse(&c, texts[i], &e), 0);
		cfg_sequence_for(&c, "bond0", &s);
		assert_true(s.announcements <= 3);
		assert_true(s.announcements == 1 || s.announce_interval_ns >= SEC);
		cfg_free(&c);
	}
}

static void test_interfaces(void **state)
{
	static const char text[] = "[sequence]\n"
				   "probes = 2\n"
				   "frames = reply\n"
				   "\n"
				   "[interface eth*]\n"
				   "announcements = 4\n"
				   "\n"
				   "[interface veth*]\n"
				   "ignore = yes\n"
				   "\n"
				   "[interface eth1]\n"
				   "announcements = 7\n"
				   "frames = both\n"
				   "\n"
				   "[interface bond[0-9]]\n"
				   "profile = immediate\n"
				   "announcements = 3\n"
				   "\n"
				   "[interface bond1]\n"
				   "probes = 1\n"
				   "\n"
				   "[interface eth*]\n"
				   "frames = request\n";
	struct cfg c;
	struct cfg_error e;
	struct cfg_sequence s;

	assert_int_equal(parse(&c, text, &e), 0);
	assert_int_equal(c.n_interfaces, 6);

	cfg_sequence_for(&c, "wlan0", &s);
	assert_int_equal(s.probes, 2);
	assert_int_equal(s.announcements, 1);
	assert_int_equal(s.frames, CFG_FRAMES_REPLY);
	assert_false(s.ignore);

	cfg_sequence_for(&c, "eth0", &s);
	assert_int_equal(s.probes, 2);
	assert_int_equal(s.announcements, 4);
	assert_int_equal(s.frames, CFG_FRAMES_REQUEST); /* the last eth* section */

	/* eth1: eth* then eth1 then eth* again, key by key. */
	cfg_sequence_for(&c, "eth1", &s);
	assert_int_equal(s.announcements, 7);
	assert_int_equal(s.frames, CFG_FRAMES_REQUEST);
	assert_int_equal(s.probes, 2);

	cfg_sequence_for(&c, "veth0", &s);
	assert_true(s.ignore);
	assert_int_equal(s.probes, 2);
	assert_int_equal(s.announcements, 1);

	cfg_sequence_for(&c, "bond0", &s);
	assert_int_equal(s.profile, CFG_PROFILE_IMMEDIATE);
	assert_int_equal(s.probes, 0);
	assert_int_equal(s.announce_delay_ns, 0);
	assert_int_equal(s.announcements, 3);
	assert_int_equal(s.frames, CFG_FRAMES_REPLY); /* from [sequence]: not a timing key */

	cfg_sequence_for(&c, "bond1", &s);
	assert_int_equal(s.probes, 1);
	assert_int_equal(s.announcements, 3);
	assert_int_equal(s.announce_delay_ns, 0);

	cfg_sequence_for(&c, "bond10", &s); /* [0-9] matches one character */
	assert_int_equal(s.probes, 2);
	cfg_free(&c);

	/* [sequence] after an [interface] section still sets the base. */
	assert_int_equal(parse(&c, "[interface x]\nprobes = 9\n[sequence]\nprobes = 4\n", &e), 0);
	cfg_sequence_for(&c, "x", &s);
	assert_int_equal(s.probes, 9);
	cfg_sequence_for(&c, "y", &s);
	assert_int_equal(s.probes, 4);
	cfg_free(&c);
}

static char tmpdir[64];

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/garpd-cfg-test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/garpd.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

static void test_load(void **state)
{
	char path[128];
	struct cfg c;
	struct cfg_error e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	assert_int_equal(cfg_load(&c, path, true, &e), 0);
	assert_int_equal(c.sequence.probes, 3);
	cfg_free(&c);
	assert_int_equal(cfg_load(&c, path, false, &e), -ENOENT);
	assert_string_equal(e.file, path);
	assert_int_equal(e.line, 0);
	assert_string_equal(e.message, "No such file or directory");

	/* A directory is not a configuration file, missing_ok or not. */
	assert_int_equal(cfg_load(&c, tmpdir, true, &e), -EINVAL);
	assert_string_equal(e.message, "not a regular file");

	snprintf(path, sizeof(path), "%s/garpd.conf", tmpdir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs("[sequence]\nprobes = 5\n\nannouncements = many\n", f);
	fclose(f);
	assert_int_equal(cfg_load(&c, path, true, &e), -EINVAL);
	assert_string_equal(e.file, path);
	assert_int_equal(e.line, 4);
	assert_string_equal(e.message,
			    "announcements: expected an integer from 1 to 100, got \"many\"");

	f = fopen(path, "we");
	assert_non_null(f);
	fputs("[sequence]\nprobes = 5\n", f);
	fclose(f);
	assert_int_equal(cfg_load(&c, path, false, &e), 0);
	assert_int_equal(c.sequence.probes, 5);
	cfg_free(&c);
}

static void test_names(void **state)
{
	enum cfg_log_level l;

	assert_string_equal(cfg_profile_to_string(CFG_PROFILE_WIN8), "win8");
	assert_string_equal(cfg_profile_to_string(CFG_PROFILE_RFC5227), "rfc5227");
	assert_string_equal(cfg_profile_to_string(CFG_PROFILE_IMMEDIATE), "immediate");
	assert_string_equal(cfg_profile_to_string((enum cfg_profile)99), "?");
	assert_string_equal(cfg_action_to_string(CFG_ACTION_NONE), "none");
	assert_string_equal(cfg_action_to_string(CFG_ACTION_ANNOUNCE), "announce");
	assert_string_equal(cfg_action_to_string(CFG_ACTION_SEQUENCE), "sequence");
	assert_string_equal(cfg_log_level_to_string(CFG_LOG_WARNING), "warning");
	assert_string_equal(cfg_log_level_to_string((enum cfg_log_level) - 1), "?");
	assert_int_equal(cfg_log_level_from_string("notice", &l), 0);
	assert_int_equal(l, CFG_LOG_NOTICE);
	assert_int_equal(cfg_log_level_from_string("NOTICE", &l), -EINVAL);
	assert_int_equal(cfg_log_level_from_string(NULL, &l), -EINVAL);
}

/* Hostile input: an error with a line, no crash, no leak. */
static void test_hostile(void **state)
{
	struct cfg c;
	struct cfg_error e;
	size_t n = 10000 * 20;
	char *buf = malloc(n + 1), *p;

	assert_non_null(buf);

	/* Embedded NUL: the length, not the NUL, ends the buffer. */
	assert_int_equal(cfg_parse_buffer(&c, "[daemon]\nuser = ro\0ot\n", 22, "garpd.conf", &e),
			 -EINVAL);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.message, "line contains a NUL byte");
	assert_int_equal(cfg_parse_buffer(&c, "\0", 1, "garpd.conf", &e), -EINVAL);
	assert_int_equal(e.line, 1);
	assert_int_equal(cfg_parse_buffer(&c, "[daemon]\n\x1b[31m\n", 15, "garpd.conf", &e),
			 -EINVAL);
	assert_string_equal(e.message, "line contains a control character (0x1b)");
	/* Not NUL-terminated: the parser must stop at len (ASan checks). */
	{
		char *t = malloc(17);

		assert_non_null(t);
		memcpy(t, "[sequence]\nprobes", 17);
		assert_int_equal(cfg_parse_buffer(&c, t, 17, "garpd.conf", &e), -EINVAL);
		assert_int_equal(e.line, 2);
		memcpy(t, "[sequence]\nprobe=", 17);
		assert_int_equal(cfg_parse_buffer(&c, t, 17, "garpd.conf", &e), -EINVAL);
		assert_string_equal(e.message, "probe: unknown key in [sequence]");
		free(t);
	}

	/* A very long line: an error, never a truncated value. */
	memset(buf, 'a', n);
	memcpy(buf, "[daemon]\nuser = ", 16);
	buf[n] = '\0';
	assert_int_equal(cfg_parse_buffer(&c, buf, n, "garpd.conf", &e), -EINVAL);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.message, "line too long (more than 4096 bytes)");
	/* Long but within the raw limit: the key = value part is bounded too. */
	assert_int_equal(cfg_parse_buffer(&c, buf, 16 + 1000, "garpd.conf", &e), -EINVAL);
	assert_string_equal(e.message, "user: line too long (at most 198 bytes without comments)");
	/* A long comment is fine. */
	memset(buf, ' ', 4000);
	memcpy(buf, "[daemon] #", 10);
	buf[4000] = '\0';
	assert_int_equal(parse(&c, buf, &e), 0);
	cfg_free(&c);

	/* 10,000 sections: refused at the cap, no memory sink. */
	p = buf;
	for (int i = 0; i < 10000; i++)
		p += sprintf(p, "[interface e%d]\n", i);
	assert_int_equal(parse(&c, buf, &e), -EINVAL);
	assert_int_equal(e.line, 1025);
	assert_string_equal(e.message, "too many [interface] sections (at most 1024)");
	assert_null(c.interfaces);
	/* 1,024 is fine. */
	p = buf;
	for (int i = 0; i < 1024; i++)
		p += sprintf(p, "[interface e%d]\nprobes = %d\n", i, i % 100);
	assert_int_equal(parse(&c, buf, &e), 0);
	assert_int_equal(c.n_interfaces, 1024);
	{
		struct cfg_sequence s;

		cfg_sequence_for(&c, "e1023", &s);
		assert_int_equal(s.probes, 23);
	}
	cfg_free(&c);

	/* Binary junk. */
	for (size_t i = 0; i < 4096; i++)
		buf[i] = (char)(i * 7 + 3);
	assert_int_equal(cfg_parse_buffer(&c, buf, 4096, "garpd.conf", &e), -EINVAL);
	assert_true(e.line >= 1);
	assert_true(e.message[0] != '\0');
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_daemon_strings),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_refresh_neighbours),
		cmocka_unit_test(test_bad_structure),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_rfc4861_limit),
		cmocka_unit_test_setup_teardown(test_load, setup_dir, teardown_dir),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
