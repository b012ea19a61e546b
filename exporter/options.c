// SPDX-License-Identifier: GPL-2.0-only
/*
 * The table of options, and what each type of option does with a value:
 * parse it (one parser per type, shared by the command line and the file),
 * show it, allocate and free its field. config/ebpflow.conf, the man pages
 * and README's Options section describe the same table; tests/unit/test_docs.c
 * checks that they do.
 */
#include "options.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "dns.h"
#include "ebpflow.h"
#include "transport.h"

#define OPT_ERROR g_quark_from_static_string("ebpflow-options")

static const char *const output_names[] = { "console", "json", "none", NULL };
static const char *const hook_names[] = { "auto", "fentry", "kprobe", "tracepoint", NULL };
static const char *const transport_names[] = { "udp", NULL };
static const char *const profile_names[] = { "ebpflow", "ntop", NULL };
static const char *const zmq_format_names[] = { "tlv", "json", NULL }; /* enum zmq_format */
static const char *const protocol_names[] = { "tcp", "udp", NULL }; /* FILTER_PROTO_* */
static const char *const direction_names[] = { "outbound", "inbound", NULL }; /* FILTER_DIR_* */
static const char *const level_names[] = { "error", "warning", "info", "debug", NULL };
static const char *const target_names[] = { "stderr", "syslog", NULL };

static gboolean parse_users(const struct option_def *o, const char *text, void *field,
			    GError **err);

