/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/**
 * privs_drop() - give up root for good, after every socket is open
 * @user: switch to this user (its primary group, no supplementary groups),
 *        or NULL/"" to stay uid 0
 * @ret_msg: on failure, a static string saying which step failed
 *
 * Drops every capability (effective, permitted, inheritable, ambient, and
 * the bounding set where allowed) and sets PR_SET_NO_NEW_PRIVS. Opened
 * AF_PACKET and netlink sockets keep working.
 *
 * Return: 0 or a negative errno; any failure must be fatal.
 */
int privs_drop(const char *user, const char **ret_msg);
