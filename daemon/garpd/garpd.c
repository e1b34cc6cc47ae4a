/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpd: announce IPv4 addresses with gratuitous ARP whenever an address or
 * a path moves. Command line and start-up; the work is in loop.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
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
		"  -p, --pid-file FILE        write the daemon's process id to FILE\n"
		"  -t, --check-config         check what start would check, report every error,\n"
		"                             exit 0 or 78\n"
		"  -V, --version              print the version and exit\n"
		"  -h, --help                 print this help and exit\n");
}

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/*
 * Background start-up: the process that was started waits on a pipe until
 * the daemon says how its start-up went, so every failure is reported on
 * the terminal and in the exit status before anything detaches.
 */
static struct {
	int ready_fd; /* the daemon's end of the pipe; -1 in the foreground */
	enum cfg_log_level level;
	const char *pid_file;
	bool pid_written;
} start = { .ready_fd = -1 };

/* Fork; the parent waits for the daemon's verdict and exits with it. */
static int detach_begin(void)
{
	unsigned char status;
	int p[2], fd;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		do
			n = read(p[0], &status, 1);
		while (n < 0 && errno == EINTR);
		waitpid(pid, NULL, 0); /* the middle child, gone at once */
		if (n == 1)
			_exit(status);
		fprintf(stderr, "garpd: the daemon exited during start-up without a status\n");
		_exit(EX_SOFTWARE);
	}
	close(p[0]);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	start.ready_fd = p[1];
	if (chdir("/") < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dup2(fd, STDIN_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/* Tell the waiting parent how start-up went; stdout and stderr then go to /dev/null. */
static void detach_end(int status)
{
	unsigned char b = (unsigned char)status;
	int fd;

	if (start.ready_fd < 0)
		return;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	(void)!write(start.ready_fd, &b, 1);
	close(start.ready_fd);
	start.ready_fd = -1;
}

/* loop.c calls this once the daemon runs: from now on the log goes to syslog. */
static void started(void *userdata)
{
	if (start.ready_fd < 0)
		return;
	log_setup(start.level, true);
	detach_end(0);
}

static int pid_file_write(const char *path)
{
	char line[32];
	int fd, n, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0)
		unlink(path);
	return r;
}

/* -t: every error in the file, then what start would refuse besides. */
static void check_report(void *userdata, const struct cfg_error *e)
{
	unsigned int *n = userdata;

	(*n)++;
	if (e->line)
		fprintf(stderr, "%s:%u: %s\n", e->file, e->line, e->message);
	else
		fprintf(stderr, "%s: %s\n", e->file, e->message);
}

static int check_config(const struct loop_options *o)
{
	const char *path = o->config_path;
	unsigned int errors = 0;
	struct stat st;
	struct cfg cfg;
	bool missing;

	missing = stat(path, &st) < 0 && errno == ENOENT;
	if (missing) {
		if (!o->config_missing_ok) {
			fprintf(stderr,
				"%s: does not exist (a file named with --config must; "
				"garpd would not start)\n",
				path);
			return EX_CONFIG;
		}
		printf("%s: does not exist; garpd would start with the built-in defaults\n", path);
	}
	if (cfg_load_report(&cfg, path, o->config_missing_ok, check_report, &errors, NULL) < 0 &&
	    !errors)
		errors++;
	if (!errors && cfg.daemon.user[0]) {
		errno = 0;
		if (!getpwnam(cfg.daemon.user)) {
			errors++;
			fprintf(stderr, "%s:%u: user: %s \"%s\" (garpd would not start)\n", path,
				cfg.daemon.user_line, errno ? strerror(errno) : "no such user",
				cfg.daemon.user);
		}
	}
	cfg_free(&cfg);
	if (errors) {
		if (errors > 1)
			fprintf(stderr, "garpd: %u errors in %s\n", errors, path);
		return EX_CONFIG;
	}
	if (!missing)
		printf("%s: ok\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "control-socket", required_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 't' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct loop_options lopts = { .config_path = DEFAULT_CONFIG, .config_missing_ok = true };
	bool foreground = false, check = false;
	enum cfg_log_level level = CFG_LOG_INFO;
	struct cfg_error err;
	struct cfg cfg;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:fl:s:p:tVh", options, NULL)) != -1) {
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
				fprintf(stderr,
					"garpd: --log-level: expected debug, info, notice, "
					"warning or error, got \"%s\"\n",
					optarg);
				return EX_USAGE;
			}
			lopts.log_level_forced = true;
			break;
		case 's':
			if (optarg[0] != '/') {
				fprintf(stderr,
					"garpd: --control-socket: expected an absolute path, "
					"got \"%s\"\n",
					optarg);
				return EX_USAGE;
			}
			if (strlen(optarg) > SUN_PATH_MAX) {
				fprintf(stderr,
					"garpd: --control-socket: a Unix socket path has at most "
					"%zu bytes, got %zu\n",
					SUN_PATH_MAX, strlen(optarg));
				return EX_USAGE;
			}
			lopts.control_socket = optarg;
			break;
		case 'p':
			if (!optarg[0]) {
				fprintf(stderr, "garpd: --pid-file: expected a file name\n");
				return EX_USAGE;
			}
			start.pid_file = optarg;
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

	if (check)
		return check_config(&lopts);

	r = garpd_config_load(&cfg, lopts.config_path, lopts.config_missing_ok, &err);
	if (r < 0) {
		if (err.line)
			fprintf(stderr, "garpd: %s:%u: %s\n", err.file, err.line, err.message);
		else
			fprintf(stderr, "garpd: %s: %s\n", err.file, err.message);
		return EX_CONFIG;
	}
	if (!lopts.log_level_forced)
		level = cfg.daemon.log_level;
	start.level = level;

	if (!foreground) {
		r = detach_begin();
		if (r < 0) {
			fprintf(stderr, "garpd: cannot detach: %s\n", strerror(-r));
			cfg_free(&cfg);
			detach_end(EX_OSERR);
			return EX_OSERR;
		}
		lopts.started = started;
	}
	/* Until start-up is over the log goes to stderr, where whoever started us sees it. */
	log_setup(level, false);
	if (start.pid_file) {
		r = pid_file_write(start.pid_file);
		if (r < 0) {
			log_error("event=start-failed step=pid-file path=%s error=\"%s\"",
				  start.pid_file, strerror(-r));
			cfg_free(&cfg);
			detach_end(EX_CANTCREAT);
			return EX_CANTCREAT;
		}
		start.pid_written = true;
	}
	r = loop_run(&cfg, &lopts);
	detach_end(r ? r : EX_SOFTWARE); /* only when start-up failed: started() went first */
	if (start.pid_written)
		unlink(
		    start.pid_file); /* best effort: after the privilege drop it may not be ours */
	return r;
}