static const struct option_def options[] = {
	DEFINE_OPTION("config", OPT_CONFIG, config_path, .short_name = 'c', .metavar = "FILE",
		      .help = "read ebpflow.conf(5) FILE first; the other options win over it"),
	DEFINE_OPTION("check-config", OPT_FLAG, check_config,
		      .help = "check the configuration (the file and the options, collectors "
			      "resolved) and exit: 0 when it would run, 2 when not"),
	DEFINE_OPTION("output", OPT_ENUM, output, .short_name = 'o', .section = "output",
		      .key = "mode", .names = output_names, .def = "console", .metavar = "MODE",
		      .flags = OPT_RESTART,
		      .help = "console: the outbound and inbound tables, refreshed every interval "
			      "and printed at exit; json: one JSON object per line per flow "
			      "record; none: nothing on stdout, for IPFIX or ZMQ only"),
	DEFINE_OPTION("interval", OPT_UINT, interval_s, .short_name = 'i', .section = "output",
		      .key = "interval", .min = 1, .max = 3600, .def = "5", .metavar = "SECONDS",
		      .help = "read the kernel and refresh the console this often"),
	DEFINE_OPTION("ended-rows", OPT_UINT, ended_rows, .section = "output",
		      .key = "ended_rows", .min = 0, .max = 10000000, .def = "10000",
		      .metavar = "ROWS",
		      .help = "the console keeps this many rows of ended flows at most, the "
			      "oldest dropped first (live flows are always shown)"),
	DEFINE_OPTION("names", OPT_FLAG, peer_names, .section = "output", .key = "names",
		      .def = "false",
		      .help = "the console shows the DNS name a process asked for in place of "
			      "its peer's address (DADDR outbound, SADDR inbound), when an answer "
			      "it received gave that address"),
	DEFINE_OPTION("duration", OPT_UINT, duration_s, .min = 1, .max = UINT32_MAX,
		      .metavar = "SECONDS",
		      .help = "run this long, report every flow and exit; without it, until "
			      "SIGINT or SIGTERM"),
	DEFINE_OPTION("idle-timeout", OPT_UINT, idle_timeout_s, .section = "flows",
		      .key = "idle_timeout", .min = 1, .max = 86400, .def = "30",
		      .metavar = "SECONDS",
		      .help = "report and forget a flow without calls for this long"),
	DEFINE_OPTION("active-timeout", OPT_UINT, active_timeout_s, .section = "flows",
		      .key = "active_timeout", .min = 1, .max = 86400, .def = "120",
		      .metavar = "SECONDS", .help = "report a live flow's new calls this often"),
	DEFINE_OPTION("cmdline-bytes", OPT_UINT, cmdline_bytes, .section = "flows",
		      .key = "cmdline_bytes", .min = 0, .max = EBPFLOW_CMDLINE_MAX, .def = "256",
		      .metavar = "BYTES", .flags = OPT_RESTART,
		      .help = "bytes of each process's command line kept when it execs (flows "
			      "carry them); 0: none (command lines can carry secrets)"),
	DEFINE_OPTION(NULL, OPT_FLAG, dns_names, .section = "flows", .key = "dns_names",
		      .def = "true", .flags = OPT_RESTART,
		      .help = "name each flow's peer from the DNS answers its process received "
			      "(peer_name): the kernel hands answers from port 53 to eBPFlow"),
	DEFINE_OPTION(NULL, OPT_UINT, dns_names_max, .section = "flows", .key = "dns_names_max",
		      .min = 0, .max = 1u << 22, .def = G_STRINGIFY(DNS_NAMES_CAPACITY), .metavar = "ADDRESSES",
		      .flags = OPT_RESTART,
		      .help = "addresses whose names are kept, the one expiring first forgotten "
			      "when full (about 190 bytes each)"),
	DEFINE_OPTION(NULL, OPT_UINT, dns_grace_s, .section = "flows", .key = "dns_grace",
		      .min = 0, .max = 86400, .def = G_STRINGIFY(DNS_NAMES_GRACE_S),
		      .metavar = "SECONDS", .flags = OPT_RESTART,
		      .help = "a name is kept this long past its answer's TTL (a connection often "
			      "starts after the TTL of the answer that led to it)"),
	DEFINE_OPTION("map-size", OPT_UINT, map_entries, .section = "flows", .key = "map_size",
		      .min = 1024, .max = 1u << 24, .def = "65536", .metavar = "FLOWS",
		      .flags = OPT_RESTART,
		      .help = "capacity of the kernel flow map; it takes about 128 + 144 x (possible "
			      "CPUs) bytes a flow of kernel memory, which eBPFlow logs at start"),
	DEFINE_OPTION("map-memory-max", OPT_UINT, map_memory_max_mib, .section = "flows",
		      .key = "map_memory_max", .min = 1, .max = 1u << 20, .def = "256",
		      .metavar = "MIB", .flags = OPT_RESTART,
		      .help = "the most kernel memory the flow map may take, in MiB: a larger "
			      "--map-size is refused (exit status 2), saying how many flows fit"),
	DEFINE_OPTION("hooks", OPT_ENUM, hooks, .section = "kernel", .key = "hooks",
		      .names = hook_names, .def = "auto", .metavar = "TIER", .flags = OPT_RESTART,
		      .help = "which kernel hooks to attach: auto probes the running kernel and "
			      "picks the best tier; forcing a tier the kernel lacks is an error, "
			      "exit status 2"),
	DEFINE_OPTION("uid-flow-budget", OPT_UINT, uid_flow_budget, .section = "kernel",
		      .key = "uid_flow_budget", .min = 0, .max = 1u << 24, .def = "0",
		      .metavar = "FLOWS", .flags = OPT_RESTART,
		      .help = "flows of the kernel map one uid may hold (root: no limit); its "
			      "further new flows are counted in one overflow flow of that uid, so "
			      "that no user can evict the flows of others; 0: an eighth of "
			      "--map-size; --map-size or more: no limit"),
	/* a user name, not a path: OPT_PATH is the table's one plain string type */
	DEFINE_OPTION("user", OPT_PATH, user, .section = "service", .key = "user",
		      .metavar = "USER", .flags = OPT_RESTART,
		      .help = "run as this user and its groups (say ebpflow): from the start, "
			      "with the capabilities it was started with until attached, then none; "
			      "without it eBPFlow keeps the uid it was started with"),

	DEFINE_OPTION("collector", OPT_HOSTPORTS, collectors, .section = "ipfix",
		      .key = "collectors", .flags = OPT_IPFIX, .metavar = "HOST:PORT",
		      .group = "IPFIX export (alongside the console or JSON output):",
		      .help = "send IPFIX over UDP to a collector; repeatable, or a "
			      "comma-separated list; IPv6 in brackets: [::1]:4739. Those of the "
			      "command line replace the file's"),
	DEFINE_OPTION(NULL, OPT_ENUM, ipfix_transport, .section = "ipfix", .key = "transport",
		      .flags = OPT_IPFIX, .names = transport_names, .def = "udp",
		      .help = "how collectors are reached: udp, the one transport of this build "
			      "(messages are flushed at every interval and when full)"),
	DEFINE_OPTION("ipfix-file", OPT_PATH, ipfix_file, .section = "ipfix", .key = "file",
		      .flags = OPT_IPFIX, .metavar = "PATH",
		      .help = "write the IPFIX stream to a file, which ipfixDump reads: created "
			      "0600, appended to at each start and reload (templates first); a "
			      "symbolic link is refused"),
	DEFINE_OPTION("ipfix-file-group", OPT_PATH, ipfix_file_group, .section = "ipfix",
		      .key = "file_group", .flags = OPT_IPFIX, .metavar = "GROUP",
		      .help = "give the IPFIX file to this group, mode 0640"),
	DEFINE_OPTION("ipfix-file-rotate", OPT_UINT, ipfix_file_rotate_s, .section = "ipfix",
		      .key = "file_rotate_interval", .flags = OPT_IPFIX, .min = 0, .max = 604800,
		      .def = "0", .metavar = "SECONDS",
		      .help = "rotate the IPFIX file at every multiple of this on the clock, as "
			      "nfcapd -t: PATH becomes PATH.YYYYMMDDTHHMMSSZ (UTC) and a new PATH "
			      "starts with the templates; 0: never"),
	DEFINE_OPTION("ipfix-file-rotate-size", OPT_UINT, ipfix_file_rotate_kib,
		      .section = "ipfix", .key = "file_rotate_size", .flags = OPT_IPFIX, .min = 0,
		      .max = UINT32_MAX, .def = "0", .metavar = "KIB",
		      .help = "rotate the IPFIX file once it holds this many KiB, at least 64; "
			      "0: never"),
	DEFINE_OPTION("template-refresh", OPT_UINT, template_refresh_s, .section = "ipfix",
		      .key = "template_refresh", .min = 1, .max = 86400, .def = "60",
		      .metavar = "SECONDS",
		      .help = "resend templates this often: a collector started later decodes "
			      "flows after this"),
	DEFINE_OPTION("observation-domain", OPT_UINT, observation_domain, .section = "ipfix",
		      .key = "observation_domain", .flags = OPT_IPFIX | OPT_ZMQ, .min = 0,
		      .max = UINT32_MAX, .def = "0", .metavar = "ID",
		      .help = "observation domain id; also the source id of the ZMQ messages"),
	DEFINE_OPTION("pen", OPT_UINT, pen, .section = "ipfix", .key = "enterprise_number",
		      .flags = OPT_IPFIX, .min = 1, .max = UINT32_MAX,
		      .def = G_STRINGIFY(EBPFLOW_PEN_DEFAULT), .metavar = "NUMBER",
		      .help = "Private Enterprise Number of eBPFlow's elements; 32473 is RFC "
			      "5612's, for documentation: use yours"),
	DEFINE_OPTION("ie-profile", OPT_ENUM, ie_profile, .section = "ipfix", .key = "profile",
		      .flags = OPT_IPFIX, .names = profile_names, .def = "ebpflow",
		      .metavar = "NAME",
		      .help = "ebpflow: process elements under --pen; ntop: ntop's "
			      "SRC_PROC_*/DST_PROC_* elements, PEN 35632, for nProbe and ntopng"),
	DEFINE_OPTION(NULL, OPT_FLAG, application_ids, .section = "ipfix",
		      .key = "application_ids", .flags = OPT_IPFIX, .def = "true",
		      .help = "an RFC 6759 applicationId in every record and a table naming each "
			      "(process name; pid, user, container), as nfdump shows them "
			      "(%nbid, %nbnam)"),

	DEFINE_OPTION("zmq", OPT_PATH, zmq_endpoint, .section = "zmq", .key = "endpoint",
		      .flags = OPT_ZMQ, .metavar = "ENDPOINT",
		      .group = "ntopng (alongside the other outputs):",
		      .help = "publish flows for ntopng over ZMQ, as nProbe does: tcp://*:5556 "
			      "listens (ntopng -i tcp://HOST:5556), tcp://HOST:5556c connects to "
			      "an ntopng that listens (ntopng -i tcp://*:5556c); needs a build with "
			      "libzmq"),
	DEFINE_OPTION("zmq-format", OPT_ENUM, zmq_format, .section = "zmq", .key = "format",
		      .flags = OPT_ZMQ, .names = zmq_format_names, .def = "tlv",
		      .metavar = "FORMAT",
		      .help = "tlv: nDPI's binary format, which every ntopng parses; json: for "
			      "ntopng 5.x, or 6.x builds with ntop's pro code (community 6.x drops "
			      "JSON flows)"),

	DEFINE_OPTION("containers", OPT_FLAG, container_names, .short_name = 'd',
		      .section = "containers", .key = "resolve_names", .def = "false",
		      .flags = OPT_RESTART,
		      .group = "Containers (the container id is always read from the cgroup):",
		      .help = "name containers, and show \"process @ container\": Docker and "
			      "Podman are asked by their API; containerd's and CRI-O's Kubernetes "
			      "containers are named \"namespace/pod/container\" from the spec "
			      "each runtime keeps on the node, which only uid 0 may read"),
	DEFINE_OPTION("docker", OPT_FLAG, container_names,
		      .help = "the same as --containers (-d), its name before it named "
			      "containerd's and CRI-O's containers too"),
	DEFINE_OPTION("docker-socket", OPT_PATH, docker_socket, .section = "containers",
		      .key = "docker_socket", .def = CONTAINERS_DOCKER_SOCKET, .metavar = "PATH",
		      .flags = OPT_RESTART, .help = "Docker's API"),
	DEFINE_OPTION("podman-socket", OPT_PATH, podman_socket, .section = "containers",
		      .key = "podman_socket", .def = CONTAINERS_PODMAN_SOCKET, .metavar = "PATH",
		      .flags = OPT_RESTART, .help = "Podman's API"),
	DEFINE_OPTION("containerd-state", OPT_PATH, containerd_state, .section = "containers",
		      .key = "containerd_state", .def = CONTAINERS_CONTAINERD_STATE,
		      .metavar = "DIR", .flags = OPT_RESTART,
		      .help = "containerd's state directory (its --state): a Kubernetes "
			      "container's spec is io.containerd.runtime.v2.task/k8s.io/ID/"
			      "config.json there"),
	DEFINE_OPTION("crio-runroot", OPT_PATH, crio_runroot, .section = "containers",
		      .key = "crio_runroot", .def = CONTAINERS_CRIO_RUNROOT, .metavar = "DIR",
		      .flags = OPT_RESTART,
		      .help = "CRI-O's run root (storage.conf runroot): a container's spec is "
			      "overlay-containers/ID/userdata/config.json there"),
	DEFINE_OPTION("crio-root", OPT_PATH, crio_root, .section = "containers",
		      .key = "crio_root", .def = CONTAINERS_CRIO_ROOT, .metavar = "DIR",
		      .flags = OPT_RESTART,
		      .help = "CRI-O's storage root (storage.conf root), read where the run "
			      "root has no spec"),

	DEFINE_OPTION(NULL, OPT_UINT_LIST, filter.pids, .section = "filter", .key = "pids",
		      .max_items = EBPFLOW_FILTER_MAX_ITEMS, .min = 0, .max = 4194304,
		      .help = "process ids"),
	DEFINE_OPTION(NULL, OPT_UINT_LIST, filter.uids, .section = "filter", .key = "users",
		      .max_items = EBPFLOW_FILTER_MAX_ITEMS, .min = 0, .max = UINT32_MAX,
		      .parse = parse_users, .example = "root", .help = "user names or uids"),
	DEFINE_OPTION(NULL, OPT_UINT_LIST, filter.ports, .section = "filter", .key = "ports",
		      .max_items = EBPFLOW_FILTER_MAX_ITEMS, .min = 1, .max = 65535,
		      .help = "the responder's port (remote port outbound, local port inbound)"),
	DEFINE_OPTION(NULL, OPT_BITS, filter.protocols, .section = "filter", .key = "protocols",
		      .names = protocol_names, .help = "protocols"),
	DEFINE_OPTION(NULL, OPT_BITS, filter.directions, .section = "filter",
		      .key = "directions", .names = direction_names, .help = "directions"),
	DEFINE_OPTION(NULL, OPT_LIST, filter.containers, .section = "filter", .key = "containers",
		      .help = "container names (or ids, or the start of an id)"),

	DEFINE_OPTION(NULL, OPT_ENUM, log_level, .section = "log", .key = "level",
		      .names = level_names, .def = "info", .help = "what is logged"),
	DEFINE_OPTION(NULL, OPT_ENUM, log_target, .section = "log", .key = "target",
		      .names = target_names, .def = "stderr",
		      .help = "where: stderr (the journal under systemd), or syslog (facility "
			      "daemon)"),
	DEFINE_OPTION("verbose", OPT_SET, log_level, .short_name = 'v', .value = LOG_LVL_DEBUG,
		      .group = "", .help = "debug log, as [log] level = debug"),
	DEFINE_OPTION("quiet", OPT_SET, log_level, .short_name = 'q', .value = LOG_LVL_WARN,
		      .help = "only warnings and errors, as [log] level = warning"),
	{ .name = "help", .short_name = 'h', .type = OPT_HELP, .help = "this help" },
	{ .name = "version", .short_name = 'V', .type = OPT_VERSION, .help = "the version" },
};

