/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpd: announce IPv4 addresses with gratuitous ARP whenever an address or
 * a path moves. Command line and start-up; the work is in loop.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "garp-config.h"
#include "garpd-build.h"
#include "config-access.h"
#include "log.h"
#include "loop.h"

#define DEFAULT_CONFIG GARPD_SYSCONFDIR "/garpd/garpd.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: garpd [OPTION]...\n"
		"Announce IPv4 addresses with gratuitous ARP when an address or a path moves.\n"
		"\n"
		"  -c, --config FILE          configuration file (default " DEFAULT_CONFIG ")\n"
		"  -f, --foreground           stay in the foreground, log to stderr\n"
		"  -l, --log-level LEVEL      debug, info, notice, warning or error\n"
		"  -s, --control-socket PATH  control socket (overrides the configuration)\n"
		"  -t, --check-config         validate the configuration and exit\n"
		"  -V, --version              print the version and exit\n"
		"  -h, --help                 print this help and exit\n");
}

/* Detach: fork, new session, fork again, stdio to /dev/null; logs go to syslog. */
static int daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"log-level", required_argument, NULL, 'l'},
		{"control-socket", required_argument, NULL, 's'},
		{"check-config", no_argument, NULL, 't'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct loop_options lopts = {.config_path = DEFAULT_CONFIG, .config_missing_ok = true};
	bool foreground = false, check = false;
	enum cfg_log_level level = CFG_LOG_INFO;
	struct cfg_error err;
	struct cfg cfg;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:fl:s:tVh", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			lopts.config_path = optarg;
			lopts.config_missing_ok = false;
			break;
		case 'f':
			foreground = true;
			break;
		case 'l':
			if (cfg_log_level_from_string(optarg, &level) < 0) {
				fprintf(stderr, "garpd: --log-level: expected debug, info, notice, "
						"warning or error, got \"%s\"\n",
					optarg);
				return EX_USAGE;
			}
			lopts.log_level_forced = true;
			break;
		case 's':
			if (optarg[0] != '/') {
				fprintf(stderr, "garpd: --control-socket: expected an absolute path, "
						"got \"%s\"\n",
					optarg);
				return EX_USAGE;
			}
			lopts.control_socket = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'V':
			printf("garpd %s\n", GARPD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "garpd: unexpected argument \"%s\"\n", argv[optind]);
		return EX_USAGE;
	}

	r = garpd_config_load(&cfg, lopts.config_path, lopts.config_missing_ok, &err);
	if (r < 0) {
		if (err.line)
			fprintf(stderr, "garpd: %s:%u: %s\n", err.file, err.line, err.message);
		else
			fprintf(stderr, "garpd: %s: %s\n", err.file, err.message);
		return EX_CONFIG;
	}
	if (check) {
		printf("%s: ok\n", lopts.config_path);
		cfg_free(&cfg);
		return 0;
	}
	if (!lopts.log_level_forced)
		level = cfg.daemon.log_level;

	if (!foreground) {
		r = daemonize();
		if (r < 0) {
			fprintf(stderr, "garpd: cannot detach: %s\n", strerror(-r));
			cfg_free(&cfg);
			return EX_OSERR;
		}
	}
	log_setup(level, !foreground);
	return loop_run(&cfg, &lopts);
}
