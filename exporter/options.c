// SPDX-License-Identifier: GPL-2.0-only
/* Command-line options: range-checked, every error naming the option. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_ERROR g_quark_from_static_string("ebpflow-options")

static const char usage[] =
	"Usage: ebpflow [OPTION]...\n"
	"Watch the TCP connects and accepts and the UDP sends and receives of every\n"
	"process on this host, aggregated in the kernel into flows keyed by process,\n"
	"addresses and the responder's port. Needs root (or CAP_BPF, CAP_PERFMON and\n"
	"CAP_NET_ADMIN) and a kernel with BTF.\n"
	"\n"
	"  -o, --output MODE          console (default): the outbound and inbound tables,\n"
	"                             refreshed every interval and printed at exit;\n"
	"                             json: one JSON object per line per flow record\n"
	"  -i, --interval SECONDS     read the kernel and refresh the console this often\n"
	"                             (1-3600, default 5)\n"
	"      --duration SECONDS     run this long, report every flow and exit\n"
	"                             (default: until SIGINT or SIGTERM)\n"
	"      --idle-timeout SECONDS report and forget a flow without calls for this\n"
	"                             long (1-86400, default 30)\n"
	"      --active-timeout SECONDS\n"
	"                             report a live flow's new calls this often\n"
	"                             (1-86400, default 120)\n"
	"      --map-size FLOWS       capacity of the kernel flow map (1024-16777216,\n"
	"                             default 65536)\n"
	"  -v, --verbose              debug log on stderr\n"
	"  -q, --quiet                only warnings and errors on stderr\n"
	"  -h, --help                 this help\n"
	"  -V, --version              the version\n"
	"\n"
	"Examples:\n"
	"  sudo ebpflow                                watch every process, console view\n"
	"  sudo ebpflow -i 1                           refresh every second\n"
	"  sudo ebpflow -o json --duration 60 > f.json one minute of flow records\n"
	"  sudo ebpflow -o json --idle-timeout 10 | jq 'select(.proto == \"UDP\")'\n"
	"\n"
	"Exit status: 0 when done, 1 when the probe cannot run, 2 on a usage error.\n";

void config_defaults(struct ebpflow_config *c)
{
	memset(c, 0, sizeof(*c));
	c->output = OUTPUT_CONSOLE;
	c->interval_s = 5;
	c->duration_s = 0;
	c->idle_timeout_s = 30;
	c->active_timeout_s = 120;
	c->map_entries = 65536;
	c->log_level = LOG_LVL_INFO;
}

gboolean config_parse_uint(const char *name, const char *text, uint32_t min, uint32_t max,
			   uint32_t *out, GError **err)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	if (!text || !*text || *text == '-' || *text == '+')
		goto bad;
	v = strtoull(text, &end, 10);
	if (errno || *end)
		goto bad;
	if (v < min || v > max) {
		g_set_error(err, OPT_ERROR, 1, "%s: %s is out of range (%u-%u)", name, text, min,
			    max);
		return FALSE;
	}
	*out = (uint32_t)v;
	return TRUE;
bad:
	g_set_error(err, OPT_ERROR, 1, "%s: '%s' is not a whole number", name, text ? text : "");
	return FALSE;
}

enum {
	OPT_DURATION = 256,
	OPT_IDLE,
	OPT_ACTIVE,
	OPT_MAP_SIZE,
};

int config_parse_args(struct ebpflow_config *c, int argc, char **argv, GError **err)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "active-timeout", required_argument, NULL, OPT_ACTIVE },
		{ "map-size", required_argument, NULL, OPT_MAP_SIZE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int opt, verbose = 0;
	gboolean ok = TRUE;

	opterr = 0; /* our messages, not getopt's */
	optind = 0; /* glibc: start afresh (the tests parse many times) */
	while (ok && (opt = getopt_long(argc, argv, ":o:i:vqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (strcmp(optarg, "console") == 0) {
				c->output = OUTPUT_CONSOLE;
			} else if (strcmp(optarg, "json") == 0) {
				c->output = OUTPUT_JSON;
			} else {
				g_set_error(err, OPT_ERROR, 1,
					    "--output: unknown mode '%s' (console or json)", optarg);
				ok = FALSE;
			}
			break;
		case 'i':
			ok = config_parse_uint("--interval", optarg, 1, 3600, &c->interval_s, err);
			break;
		case OPT_DURATION:
			ok = config_parse_uint("--duration", optarg, 1, UINT32_MAX, &c->duration_s,
					       err);
			break;
		case OPT_IDLE:
			ok = config_parse_uint("--idle-timeout", optarg, 1, 86400, &c->idle_timeout_s,
					       err);
			break;
		case OPT_ACTIVE:
			ok = config_parse_uint("--active-timeout", optarg, 1, 86400,
					       &c->active_timeout_s, err);
			break;
		case OPT_MAP_SIZE:
			ok = config_parse_uint("--map-size", optarg, 1024, 1u << 24, &c->map_entries,
					       err);
			break;
		case 'v':
			verbose++;
			break;
		case 'q':
			verbose = -1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("ebpflow %s\n", EBPFLOW_VERSION);
			return 1;
		case ':':
			g_set_error(err, OPT_ERROR, 1, "%s needs a value", argv[optind - 1]);
			ok = FALSE;
			break;
		default:
			if (optopt)
				g_set_error(err, OPT_ERROR, 1, "unknown option '-%c'", optopt);
			else
				g_set_error(err, OPT_ERROR, 1, "unknown option '%s'",
					    argv[optind - 1]);
			ok = FALSE;
			break;
		}
	}
	if (ok && optind < argc) {
		g_set_error(err, OPT_ERROR, 1, "unexpected argument '%s'", argv[optind]);
		ok = FALSE;
	}
	if (!ok)
		return -1;
	if (verbose)
		c->log_level = verbose < 0 ? LOG_LVL_WARN : LOG_LVL_DEBUG;
	return 0;
}