const struct option_def *options_table(size_t *n)
{
	*n = G_N_ELEMENTS(options);
	return options;
}

bool option_has_arg(const struct option_def *o)
{
	return o->type != OPT_FLAG && o->type != OPT_SET && o->type != OPT_HELP &&
	       o->type != OPT_VERSION;
}

const struct option_def *option_by_name(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++)
		if (options[i].name && !strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

const struct option_def *option_by_key(const char *section, const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++)
		if (options[i].section && !strcmp(options[i].section, section) &&
		    !strcmp(options[i].key, key))
			return &options[i];
	return NULL;
}

#define FIELD(c, o, type) ((type *)((char *)(c) + (o)->offset))

char *option_names(const struct option_def *o, const char *last_sep)
{
	GString *s = g_string_new(NULL);

	for (int i = 0; o->names[i]; i++)
		g_string_append_printf(s, "%s%s", !i ? "" : o->names[i + 1] ? ", " : last_sep,
				       o->names[i]);
	return g_string_free(s, FALSE);
}

/* The one integer parser: decimal digits only, in [min, max]. */
enum { U32_OK, U32_NOT_NUMBER, U32_RANGE };

static int parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!g_ascii_isdigit(*text))
		return U32_NOT_NUMBER;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (*end)
		return U32_NOT_NUMBER;
	if (errno || v < min || v > max)
		return U32_RANGE;
	*out = (uint32_t)v;
	return U32_OK;
}

