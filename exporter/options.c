// SPDX-License-Identifier: GPL-2.0-only
/* Command-line options: range-checked, every error naming the option. */
#include "options.h"

#include "conffile.h"

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
	"  -c, --config FILE          read ebpflow.conf(5) FILE first; flags win over it\n"
	"      --check-config         check the configuration (file and flags) and exit\n"
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
	"      --hooks TIER           auto (default): the best hooks this kernel offers;\n"
	"                             fentry, kprobe or tracepoint: that tier or exit 2\n"
	"\n"
	"IPFIX export (alongside the console or JSON output):\n"
	"      --collector HOST:PORT  send IPFIX over UDP to a collector (repeatable;\n"
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
	"  sudo ebpflow -o none --collector 127.0.0.1:9995   to nfcapd -b 127.0.0.1 -p 9995\n"
	"  sudo ebpflow --collector collector.example:4739 --collector [2001:db8::9]:4739\n"
	"  sudo ebpflow -c /etc/ebpflow/ebpflow.conf   the settings of a file (flags win)\n"
	"  sudo ebpflow --ipfix-file flows.ipfix --duration 60; ipfixDump --rfc5610 -i flows.ipfix\n"
	"\n"
	"Signals: SIGHUP re-reads the file and applies collectors, timeouts, filters and\n"
	"logging (a bad file is reported and the running configuration kept); SIGINT and\n"
	"SIGTERM report every flow and exit.\n"
	"\n"
	"Exit status: 0 when done, 1 when the probe cannot run, 2 on a usage or\n"
	"configuration error (nothing is attached then).\n";

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
	c->log_target = LOG_TARGET_STDERR;
	c->filter.pids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	c->filter.uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	c->filter.ports = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	c->filter.containers = g_ptr_array_new_with_free_func(g_free);
}

void config_clear(struct ebpflow_config *c)
{
	if (c->collectors)
		g_ptr_array_free(c->collectors, TRUE);
	g_free(c->ipfix_file);
	g_free(c->docker_socket);
	g_free(c->podman_socket);
	g_free(c->config_path);
	if (c->filter.pids) {
		g_array_free(c->filter.pids, TRUE);
		g_array_free(c->filter.uids, TRUE);
		g_array_free(c->filter.ports, TRUE);
		g_ptr_array_free(c->filter.containers, TRUE);
	}
	memset(c, 0, sizeof(*c));
}

/* The file named by -c/--config, read before the other flags so that they win. */
static const char *config_arg(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
		else if (!strncmp(argv[i], "-c", 2) && argv[i][2])
			path = argv[i] + 2;
	}
	return path;
}

int config_load(struct ebpflow_config *c, int argc, char **argv, GError **err)
{
	const char *path = config_arg(argc, argv);

	config_defaults(c);
	if (path) {
		c->config_path = g_strdup(path);
		if (!conffile_load(path, c, err))
			return -1;
	}
	return config_parse_args(c, argc, argv, err);
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
	OPT_COLLECTOR,
	OPT_CHECK_CONFIG,
	OPT_PODMAN_SOCKET,
	OPT_HOOKS,
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
		{ "collector", required_argument, NULL, OPT_COLLECTOR },
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "ipfix-file", required_argument, NULL, OPT_IPFIX_FILE },
		{ "template-refresh", required_argument, NULL, OPT_TEMPLATE_REFRESH },
		{ "observation-domain", required_argument, NULL, OPT_DOMAIN },
		{ "pen", required_argument, NULL, OPT_PEN },
		{ "ie-profile", required_argument, NULL, OPT_IE_PROFILE },
		{ "docker", no_argument, NULL, 'd' },
		{ "docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET },
		{ "podman-socket", required_argument, NULL, OPT_PODMAN_SOCKET },
		{ "hooks", required_argument, NULL, OPT_HOOKS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int opt, verbose = 0;
	bool collectors_from_cli = false;
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
		case OPT_COLLECTOR:
			if (!collectors_from_cli) {
				/* the command line's collectors replace the file's */
				g_ptr_array_set_size(c->collectors, 0);
				collectors_from_cli = true;
			}
			g_ptr_array_add(c->collectors, g_strdup(optarg));
			break;
		case 'c':
			break; /* read before the other flags: see config_load */
		case OPT_CHECK_CONFIG:
			c->check_config = true;
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
		case OPT_HOOKS: {
			static const char *const names[] = { "auto", "fentry", "kprobe", "tracepoint" };
			unsigned int i;

			for (i = 0; i < G_N_ELEMENTS(names) && strcmp(optarg, names[i]); i++)
				;
			if (i == G_N_ELEMENTS(names)) {
				g_set_error(err, OPT_ERROR, 1,
					    "--hooks: unknown tier '%s' (auto, fentry, kprobe or "
					    "tracepoint)", optarg);
				ok = FALSE;
			}
			c->hooks = (enum hook_tier)i;
			break;
		}
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
