/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The daemon's log: one line per event, key=value fields, to stderr (the
 * journal adds time and unit) or to syslog when garpd runs detached.
 * Only the daemon logs; libraries return errors.
 */

#include <stdbool.h>
#include <stddef.h>

#include "garp-config.h"

void log_setup(enum cfg_log_level level, bool use_syslog);
void log_set_level(enum cfg_log_level level);
bool log_enabled(enum cfg_log_level level);

/*
 * Buffered: lines are collected and written together by log_flush(), which
 * the event loop calls once per wakeup (a burst of events is one write, not
 * one per line). Unbuffered (the default): each line is one write.
 */
void log_set_buffered(bool on);
void log_flush(void);

/* One line of @len bytes, no formatting: "iface=eth0 addr=10.0.0.1 event=announced". */
void log_line(enum cfg_log_level level, const char *text, size_t len);

/* log_msg(CFG_LOG_INFO, "iface=%s addr=%s event=announced", ...) */
void log_msg(enum cfg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(CFG_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(CFG_LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(CFG_LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(CFG_LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(CFG_LOG_ERROR, __VA_ARGS__)