static gboolean bad(GError **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static gboolean bad(GError **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err)
		*err = g_error_new_valist(OPT_ERROR, 1, fmt, ap);
	va_end(ap);
	return FALSE;
}

/* "'TEXT' is ...": the value refused, cut to a line (log_excerpt) */
static gboolean bad_value(GError **err, const char *quote, const char *text, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static gboolean bad_value(GError **err, const char *quote, const char *text, const char *fmt, ...)
{
	char *shown = log_excerpt(text);
	char *what;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	bad(err, "%s%s%s %s", quote, shown, quote, what);
	g_free(what);
	g_free(shown);
	return FALSE;
}

/* text among o->names: its index */
static gboolean choose(const struct option_def *o, const char *text, int *out, GError **err)
{
	char *allowed;

	for (int i = 0; o->names[i]; i++) {
		if (!strcmp(text, o->names[i])) {
			*out = i;
			return TRUE;
		}
	}
	allowed = option_names(o, ", ");
	bad_value(err, "'", text, "is not one of: %s", allowed);
	g_free(allowed);
	return FALSE;
}

/* Lists are comma-separated (spaces allowed); an empty value is an empty list. */
static char **split_list(const char *v)
{
	char **items = g_strsplit_set(v, ",;", -1);
	int n = 0;

	for (int i = 0; items[i]; i++) {
		char *t = g_strstrip(items[i]);

		if (*t)
			items[n++] = t;
		else
			g_free(t);
	}
	items[n] = NULL;
	return items;
}

static gboolean set_item(const struct option_def *o, void *field, const char *item, GError **err)
{
	uint32_t u;
	int i;

	switch (o->type) {
	case OPT_HOSTPORTS: {
		char *host = NULL, *port = NULL;

		/* the syntax now; names are resolved when eBPFlow starts (--check-config too) */
		if (!transport_parse_hostport(item, &host, &port, err))
			return FALSE;
		g_free(host);
		g_free(port);
	}
		/* fall through */
	case OPT_LIST:
		g_ptr_array_add(*(GPtrArray **)field, g_strdup(item));
		return TRUE;
	case OPT_UINT_LIST:
		if (parse_u32(item, o->min, o->max, &u) != U32_OK)
			return bad_value(err, "'", item, "is not a number (%u-%u)", o->min, o->max);
		g_array_append_val(*(GArray **)field, u);
		return TRUE;
	case OPT_BITS:
		if (!choose(o, item, &i, err))
			return FALSE;
		*(uint32_t *)field |= 1u << i;
		return TRUE;
	default:
		return FALSE;
	}
}

static unsigned int list_len(const struct option_def *o, const void *field)
{
	if (o->type == OPT_UINT_LIST)
		return (*(GArray *const *)field)->len;
	if (o->type == OPT_BITS)
		return 0;
	return (*(GPtrArray *const *)field)->len;
}

static void clear_list(const struct option_def *o, void *field)
{
	if (o->type == OPT_UINT_LIST)
		g_array_set_size(*(GArray **)field, 0);
	else if (o->type == OPT_BITS)
		*(uint32_t *)field = 0;
	else
		g_ptr_array_set_size(*(GPtrArray **)field, 0);
}

gboolean option_set(const struct option_def *o, struct ebpflow_config *c, const char *text,
		    bool append, bool from_file, GError **err)
{
	void *field = FIELD(c, o, char);
	char **items;
	gboolean ok = TRUE;
	uint32_t u;
	int i;

	switch (o->type) {
	case OPT_FLAG:
		if (!text || !strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "on"))
			*(bool *)field = true;
		else if (!strcmp(text, "false") || !strcmp(text, "no") || !strcmp(text, "off"))
			*(bool *)field = false;
		else
			return bad_value(err, "'", text, "is not true or false");
		return TRUE;
	case OPT_UINT:
		switch (parse_u32(text, o->min, o->max, &u)) {
		case U32_NOT_NUMBER:
			return bad_value(err, "'", text, "is not a whole number (%u-%u)", o->min,
					 o->max);
		case U32_RANGE:
			return bad_value(err, "", text, "is out of range (%u-%u)", o->min, o->max);
		}
		*(uint32_t *)field = u;
		return TRUE;
	case OPT_ENUM:
		if (!choose(o, text, &i, err))
			return FALSE;
		*(int *)field = i;
		return TRUE;
	case OPT_SET:
		*(int *)field = o->value;
		return TRUE;
	case OPT_PATH:
	case OPT_CONFIG:
		if (!*text && !from_file)
			return bad(err, "the path is empty");
		g_free(*(char **)field);
		*(char **)field = NULL;
		if (!*text) /* in the file: the default */
			return !o->def || option_set(o, c, o->def, false, true, err);
		*(char **)field = g_strdup(text);
		return TRUE;
	case OPT_LIST:
	case OPT_HOSTPORTS:
	case OPT_UINT_LIST:
	case OPT_BITS:
		if (!append)
			clear_list(o, field);
		if (o->parse) {
			ok = o->parse(o, text, field, err);
		} else {
			items = split_list(text);
			for (int k = 0; ok && items[k]; k++)
				ok = set_item(o, field, items[k], err);
			g_strfreev(items);
		}
		if (ok && o->max_items && list_len(o, field) > o->max_items)
			return bad(err, "more than %u items", o->max_items);
		return ok;
	case OPT_HELP:
	case OPT_VERSION:
		return TRUE;
	}
	return bad(err, "no parser for this option");
}

