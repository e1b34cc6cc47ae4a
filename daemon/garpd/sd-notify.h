/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * sd_notify(): the notification protocol, spoken by daemon/common/notify.c;
 * nothing when built with -Dsystemd=disabled.
 */

#include "garpd-build.h"
#include "notify.h"

static inline int sd_notify(int unset_environment, const char *state)
{
	(void)unset_environment;
#if GARPD_NOTIFY
	return garp_notify(state);
#else
	(void)state;
	return 0;
#endif
}
