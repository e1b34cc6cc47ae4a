/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

/**
 * privs_lookup() - the ids of garpd's user and of the operators' group
 * @user: the configured user, or NULL/"" for none
 * @group: the configured control group, or NULL/"" for none
 * @ret_uid: the user's uid, or (uid_t)-1 without a user
 * @ret_gid: the group's gid; without one the user's primary group; (gid_t)-1 without either
 * @ret_msg: on failure, what was not found
 *
 * Return: 0 or a negative errno (-ESRCH: no such user or group).
 */
int privs_lookup(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid,
		 const char **ret_msg);

/**
 * privs_drop() - give up root for good, after every socket is open
 * @user: switch to this user (its primary group, no supplementary groups),
 *        or NULL/"" to stay uid 0
 * @ret_msg: on failure, a static string saying which step failed
 *
 * In this order: empty the capability bounding set (while CAP_SETPCAP is
 * still ours), clear the ambient set, switch user (groups, gid, uid), clear
 * the effective, permitted and inheritable sets, set PR_SET_NO_NEW_PRIVS;
 * then check that all of it holds (and, with a user, that root cannot be
 * regained). Every step must succeed. Opened AF_PACKET and netlink sockets
 * keep working.
 *
 * Return: 0 or a negative errno; any failure must be fatal.
 */
int privs_drop(const char *user, const char **ret_msg);
