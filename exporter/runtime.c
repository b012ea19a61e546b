// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exporter at run time. Every --interval a pass reads the process exits
 * and the flow map, ages the flows (records to the outputs) and redraws the
 * console; every --template-refresh the IPFIX templates and the accounting
 * go out. apply() is the one place a configuration takes effect, at start
 * and on SIGHUP: kernel filter, IPFIX and ZMQ outputs, timeouts, logging,
 * timers.
 */
#include "runtime.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "clock.h"
#include "console.h"
#include "capture.h"
#include "containers.h"
#include "drain.h"
#include "enrich.h"
#include "flowtable.h"
#include "log.h"
#include "mapmem.h"
#include "outputs.h"
#include "privileges.h"
#include "probe.h"
#include "proctable.h"
#include "reload.h"
#include "stats.h"
#include "tiers.h"
#include "tty.h"
#include "uids.h"

#define RUNTIME_ERROR g_quark_from_static_string("ebpflow-runtime")

struct runtime {
	struct ebpflow_config cfg; /* in force */
	bool applied;              /* cfg has been applied once (reloads follow) */
	struct probe *probe;
	struct drain *drain;
	struct flowtable *ft;
	struct enrich *enrich;
	struct containers *containers;
	struct proctable *procs; /* who each record's process is */
	struct console *console; /* -o console */
	struct tty *tty;         /* the console's terminal, when stdout is one */
	struct outputs *out;
	struct uids *uids; /* whose flows the kernel made, folded, refused */
	struct dns_capture *dns; /* the peers' names ([flows] dns_names); NULL: off */
	bool release_failed; /* a budget write-back failed (warned once) */
	bool flush_failed;   /* the kernel's flow cache could not be flushed (warned once) */
	guint tick_source, templates_source, stats_source;
	uint64_t kernel_stats[EBPFLOW_STAT__MAX]; /* as read before the last pass */
	uint64_t next_sweep_ns; /* CLOCK_MONOTONIC: forget what nothing refers to */
};

/* How often the caches of names forget what no flow, record or row used. */
#define SWEEP_EVERY_NS (10ull * 1000000000ull)

/*
 * What a configuration needs of the world (the options were parsed and
 * range-checked when read): the flow map within its memory budget, the user
 * to become, the outputs. Collectors are resolved only when resolve is set:
 * --check-config catches a typo, while a start goes on and tries a name that
 * does not resolve yet again.
 */
static gboolean check_world(const struct ebpflow_config *cfg, bool resolve, GError **err)
{
	int ncpus = libbpf_num_possible_cpus();

	if (ncpus <= 0) {
		g_set_error(err, RUNTIME_ERROR, 1, "cannot count the possible CPUs: %s",
			    g_strerror(ncpus < 0 ? -ncpus : EINVAL));
		return FALSE;
	}
	return mapmem_check(cfg->map_entries, cfg->map_memory_max_mib, ncpus, err) &&
	       privileges_check(cfg->user, err) && outputs_check_ipfix(cfg, resolve, err) &&
	       outputs_check_zmq(cfg, err);
}

gboolean runtime_check(const struct ebpflow_config *cfg, GError **err)
{
	struct kernel_features f;
	struct tier_plan plan;

	if (!check_world(cfg, true, err))
		return FALSE;
	/* a forced tier this kernel lacks (probing it loads test programs: root only) */
	if (cfg->hooks != HOOKS_AUTO && geteuid() == 0) {
		features_probe(&f);
		return tier_choose(&f, cfg->hooks, &plan, err);
	}
	return TRUE;
}

/* flow table ops: the kernel (drain), the enrichment, the filter and the outputs */
static bool on_take(const struct flow_key *key, struct flow_totals *final, void *ctx)
{
	return drain_take(key, final, ((struct runtime *)ctx)->drain);
}

static void on_forget(const struct flow_key *keys, size_t n, void *ctx)
{
	drain_forget(keys, n, ((struct runtime *)ctx)->drain);
}

static bool on_ready(uint64_t cgroup_id, uint32_t uid, void *ctx)
{
	struct enrich *e = ((struct runtime *)ctx)->enrich;

	return enrich_ready(e, cgroup_id) && enrich_user_ready(e, uid);
}

static bool on_wanted(uint64_t cgroup_id, void *ctx)
{
	struct runtime *rt = ctx;

	return enrich_container_wanted(rt->enrich, rt->cfg.filter.containers, cgroup_id);
}

static void on_enrich(struct flow_record *rec, void *ctx)
{
	enrich_record(rec, ((struct runtime *)ctx)->enrich);
}

