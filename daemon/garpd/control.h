/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control socket: a Unix stream socket, one request per line (at most
 * CONTROL_LINE_MAX bytes), each answered with
 *     "OK <length>\n" followed by exactly <length> bytes of payload, or
 *     "ERR <message>\n";
 * a "monitor" request is answered with "OK stream\n" and then one line per
 * event until either side closes. Only root, the daemon's own user and
 * members of the socket's group may connect (SO_PEERCRED/SO_PEERGROUPS).
 * The protocol is documented in garpctl(8).
 */

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define CONTROL_LINE_MAX 4096
/* A monitor whose unread output exceeds this is dropped, never waited for. */
#define CONTROL_MONITOR_BACKLOG (1u << 20)
#define CONTROL_CLIENTS_MAX 128

enum control_reply {
	CONTROL_REPLY_OK,      /* payload is the reply */
	CONTROL_REPLY_ERROR,   /* payload is a one-line message */
	CONTROL_REPLY_MONITOR, /* start streaming; payload unused */
	CONTROL_REPLY_MONITOR_JSON,
};

/* Runs one request line (NUL-terminated, newline stripped). */
typedef enum control_reply (*control_handler)(void *userdata, const char *line,
					      struct buf *payload);

struct control;

/**
 * control_open() - create the socket and listen; call while still root
 * @ret: the control socket
 * @path: where (its directory is created 0750 when missing)
 * @epfd: the event loop's epoll; the listener and clients register there
 * @tag_base: epoll tags from @tag_base up are the control socket's
 * @handler: runs requests
 *
 * A stale socket file (nobody listening) is replaced; a live one is an
 * error (-EADDRINUSE): another garpd owns it.
 *
 * Return: 0 or a negative errno.
 */
int control_open(struct control **ret, const char *path, int epfd, uint64_t tag_base,
		 control_handler handler, void *userdata);

/* Closes every client and the listener, and removes the socket file. */
void control_close(struct control *c);

/* Handles an epoll event whose tag is >= tag_base. */
void control_dispatch(struct control *c, uint64_t tag, uint32_t events);

/**
 * control_take_request() - the next request line waiting in a client's input
 * @in: what the client sent so far
 * @out: where an error reply goes
 * @ret_line: the line, NUL-terminated, its newline (and a CR before it) cut
 * @ret_used: bytes of @in to consume once the line has been run
 *
 * Pure (no sockets): the framing of the protocol, shared with the fuzzer.
 *
 * Return: 1 with a line, 0 when no whole line is there yet, or -1 when the
 * client broke the protocol (too long a line, a NUL byte): an ERR reply is
 * in @out and the client must be closed.
 */
int control_take_request(struct buf *in, struct buf *out, char **ret_line, size_t *ret_used);

/* Whether any client is monitoring (so events need formatting at all). */
bool control_has_monitors(const struct control *c);

/* Sends one event line (without newline) to every monitor, text or JSON form. */
void control_broadcast(struct control *c, const char *text, const char *json);
