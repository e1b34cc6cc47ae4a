/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "garp-config.h"

/**
 * garpd_config_load() - cfg_load(), with a permission error explained
 * @ret: as cfg_load()
 * @path: the file
 * @missing_ok: as cfg_load()
 * @ret_err: as cfg_load()
 *
 * garpd reads its file again on every reload, after it has dropped its
 * capabilities and perhaps switched user: a file only root may read then
 * fails with "Permission denied". For that error the message says which
 * step of the path the process's user and groups lack (search permission
 * on a directory, read permission on the file), its owner and mode, and
 * the commands that grant it to garpd's group.
 *
 * Return: as cfg_load().
 */
int garpd_config_load(struct cfg *ret, const char *path, bool missing_ok,
		      struct cfg_error *ret_err);

/**
 * config_access_explain() - why the calling process may not read @path
 * @path: an absolute or relative file name
 * @buf: the explanation, NUL-terminated
 * @size: the size of @buf
 *
 * Judges by owner, group and mode bits against the effective uid, gid and
 * supplementary groups (no capabilities: garpd has none left by then).
 *
 * Return: true when a missing permission was found and described, false
 * when the bits allow access (an ACL or a security module refused) or a
 * step could not be examined.
 */
bool config_access_explain(const char *path, char *buf, size_t size);
