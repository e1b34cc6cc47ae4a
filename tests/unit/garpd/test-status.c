/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the control requests print, byte for byte: `status` (text and
 * JSON), `metrics` and `announce`, against golden files in golden/.
 * commands.c runs as the daemon runs it, over a real engine and a fixed
 * link table (netlink's side replaced here), at a fixed `now`.
 *
 * The interfaces cover every column and branch: each reason an interface
 * is ignored, the three link states, a bond with and without an active
 * slave, a kind garpd has no rule for, no MAC, a name JSON must escape;
 * addresses probing, announced, never announced, defended by another host,
 * failed by the kernel's DAD, still tentative. Wall-clock stamps are
 * masked (@TIME@), the version too (@VERSION@).
 *
 * A status reply is built in slices; built one address per slice it must
 * be the same bytes.
 *
 * GARPD_GOLDEN_WRITE=1 rewrites the files instead (then read the diff).
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if_arp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/if_addr.h>

#include "daemon.h"
#include "garpd-build.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
/* <linux/if.h> clashes with <net/if.h>: the IF_OPER_* values used */
#define OPER_DOWN 2
#define OPER_UP 6

#define MS(x) ((uint64_t)(x)*1000000ull)
#define S(x) ((uint64_t)(x)*1000000000ull)

static const char *golden_dir;

/* ---- netlink's side: a fixed link table ------------------------------- */

#define LINKS_MAX 16
static struct gnl_link links[LINKS_MAX];
static size_t n_links;

void gnl_foreach_link(const struct gnl *g, void (*fn)(void *userdata, const struct gnl_link *link),
		      void *userdata)
{
	(void)g;
	/* not in ifindex order: status sorts */
	for (size_t i = n_links; i-- > 0;)
		fn(userdata, &links[i]);
}

void gnl_get_counters(const struct gnl *g, struct gnl_counters *ret)
{
	(void)g;
	*ret = (struct gnl_counters){ .malformed = 1, .resyncs = 2 };
}

int daemon_reload(struct daemon *d, struct buf *ret_err)
{
	(void)d;
	buf_printf(ret_err, "garpd.conf:3: no reload here");
	return -EINVAL;
}

static struct gnl_link *add_link(int ifindex, const char *name, uint8_t last)
{
	struct gnl_link *l = &links[n_links++];

	assert_true(n_links <= LINKS_MAX);
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->mac_len = 6;
	l->mac[0] = 0x02;
	l->mac[5] = last;
	l->type = ARPHRD_ETHER;
	l->flags = IFF_UP | IFF_LOWER_UP | IFF_BROADCAST;
	l->operstate = OPER_UP;
	return l;
}

static void set_kind(struct gnl_link *l, enum gnl_kind kind, const char *name)
{
	l->kind = kind;
	snprintf(l->kind_name, sizeof(l->kind_name), "%s", name);
}

/* ---- the daemon -------------------------------------------------------- */

static const char config_text[] = "[sequence]\n"
				  "probes = 3\n"
				  "[interface eth2]\n"
				  "ignore = yes\n"
				  "[interface bond1]\n"
				  "ignore = yes\n"
				  "[interface bond0]\n"
				  "profile = immediate\n";

static void policy_from_cfg(void *userdata, const char *ifname, struct cfg_sequence *ret)
{
	const struct daemon *d = userdata;

	cfg_sequence_for(&d->cfg, ifname, ret);
}

static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* Run the engine to @t, a millisecond at a time, throwing its output away. */
static void run_to(struct daemon *d, uint64_t t)
{
	struct engine_frame f;
	struct engine_note n;
	struct engine_query q;

	for (; d->now <= t; d->now += MS(1)) {
		engine_run(d->engine, d->now);
		while (engine_pop_frame(d->engine, &f) == 0)
			;
		while (engine_pop_note(d->engine, &n) == 0)
			;
		while (engine_pop_query(d->engine, &q) == 0)
			;
	}
	d->now = t;
}

static void add_addr(struct daemon *d, int ifindex, const char *text, uint32_t flags, bool announce)
{
	struct gnl_addr a = { .ifindex = ifindex, .flags = flags };

	if (inet_pton(AF_INET, text, &a.addr.v4) == 1) {
		a.family = AF_INET;
		a.prefixlen = 24;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &a.addr.v6), 1);
		a.family = AF_INET6;
		a.prefixlen = 64;
	}
	engine_addr(d->engine, d->now, &a, announce);
}

static void defend(struct daemon *d, int ifindex, const char *text)
{
	struct pkt_arp a = { .op = PKT_ARPOP_REPLY };

	memcpy(a.eth_src, other_mac, 6);
	memcpy(a.sha, other_mac, 6);
	memset(a.eth_dst, 0xff, 6);
	assert_int_equal(inet_pton(AF_INET, text, &a.spa), 1);
	engine_arp(d->engine, d->now, ifindex, &a);
}