/* [filter] users: names resolved now (NSS), or uids. */
static gboolean parse_users(const struct option_def *o, const char *text, void *field,
			    GError **err)
{
	char **items = split_list(text);
	gboolean ok = TRUE;

	for (int i = 0; ok && items[i]; i++) {
		struct passwd *pw = getpwnam(items[i]);
		uint32_t uid;

		if (pw)
			uid = pw->pw_uid;
		else if (parse_u32(items[i], 0, UINT32_MAX, &uid) != U32_OK)
			ok = bad_value(err, "'", items[i],
				       "is no user of this host (a name or a uid)");
		if (ok)
			g_array_append_val(*(GArray **)field, uid);
	}
	g_strfreev(items);
	return ok;
}

char *option_format(const struct option_def *o, const struct ebpflow_config *c)
{
	const void *field = (const char *)c + o->offset;
	GString *s = g_string_new(NULL);
	const GPtrArray *p;
	const GArray *a;

	switch (o->type) {
	case OPT_FLAG:
		g_string_append(s, *(const bool *)field ? "true" : "false");
		break;
	case OPT_UINT:
		g_string_append_printf(s, "%u", *(const uint32_t *)field);
		break;
	case OPT_ENUM:
		g_string_append(s, o->names[*(const int *)field]);
		break;
	case OPT_PATH:
	case OPT_CONFIG:
		if (*(char *const *)field)
			g_string_append(s, *(char *const *)field);
		break;
	case OPT_LIST:
	case OPT_HOSTPORTS:
		p = *(GPtrArray *const *)field;
		for (guint i = 0; i < p->len; i++)
			g_string_append_printf(s, "%s%s", i ? ", " : "",
					       (const char *)g_ptr_array_index(p, i));
		break;
	case OPT_UINT_LIST:
		a = *(GArray *const *)field;
		for (guint i = 0; i < a->len; i++)
			g_string_append_printf(s, "%s%u", i ? ", " : "",
					       g_array_index(a, uint32_t, i));
		break;
	case OPT_BITS:
		for (int i = 0; o->names[i]; i++)
			if (*(const uint32_t *)field & (1u << i))
				g_string_append_printf(s, "%s%s", s->len ? ", " : "", o->names[i]);
		break;
	case OPT_SET:
	case OPT_HELP:
	case OPT_VERSION:
		break;
	}
	return g_string_free(s, FALSE);
}

