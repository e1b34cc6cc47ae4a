/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privs.h"

int privs_lookup(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid,
		 const char **ret_msg)
{
	*ret_uid = (uid_t)-1;
	*ret_gid = (gid_t)-1;
	*ret_msg = NULL;
	if (user && *user) {
		struct passwd *pw;

		errno = 0;
		pw = getpwnam(user);
		if (!pw) {
			*ret_msg = "unknown user";
			return errno ? -errno : -ESRCH;
		}
		*ret_uid = pw->pw_uid;
		*ret_gid = pw->pw_gid;
	}
	if (group && *group) {
		struct group *gr;

		errno = 0;
		gr = getgrnam(group);
		if (!gr) {
			*ret_msg = "unknown control_group";
			return errno ? -errno : -ESRCH;
		}
		*ret_gid = gr->gr_gid;
	}
	return 0;
}

/* Every capability the running kernel knows, which may be more than we were built with. */
static int bounding_set_empty(const char **ret_msg)
{
	for (unsigned long c = 0;; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			return 0; /* EINVAL: past the kernel's last capability */
		if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			*ret_msg = errno == EPERM ? "emptying the capability bounding set needs "
						    "CAP_SETPCAP (grant it with CAP_NET_RAW)"
						  : "emptying the capability bounding set";
			return -errno;
		}
	}
}

static int switch_user(const char *user, const char **ret_msg)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		*ret_msg = "unknown user";
		return errno ? -errno : -ESRCH;
	}
	/* Started as that user already (systemd's User=): nothing to switch, no groups to keep. */
	if (getresuid(&ruid, &euid, &suid) == 0 && getresgid(&rgid, &egid, &sgid) == 0 &&
	    ruid == pw->pw_uid && euid == pw->pw_uid && suid == pw->pw_uid && rgid == pw->pw_gid &&
	    egid == pw->pw_gid && sgid == pw->pw_gid && getgroups(0, NULL) == 0)
		return 0;
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

/* Trust, then verify: what the kernel says we hold now. */
static int verify(const char *user, const char **ret_msg)
{
	cap_t caps, none;
	int r;

	caps = cap_get_proc();
	none = cap_init();
	if (!caps || !none) {
		cap_free(caps);
		cap_free(none);
		*ret_msg = "reading capabilities back";
		return -ENOMEM;
	}
	r = cap_compare(caps, none);
	cap_free(caps);
	cap_free(none);
	if (r != 0) {
		*ret_msg = "capabilities still held after dropping them";
		return -EPERM;
	}
	for (unsigned long c = 0;; c++) {
		r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1) {
			*ret_msg = "capability bounding set not empty after dropping it";
			return -EPERM;
		}
		r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
		if (r == 1) {
			*ret_msg = "ambient capability still set after clearing";
			return -EPERM;
		}
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		*ret_msg = "PR_SET_NO_NEW_PRIVS did not stick";
		return -EPERM;
	}
	if (user && *user) {
		if (geteuid() == 0 || getuid() == 0 || getegid() == 0 || getgid() == 0) {
			*ret_msg = "still uid or gid 0 after switching user";
			return -EPERM;
		}
		if (setuid(0) == 0 || seteuid(0) == 0) {
			*ret_msg = "root could be regained after switching user";
			return -EPERM;
		}
	}
	return 0;
}

int privs_drop(const char *user, const char **ret_msg)
{
	cap_t caps;
	int r;

	*ret_msg = NULL;

	/* Bounding set first: shrinking it needs CAP_SETPCAP, which the user switch takes away. */
	r = bounding_set_empty(ret_msg);
	if (r < 0)
		return r;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*ret_msg = "clearing ambient capabilities";
		return -errno;
	}

	if (user && *user) {
		r = switch_user(user, ret_msg);
		if (r < 0)
			return r;
	}

	caps = cap_init(); /* all clear */
	if (!caps) {
		*ret_msg = "cap_init";
		return -errno;
	}
	r = cap_set_proc(caps) < 0 ? -errno : 0;
	cap_free(caps);
	if (r < 0) {
		*ret_msg = "clearing capabilities";
		return r;
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*ret_msg = "PR_SET_NO_NEW_PRIVS";
		return -errno;
	}
	return verify(user, ret_msg);
}