static struct if_stats stats[2] = {
	{ .ifindex = 2, .name = "eth0", .probes = 9, .announcements = 4, .replies = 1, .na = 2 },
	{ .ifindex = 3, .name = "bo\"nd\\0\n", .relearn = 1, .conflicts = 1, .send_errors = 7 },
};

static void daemon_up(struct daemon *d)
{
	struct engine_policy_source src = { .get = policy_from_cfg, .userdata = d };
	struct cfg_error err;
	struct gnl_link *l;

	memset(d, 0, sizeof(*d));
	n_links = 0;
	assert_int_equal(
	    cfg_parse_buffer(&d->cfg, config_text, strlen(config_text), "garpd.conf", &err), 0);
	l = add_link(1, "lo", 0);
	l->type = ARPHRD_LOOPBACK;
	l->flags |= IFF_LOOPBACK;
	add_link(2, "eth0", 2);
	l = add_link(3, "bond0", 3);
	set_kind(l, GNL_KIND_BOND, "bond");
	l->bond_active_slave = 4;
	l = add_link(4, "eth1", 3);
	l->master = 3;
	l->slave_kind = GNL_KIND_BOND;
	snprintf(l->slave_kind_name, sizeof(l->slave_kind_name), "bond");
	l = add_link(5, "dummy0", 5);
	set_kind(l, GNL_KIND_OTHER, "dummy");
	l->flags &= ~(unsigned)IFF_LOWER_UP; /* no carrier */
	l->operstate = OPER_DOWN;
	add_link(6, "eth2", 6);
	l = add_link(7, "noarp0", 7);
	l->flags |= IFF_NOARP;
	l = add_link(8, "tun0", 0);
	l->type = ARPHRD_NONE;
	l->mac_len = 0;
	memset(l->mac, 0, sizeof(l->mac));
	l = add_link(9, "down0", 9);
	l->flags &= ~(unsigned)(IFF_UP | IFF_LOWER_UP);
	l->operstate = OPER_DOWN;
	add_link(10, "q\"x\\", 10);
	l = add_link(11, "bond1", 11);
	set_kind(l, GNL_KIND_BOND, "bond");
	l = add_link(12, "br0", 12);
	set_kind(l, GNL_KIND_BRIDGE, "bridge");

	d->stats = stats;
	d->n_stats = 2;
	d->send_errors = 7;
	d->now = S(1);
	assert_int_equal(engine_new(&d->engine, &src, 1), 0);
	for (size_t i = 0; i < n_links; i++)
		engine_link(d->engine, d->now, &links[i], 0);

	/* before the first dump was reconciled: learnt, never announced */
	add_addr(d, 3, "198.51.100.7", 0, false);
	add_addr(d, 12, "192.0.2.77", 0, false);
	add_addr(d, 6, "203.0.113.5", 0, false);
	add_addr(d, 9, "192.0.2.99", 0, false);
	/* new: the whole sequence, announced at 4 s */
	add_addr(d, 2, "192.0.2.1", 0, true);
	add_addr(d, 2, "2001:db8::1", IFA_F_PERMANENT, true);
	add_addr(d, 2, "2001:db8::2", IFA_F_TENTATIVE, true);
	add_addr(d, 2, "2001:db8::3", IFA_F_TENTATIVE, true);
	add_addr(d, 2, "2001:db8::4", IFA_F_TENTATIVE, true);
	run_to(d, S(3));
	add_addr(d, 2, "2001:db8::3", IFA_F_TENTATIVE | IFA_F_DADFAILED, false);
	add_addr(d, 2, "2001:db8::4", IFA_F_TENTATIVE | IFA_F_DADFAILED, false);
	run_to(d, S(6));
	/* its flags cleared since (re-added by hand): still the kernel DAD's conflict */
	add_addr(d, 2, "2001:db8::4", IFA_F_PERMANENT, false);
	add_addr(d, 2, "192.0.2.3", 0, true);
	run_to(d, MS(6500));
	defend(d, 2, "192.0.2.3");
	run_to(d, S(9));
	add_addr(d, 2, "192.0.2.2", 0, true);
	add_addr(d, 3, "198.51.100.8", 0, true);
	run_to(d, MS(10500));
}

static void daemon_down(struct daemon *d)
{
	engine_free(d->engine);
	cfg_free(&d->cfg);
}

/* ---- running a request ------------------------------------------------- */

/*
 * One request as the loop runs it; a job in slices of @slice bytes past
 * what is there (1: one address line a slice). "OK "/"ERR " before it.
 */
