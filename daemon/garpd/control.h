/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control socket: a Unix stream socket, one request per line (at most
 * CONTROL_LINE_MAX bytes, ended by LF or CRLF), each answered with
 *     "OK <length>\n" followed by exactly <length> bytes of payload, or
 *     "ERR <message>\n";
 * a "monitor" request is answered with "OK stream\n" and then one line per
 * event until either side closes. Only root, the daemon's own user and
 * members of the socket's group may connect (SO_PEERCRED/SO_PEERGROUPS).
 * The protocol is documented in garpctl(8); its words and limits are in
 * daemon/common/control-proto.h, shared with garpctl.
 *
 * Every client costs bounded memory and loop time: its requests are taken
 * one at a time (nothing more is read from it while a reply is being built
 * or is waiting to be sent), a large reply is built a slice per turn of the
 * loop, a connection must send its request in time and read its reply, and
 * when the table is full the longest-idle connection makes room.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "control-frame.h"

/* A monitor whose unread output exceeds this is dropped, never waited for. */
#define CONTROL_MONITOR_BACKLOG (1u << 20)
#define CONTROL_CLIENTS_MAX 128
/* Monitors may take at most this many of the slots: the rest stay for requests. */
#define CONTROL_MONITORS_MAX 64
/* A connection must send a whole request within this of connecting or of its last reply. */
#define CONTROL_REQUEST_TIMEOUT_NS (10 * GARP_NSEC_PER_SEC)
/* A client whose pending reply has not moved for this long is dropped. */
#define CONTROL_WRITE_TIMEOUT_NS (30 * GARP_NSEC_PER_SEC)
/* Reply bytes built per turn of the loop, over all clients. */
#define CONTROL_SLICE (32u * 1024)
/* Replies waiting to be sent, over all clients: no new request starts past this. */
#define CONTROL_PENDING_MAX (32u << 20)

enum control_reply {
	CONTROL_REPLY_OK,      /* payload is the reply (or a job builds it) */
	CONTROL_REPLY_ERROR,   /* payload is a one-line message */
	CONTROL_REPLY_MONITOR, /* start streaming; payload unused */
	CONTROL_REPLY_MONITOR_JSON,
};

/*
 * A reply built over several turns of the loop. step() appends to @payload
 * until its length reaches @until (or a little past it) and returns false,
 * or appends the rest and returns true. free() releases the job; it is
 * called once, whether the reply was finished or its client went away.
 */
struct control_job {
	bool (*step)(struct control_job *job, struct buf *payload, size_t until);
	void (*free)(struct control_job *job);
};

/*
 * Runs one request line (NUL-terminated, without its LF or CRLF). For a
 * large reply the handler may return CONTROL_REPLY_OK with *@ret_job set:
 * the job builds the payload, after whatever the handler already wrote.
 */
typedef enum control_reply (*control_handler)(void *userdata, const char *line, struct buf *payload,
					      struct control_job **ret_job);

/* Who owns the socket and its directory: (uid_t)-1 / (gid_t)-1 leave it to the creator. */
struct control_owner {
	uid_t uid;
	gid_t gid;
};

struct control;

/**
 * control_open() - create the socket and listen; call while still root
 * @ret: the control socket
 * @path: where (its directory is created 0750 when missing)
 * @owner: the owner and group of the socket, and of the directory when created
 * @epfd: the event loop's epoll; the listener and clients register there
 * @tag_base: epoll tags from @tag_base up are the control socket's
 * @handler: runs requests
 *
 * A stale socket file (nobody listening) is replaced; a live one is an
 * error (-EADDRINUSE): another garpd owns it. Requests are read but not
 * run until control_set_ready().
 *
 * Return: 0 or a negative errno.
 */
int control_open(struct control **ret, const char *path, const struct control_owner *owner,
		 int epfd, uint64_t tag_base, control_handler handler, void *userdata);

/* Closes every client and the listener, and removes the socket file. */
void control_close(struct control *c);

/* The daemon's state is complete (first netlink dump applied): requests held so far run. */
void control_set_ready(struct control *c);

/* Handles an epoll event whose tag is >= tag_base. */
void control_dispatch(struct control *c, uint64_t tag, uint32_t events, uint64_t now);

/*
 * One turn of request work: runs waiting requests and builds slices of
 * large replies (about CONTROL_SLICE bytes in all), and drops clients past
 * their deadlines. Call once per turn of the loop, after the frames that
 * were due have left.
 *
 * Return: whether a request ran (it may have given the engine work).
 */
bool control_run(struct control *c, uint64_t now);

/* Whether control_run() has work left now: the loop should not sleep. */
bool control_busy(const struct control *c);

/* The earliest client deadline, or UINT64_MAX. */
uint64_t control_next_deadline(const struct control *c);

/* Whether any client is monitoring (so events need formatting at all). */
bool control_has_monitors(const struct control *c);

/*
 * Queues one event line (without newline) for every monitor, text or JSON
 * form; control_flush() sends them. A monitor is a process of its own that
 * each line wakes: the loop flushes after the wakeup's frames have left, so
 * fifty monitors cannot delay a probe.
 */
void control_broadcast(struct control *c, const char *text, const char *json);
void control_flush(struct control *c);
