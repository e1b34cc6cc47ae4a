/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* sd_notify(): systemd's, or nothing when garpd is built without libsystemd. */

#include "garpd-build.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#else
static inline int sd_notify(int unset_environment, const char *state)
{
	(void)unset_environment;
	(void)state;
	return 0;
}
#endif