static void request(struct daemon *d, const char *line, size_t slice, struct buf *out)
{
	struct control_job *job = NULL;
	struct buf payload = BUF_INIT;
	enum control_reply r = daemon_control(d, line, &payload, &job);

	if (job) {
		assert_int_equal(r, CONTROL_REPLY_OK);
		for (int i = 0; !job->step(job, &payload, payload.len + slice); i++)
			assert_true(i < 100000);
		job->free(job);
	}
	buf_printf(out, "%s %s\n", r == CONTROL_REPLY_OK ? "OK" : "ERR", line);
	buf_append(out, payload.data ? payload.data : "", payload.len);
	if (payload.len && payload.data[payload.len - 1] != '\n')
		buf_printf(out, "\n");
	assert_false(out->oom);
	buf_free(&payload);
}

/* The version and wall-clock stamps ("2026-11-29T03:40:00.123456Z") masked. */
static char *mask(const struct buf *b)
{
	struct buf m = BUF_INIT;
	const char *s = b->data ? b->data : "";
	size_t vlen = strlen(GARPD_VERSION);

	for (size_t i = 0; i < b->len;) {
		size_t k = 0;

		while (k < 27 && i + k < b->len &&
		       (k == 4 || k == 7     ? s[i + k] == '-'
			: k == 10	     ? s[i + k] == 'T'
			: k == 13 || k == 16 ? s[i + k] == ':'
			: k == 19	     ? s[i + k] == '.'
			: k == 26	     ? s[i + k] == 'Z'
					     : isdigit((unsigned char)s[i + k])))
			k++;
		if (k == 27) {
			buf_printf(&m, "@TIME@");
			i += k;
		} else if (vlen && b->len - i >= vlen && !memcmp(s + i, GARPD_VERSION, vlen) &&
			   i >= 1 && (s[i - 1] == '"')) {
			buf_printf(&m, "@VERSION@");
			i += vlen;
		} else {
			buf_append(&m, s + i, 1);
			i++;
		}
	}
	assert_false(m.oom);
	return m.data ? m.data : strdup("");
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return b.data ? b.data : strdup("");
}

/* The masked output against golden/@name (or written there). */
static void check_golden(const char *name, const struct buf *got)
{
	char path[4096], *want, *have = mask(got);

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	if (getenv("GARPD_GOLDEN_WRITE")) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		fputs(have, f);
		fclose(f);
	}
	want = read_file(path);
	if (!want)
		fail_msg("cannot read %s", path);
	if (strcmp(want, have)) {
		/* the first line that differs, then the whole of what came */
		size_t i = 0, line = 1;

		while (want[i] && want[i] == have[i])
			line += want[i++] == '\n';
		print_error("%s: differs from line %zu on; got:\n%s\n", name, line, have);
		fail();
	}
	free(want);
	free(have);
}

/* ---- the tests --------------------------------------------------------- */

static void test_status(void **state)
{
	struct daemon d;
	struct buf text = BUF_INIT, json = BUF_INIT, sliced = BUF_INIT;

	(void)state;
	daemon_up(&d);
	request(&d, "status", CONTROL_SLICE, &text);
	request(&d, "status", 1, &sliced);
	assert_int_equal(sliced.len, text.len);
	assert_memory_equal(sliced.data, text.data, text.len);
	check_golden("status.txt", &text);

	request(&d, "status json", CONTROL_SLICE, &json);
	buf_free(&sliced);
	request(&d, "status json", 1, &sliced);
	assert_int_equal(sliced.len, json.len);
	assert_memory_equal(sliced.data, json.data, json.len);
	check_golden("status.json", &json);

	buf_free(&text);
	buf_free(&json);
	buf_free(&sliced);
	daemon_down(&d);
}

static void test_metrics(void **state)
{
	struct daemon d;
	struct buf out = BUF_INIT;

	(void)state;
	daemon_up(&d);
	request(&d, "metrics", CONTROL_SLICE, &out);
	check_golden("metrics.txt", &out);
	buf_free(&out);
	daemon_down(&d);
}

static void test_announce(void **state)
{
	static const char *const requests[] = {
		"announce 192.0.2.9",
		"announce iface=eth1",
		"announce iface=nosuch0",
		"announce iface=eth2 203.0.113.5",
		"announce 2001:db8::2",
		"announce iface=eth0 2001:db8::3",
		"announce 192.0.2.3",
		"announce iface=bond0 sequence",
		"announce iface=bond0 sequence",
		"announce iface=down0",
		"announce 2001:db8::4",
		"announce iface=eth0 192.0.2.2 192.0.2.1",
		"announce 192.0.2.1",
		"announce sequence 192.0.2.1",
		"announce iface=eth0 force 192.0.2.3",
		"announce",
		"announce iface=lo",
		"announce not-an-address",
		"status xml",
		"help",
		"reload",
	};
	struct daemon d;
	struct buf out = BUF_INIT;

	(void)state;
	daemon_up(&d);
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		request(&d, requests[i], CONTROL_SLICE, &out);
	check_golden("announce.txt", &out);
	buf_free(&out);
	daemon_down(&d);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_announce),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
		return 2;
	}
	golden_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