static const char *on_name(const struct flow_key *key, uint32_t netns, void *ctx)
{
	return enrich_peer_name(((struct runtime *)ctx)->enrich, key, netns);
}

static void on_record(const struct flow_record *rec, void *ctx)
{
	outputs_record(rec, ((struct runtime *)ctx)->out);
}

static void on_read(uint32_t uid, bool first, void *ctx)
{
	uids_read(((struct runtime *)ctx)->uids, uid, first);
}

static void on_release(uint32_t uid, uint64_t released, void *ctx)
{
	struct runtime *rt = ctx;
	int e = probe_release_uid(rt->probe, uid, released);

	/* the budget then errs towards folding that uid's flows: said once */
	if (e && !rt->release_failed)
		pr_warn("cannot free the flow budget of uid %u in the kernel: %s\n", uid,
			g_strerror(-e));
	rt->release_failed |= e != 0;
}

/*
 * The kernel's per-CPU flow cache into the flow map. A CPU whose slot stayed
 * in use gives its calls at the next pass; a failure is said once.
 */
static void flush_kernel_cache(struct runtime *rt)
{
	int r = probe_flush(rt->probe);

	if (r < 0 && !rt->flush_failed)
		pr_warn("cannot flush the kernel's flow cache: %s\n", g_strerror(-r));
	rt->flush_failed |= r < 0;
}

/*
 * Read the kernel: its counters, then the exits (then every call of an exited
 * process is in the map), then the flows.
 */
static int read_kernel(struct runtime *rt)
{
	GHashTable *exited = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, NULL);
	int n;

	probe_read_stats(rt->probe, rt->kernel_stats);
	/* the answers before the flows: a flow's peer was resolved before its first call */
	if (rt->dns)
		dns_capture_read(rt->dns);
	probe_read_uids(rt->probe, rt->uids);
	uids_begin_pass(rt->uids);
	proctable_begin_pass(rt->procs, clock_mono_ns());
	drain_exits(probe_exits_fd(rt->probe), exited);
	proctable_exited(rt->procs, exited);
	/* after the exits: an exited process's last calls may wait in the cache */
	flush_kernel_cache(rt);
	n = drain_pass(rt->drain, rt->ft);
	if (n < 0)
		pr_warn("cannot read the flow map: %s\n", g_strerror(-n));
	/* an answer that came in while the flows were read named a new one's peer */
	if (rt->dns) {
		dns_capture_read(rt->dns);
		flowtable_name_new_flows(rt->ft);
	}
	flowtable_end_processes(rt->ft, exited);
	g_hash_table_destroy(exited);
	return n;
}

static void print_console(struct runtime *rt, bool at_exit)
{
	GDateTime *now = g_date_time_new_now_local();
	char *when = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
	char *title = g_strdup_printf("eBPFlow %s%s", when, at_exit ? " (at exit)" : "");

	console_print(rt->console, rt->ft, title);
	g_free(title);
	g_free(when);
	g_date_time_unref(now);
}

/* What eBPFlow holds in memory besides the kernel's maps (bench/soak reads it). */
static void log_caches(struct runtime *rt)
{
	const struct proctable_stats *ps = proctable_stats(rt->procs);
	unsigned int rows = 0, ended = 0;

	if (rt->console)
		rows = console_rows(rt->console, &ended);
	pr_info("caches: %u flows, %u console rows (%u ended), %u user names, %u containers\n",
		flowtable_size(rt->ft), rows, ended, enrich_users_cached(rt->enrich),
		containers_cached(rt->containers));

	pr_info("processes: %u known; records named from the kernel's notes %llu, from /proc %llu, "
		"not named %llu (cache full %llu)\n",
		proctable_size(rt->procs), (unsigned long long)ps->kernel,
		(unsigned long long)ps->procfs, (unsigned long long)ps->unknown,
		(unsigned long long)ps->full);
}

/* Every call the kernel counted is in a record, live, filtered, or counted as lost. */
static void report_stats(struct runtime *rt, bool at_exit)
{
	const struct flowtable_stats *fs = flowtable_stats(rt->ft);
	struct ebpflow_stats s = { .time_ms = clock_ns(CLOCK_REALTIME) / 1000000 };

	stats_account(&s, rt->kernel_stats, fs->calls, fs->filtered,
		      flowtable_unreported_calls(rt->ft), fs->records, fs->generations, fs->entries);
	s.ntop = uids_top(rt->uids, s.top, STATS_TOP_UIDS);
	if (rt->dns) {
		struct dns_capture_stats ds;

		dns_capture_get_stats(rt->dns, &ds);
		s.dns_bad = ds.bad;
		s.dns_names = ds.names.entries;
		s.dns_names_evicted = ds.names.evicted;
	}
	outputs_count(rt->out, &s);
	outputs_stats(rt->out, &s);
	stats_log(&s, at_exit);
	log_caches(rt);
}

