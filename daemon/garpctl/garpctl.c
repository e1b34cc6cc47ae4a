/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpctl [--socket PATH] COMMAND [ARG]...
 *
 * One table of commands. `send` works without the daemon; the others talk
 * to garpd over its control socket.
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "garpctl.h"
#include "garpd-build.h"

static const struct garpctl_command commands[] = {
	{ "send", garpctl_send, "-i IFACE [OPTION]... ADDRESS...",
	  "send the gratuitous ARP sequence for addresses, once (no daemon needed)" },
	{ "status", garpctl_status, "[--json]",
	  "interfaces, addresses and their sequence state, counters, recent conflicts" },
	{ "announce", garpctl_announce, "[-i IFACE] [--sequence] [--force] [ADDRESS...]",
	  "announce now: these addresses, every address of IFACE, or every address" },
	{ "reload", garpctl_reload, "", "reload the configuration and say whether it took" },
	{ "monitor", garpctl_monitor, "[--json] [-i IFACE]... [ADDRESS]...",
	  "print garpd's events as they happen, with their time, until garpd goes" },
	{ "metrics", garpctl_metrics, "", "counters in the Prometheus text format" },
};

static void help(void)
{
	printf("Usage: garpctl [--socket PATH] COMMAND [ARG]...\n"
	       "Send gratuitous ARP now, or control a running garpd.\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %s %s\n      %s\n", commands[i].name, commands[i].args,
		       commands[i].summary);
	printf("\n"
	       "Options:\n"
	       "  -s, --socket PATH  garpd's control socket (default %s)\n"
	       "  -h, --help         this help; COMMAND --help for a command's\n"
	       "  -V, --version      the version\n"
	       "\n"
	       "Exit status: 0 done, 1 failure, 2 bad usage or input.\n",
	       GARPCTL_DEFAULT_SOCKET);
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "garpctl: %s%s (see garpctl --help)\n", what, arg);
	return GARPCTL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct garpctl_ctx ctx = { .socket_path = GARPCTL_DEFAULT_SOCKET };
	int c;

	opterr = 0;
	/* '+': stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:s:hV", options, NULL)) != -1) {
		switch (c) {
		case 's':
			ctx.socket_path = optarg;
			break;
		case 'h':
			help();
			return GARPCTL_EXIT_OK;
		case 'V':
			printf("garpctl %s\n", GARPD_VERSION);
			return GARPCTL_EXIT_OK;
		case ':':
			return usage_error("option needs a value: ", argv[optind - 1]);
		default:
			return usage_error("unknown option ", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command given", "");

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].run(&ctx, argc - optind, argv + optind);
	return usage_error("unknown command ", argv[optind]);
}
