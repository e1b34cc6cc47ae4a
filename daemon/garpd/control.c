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
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* Accepted per wakeup, so a flood of connections cannot hold the loop. */
#define ACCEPT_BATCH 64
/* An output buffer this large is given back once it has been sent. */
#define OUT_KEEP (64u * 1024)
/* A request counts at least this much against a turn's slice, however short its reply. */
#define REQUEST_COST 1024u

struct client {
	int fd;	       /* -1: free slot */
	struct buf in; /* received, not yet framed or run */
	char head[32]; /* "OK <length>\n" of the reply in out */
	size_t head_len;
	struct buf out; /* out.data[sent..len) waits to be sent, after head[head_sent..] */
	size_t head_sent, sent;
	struct buf payload; /* the reply a job is building */
	struct control_job *job;
	size_t req_len, req_used; /* req_used > 0: a whole request waits at the front of in */
	uint64_t
	    since; /* idle: since connecting or its last reply; writing: since the last progress */
	uint32_t events; /* what epoll watches */
	bool monitor, json;
	bool closing; /* close once out is written */
	bool eof;     /* it sends nothing more */
};

struct control {
	int fd;
	int epfd;
	uint64_t tag_base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t gid; /* the socket file's group: its members may connect */
	control_handler handler;
	void *userdata;
	bool ready;
	size_t next; /* where the next turn of control_run() starts */
	struct client clients[CONTROL_CLIENTS_MAX];
	unsigned int n_clients; /* slots in use: none, and the per-wakeup walks below are skipped */
	unsigned int n_monitors;
	bool unsent; /* control_broadcast() left lines for control_flush() */
};

