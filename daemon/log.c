/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

/* The log is the one process-wide sink; its settings live here and nowhere else. */
static struct {
	enum cfg_log_level level;
	bool use_syslog;
} log_state = {CFG_LOG_INFO, false};

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

void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	static const int prio[] = {
		[CFG_LOG_DEBUG] = LOG_DEBUG,   [CFG_LOG_INFO] = LOG_INFO,
		[CFG_LOG_NOTICE] = LOG_NOTICE, [CFG_LOG_WARNING] = LOG_WARNING,
		[CFG_LOG_ERROR] = LOG_ERR,
	};
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	if (log_state.use_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else {
		/* One write per line (stderr is unbuffered); "<6>" lets journald keep the level. */
		char line[1024];
		int n = snprintf(line, sizeof(line), "<%d>level=%s ", prio[level],
				 cfg_log_level_to_string(level));

		if (n > 0 && (size_t)n < sizeof(line) - 1) {
			int m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);

			if (m > 0)
				n += (size_t)m < sizeof(line) - 1 - (size_t)n ? m
									 : (int)(sizeof(line) - 2 - (size_t)n);
			line[n++] = '\n';
			fwrite(line, 1, (size_t)n, stderr);
		}
	}
	va_end(ap);
}