struct sweep {
	struct enrich *enrich;
	uint64_t now_ns; /* one clock reading for the whole sweep: it visits every flow */
};

static void touch(const struct flow_key *key, const struct flow_totals *t, uint64_t unreported,
		  void *ctx)
{
	const struct sweep *s = ctx;

	enrich_touch(s->enrich, t->uid, t->cgroup_id, s->now_ns);
}

/* What the live flows refer to is kept; names unused for a while are forgotten. */
static void sweep_caches(struct runtime *rt, uint64_t now)
{
	struct sweep s = { .enrich = rt->enrich, .now_ns = now };

	if (now < rt->next_sweep_ns)
		return;
	rt->next_sweep_ns = now + SWEEP_EVERY_NS;
	flowtable_foreach(rt->ft, touch, &s);
	enrich_forget_unused(rt->enrich, now);
}

static gboolean on_tick(gpointer data)
{
	struct runtime *rt = data;
	uint64_t t0 = clock_mono_ns(), t1, t2;
	uint64_t records = flowtable_stats(rt->ft)->records;
	int n;

	containers_collect(rt->containers);
	enrich_collect(rt->enrich);
	sweep_caches(rt, t0);
	n = read_kernel(rt);
	t1 = clock_mono_ns();
	flowtable_expire(rt->ft, t1);
	uids_release(rt->uids, on_release, rt);
	outputs_flush(rt->out);
	t2 = clock_mono_ns();
	pr_debug("pass: read %d flows in %.1f ms, expired and reported %llu records in %.1f ms, "
		 "%u flows live\n",
		 n, (t1 - t0) / 1e6, (unsigned long long)(flowtable_stats(rt->ft)->records - records),
		 (t2 - t1) / 1e6, flowtable_size(rt->ft));
	if (rt->console)
		print_console(rt, false);
	fflush(stdout);
	return G_SOURCE_CONTINUE;
}

static gboolean on_templates(gpointer data)
{
	outputs_send_templates(((struct runtime *)data)->out);
	return G_SOURCE_CONTINUE;
}

/* Every template refresh: the accounting, as of the last pass. */
static gboolean on_stats(gpointer data)
{
	struct runtime *rt = data;

	report_stats(rt, false);
	outputs_flush(rt->out);
	return G_SOURCE_CONTINUE;
}

static void on_tty(int key, void *ctx)
{
	struct runtime *rt = ctx;
	unsigned int rows, cols;

	if (key == 'q' || key == 'Q') {
		raise(SIGINT); /* as Ctrl-C: one way out */
	} else if (key == TTY_GONE) {
		/*
		 * Its SIGHUP is taken for a reload, but a console view without its
		 * terminal has nobody to show anything to: stop as a SIGTERM would,
		 * every record to the other outputs first.
		 */
		pr_info("the console's terminal hung up: stopping\n");
		raise(SIGTERM);
	} else if (key == TTY_RESIZED) {
		tty_size(rt->tty, &rows, &cols);
		console_set_terminal(rt->console, true, rows, cols);
		console_redraw(rt->console);
	} else if (console_key(rt->console, key)) {
		console_redraw(rt->console);
	}
}

static void stop_timers(struct runtime *rt)
{
	guint *sources[] = { &rt->tick_source, &rt->templates_source, &rt->stats_source };

	for (size_t i = 0; i < G_N_ELEMENTS(sources); i++)
		if (*sources[i])
			g_source_remove(*sources[i]);
	rt->tick_source = rt->templates_source = rt->stats_source = 0;
}

/*
 * Millisecond timers, not g_timeout_add_seconds: that one batches wake-ups
 * and can fire up to a second late, and a pass every interval should come
 * every interval.
 */
static void arm_timers(struct runtime *rt)
{
	stop_timers(rt);
	rt->tick_source = g_timeout_add(rt->cfg.interval_s * 1000u, on_tick, rt);
	if (outputs_have_ipfix(rt->out))
		rt->templates_source = g_timeout_add(rt->cfg.template_refresh_s * 1000u,
						     on_templates, rt);
	rt->stats_source = g_timeout_add(rt->cfg.template_refresh_s * 1000u, on_stats, rt);
}

static gboolean set_filter(struct runtime *rt, const struct ebpflow_filter *f, GError **err)
{
	int e = probe_set_filter(rt->probe, f);

	if (e)
		g_set_error(err, RUNTIME_ERROR, 1, "cannot put the filter in force: %s",
			    g_strerror(-e));
	return !e;
}

