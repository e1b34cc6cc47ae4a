/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 1024
#define LOG_BUF_SIZE (64 * 1024)

/* The log is the one process-wide sink; its settings live here and nowhere else. */
static struct {
	enum cfg_log_level level;
	bool use_syslog;
	bool buffered;
	size_t len;
	char buf[LOG_BUF_SIZE];
} log_state = { .level = CFG_LOG_INFO };

static const int log_prio[] = {
	[CFG_LOG_DEBUG] = LOG_DEBUG,	 [CFG_LOG_INFO] = LOG_INFO, [CFG_LOG_NOTICE] = LOG_NOTICE,
	[CFG_LOG_WARNING] = LOG_WARNING, [CFG_LOG_ERROR] = LOG_ERR,
};

void log_setup(enum cfg_log_level level, bool use_syslog)
{
	log_state.level = level;
	log_state.use_syslog = use_syslog;
	if (use_syslog)
		openlog("garpd", LOG_PID, LOG_DAEMON);
}

void log_set_level(enum cfg_log_level level)
{
	log_state.level = level;
}

bool log_enabled(enum cfg_log_level level)
{
	return level >= log_state.level;
}

void log_flush(void)
{
	size_t off = 0;

	while (off < log_state.len) {
		ssize_t n = write(STDERR_FILENO, log_state.buf + off, log_state.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* nowhere to write: the lines are lost, the daemon goes on */
		off += (size_t)n;
	}
	log_state.len = 0;
}

void log_set_buffered(bool on)
{
	if (!on)
		log_flush();
	log_state.buffered = on;
}

/* Make room for one whole line: lines are never split between writes. */
static char *line_start(void)
{
	if (LOG_BUF_SIZE - log_state.len < LOG_LINE_MAX)
		log_flush();
	return log_state.buf + log_state.len;
}

static void line_end(size_t len)
{
	log_state.len += len;
	if (!log_state.buffered)
		log_flush();
}

/* "<6>level=info ": the "<6>" lets journald keep the level. */
static size_t line_prefix(char *p, enum cfg_log_level level)
{
	const char *name = cfg_log_level_to_string(level);
	size_t n = strlen(name);

	p[0] = '<';
	p[1] = (char)('0' + log_prio[level]);
	memcpy(p + 2, ">level=", 7);
	memcpy(p + 9, name, n);
	p[9 + n] = ' ';
	return 10 + n;
}

void log_line(enum cfg_log_level level, const char *text, size_t len)
{
	char *p;
	size_t n;

	if (!log_enabled(level))
		return;
	if (log_state.use_syslog) {
		syslog(log_prio[level], "%.*s", (int)(len > INT_MAX ? INT_MAX : len), text);
		return;
	}
	p = line_start();
	n = line_prefix(p, level);
	if (len > LOG_LINE_MAX - 1 - n)
		len = LOG_LINE_MAX - 1 - n;
	memcpy(p + n, text, len);
	n += len;
	p[n++] = '\n';
	line_end(n);
}

void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	if (log_state.use_syslog) {
		vsyslog(log_prio[level], fmt, ap);
	} else {
		char *p = line_start();
		size_t n = line_prefix(p, level);
		int m = vsnprintf(p + n, LOG_LINE_MAX - 1 - n, fmt, ap);

		if (m > 0)
			n += (size_t)m < LOG_LINE_MAX - 1 - n ? (size_t)m : LOG_LINE_MAX - 2 - n;
		p[n++] = '\n';
		line_end(n);
	}
	va_end(ap);
}
