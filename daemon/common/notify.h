/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * garp_notify() - tell the service manager about the daemon's state
 * @state: e.g. "READY=1", "RELOADING=1", "STOPPING=1"
 *
 * systemd's notification protocol: one datagram with @state to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace). Without $NOTIFY_SOCKET, or with a kind of address
 * this does not speak (vsock), nothing is sent. Written here rather than
 * linked from libsystemd, whose dependencies (libgcrypt, liblzma, libzstd,
 * liblz4, libgpg-error) were a quarter of an idle garpd's memory.
 *
 * Return: 1 sent, 0 nothing to send to, or a negative errno.
 */
int garp_notify(const char *state);
