/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpd.conf: cfg_parse_buffer() on any bytes (the idea of
 * tests/unit/config/fuzz-config.c, coverage-guided). Oracle: 0, or -EINVAL
 * with a message, the file name and a line that exists; a configuration
 * that parsed answers cfg_sequence_for() with sane values.
 */

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "garp-config.h"

static void check_sequence(const struct cfg_sequence *s)
{
	FUZZ_CHECK(s->frames <= CFG_FRAMES_BOTH, "frames %d", s->frames);
	FUZZ_CHECK(s->on_conflict <= CFG_CONFLICT_ANNOUNCE, "on_conflict %d", s->on_conflict);
	FUZZ_CHECK(s->on_link_up <= CFG_ACTION_SEQUENCE &&
		       s->on_mac_change <= CFG_ACTION_SEQUENCE &&
		       s->on_bond_failover <= CFG_ACTION_SEQUENCE,
		   "action out of range");
	FUZZ_CHECK(s->probe_max_ns == 0 || s->probe_max_ns >= s->probe_interval_ns,
		   "jitter range backwards");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "eth0", "bond1", "br0", "eth0.100", "" };
	struct cfg c;
	struct cfg_error e;
	unsigned int lines = 1;
	int r;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	memset(&e, 0, sizeof(e));
	r = cfg_parse_buffer(&c, (const char *)data, size, "fuzz.conf", &e);
	if (r == 0) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			struct cfg_sequence s;

			cfg_sequence_for(&c, names[i], &s);
			check_sequence(&s);
		}
		cfg_free(&c);
		return 0;
	}
	FUZZ_CHECK(r == -EINVAL, "cfg_parse_buffer() returned %d", r);
	FUZZ_CHECK(e.message[0] != '\0', "an error without a message");
	FUZZ_CHECK(e.line >= 1 && e.line <= lines, "error on line %u of %u", e.line, lines);
	FUZZ_CHECK(!strcmp(e.file, "fuzz.conf"), "error names %s", e.file);
	return 0;
}