/*
 * The one place a configuration takes effect, at start (before the probe is
 * loaded, which then takes the filter) and on SIGHUP. What can fail is done
 * first and undone on failure; then n is taken over.
 */
static gboolean apply(struct runtime *rt, struct ebpflow_config *n, GError **err)
{
	bool reload = rt->applied;
	bool new_ipfix = !reload || options_changed(&rt->cfg, n, OPT_IPFIX);
	bool new_zmq = !reload || options_changed(&rt->cfg, n, OPT_ZMQ);
	struct zmq_export *zmq = NULL;

	if (rt->probe && !set_filter(rt, &n->filter, err)) {
		/* a filter half replaced is no filter: put the old one back */
		probe_set_filter(rt->probe, &rt->cfg.filter);
		return FALSE;
	}
	if ((new_zmq && !outputs_open_zmq(rt->out, n, &zmq, err)) ||
	    (new_ipfix && !outputs_set_ipfix(rt->out, n, err))) {
		zmq_export_free(zmq);
		if (rt->probe)
			probe_set_filter(rt->probe, &rt->cfg.filter);
		return FALSE;
	}
	if (new_zmq)
		outputs_set_zmq(rt->out, n, zmq);
	if (reload)
		options_keep_restart_values(&rt->cfg, n);
	flowtable_set_timeouts(rt->ft, &(struct flowtable_timeouts){
		.idle_ns = (uint64_t)n->idle_timeout_s * 1000000000ull,
		.active_ns = (uint64_t)n->active_timeout_s * 1000000000ull,
		.max_idle_per_pass = FLOWTABLE_MAX_IDLE_PER_PASS,
		.max_end_per_pass = FLOWTABLE_MAX_END_PER_PASS,
	});
	log_set_level(n->log_level);
	log_set_target(n->log_target == LOG_TARGET_SYSLOG);
	if (rt->console) {
		console_set_max_ended(rt->console, n->ended_rows);
		console_set_names(rt->console, n->peer_names);
	}
	config_clear(&rt->cfg);
	rt->cfg = *n;
	memset(n, 0, sizeof(*n));
	rt->applied = true;
	arm_timers(rt);
	if (reload)
		pr_info("configuration reloaded%s%s\n", new_ipfix ? "; IPFIX outputs replaced" : "",
			new_zmq ? "; ZMQ publisher updated" : "");
	return TRUE;
}

gboolean runtime_reload(struct runtime *rt, struct ebpflow_config *cfg, GError **err)
{
	gboolean ok = apply(rt, cfg, err);

	config_clear(cfg);
	return ok;
}

/* The parts in user space, before anything is loaded. */
static void make_parts(struct runtime *rt, const struct ebpflow_config *cfg)
{
	struct flowtable_ops ops = {
		.report = on_record, .take = on_take, .forget = on_forget, .ready = on_ready,
		.wanted = on_wanted, .enrich = on_enrich, .read = on_read, .name = on_name,
		.ctx = rt,
	};
	unsigned int rows, cols;

	rt->containers = containers_new(&(struct containers_config){
		.resolve_names = cfg->container_names,
		.docker_socket = cfg->docker_socket,
		.podman_socket = cfg->podman_socket,
		.containerd_state = cfg->containerd_state,
		.crio_root = cfg->crio_root,
		.crio_runroot = cfg->crio_runroot,
	});
	rt->enrich = enrich_new(rt->containers);
	rt->procs = proctable_new("/proc", cfg->cmdline_bytes);
	enrich_set_procs(rt->enrich, rt->procs);
	if (cfg->output == OUTPUT_CONSOLE) {
		rt->console = console_new(stdout, rt->enrich, on_wanted, rt);
		rt->tty = tty_open(STDOUT_FILENO, STDIN_FILENO, on_tty, rt);
		if (rt->tty) {
			tty_size(rt->tty, &rows, &cols);
			console_set_terminal(rt->console, true, rows, cols);
		}
	}
	rt->out = outputs_new(stdout, cfg->output == OUTPUT_JSON, rt->console);
	rt->ft = flowtable_new(&(struct flowtable_timeouts){ 0 }, &ops);
	rt->uids = uids_new();
}

