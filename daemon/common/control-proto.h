/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control protocol's facts, one place for both ends: garpd's control
 * socket (daemon/garpd/control.c, control-frame.c) and garpctl's client
 * (daemon/garpctl/garpctl-control.c). Documented in garpctl(8), PROTOCOL.
 *
 * A request is one line of at most CONTROL_LINE_MAX bytes, ended by LF or
 * CRLF. The reply is
 *     CONTROL_OK " <length>\n" and exactly <length> bytes of payload, or
 *     CONTROL_ERR " <message>\n";
 * a monitor request is answered with CONTROL_OK " " CONTROL_STREAM "\n",
 * then one line per event until either side closes.
 *
 * Header only; it needs garp-config.h (config/) for the default path.
 */

#include "garp-config.h"

#define CONTROL_LINE_MAX 4096
#define CONTROL_OK "OK"
#define CONTROL_ERR "ERR"
#define CONTROL_STREAM "stream"

/* The socket's path when neither control_socket nor --socket says otherwise. */
#define CONTROL_DEFAULT_SOCKET CFG_CONTROL_SOCKET_DEFAULT
