/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garp_notify(): the datagram systemd reads from $NOTIFY_SOCKET, to a
 * path and to an abstract address; nothing without the variable.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

/* A datagram socket bound to @sa; returns its fd. */
static int listener(const struct sockaddr_un *sa, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (const struct sockaddr *)sa, len), 0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
}

static void test_path(void **state)
{
	char dir[] = "/tmp/garp-notify-XXXXXX";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	fd = listener(&sa, sizeof(sa));
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	assert_int_equal(garp_notify("READY=1"), 1);
	expect_datagram(fd, "READY=1");
	assert_int_equal(garp_notify("STOPPING=1"), 1);
	expect_datagram(fd, "STOPPING=1");
	close(fd);
	unlink(sa.sun_path);
	rmdir(dir);
	/* nobody listening: an error, not a crash */
	assert_true(garp_notify("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

static void test_abstract(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64], env[80];
	size_t len;
	int fd;

	(void)state;
	len = (size_t)snprintf(name, sizeof(name), "garp-notify-test-%ld", (long)getpid());
	memcpy(sa.sun_path + 1, name, len); /* sun_path[0] = '\0' */
	fd = listener(&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len));
	snprintf(env, sizeof(env), "@%s", name);
	setenv("NOTIFY_SOCKET", env, 1);
	assert_int_equal(garp_notify("RELOADING=1"), 1);
	expect_datagram(fd, "RELOADING=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void test_none(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(garp_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1); /* not spoken here */
	assert_int_equal(garp_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(garp_notify("READY=1"), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_abstract),
		cmocka_unit_test(test_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