int runtime_start(struct runtime **out, struct ebpflow_config *cfg, GError **err)
{
	struct runtime *rt = g_new0(struct runtime, 1);
	int e;

	*out = rt;
	/* the forced tier is the probe's to check, below */
	if (!check_world(cfg, false, err)) {
		config_clear(cfg);
		return EBPFLOW_EXIT_USAGE;
	}
	/* before anything is made: files, sockets and threads, as the user */
	if (!privileges_become(cfg->user, err)) {
		config_clear(cfg);
		return 1;
	}
	make_parts(rt, cfg);
	if (!apply(rt, cfg, err)) {
		config_clear(cfg);
		return EBPFLOW_EXIT_USAGE;
	}
	/* the signals are held by main.c until this returns: none reaches the verifier */
	e = probe_start(&rt->probe,
			&(struct probe_options){ .map_entries = rt->cfg.map_entries,
						 .uid_budget = rt->cfg.uid_flow_budget ?
								       rt->cfg.uid_flow_budget :
								       rt->cfg.map_entries / 8,
						 .hooks = rt->cfg.hooks,
						 .cmdline_bytes = rt->cfg.cmdline_bytes,
						 .dns_answers = rt->cfg.dns_names },
			err);
	if (e)
		return e == -EOPNOTSUPP ? EBPFLOW_EXIT_USAGE : 1; /* a tier the kernel lacks */
	rt->drain = drain_new(probe_flows_fd(rt->probe));
	if (!rt->drain) {
		g_set_error(err, RUNTIME_ERROR, 1, "out of memory");
		return 1;
	}
	if (rt->cfg.dns_names) {
		rt->dns = dns_capture_new(probe_dns_fd(rt->probe), rt->cfg.dns_names_max,
					  rt->cfg.dns_grace_s, err);
		if (!rt->dns)
			return 1;
		enrich_set_dns(rt->enrich, dns_capture_names(rt->dns));
	}
	containers_set_names_fd(rt->containers, probe_cgroups_fd(rt->probe));
	proctable_set_fd(rt->procs, probe_procs_fd(rt->probe));
	/* after the exec hook is attached (none is missed), before privileges go */
	pr_info("processes running at start: %u read from /proc\n", proctable_scan(rt->procs));
	if (!set_filter(rt, &rt->cfg.filter, err))
		return 1;
	if (!privileges_drop(probe_flows_fd(rt->probe), err))
		return 1;
	/* the first threads of eBPFlow's own: made now, they hold what the drop left
	 * (GLib's signal thread, for the terminal's size, is one) */
	enrich_start(rt->enrich);
	containers_start(rt->containers);
	outputs_start(rt->out);
	tty_watch_size(rt->tty);
	pr_info("watching; %s every %us%s\n",
		rt->cfg.output == OUTPUT_CONSOLE ? "console refresh" : "a pass",
		rt->cfg.interval_s, rt->cfg.duration_s ? "" : "; Ctrl-C to stop");
	return 0;
}

static void ask_container(const struct flow_key *key, const struct flow_totals *t,
			  uint64_t unreported, void *ctx)
{
	enrich_ready(((struct runtime *)ctx)->enrich, t->cgroup_id);
	enrich_user_ready(((struct runtime *)ctx)->enrich, t->uid);
}

/* What eBPFlow itself cost (the kernel side runs in the watched processes). */
static void log_resources(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	pr_info("resources: CPU %.3f s user, %.3f s system; peak RSS %ld KiB\n",
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
}

int runtime_stop(struct runtime *rt)
{
	stop_timers(rt);
	if (rt->tty) {
		/* what follows (the log, the whole tables) goes below the terminal view */
		g_clear_pointer(&rt->tty, tty_close);
		console_set_terminal(rt->console, false, 0, 0);
	}
	/* stop counting, read what is left, report every flow */
	probe_detach(rt->probe);
	read_kernel(rt);
	/* name the containers of what is left before the last records go */
	flowtable_foreach(rt->ft, ask_container, rt);
	containers_wait(rt->containers, CONTAINERS_TIMEOUT_MS + 500);
	enrich_wait(rt->enrich, ENRICH_USER_MAX_WAIT_MS);
	flowtable_flush(rt->ft);
	report_stats(rt, true);
	outputs_flush(rt->out);
	if (rt->console)
		print_console(rt, true);
	fflush(stdout);
	outputs_log(rt->out);
	log_resources();
	return outputs_lost(rt->out) ? 1 : 0;
}

void runtime_free(struct runtime *rt)
{
	if (!rt)
		return;
	stop_timers(rt);
	flowtable_free(rt->ft);
	tty_close(rt->tty);
	outputs_free(rt->out);
	console_free(rt->console);
	enrich_free(rt->enrich);
	dns_capture_free(rt->dns);
	proctable_free(rt->procs);
	containers_free(rt->containers);
	drain_free(rt->drain);
	uids_free(rt->uids);
	probe_destroy(rt->probe);
	config_clear(&rt->cfg);
	g_free(rt);
}
