/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpctl's control-socket commands: status, announce, reload, monitor,
 * metrics. The protocol (control.h, garpctl(8)): one request line; the reply
 * is "OK <length>\n" and that many bytes, "ERR <message>\n", or for monitor
 * "OK stream\n" and event lines until either side closes.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "garpctl.h"

#define REQUEST_MAX CONTROL_LINE_MAX

static int connect_daemon(const struct garpctl_ctx *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(ctx->socket_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "garpctl: socket path too long: %s\n", ctx->socket_path);
		return -1;
	}
	strcpy(sa.sun_path, ctx->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "garpctl: cannot connect to garpd at %s: %s%s\n", ctx->socket_path,
			strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ? " (is garpd running?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads up to and including '\n' into @buf (NUL-terminated, newline stripped). */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ECONNRESET;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return 0;
		}
		n++;
	}
	return -EMSGSIZE;
}

/*
 * Sends @request and copies the reply's payload to stdout.
 * Returns an exit code; a monitor stream is copied until EOF.
 */
struct monitor_filter;
static int monitor_stream(int fd, const struct monitor_filter *f);

static int transact_filtered(const struct garpctl_ctx *ctx, const char *request, bool stream,
			     const struct monitor_filter *filter);

static int transact(const struct garpctl_ctx *ctx, const char *request, bool stream)
{
	return transact_filtered(ctx, request, stream, NULL);
}

static int transact_filtered(const struct garpctl_ctx *ctx, const char *request, bool stream,
			     const struct monitor_filter *filter)
{
	char head[512], buf[65536];
	unsigned long long len;
	char *end;
	int fd, r;

	fd = connect_daemon(ctx);
	if (fd < 0)
		return GARPCTL_EXIT_FAILURE;
	r = write_all(fd, request, strlen(request));
	if (r == 0)
		r = write_all(fd, "\n", 1);
	/* A refusal arrives before the daemon closes: read it even when the write failed. */
	if (r == 0 || r == -EPIPE || r == -ECONNRESET) {
		int w = r;

		r = read_line(fd, head, sizeof(head));
		if (r < 0 && w < 0)
			r = w;
	}
	if (r < 0) {
		fprintf(stderr, "garpctl: garpd did not answer: %s\n", strerror(-r));
		close(fd);
		return GARPCTL_EXIT_FAILURE;
	}
	if (!strncmp(head, CONTROL_ERR " ", sizeof(CONTROL_ERR))) {
		fprintf(stderr, "garpctl: %s\n", head + sizeof(CONTROL_ERR));
		close(fd);
		return GARPCTL_EXIT_FAILURE;
	}
	if (stream && !strcmp(head, CONTROL_OK " " CONTROL_STREAM)) {
		r = monitor_stream(fd, filter);
		close(fd);
		return r;
	}
	errno = 0;
	len = strncmp(head, CONTROL_OK " ", sizeof(CONTROL_OK))
		  ? 0
		  : strtoull(head + sizeof(CONTROL_OK), &end, 10);
	if (strncmp(head, CONTROL_OK " ", sizeof(CONTROL_OK)) || errno || *end) {
		fprintf(stderr, "garpctl: unexpected reply from garpd: %.80s\n", head);
		close(fd);
		return GARPCTL_EXIT_FAILURE;
	}
	while (len > 0) {
		ssize_t n = read(fd, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "garpctl: reply cut short\n");
			close(fd);
			return GARPCTL_EXIT_FAILURE;
		}
		fwrite(buf, 1, (size_t)n, stdout);
		len -= (unsigned long long)n;
	}
	close(fd);
	return fflush(stdout) == 0 ? GARPCTL_EXIT_OK : GARPCTL_EXIT_FAILURE;
}

/* Options shared by the simple commands: only --json (where allowed) and --help. */
static int simple(const struct garpctl_ctx *ctx, int argc, char **argv, const char *request,
		  bool json_ok, bool stream)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char req[64];
	bool json = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!json_ok)
				goto bad;
			json = true;
			break;
		case 'h':
			printf("Usage: garpctl %s%s\n", argv[0], json_ok ? " [--json]" : "");
			return GARPCTL_EXIT_OK;
		default:
			goto bad;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "garpctl %s: unexpected argument \"%s\"\n", argv[0], argv[optind]);
		return GARPCTL_EXIT_USAGE;
	}
	snprintf(req, sizeof(req), "%s%s", request, json ? " json" : "");
	return transact(ctx, req, stream);
