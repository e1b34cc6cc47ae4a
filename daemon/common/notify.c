/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int garp_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len, n = strlen(state);
	socklen_t salen;
	ssize_t r;
	int fd, err = 0;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return 0;
	len = strlen(path);
	if (len < 2 || len > sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: no NUL at the end, the length says */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			    (path[0] == '/' && len < sizeof(sa.sun_path) ? 1 : 0));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = sendto(fd, state, n, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
	if (r < 0)
		err = -errno;
	else if ((size_t)r != n)
		err = -EIO;
	close(fd);
	return err < 0 ? err : 1;
}
