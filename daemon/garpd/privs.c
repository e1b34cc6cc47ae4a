/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privs.h"

static int switch_user(const char *user, const char **ret_msg)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		*ret_msg = "unknown user";
		return errno ? -errno : -ESRCH;
	}
	/* Order matters: groups and gid while still uid 0, uid last. */
	if (setgroups(0, NULL) < 0) {
		*ret_msg = "setgroups";
		return -errno;
	}
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0) {
		*ret_msg = "setresgid";
		return -errno;
	}
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		*ret_msg = "setresuid";
		return -errno;
	}
	return 0;
}

int privs_drop(const char *user, const char **ret_msg)
{
	cap_t caps;
	int r;

	*ret_msg = NULL;
	if (user && *user) {
		r = switch_user(user, ret_msg);
		if (r < 0)
			return r;
	}

	/* Empty the bounding set while CAP_SETPCAP is still ours (not fatal: absent in a locked-down unit). */
	if (CAP_IS_SUPPORTED(CAP_SETPCAP) && prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1) {
		for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
			(void)prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*ret_msg = "clearing ambient capabilities";
		return -errno;
	}

	caps = cap_init(); /* all clear */
	if (!caps) {
		*ret_msg = "cap_init";
		return -errno;
	}
	r = cap_set_proc(caps) < 0 ? -errno : 0;
	cap_free(caps);
	if (r < 0) {
		*ret_msg = "cap_set_proc";
		return r;
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*ret_msg = "PR_SET_NO_NEW_PRIVS";
		return -errno;
	}
	return 0;
}
