// SPDX-License-Identifier: GPL-2.0-only
/*
 * Behaving like a daemon: SIGHUP re-reads the configuration and applies what
 * can change while running, --check-config validates without attaching, and
 * after attaching eBPFlow gives up its capabilities.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app.h"

#define SWAP_STR(x, y)             \
	do {                       \
		char *tmp_ = (x);  \
		(x) = (y);         \
		(y) = tmp_;        \
	} while (0)
#include "log.h"

static bool same_strings(const GPtrArray *x, const GPtrArray *y)
{
	if (x->len != y->len)
		return false;
	for (guint i = 0; i < x->len; i++)
		if (strcmp(g_ptr_array_index(x, i), g_ptr_array_index(y, i)))
			return false;
	return true;
}

static bool same_str(const char *x, const char *y)
{
	return (!x && !y) || (x && y && !strcmp(x, y));
}

static bool ipfix_changed(const struct ebpflow_config *o, const struct ebpflow_config *n)
{
	return !same_strings(o->collectors, n->collectors) || !same_str(o->ipfix_file, n->ipfix_file) ||
	       o->observation_domain != n->observation_domain || o->pen != n->pen ||
	       o->ie_profile != n->ie_profile;
}

/* What a reload cannot change, said once per reload. */
static void say_restart_needed(const struct ebpflow_config *o, const struct ebpflow_config *n)
{
	if (o->map_entries != n->map_entries)
		pr_warn("reload: [flows] map_size takes effect at restart\n");
	if (o->output != n->output)
		pr_warn("reload: [output] mode takes effect at restart\n");
	if (o->docker != n->docker || !same_str(o->docker_socket, n->docker_socket) ||
	    !same_str(o->podman_socket, n->podman_socket))
		pr_warn("reload: [containers] takes effect at restart\n");
}

gboolean service_reload(gpointer data)
{
	struct app *a = data;
	struct ebpflow_config n;
	struct transport *t = NULL;
	struct ipfix *x = NULL;
	GError *err = NULL;
	bool new_ipfix;
	int rc;

	pr_info("SIGHUP: reading the configuration again\n");
	rc = config_load(&n, a->argc, a->argv, &err);
	new_ipfix = rc == 0 && ipfix_changed(&a->cfg, &n);
	if (rc == 0 && new_ipfix && !app_open_ipfix(&n, &t, &x, &err))
		rc = -1;
	if (rc == 0 && (rc = probe_set_filter(a->probe, &n.filter)) != 0)
		g_set_error(&err, g_quark_from_static_string("ebpflow"), 1,
			    "cannot put the new filter in force: %s", g_strerror(-rc));
	if (rc != 0) {
		pr_err("reload failed, the running configuration stays: %s\n",
		       err ? err->message : "error");
		g_clear_error(&err);
		ipfix_free(x);
		transport_free(t);
		config_clear(&n);
		/* a filter half replaced is no filter: put the old one back */
		probe_set_filter(a->probe, &a->cfg.filter);
		return G_SOURCE_CONTINUE;
	}
	say_restart_needed(&a->cfg, &n);
	if (new_ipfix) {
		/* what the old outputs hold goes out first: no record is lost */
		if (a->ipfix) {
			GError *e = NULL;

			if (!ipfix_flush(a->ipfix, &e)) {
				pr_warn("cannot emit an IPFIX message: %s\n", e->message);
				g_error_free(e);
			}
			transport_flush(a->transport);
		}
		ipfix_free(a->ipfix);
		transport_free(a->transport);
		a->ipfix = x;
		a->transport = t;
	}
	/* keep what a reload does not change, take the rest */
	n.map_entries = a->cfg.map_entries;
	n.output = a->cfg.output;
	n.docker = a->cfg.docker;
	SWAP_STR(n.docker_socket, a->cfg.docker_socket);
	SWAP_STR(n.podman_socket, a->cfg.podman_socket);
	config_clear(&a->cfg);
	a->cfg = n;
	flowtable_set_timeouts(a->ft, &(struct flowtable_timeouts){
		.idle_ns = (uint64_t)n.idle_timeout_s * 1000000000ull,
		.active_ns = (uint64_t)n.active_timeout_s * 1000000000ull,
		.max_idle_per_pass = FLOWTABLE_MAX_IDLE_PER_PASS,
		.max_end_per_pass = FLOWTABLE_MAX_END_PER_PASS,
	});
	log_set_level(n.log_level);
	log_set_target(n.log_target == LOG_TARGET_SYSLOG);
	app_arm_timers(a);
	if (new_ipfix && a->ipfix)
		app_send_templates(a);
	pr_info("configuration reloaded%s\n", new_ipfix ? "; IPFIX outputs replaced" : "");
	return G_SOURCE_CONTINUE;
}