bad:
	fprintf(stderr, "garpctl %s: unknown option \"%s\" (see garpctl %s --help)\n", argv[0],
		argv[optind - 1], argv[0]);
	return GARPCTL_EXIT_USAGE;
}

int garpctl_status(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	return simple(ctx, argc, argv, "status", true, false);
}

int garpctl_reload(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	return simple(ctx, argc, argv, "reload", false, false);
}

int garpctl_metrics(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	return simple(ctx, argc, argv, "metrics", false, false);
}

#define MONITOR_FILTERS_MAX 64

struct monitor_filter {
	bool json;
	const char *ifaces[MONITOR_FILTERS_MAX];
	size_t n_ifaces;
	const char *addrs[MONITOR_FILTERS_MAX];
	char addr_text[MONITOR_FILTERS_MAX][INET6_ADDRSTRLEN]; /* as garpd writes them */
	size_t n_addrs;
};

/* Whether @line has the field @key with the value @val, in the text or the JSON form. */
static bool line_has(const char *line, bool json, const char *key, const char *val)
{
	char pat[128];
	const char *p = line;
	size_t n;

	n = (size_t)snprintf(pat, sizeof(pat), json ? "\"%s\":\"%s\"" : "%s=%s", key, val);
	if (n >= sizeof(pat))
		return false;
	while ((p = strstr(p, pat))) {
		char before = p == line ? ' ' : p[-1], after = p[n];

		if (json ? (before == ',' || before == '{') && (after == ',' || after == '}')
			 : before == ' ' && (after == ' ' || after == '\0'))
			return true;
		p++;
	}
	return false;
}

static bool monitor_pass(const struct monitor_filter *f, const char *line)
{
	bool ok;

	if (!f)
		return true;
	ok = !f->n_ifaces;
	for (size_t i = 0; i < f->n_ifaces && !ok; i++)
		ok = line_has(line, f->json, "iface", f->ifaces[i]);
	if (!ok)
		return false;
	ok = !f->n_addrs;
	for (size_t i = 0; i < f->n_addrs && !ok; i++)
		ok = line_has(line, f->json, "addr", f->addrs[i]);
	return ok;
}

/* The line a monitor ends with when garpd goes away, in the stream's own form. */
static void monitor_gone(bool json)
{
	struct timespec ts;
	struct tm tm;
	char when[40] = "unknown";
	time_t sec;

	clock_gettime(CLOCK_REALTIME, &ts);
	sec = ts.tv_sec;
	if (gmtime_r(&sec, &tm) && strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(when + 19, sizeof(when) - 19, ".%06ldZ", ts.tv_nsec / 1000);
	if (json)
		printf("{\"time\":\"%s\",\"time_ns\":%llu,\"event\":\"garpd-gone\"}\n", when,
		       (unsigned long long)ts.tv_sec * 1000000000ull +
			   (unsigned long long)ts.tv_nsec);
	else
		printf("[%s] event=garpd-gone\n", when);
	fflush(stdout);
	fprintf(stderr, "garpctl: garpd closed the connection (stopped or restarted)\n");
}

/* Copies event lines that pass the filter until garpd closes: that is a failure (exit 1). */
static int monitor_stream(int fd, const struct monitor_filter *f)
{
	static char buf[65536 + 1];
	size_t have = 0;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		char *start = buf, *nl;

		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			*nl = '\0';
			if (monitor_pass(f, start) && printf("%s\n", start) < 0)
				return GARPCTL_EXIT_FAILURE;
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than any garpd writes: dropped */
	}
	monitor_gone(f && f->json);
	return GARPCTL_EXIT_FAILURE;
}

