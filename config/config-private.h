/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#include "garp-config.h"

#define CFG_PATTERN_MAX 64

/* One [interface PATTERN] section. */
struct cfg_interface {
	char pattern[CFG_PATTERN_MAX]; /* fnmatch(3) glob on the interface name */
	unsigned int line;	       /* of the section header */
	uint32_t set;		       /* which keys this section sets (1u << K_*) */
	struct cfg_sequence seq;       /* their values; the rest is unused */
};
