/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

struct client {
	int fd; /* -1: free slot */
	struct buf in, out;
	bool monitor, json;
	bool closing; /* close once out is written */
	bool pollout;
};

struct control {
	int fd;
	int epfd;
	uint64_t tag_base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t gid; /* the socket file's group: its members may connect */
	control_handler handler;
	void *userdata;
	struct client clients[CONTROL_CLIENTS_MAX];
	unsigned int n_monitors;
};

static int make_parent(const char *path)
{
	char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *dir;

	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* An existing socket file is stale when nobody accepts on it. */
static int remove_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0)
		return -EADDRINUSE;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int control_open(struct control **ret, const char *path, int epfd, uint64_t tag_base,
		 control_handler handler, void *userdata)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag_base};
	struct control *c;
	struct stat st;
	mode_t old;
	int r;

	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->epfd = epfd;
	c->tag_base = tag_base;
	c->handler = handler;
	c->userdata = userdata;
	snprintf(c->path, sizeof(c->path), "%s", path);
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		c->clients[i].fd = -1;

	r = make_parent(path);
	if (r < 0)
		goto fail;
	r = remove_stale(&sa);
	if (r < 0)
		goto fail;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = -errno;
		goto fail;
	}
	old = umask(0117); /* srw-rw---- from the start, no window */
	r = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (r < 0)
		goto fail;
	if (chmod(path, 0660) < 0 || stat(path, &st) < 0 || listen(c->fd, 16) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
	c->gid = st.st_gid;
	*ret = c;
	return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return r;
}

static void client_close(struct control *c, struct client *cl)
{
	if (cl->fd < 0)
		return;
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	if (cl->monitor)
		c->n_monitors--;
	buf_free(&cl->in);
	buf_free(&cl->out);
	*cl = (struct client){.fd = -1};
}

void control_close(struct control *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		client_close(c, &c->clients[i]);
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	free(c);
}

bool control_has_monitors(const struct control *c)
{
	return c && c->n_monitors > 0;
}

static bool peer_allowed(const struct control *c, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[256];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	if (cr.uid == 0 || cr.uid == geteuid() || cr.gid == c->gid)
		return true;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == c->gid)
			return true;
	return false;
}

static void client_update_events(struct control *c, struct client *cl, uint64_t tag)
{
	bool want = cl->out.len > 0;
	struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u64 = tag};

	if (want != cl->pollout && epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ev) == 0)
		cl->pollout = want;
}

/* Write what is pending; a client that went away is closed. Returns false when closed. */
static bool client_flush(struct control *c, struct client *cl, uint64_t tag)
{
	while (cl->out.len > 0) {
		ssize_t n = send(cl->fd, cl->out.data, cl->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(c, cl);
			return false;
		}
		buf_consume(&cl->out, (size_t)n);
	}
	if (cl->out.oom || (cl->out.len == 0 && cl->closing)) {
		client_close(c, cl);
		return false;
	}
	client_update_events(c, cl, tag);
	return true;
}

static void accept_clients(struct control *c)
{
	for (;;) {
		struct client *cl = NULL;
		struct epoll_event ev = {.events = EPOLLIN};
		int fd;

		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (!peer_allowed(c, fd)) {
			static const char msg[] = "ERR permission denied\n";

			(void)!send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
			if (c->clients[i].fd < 0) {
				cl = &c->clients[i];
				ev.data.u64 = c->tag_base + 1 + i;
				break;
			}
		}
		if (!cl || epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			static const char msg[] = "ERR too many clients\n";

			(void)!send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		*cl = (struct client){.fd = fd};
	}
}

static void run_request(struct control *c, struct client *cl, const char *line)
{
	struct buf payload = BUF_INIT;
	enum control_reply reply = c->handler(c->userdata, line, &payload);

	switch (reply) {
	case CONTROL_REPLY_OK:
		if (payload.oom) {
			buf_printf(&cl->out, "ERR out of memory\n");
			break;
		}
		buf_printf(&cl->out, "OK %zu\n", payload.len);
		buf_append(&cl->out, payload.data ? payload.data : "", payload.len);
		break;
	case CONTROL_REPLY_ERROR:
		/* One line, whatever the handler wrote. */
		for (size_t i = 0; i < payload.len; i++)
			if (payload.data[i] == '\n')
				payload.data[i] = ' ';
		buf_printf(&cl->out, "ERR %s\n", payload.data ? payload.data : "error");
		break;
	case CONTROL_REPLY_MONITOR:
	case CONTROL_REPLY_MONITOR_JSON:
		buf_printf(&cl->out, "OK stream\n");
		cl->monitor = true;
		cl->json = reply == CONTROL_REPLY_MONITOR_JSON;
		c->n_monitors++;
		break;
	}
	buf_free(&payload);
}

int control_take_request(struct buf *in, struct buf *out, char **ret_line, size_t *ret_used)
{
	char *nl = in->data ? memchr(in->data, '\n', in->len) : NULL;
	size_t len;

	if (!nl) {
		if (in->len > CONTROL_LINE_MAX || in->oom) {
			buf_printf(out, "ERR request longer than %d bytes\n", CONTROL_LINE_MAX);
			return -1;
		}
		return 0;
	}
	len = (size_t)(nl - in->data);
	if (len > CONTROL_LINE_MAX) {
		buf_printf(out, "ERR request longer than %d bytes\n", CONTROL_LINE_MAX);
		return -1;
	}
	/* before the CR is cut: "status\r\n" is a request, not a NUL byte */
	if (memchr(in->data, '\0', len)) {
		buf_printf(out, "ERR request contains a NUL byte\n");
		return -1;
	}
	*nl = '\0';
	if (len > 0 && in->data[len - 1] == '\r')
		in->data[len - 1] = '\0';
	*ret_line = in->data;
	*ret_used = len + 1;
	return 1;
}

static void client_read(struct control *c, struct client *cl, uint64_t tag)
{
	char tmp[CONTROL_LINE_MAX + 1];
	ssize_t n;

	n = recv(cl->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		client_close(c, cl); /* gone, even mid-reply: nothing to finish */
		return;
	}
	if (n < 0 || cl->monitor || cl->closing)
		return; /* a monitor's further input is ignored */
	buf_append(&cl->in, tmp, (size_t)n);

	for (;;) {
		char *line;
		size_t used;
		int r = control_take_request(&cl->in, &cl->out, &line, &used);

		if (r < 0) {
			cl->closing = true;
			break;
		}
		if (r == 0)
			break;
		run_request(c, cl, line);
		buf_consume(&cl->in, used);
		if (cl->monitor)
			break;
	}
	client_flush(c, cl, tag);
}

void control_dispatch(struct control *c, uint64_t tag, uint32_t events)
{
	struct client *cl;

	if (tag == c->tag_base) {
		accept_clients(c);
		return;
	}
	if (tag - c->tag_base - 1 >= CONTROL_CLIENTS_MAX)
		return;
	cl = &c->clients[tag - c->tag_base - 1];
	if (cl->fd < 0)
		return;
	if (events & EPOLLOUT && !client_flush(c, cl, tag))
		return;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c, cl, tag);
}

void control_broadcast(struct control *c, const char *text, const char *json)
{
	if (!control_has_monitors(c))
		return;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct client *cl = &c->clients[i];

		if (cl->fd < 0 || !cl->monitor)
			continue;
		buf_printf(&cl->out, "%s\n", cl->json ? json : text);
		if (cl->out.len > CONTROL_MONITOR_BACKLOG) {
			client_close(c, cl); /* a monitor that does not read is dropped */
			continue;
		}
		client_flush(c, cl, c->tag_base + 1 + i);
	}
}