int garpctl_monitor(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct monitor_filter f = { 0 };
	struct in6_addr a;
	int c;

	/* Interrupted by the user: the default action ends us, which is what we want. */
	signal(SIGPIPE, SIG_DFL);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ji:h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			f.json = true;
			break;
		case 'i':
			if (!*optarg || strlen(optarg) >= 16 || strpbrk(optarg, " \t\n/\"=")) {
				fprintf(stderr,
					"garpctl monitor: \"%s\" is not an interface name\n",
					optarg);
				return GARPCTL_EXIT_USAGE;
			}
			if (f.n_ifaces == MONITOR_FILTERS_MAX) {
				fprintf(stderr, "garpctl monitor: at most %d interfaces\n",
					MONITOR_FILTERS_MAX);
				return GARPCTL_EXIT_USAGE;
			}
			f.ifaces[f.n_ifaces++] = optarg;
			break;
		case 'h':
			printf(
			    "Usage: garpctl monitor [--json] [-i IFACE]... [ADDRESS]...\n"
			    "Print garpd's events as they happen, each with its wall-clock time;\n"
			    "only those of IFACE and ADDRESS when given. Exits 1 when garpd goes "
			    "away.\n");
			return GARPCTL_EXIT_OK;
		case ':':
			fprintf(stderr, "garpctl monitor: option needs a value: %s\n",
				argv[optind - 1]);
			return GARPCTL_EXIT_USAGE;
		default:
			fprintf(stderr, "garpctl monitor: unknown option \"%s\"\n",
				argv[optind - 1]);
			return GARPCTL_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) {
		int family = inet_pton(AF_INET, argv[i], &a) == 1 ? AF_INET : AF_INET6;

		if (family == AF_INET6 && inet_pton(AF_INET6, argv[i], &a) != 1) {
			fprintf(stderr, "garpctl monitor: \"%s\" is not an IPv4 or IPv6 address\n",
				argv[i]);
			return GARPCTL_EXIT_USAGE;
		}
		if (f.n_addrs == MONITOR_FILTERS_MAX) {
			fprintf(stderr, "garpctl monitor: at most %d addresses\n",
				MONITOR_FILTERS_MAX);
			return GARPCTL_EXIT_USAGE;
		}
		f.addrs[f.n_addrs] =
		    inet_ntop(family, &a, f.addr_text[f.n_addrs], INET6_ADDRSTRLEN);
		f.n_addrs++;
	}
	return transact_filtered(ctx, f.json ? "monitor json" : "monitor", true, &f);
}

int garpctl_announce(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "sequence", no_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char req[REQUEST_MAX];
	const char *iface = NULL;
	bool sequence = false, force = false;
	size_t len;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:Sfh", options, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'S':
			sequence = true;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			printf(
			    "Usage: garpctl announce [-i IFACE] [--sequence] [--force] "
			    "[ADDRESS...]\n"
			    "Announce now: the given addresses, every address of IFACE, or every "
			    "address.\n"
			    "Probes in flight are cut short; --sequence probes first instead.\n"
			    "An address another host defended is refused unless --force.\n"
			    "Exit status 1 when nothing was started.\n");
			return GARPCTL_EXIT_OK;
		case ':':
			fprintf(stderr, "garpctl announce: option needs a value: %s\n",
				argv[optind - 1]);
			return GARPCTL_EXIT_USAGE;
		default:
			fprintf(stderr, "garpctl announce: unknown option \"%s\"\n",
				argv[optind - 1]);
			return GARPCTL_EXIT_USAGE;
		}
	}
	if (iface && (!*iface || strlen(iface) >= 16 || strpbrk(iface, " \t\n/"))) {
		fprintf(stderr, "garpctl announce: \"%s\" is not an interface name\n", iface);
		return GARPCTL_EXIT_USAGE;
	}
	len = (size_t)snprintf(req, sizeof(req), "announce%s%s%s%s", iface ? " iface=" : "",
			       iface ? iface : "", sequence ? " sequence" : "",
			       force ? " force" : "");
	for (int i = optind; i < argc; i++) {
		struct in6_addr a;

		if (inet_pton(AF_INET, argv[i], &a) != 1 && inet_pton(AF_INET6, argv[i], &a) != 1) {
			fprintf(stderr, "garpctl announce: \"%s\" is not an IPv4 or IPv6 address\n",
				argv[i]);
			return GARPCTL_EXIT_USAGE;
		}
		if (len + 1 + strlen(argv[i]) >= sizeof(req)) {
			fprintf(stderr, "garpctl announce: too many addresses for one request\n");
			return GARPCTL_EXIT_USAGE;
		}
		len += (size_t)snprintf(req + len, sizeof(req) - len, " %s", argv[i]);
	}
	return transact(ctx, req, false);
}
