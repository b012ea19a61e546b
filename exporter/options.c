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
	"                             json: one JSON object per line per flow record;\n"
	"                             none: nothing on stdout (IPFIX only)\n"
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
	"\n"
	"IPFIX export (alongside the console or JSON output):\n"
	"  -c, --collector HOST:PORT  send IPFIX over UDP to a collector (repeatable;\n"
	"                             IPv6 in brackets: [::1]:4739)\n"
	"      --ipfix-file PATH      write the IPFIX stream to a file (ipfixDump reads it)\n"
	"      --template-refresh SECONDS\n"
	"                             resend templates this often (1-86400, default 60): a\n"
	"                             collector started later decodes flows after this\n"
	"      --observation-domain ID  observation domain id (default 0)\n"
	"      --pen NUMBER           Private Enterprise Number of eBPFlow's elements\n"
	"                             (default 32473, the documentation PEN: use yours)\n"
	"      --ie-profile NAME      ebpflow (default): process elements under --pen;\n"
	"                             ntop: ntop's SRC_PROC_*/DST_PROC_* (PEN 35632) for\n"
	"                             nProbe and ntopng\n"
	"\n"
	"Containers (the container id is always read from the cgroup):\n"
	"  -d, --docker               name containers: ask Docker (and Podman) for the\n"
	"                             names, and show \"process @ container\"\n"
	"      --docker-socket PATH   Docker's API (default /var/run/docker.sock)\n"
	"      --podman-socket PATH   Podman's API (default /run/podman/podman.sock)\n"
	"\n"
	"  -v, --verbose              debug log on stderr\n"
	"  -q, --quiet                only warnings and errors on stderr\n"
	"  -h, --help                 this help\n"
	"  -V, --version              the version\n"
	"\n"
	"Examples:\n"
	"  sudo ebpflow                                watch every process, console view\n"
	"  sudo ebpflow -i 1                           refresh every second\n"
	"  sudo ebpflow -d                             with container names\n"
	"  sudo ebpflow -o json --duration 60 > f.json one minute of flow records\n"
	"  sudo ebpflow -o json --idle-timeout 10 | jq 'select(.proto == \"UDP\")'\n"
	"  sudo ebpflow -o none -c 127.0.0.1:9995      to nfcapd -b 127.0.0.1 -p 9995\n"
	"  sudo ebpflow -c collector.example:4739 -c [2001:db8::9]:4739 --ie-profile ntop\n"
	"  sudo ebpflow --ipfix-file flows.ipfix --duration 60; ipfixDump --rfc5610 -i flows.ipfix\n"
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
	c->collectors = g_ptr_array_new_with_free_func(g_free);
	c->template_refresh_s = 60;
	c->observation_domain = 0;
	c->pen = EBPFLOW_PEN_DEFAULT;
	c->ie_profile = IE_PROFILE_EBPFLOW;
}

void config_clear(struct ebpflow_config *c)
{
	if (c->collectors)
		g_ptr_array_free(c->collectors, TRUE);
	g_free(c->ipfix_file);
	g_free(c->docker_socket);
	g_free(c->podman_socket);
	memset(c, 0, sizeof(*c));
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
	OPT_IPFIX_FILE,
	OPT_TEMPLATE_REFRESH,
	OPT_DOMAIN,
	OPT_PEN,
	OPT_IE_PROFILE,
	OPT_DOCKER_SOCKET,
	OPT_PODMAN_SOCKET,
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
		{ "collector", required_argument, NULL, 'c' },
		{ "ipfix-file", required_argument, NULL, OPT_IPFIX_FILE },
		{ "template-refresh", required_argument, NULL, OPT_TEMPLATE_REFRESH },
		{ "observation-domain", required_argument, NULL, OPT_DOMAIN },
		{ "pen", required_argument, NULL, OPT_PEN },
		{ "ie-profile", required_argument, NULL, OPT_IE_PROFILE },
		{ "docker", no_argument, NULL, 'd' },
		{ "docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET },
		{ "podman-socket", required_argument, NULL, OPT_PODMAN_SOCKET },
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
	while (ok && (opt = getopt_long(argc, argv, ":o:i:c:dvqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (strcmp(optarg, "console") == 0) {
				c->output = OUTPUT_CONSOLE;
			} else if (strcmp(optarg, "json") == 0) {
				c->output = OUTPUT_JSON;
			} else if (strcmp(optarg, "none") == 0) {
				c->output = OUTPUT_NONE;
			} else {
				g_set_error(err, OPT_ERROR, 1,
					    "--output: unknown mode '%s' (console, json or none)",
					    optarg);
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
		case 'c':
			g_ptr_array_add(c->collectors, g_strdup(optarg));
			break;
		case OPT_IPFIX_FILE:
			if (!*optarg) {
				g_set_error(err, OPT_ERROR, 1, "--ipfix-file: the path is empty");
				ok = FALSE;
			}
			g_free(c->ipfix_file);
			c->ipfix_file = g_strdup(optarg);
			break;
		case OPT_TEMPLATE_REFRESH:
			ok = config_parse_uint("--template-refresh", optarg, 1, 86400,
					       &c->template_refresh_s, err);
			break;
		case OPT_DOMAIN:
			ok = config_parse_uint("--observation-domain", optarg, 0, UINT32_MAX,
					       &c->observation_domain, err);
			break;
		case OPT_PEN:
			ok = config_parse_uint("--pen", optarg, 1, UINT32_MAX, &c->pen, err);
			break;
		case OPT_IE_PROFILE:
			if (strcmp(optarg, "ebpflow") == 0) {
				c->ie_profile = IE_PROFILE_EBPFLOW;
			} else if (strcmp(optarg, "ntop") == 0) {
				c->ie_profile = IE_PROFILE_NTOP;
			} else {
				g_set_error(err, OPT_ERROR, 1,
					    "--ie-profile: unknown profile '%s' (ebpflow or ntop)",
					    optarg);
				ok = FALSE;
			}
			break;
		case 'd':
			c->docker = true;
			break;
		case OPT_DOCKER_SOCKET:
			g_free(c->docker_socket);
			c->docker_socket = g_strdup(optarg);
			break;
		case OPT_PODMAN_SOCKET:
			g_free(c->podman_socket);
			c->podman_socket = g_strdup(optarg);
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
