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
#include <unistd.h>

#include "garpctl.h"

#define REQUEST_MAX CONTROL_LINE_MAX

static int connect_daemon(const struct garpctl_ctx *ctx)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
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
static int transact(const struct garpctl_ctx *ctx, const char *request, bool stream)
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
		ssize_t n;

		setvbuf(stdout, NULL, _IOLBF, 0);
		while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0 && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				break;
		close(fd);
		return GARPCTL_EXIT_OK;
	}
	errno = 0;
	len = strncmp(head, CONTROL_OK " ", sizeof(CONTROL_OK)) ? 0 : strtoull(head + sizeof(CONTROL_OK), &end, 10);
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
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
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

int garpctl_monitor(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	/* Interrupted by the user: the default action ends us, which is what we want. */
	signal(SIGPIPE, SIG_DFL);
	return simple(ctx, argc, argv, "monitor", true, true);
}

int garpctl_announce(const struct garpctl_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{"interface", required_argument, NULL, 'i'},
		{"sequence", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char req[REQUEST_MAX];
	const char *iface = NULL;
	bool sequence = false;
	size_t len;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:Sh", options, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'S':
			sequence = true;
			break;
		case 'h':
			printf("Usage: garpctl announce [-i IFACE] [--sequence] [ADDRESS...]\n"
			       "Announce now: the given addresses, every address of IFACE, or every "
			       "address.\n");
			return GARPCTL_EXIT_OK;
		case ':':
			fprintf(stderr, "garpctl announce: option needs a value: %s\n",
				argv[optind - 1]);
			return GARPCTL_EXIT_USAGE;
		default:
			fprintf(stderr, "garpctl announce: unknown option \"%s\"\n", argv[optind - 1]);
			return GARPCTL_EXIT_USAGE;
		}
	}
	if (iface && (!*iface || strlen(iface) >= 16 || strpbrk(iface, " \t\n/"))) {
		fprintf(stderr, "garpctl announce: \"%s\" is not an interface name\n", iface);
		return GARPCTL_EXIT_USAGE;
	}
	len = (size_t)snprintf(req, sizeof(req), "announce%s%s%s", iface ? " iface=" : "",
			       iface ? iface : "", sequence ? " sequence" : "");
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