static int make_parent(const char *path, const struct control_owner *owner)
{
	char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *dir;
	int fd, r = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (mkdir(dir, 0750) < 0)
		return errno == EEXIST ? 0 : -errno; /* an existing directory is left as it is */
	if (owner->uid == (uid_t)-1 && owner->gid == (gid_t)-1)
		return 0;
	/* Ours: it belongs to garpd's user and the operators' group. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchown(fd, owner->uid, owner->gid) < 0 || fchmod(fd, 0750) < 0)
		r = -errno;
	close(fd);
	return r;
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

int control_open(struct control **ret, const char *path, const struct control_owner *owner,
		 int epfd, uint64_t tag_base, control_handler handler, void *userdata)
{
	static const struct control_owner nobody = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag_base };
	struct control *c;
	struct stat st;
	mode_t old;
	int r;

	if (!owner)
		owner = &nobody;
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

	r = make_parent(path, owner);
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
	/* Owner and group before listen(): nobody else can connect in between. */
	if ((owner->uid != (uid_t)-1 || owner->gid != (gid_t)-1) &&
	    fchownat(AT_FDCWD, path, owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
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

static size_t client_pending(const struct client *cl)
{
	return (cl->head_len - cl->head_sent) + (cl->out.len - cl->sent);
}

static void client_close(struct control *c, struct client *cl)
{
	if (cl->fd < 0)
		return;
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	c->n_clients--;
	if (cl->monitor)
		c->n_monitors--;
	if (cl->job)
		cl->job->free(cl->job);
	buf_free(&cl->in);
	buf_free(&cl->out);
	buf_free(&cl->payload);
	*cl = (struct client){ .fd = -1 };
}

/* A best-effort last word to a client about to be closed; it may never read it. */
static void client_say(int fd, const char *msg)
{
	(void)!send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void control_close(struct control *c)
{
	if (!c)
		return;
	control_flush(c); /* the monitors get the last events, as far as they read */
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

void control_set_ready(struct control *c)
{
	if (c)
		c->ready = true;
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

/* Waiting for its next request: no request, reply or job in hand. Only these are evicted. */
static bool client_idle(const struct client *cl)
{
	return !cl->monitor && !cl->job && !cl->req_used && !cl->closing && client_pending(cl) == 0;
}

static uint64_t client_deadline(const struct client *cl)
{
	if (cl->fd < 0 || cl->monitor)
		return UINT64_MAX;
	if (client_pending(cl) > 0)
		return cl->since + CONTROL_WRITE_TIMEOUT_NS;
	if (client_idle(cl))
		return cl->since + CONTROL_REQUEST_TIMEOUT_NS;
	return UINT64_MAX; /* a request held until ready, or being built */
}

/*
 * Read only from a client with nothing in hand: one that pipelines requests
 * without reading the replies is left in the kernel's socket buffer.
 */
static void client_update_events(struct control *c, struct client *cl, size_t i)
{
	struct epoll_event ev = { .data.u64 = c->tag_base + 1 + i };

	if (client_pending(cl) > 0)
		ev.events |= EPOLLOUT;
	if (cl->monitor || (client_idle(cl) && !cl->eof))
		ev.events |= EPOLLIN;
	if (ev.events != cl->events && epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ev) == 0)
		cl->events = ev.events;
}

/* Write what is pending. Returns false when the client was closed. */
static bool client_send(struct control *c, struct client *cl, uint64_t now)
{
	while (client_pending(cl) > 0) {
		struct iovec iov[2];
		int n_iov = 0;
		ssize_t n;
		size_t k;

		if (cl->head_sent < cl->head_len)
			iov[n_iov++] = (struct iovec){ cl->head + cl->head_sent,
						       cl->head_len - cl->head_sent };
		if (cl->sent < cl->out.len)
			iov[n_iov++] =
			    (struct iovec){ cl->out.data + cl->sent, cl->out.len - cl->sent };
		n = sendmsg(cl->fd, &(struct msghdr){ .msg_iov = iov, .msg_iovlen = (size_t)n_iov },
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(c, cl);
			return false;
		}
		cl->since = now;
		k = (size_t)n;
		if (cl->head_sent < cl->head_len) {
			size_t h = cl->head_len - cl->head_sent;

			h = k < h ? k : h;
			cl->head_sent += h;
			k -= h;
		}
		cl->sent += k;
	}
	if (client_pending(cl) == 0) {
		cl->head_len = cl->head_sent = cl->sent = 0;
		if (cl->out.cap > OUT_KEEP)
			buf_free(&cl->out);
		else
			buf_reset(&cl->out);
		if (cl->closing) {
			client_close(c, cl);
			return false;
		}
	} else if (cl->sent >= OUT_KEEP) {
		buf_consume(&cl->out, cl->sent); /* a monitor's stream never ends: compact it */
		cl->sent = 0;
	}
	return true;
}

/*
 * Send what is pending; once nothing is, frame the next request. Returns
 * false when the client was closed.
 */
static bool client_advance(struct control *c, struct client *cl, size_t i, uint64_t now)
{
	for (;;) {
		enum control_frame f;

		if (!client_send(c, cl, now))
			return false;
		if (client_pending(cl) > 0 || cl->job || cl->req_used || cl->monitor)
			break;
		f = control_frame_next(cl->in.data, cl->in.len, &cl->req_len, &cl->req_used);
		if (f == CONTROL_FRAME_LINE)
			break; /* runs in control_run(), once ready */
		if (f == CONTROL_FRAME_MORE) {
			if (cl->eof) {
				client_close(c, cl); /* said all it had to say */
				return false;
			}
			break;
		}
		buf_printf(&cl->out, CONTROL_ERR " %s\n", control_frame_error(f));
		buf_free(&cl->in);
		cl->closing = true;
	}
	client_update_events(c, cl, i);
	return true;
}

static void client_read(struct control *c, struct client *cl, size_t i, uint64_t now)
{
	char tmp[CONTROL_INPUT_MAX];
	size_t room = CONTROL_INPUT_MAX - cl->in.len;
	ssize_t n;

	if (cl->monitor)
		room = sizeof(tmp); /* a monitor's further input is read and ignored */
	else if (!client_idle(cl) || cl->eof || room == 0)
		return;
	n = recv(cl->fd, tmp, room, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n < 0 || (n == 0 && cl->monitor)) {
		client_close(c, cl);
		return;
	}
	if (cl->monitor)
		return;
	if (n == 0)
		cl->eof = true; /* half-closed: what it sent is still answered */
	else
		buf_append(&cl->in, tmp, (size_t)n);
	if (cl->in.oom) {
		client_close(c, cl);
		return;
	}
	client_advance(c, cl, i, now);
}

/* The longest-idle client, to make room; NULL when every slot is busy. */
static struct client *client_evictable(struct control *c)
{
	struct client *best = NULL;

	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct client *cl = &c->clients[i];

		if (cl->fd >= 0 && client_idle(cl) && (!best || cl->since < best->since))
			best = cl;
	}
	return best;
}

static void accept_clients(struct control *c, uint64_t now)
{
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		struct client *cl = NULL;
		struct epoll_event ev = { .events = EPOLLIN };
		size_t i;
		int fd;

		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (!peer_allowed(c, fd)) {
			client_say(fd, CONTROL_ERR " permission denied\n");
			close(fd);
			continue;
		}
		for (i = 0; i < CONTROL_CLIENTS_MAX; i++) {
			if (c->clients[i].fd < 0) {
				cl = &c->clients[i];
				break;
			}
		}
		if (!cl) {
			/* Full: the connection that has waited longest without a request makes
			 * room. */
			cl = client_evictable(c);
			if (cl) {
				client_say(cl->fd,
					   CONTROL_ERR " closed to make room for another client\n");
				client_close(c, cl);
			}
		}
		i = cl ? (size_t)(cl - c->clients) : 0;
		ev.data.u64 = c->tag_base + 1 + i;
		if (!cl || epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			client_say(fd, CONTROL_ERR " too many clients\n");
			close(fd);
			continue;
		}
		*cl = (struct client){ .fd = fd, .since = now, .events = EPOLLIN };
		c->n_clients++;
		client_read(c, cl, i, now); /* its request is often there already */
	}
}

/* The reply is complete: "OK <length>" goes ahead of it, without copying it. */
static void client_reply(struct client *cl, struct buf *payload)
{
	buf_reset(&cl->out);
	cl->sent = cl->head_sent = 0;
	if (payload->oom) {
		buf_free(payload);
		buf_printf(&cl->out, CONTROL_ERR " out of memory\n");
		cl->head_len = 0;
		return;
	}
	buf_free(&cl->out);
	cl->head_len =
	    (size_t)snprintf(cl->head, sizeof(cl->head), CONTROL_OK " %zu\n", payload->len);
	cl->out = *payload;
	*payload = (struct buf)BUF_INIT;
}

/* Runs the request at the front of @cl's input. Returns the reply bytes it made. */
static size_t run_request(struct control *c, struct client *cl, uint64_t now)
{
	struct buf payload = BUF_INIT;
	struct control_job *job = NULL;
	enum control_reply reply;
	size_t made;

	cl->in.data[cl->req_len] = '\0'; /* over the CR or LF */
	reply = c->handler(c->userdata, cl->in.data, &payload, &job);
	buf_consume(&cl->in, cl->req_used);
	cl->req_used = cl->req_len = 0;
	cl->since = now;
	made = payload.len;

	switch (reply) {
	case CONTROL_REPLY_OK:
		if (job) {
			cl->job = job;
			cl->payload = payload;
			return made;
		}
		client_reply(cl, &payload);
		break;
	case CONTROL_REPLY_ERROR:
		/* One line, whatever the handler wrote. */
		for (size_t i = 0; i < payload.len; i++)
			if (payload.data[i] == '\n' || payload.data[i] == '\r')
				payload.data[i] = ' ';
		buf_printf(&cl->out, CONTROL_ERR " %s\n", payload.data ? payload.data : "error");
		break;
	case CONTROL_REPLY_MONITOR:
	case CONTROL_REPLY_MONITOR_JSON:
		if (c->n_monitors >= CONTROL_MONITORS_MAX) {
			buf_printf(&cl->out, CONTROL_ERR " too many monitors (at most %d)\n",
				   CONTROL_MONITORS_MAX);
			break;
		}
		buf_printf(&cl->out, CONTROL_OK " " CONTROL_STREAM "\n");
		cl->monitor = true;
		cl->json = reply == CONTROL_REPLY_MONITOR_JSON;
		c->n_monitors++;
		break;
	}
	if (job)
		job->free(job);
	buf_free(&payload);
	return made;
}

/* One slice of a job's reply. Returns the bytes it made. */
static size_t job_step(struct client *cl, size_t budget)
{
	size_t before = cl->payload.len;
	bool done = cl->job->step(cl->job, &cl->payload, before + budget);
	size_t made = cl->payload.len - before;

	if (done || cl->payload.oom) {
		cl->job->free(cl->job);
		cl->job = NULL;
		client_reply(cl, &cl->payload);
	}
	return made;
}

/* Reply bytes held for clients that are not monitors: built, or waiting to be sent. */
static size_t pending_total(const struct control *c)
{
	size_t total = 0;

	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		const struct client *cl = &c->clients[i];

		if (cl->fd >= 0 && !cl->monitor)
			total += client_pending(cl) + cl->payload.len;
	}
	return total;
}

static bool client_runnable(const struct client *cl)
{
	return cl->fd >= 0 && (cl->job || (cl->req_used && client_pending(cl) == 0));
}

bool control_busy(const struct control *c)
{
	if (!c || !c->ready || !c->n_clients)
		return false;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (client_runnable(&c->clients[i]))
			return pending_total(c) < CONTROL_PENDING_MAX;
	return false;
}

uint64_t control_next_deadline(const struct control *c)
{
	uint64_t next = UINT64_MAX;

	if (!c || !c->n_clients)
		return next;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		uint64_t t = client_deadline(&c->clients[i]);

		if (t < next)
			next = t;
	}
	return next;
}

bool control_run(struct control *c, uint64_t now)
{
	size_t used = 0, total;
	bool ran = false;

	if (!c || !c->n_clients)
		return false;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct client *cl = &c->clients[i];

		if (cl->fd < 0 || client_deadline(cl) > now)
			continue;
		if (client_idle(cl))
			client_say(cl->fd, CONTROL_ERR " no request within 10 s\n");
		client_close(c, cl); /* too slow to ask, or to read its reply */
	}
	if (!c->ready)
		return false; /* requests are held until the state is complete */

	total = pending_total(c);
	for (size_t k = 0; k < CONTROL_CLIENTS_MAX && used < CONTROL_SLICE; k++) {
		size_t i = (c->next + k) % CONTROL_CLIENTS_MAX;
		struct client *cl = &c->clients[i];
		size_t made;

		if (!client_runnable(cl) || total >= CONTROL_PENDING_MAX)
			continue;
		if (cl->job) {
			made = job_step(cl, CONTROL_SLICE - used);
		} else {
			made = run_request(c, cl, now);
			ran = true;
		}
		used += made > REQUEST_COST ? made : REQUEST_COST;
		total += made;
		c->next = (i + 1) % CONTROL_CLIENTS_MAX;
		client_advance(c, cl, i, now);
	}
	return ran;
}

