/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's request path without a socket: the input is what
 * one client sends, framed by control_frame_next() as the loop frames it,
 * and each request run by daemon_control() (jobs stepped in slices)
 * (commands.c, reading status.c's snapshot) against a real engine and a
 * fake link table (eth0, bond0 with a slave, lo; IPv4 and IPv6 addresses
 * on eth0, IPv4 on bond0).
 *
 * Oracle: framing cuts exactly one line per newline, refuses only too long
 * lines and NUL bytes (a CRLF line is a line), and stops at the first
 * refusal; an OK reply never comes out of a failed allocation, an ERR has
 * a message; a request never makes the engine announce an address that is
 * not configured, or out of an interface garpd does not announce on.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <string.h>

#include "control-frame.h"
#include "daemon.h"
#include "fuzz.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
/* <linux/if.h> clashes with <net/if.h>: the IF_OPER_* values used */
#ifndef IF_OPER_UP
#define IF_OPER_UNKNOWN 0
#define IF_OPER_DOWN 2
#define IF_OPER_UP 6
#endif

static struct gnl_link links[4];
static const size_t n_links = 4;

/* The fake link table: what commands.c asks the netlink library for. */
void gnl_foreach_link(const struct gnl *g, void (*fn)(void *userdata, const struct gnl_link *link),
		      void *userdata)
{
	for (size_t i = 0; i < n_links; i++)
		fn(userdata, &links[i]);
}

void gnl_get_counters(const struct gnl *g, struct gnl_counters *ret)
{
	*ret = (struct gnl_counters){ .malformed = 1, .resyncs = 2 };
}

int daemon_reload(struct daemon *d, struct buf *ret_err)
{
	buf_printf(ret_err, "garpd.conf:3: no reload in the fuzzer");
	return -EINVAL;
}

static void make_link(struct gnl_link *l, int ifindex, const char *name, uint8_t last)
{
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->mac_len = 6;
	l->mac[0] = 0x02;
	l->mac[5] = last;
	l->type = ARPHRD_ETHER;
	l->flags = IFF_UP | IFF_LOWER_UP | IFF_BROADCAST;
	l->operstate = IF_OPER_UP;
}

static void setup(struct daemon *d)
{
	static struct if_stats stats[2] = { { .ifindex = 2, .name = "eth0", .probes = 3 },
					    { .ifindex = 3, .name = "bo\"nd\\0\n", .relearn = 1 } };
	static const char *const addrs[] = { "192.0.2.1", "192.0.2.2", "198.51.100.7",
					     "2001:db8::1" };
	static const int on[] = { 2, 2, 3, 2 };

	make_link(&links[0], 1, "lo", 0);
	links[0].type = ARPHRD_LOOPBACK;
	links[0].flags |= IFF_LOOPBACK;
	make_link(&links[1], 2, "eth0", 2);
	make_link(&links[2], 3, "bond0", 3);
	links[2].kind = GNL_KIND_BOND;
	links[2].bond_active_slave = 4;
	make_link(&links[3], 4, "eth1", 3);
	links[3].master = 3;
	links[3].slave_kind = GNL_KIND_BOND;

	memset(d, 0, sizeof(*d));
	d->now = 5000000000ull;
	d->stats = stats;
	d->n_stats = 2;
	d->send_errors = 7;
	FUZZ_CHECK(engine_new(&d->engine, NULL, 1) == 0, "engine_new");
	for (size_t i = 0; i < n_links; i++)
		engine_link(d->engine, d->now, &links[i], 0);
	for (size_t i = 0; i < 4; i++) {
		struct gnl_addr a = { .family = AF_INET, .ifindex = on[i], .prefixlen = 24 };

		if (inet_pton(AF_INET, addrs[i], &a.addr.v4) != 1) {
			a.family = AF_INET6;
			a.prefixlen = 64;
			inet_pton(AF_INET6, addrs[i], &a.addr.v6);
		}
		engine_addr(d->engine, d->now, &a, true);
	}
}

static bool configured(int ifindex, const struct garp_addr *a)
{
	char t[GARP_ADDR_STRLEN];

	garp_addr_to_str(a, t);
	if (ifindex == 2)
		return !strcmp(t, "192.0.2.1") || !strcmp(t, "192.0.2.2") ||
		       !strcmp(t, "2001:db8::1");
	return ifindex == 3 && !strcmp(t, "198.51.100.7");
}

static void run_line(struct daemon *d, const char *line)
{
	struct buf payload = BUF_INIT;
	struct control_job *job = NULL;
	struct engine_frame f;
	enum control_reply r = daemon_control(d, line, &payload, &job);

	if (job) {
		/* a large reply, built in slices as the loop does */
		FUZZ_CHECK(r == CONTROL_REPLY_OK, "a job with reply %d", r);
		for (int i = 0; !job->step(job, &payload, payload.len + CONTROL_SLICE); i++)
			FUZZ_CHECK(i < 100000, "a job that never ends");
		job->free(job);
	}
	switch (r) {
	case CONTROL_REPLY_OK:
		break;
	case CONTROL_REPLY_ERROR:
		FUZZ_CHECK(payload.len > 0, "an ERR without a message for \"%s\"", line);
		break;
	case CONTROL_REPLY_MONITOR:
	case CONTROL_REPLY_MONITOR_JSON:
		FUZZ_CHECK(!strncmp(line + strspn(line, " \t"), "monitor", 7),
			   "monitor from \"%s\"", line);
		break;
	default:
		FUZZ_CHECK(0, "reply type %d", r);
	}
	buf_free(&payload);
	while (engine_pop_frame(d->engine, &f) == 0)
		FUZZ_CHECK(configured(f.ifindex, &f.addr), "a frame for an address not configured");
	d->now += 1000000; /* the next request comes a millisecond later */
	engine_run(d->engine, d->now);
	while (engine_pop_frame(d->engine, &f) == 0)
		FUZZ_CHECK(configured(f.ifindex, &f.addr), "a frame for an address not configured");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon d;
	size_t off = 0;

	setup(&d);
	/* as the loop frames a client's input (control_frame_next) and runs each request */
	while (off < size) {
		const char *in = (const char *)data + off;
		size_t left = size - off, len = 0, used = 0;
		enum control_frame fr = control_frame_next(in, left, &len, &used);
		const char *nl = memchr(in, '\n', left);
		size_t rawlen = nl ? (size_t)(nl - in) : 0;
		char *line;

		if (fr == CONTROL_FRAME_MORE) {
			FUZZ_CHECK(!nl && left <= CONTROL_INPUT_MAX,
				   "a whole or overlong line not taken");
			break;
		}
		if (fr != CONTROL_FRAME_LINE) {
			FUZZ_CHECK(control_frame_error(fr) && control_frame_error(fr)[0],
				   "no reason");
			/* refused only for what the protocol refuses */
			FUZZ_CHECK(!nl || rawlen > CONTROL_LINE_MAX || memchr(in, '\0', rawlen) ||
				       memchr(in, '\r', rawlen ? rawlen - 1 : 0),
				   "a good line refused");
			break;
		}
		FUZZ_CHECK(nl && used == rawlen + 1 && used <= left,
			   "consumes %zu of a %zu-byte line", used, rawlen);
		FUZZ_CHECK(len == rawlen || (len + 1 == rawlen && in[len] == '\r'), "line length");
		FUZZ_CHECK(!memchr(in, '\0', len), "a NUL in an accepted line");
		line = malloc(len + 1);
		FUZZ_CHECK(line, "oom");
		memcpy(line, in, len);
		line[len] = '\0';
		run_line(&d, line);
		free(line);
		off += used;
	}
	engine_free(d.engine);
	return 0;
}