/* capset() with these effective, permitted and inheritable sets (bits of one word each). */
static int set_caps(uint64_t effective, uint64_t permitted)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	d[0].effective = (uint32_t)effective;
	d[1].effective = (uint32_t)(effective >> 32);
	d[0].permitted = (uint32_t)permitted;
	d[1].permitted = (uint32_t)(permitted >> 32);
	return syscall(SYS_capset, &h, d);
}

static uint64_t permitted_now(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return d[0].permitted | (uint64_t)d[1].permitted << 32;
}

void service_drop_privileges(int map_fd)
{
	uint64_t keep = 0;
	int bounded = 0;
	__u32 key;

	/*
	 * Loading and attaching needed CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
	 * (or root's all). From here eBPFlow works through the map and link
	 * descriptors it holds, which need no capability on current kernels; as
	 * uid 0 it still reaches the runtime sockets and the files it owns.
	 * Kernels before about 6.5 refuse every bpf() command, even on a map
	 * descriptor already held, to a process without CAP_BPF when
	 * kernel.unprivileged_bpf_disabled is set (Debian's default): try a read
	 * with no effective capability, and keep CAP_BPF alone where it fails.
	 */
	if (set_caps(0, permitted_now()) == 0 && bpf_map_get_next_key(map_fd, NULL, &key) &&
	    errno == EPERM)
		keep = 1ull << CAP_BPF;
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if ((uint64_t)cap >= 64 || !(keep & (1ull << cap)))
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
				bounded++;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (set_caps(keep, keep) != 0) {
		pr_warn("cannot drop capabilities: %s; running with what it started with\n",
			strerror(errno));
		return;
	}
	if (keep)
		pr_info("dropped every capability but CAP_BPF%s: this kernel lets only CAP_BPF read "
			"the BPF maps eBPFlow holds\n", bounded ? " and the bounding set" : "");
	else
		pr_info("dropped every capability%s; kept the BPF maps and links it holds and its "
			"uid\n", bounded ? " and the bounding set" : "");
}

int service_check_config(const struct ebpflow_config *cfg)
{
	struct transport *t = transport_new();
	GError *err = NULL;
	int rc = 0;

	for (guint i = 0; i < cfg->collectors->len; i++) {
		if (!transport_add_collector(t, g_ptr_array_index(cfg->collectors, i), &err)) {
			fprintf(stderr, "ebpflow: %s\n", err->message);
			g_clear_error(&err);
			rc = EBPFLOW_EXIT_USAGE;
		}
	}
	if (cfg->ipfix_file) {
		char *dir = g_path_get_dirname(cfg->ipfix_file);

		if (access(dir, W_OK) != 0) {
			fprintf(stderr, "ebpflow: IPFIX file '%s': cannot write in %s: %s\n",
				cfg->ipfix_file, dir, strerror(errno));
			rc = EBPFLOW_EXIT_USAGE;
		}
		g_free(dir);
	}
	transport_free(t);
	if (!rc && cfg->config_path)
		printf("ebpflow: configuration OK (%s)\n", cfg->config_path);
	else if (!rc)
		printf("ebpflow: configuration OK\n");
	return rc;
}
