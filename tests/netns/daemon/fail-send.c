/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD shim for tests: while the file named by $GARPD_TEST_SEND_FAIL
 * exists, sendmmsg() fails with the errno written in it (a number), the
 * way the kernel fails a frame whose link went down in the same instant
 * (ENETDOWN) — a race too narrow to hit on demand.
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags);

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags)
{
	static int (*real)(int, struct mmsghdr *, unsigned int, int);
	const char *path = getenv("GARPD_TEST_SEND_FAIL");
	FILE *f = path ? fopen(path, "r") : NULL;

	if (f) {
		int err = 0;

		if (fscanf(f, "%d", &err) != 1 || err <= 0)
			err = ENETDOWN;
		fclose(f);
		errno = err;
		return -1;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sendmmsg");
	return real(fd, vec, n, flags);
}
