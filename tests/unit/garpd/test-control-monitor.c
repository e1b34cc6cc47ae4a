/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's monitors, over a real Unix socket but without the
 * loop: a broadcast line waits for control_flush() (the loop calls it
 * after the wakeup's frames have left), unless a burst piled up 64 KiB;
 * control_close() still hands over what waits.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "control-proto.h"
#include "control.h"

#define TAG 100

static enum control_reply handler(void *userdata, const char *line, struct buf *payload,
				  struct control_job **ret_job)
{
	(void)userdata;
	(void)payload;
	(void)ret_job;
	assert_string_equal(line, "monitor");
	return CONTROL_REPLY_MONITOR;
}

/* What the client can read now, without waiting (0: nothing). */
static size_t peek(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

	if (n < 0) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		n = 0;
	}
	buf[n] = '\0';
	return (size_t)n;
}

/* The loop's part: dispatch what is ready, run the requests. */
static void pump(struct control *c, int epfd)
{
	for (int round = 0; round < 10; round++) {
		struct epoll_event evs[8];
		int n = epoll_wait(epfd, evs, 8, 0);

		assert_true(n >= 0);
		for (int i = 0; i < n; i++)
			control_dispatch(c, evs[i].data.u64, evs[i].events, 1);
		control_run(c, 1);
	}
}

static void test_monitor_flush(void **state)
{
	char dir[] = "/tmp/garpd-control-XXXXXX", buf[1024];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *c;
	int epfd, fd;
	size_t got = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", dir);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(epfd >= 0);
	assert_int_equal(control_open(&c, sa.sun_path,
				      &(struct control_owner){ (uid_t)-1, (gid_t)-1 }, epfd, TAG,
				      handler, NULL),
			 0);
	control_set_ready(c);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, "monitor\n", 8), 8);
	pump(c, epfd);
	assert_true(control_has_monitors(c));
	assert_string_equal((peek(fd, buf, sizeof(buf)), buf), CONTROL_OK " " CONTROL_STREAM "\n");

	/* A line waits for the flush. */
	control_broadcast(c, "event=probe-sent", "{}");
	control_broadcast(c, "event=announced", "{}");
	assert_int_equal(peek(fd, buf, sizeof(buf)), 0);
	control_flush(c);
	assert_string_equal((peek(fd, buf, sizeof(buf)), buf),
			    "event=probe-sent\nevent=announced\n");
	control_flush(c); /* nothing left: nothing sent again */
	assert_int_equal(peek(fd, buf, sizeof(buf)), 0);

	/* A burst that piles up 64 KiB is written without waiting. */
	memset(buf, 'x', 999);
	buf[999] = '\0';
	for (int i = 0; i < 70; i++)
		control_broadcast(c, buf, "{}");
	for (size_t n; (n = peek(fd, buf, sizeof(buf))); got += n)
		;
	assert_int_equal(got, 66 * 1000); /* written at the line that reached 64 KiB */
	control_flush(c);
	for (size_t n; (n = peek(fd, buf, sizeof(buf))); got += n)
		;
	assert_int_equal(got, 70 * 1000);

	/* Closing hands over what waits, then the end. */
	control_broadcast(c, "event=stopped", "{}");
	assert_int_equal(peek(fd, buf, sizeof(buf)), 0);
	control_close(c);
	assert_string_equal((peek(fd, buf, sizeof(buf)), buf), "event=stopped\n");
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
	close(fd);
	close(epfd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