void config_defaults(struct ebpflow_config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
		const struct option_def *o = &options[i];
		void *field = FIELD(c, o, char);

		if (o->type == OPT_LIST || o->type == OPT_HOSTPORTS)
			*(GPtrArray **)field = g_ptr_array_new_with_free_func(g_free);
		else if (o->type == OPT_UINT_LIST)
			*(GArray **)field = g_array_new(FALSE, FALSE, sizeof(uint32_t));
		/* the defaults are valid: tests/unit/test_options.c parses each */
		if (o->def)
			option_set(o, c, o->def, false, true, NULL);
	}
}

void config_clear(struct ebpflow_config *c)
{
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
		const struct option_def *o = &options[i];
		void *field = FIELD(c, o, char);

		switch (o->type) {
		case OPT_PATH:
		case OPT_CONFIG:
			g_clear_pointer((char **)field, g_free);
			break;
		case OPT_LIST:
		case OPT_HOSTPORTS:
			if (*(GPtrArray **)field)
				g_ptr_array_free(*(GPtrArray **)field, TRUE);
			*(GPtrArray **)field = NULL;
			break;
		case OPT_UINT_LIST:
			if (*(GArray **)field)
				g_array_free(*(GArray **)field, TRUE);
			*(GArray **)field = NULL;
			break;
		default:
			break;
		}
	}
	memset(c, 0, sizeof(*c));
}