void control_dispatch(struct control *c, uint64_t tag, uint32_t events, uint64_t now)
{
	struct client *cl;
	size_t i;

	if (tag == c->tag_base) {
		accept_clients(c, now);
		return;
	}
	if (tag - c->tag_base - 1 >= CONTROL_CLIENTS_MAX)
		return;
	i = (size_t)(tag - c->tag_base - 1);
	cl = &c->clients[i];
	if (cl->fd < 0)
		return;
	if (events & (EPOLLERR | EPOLLHUP)) {
		client_close(c, cl); /* gone, even mid-reply: nothing to finish */
		return;
	}
	if (events & EPOLLOUT && !client_advance(c, cl, i, now))
		return;
	if (events & EPOLLIN)
		client_read(c, cl, i, now);
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
		if (client_pending(cl) > CONTROL_MONITOR_BACKLOG || cl->out.oom) {
			client_close(c, cl); /* a monitor that does not read is dropped */
			continue;
		}
		/* Sent by control_flush(), unless a burst has piled up this much already. */
		if (client_pending(cl) < OUT_KEEP) {
			c->unsent = true;
			continue;
		}
		if (client_send(c, cl, cl->since))
			client_update_events(c, cl, i);
	}
}

void control_flush(struct control *c)
{
	if (!c || !c->unsent)
		return;
	c->unsent = false;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct client *cl = &c->clients[i];

		if (cl->fd < 0 || !cl->monitor || !client_pending(cl))
			continue;
		if (client_send(c, cl, cl->since))
			client_update_events(c, cl, i);
	}
}
