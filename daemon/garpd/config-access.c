/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "Permission denied" on the configuration file, explained: which directory
 * or file the process's user and groups may not search or read, and how to
 * grant it to garpd's group.
 */

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-access.h"

static bool in_groups(gid_t gid)
{
	gid_t groups[NGROUPS_MAX];
	int n;

	if (gid == getegid())
		return true;
	n = getgroups(NGROUPS_MAX, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* The permission bit (S_IROTH or S_IXOTH) for the class the process falls in. */
static bool allowed(const struct stat *st, mode_t other_bit)
{
	if (st->st_uid == geteuid())
		return st->st_mode & (other_bit << 6);
	if (in_groups(st->st_gid))
		return st->st_mode & (other_bit << 3);
	return st->st_mode & other_bit;
}

#define NAME_MAX_LEN 64

/* getpwuid() and getgrgid() return static storage: copy before the next call. */
static const char *user_name(uid_t uid, char buf[NAME_MAX_LEN])
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, NAME_MAX_LEN, "%s", pw->pw_name);
	else
		snprintf(buf, NAME_MAX_LEN, "%u", (unsigned)uid);
	return buf;
}

static const char *group_name(gid_t gid, char buf[NAME_MAX_LEN])
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, NAME_MAX_LEN, "%s", gr->gr_name);
	else
		snprintf(buf, NAME_MAX_LEN, "%u", (unsigned)gid);
	return buf;
}

static void describe(const char *what, const char *path, const struct stat *st, bool dir, char *buf,
		     size_t size)
{
	char me[NAME_MAX_LEN], mg[NAME_MAX_LEN], fu[NAME_MAX_LEN], fg[NAME_MAX_LEN];

	user_name(geteuid(), me);
	group_name(getegid(), mg);
	user_name(st->st_uid, fu);
	group_name(st->st_gid, fg);
	snprintf(buf, size,
		 "Permission denied: user %s (group %s) may not %s %s (%s:%s %04o); "
		 "to let garpd's group %s: chgrp %s %s && chmod g+%s %s",
		 me, mg, what, path, fu, fg, (unsigned)(st->st_mode & 07777),
		 dir ? "enter it" : "read it", mg, path, dir ? "x" : "r", path);
}

bool config_access_explain(const char *path, char *buf, size_t size)
{
	char step[PATH_MAX];
	struct stat st;
	size_t len = strlen(path);

	if (len >= sizeof(step))
		return false;
	/* Every directory on the way, "/" first, needs search permission. */
	for (size_t i = 0; i < len; i++) {
		if (path[i] != '/')
			continue;
		memcpy(step, path, i ? i : 1);
		step[i ? i : 1] = '\0';
		if (stat(step, &st) < 0)
			return false;
		if (S_ISDIR(st.st_mode) && !allowed(&st, S_IXOTH)) {
			describe("enter directory", step, &st, true, buf, size);
			return true;
		}
	}
	if (stat(path, &st) < 0)
		return false;
	if (!allowed(&st, S_IROTH)) {
		describe("read", path, &st, false, buf, size);
		return true;
	}
	return false;
}

int garpd_config_load(struct cfg *ret, const char *path, bool missing_ok, struct cfg_error *ret_err)
{
	int r = cfg_load(ret, path, missing_ok, ret_err);

	if (r == -EACCES && ret_err &&
	    !config_access_explain(path, ret_err->message, sizeof(ret_err->message)))
		snprintf(ret_err->message, sizeof(ret_err->message),
			 "Permission denied, although the owner and mode bits allow it: "
			 "an ACL or a security module (AppArmor, SELinux) refuses");
	return r;
}
