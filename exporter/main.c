// SPDX-License-Identifier: GPL-2.0-only
/*
 * eBPFlow: wires the probe, the drain, the flow table and the outputs to a
 * glib main loop (a timer for the drain, signals for shutdown).
 */
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "console.h"
#include "containers.h"
#include "drain.h"
#include "enrich.h"
#include "flowtable.h"
#include "ipfix.h"
#include "json.h"
#include "log.h"
#include "options.h"
#include "probe.h"
#include "stats.h"
#include "transport.h"
#include "tty.h"
#include "app.h"


static void warn_error(const char *what, GError *err)
{
	pr_warn("%s: %s\n", what, err ? err->message : "unknown error");
	g_clear_error(&err);
}

static bool on_wanted(uint64_t cgroup_id, void *ctx)
{
	struct app *a = ctx;

	return enrich_container_wanted(a->enrich, a->cfg.filter.containers, cgroup_id);
}

static void on_record(const struct flow_record *rec, void *ctx)
{
	struct app *a = ctx;

	if (a->cfg.output == OUTPUT_JSON)
		json_write_record(rec, stdout);
	if (a->console)
		console_record(a->console, rec);
	if (a->ipfix) {
		GError *err = NULL;

		if (!ipfix_add(a->ipfix, rec, clock_epoch_offset_ns(), &err))
			warn_error("cannot encode an IPFIX record", err);
	}
}

static void ipfix_flush_all(struct app *a)
{
	GError *err = NULL;

	if (!a->ipfix)
		return;
	if (!ipfix_flush(a->ipfix, &err))
		warn_error("cannot emit an IPFIX message", err);
	transport_flush(a->transport);
}

gboolean app_send_templates(gpointer data)
{
	struct app *a = data;
	GError *err = NULL;

	if (!ipfix_send_templates(a->ipfix, &err))
		warn_error("cannot send the IPFIX templates", err);
	transport_flush(a->transport);
	return G_SOURCE_CONTINUE;
}

static void report_stats(struct app *a, bool at_exit);

/* Every template refresh: the statistics, as of the last drain pass. */
static gboolean on_stats(gpointer data)
{
	struct app *a = data;

	if (a->ft && a->probe) {
		report_stats(a, false);
		ipfix_flush_all(a);
	}
	return G_SOURCE_CONTINUE;
}

static void on_tty(int key, void *ctx)
{
	struct app *a = ctx;
	unsigned int rows, cols;

	if (key == 'q' || key == 'Q') {
		raise(SIGINT); /* as Ctrl-C */
	} else if (key == TTY_RESIZED) {
		tty_size(a->tty, &rows, &cols);
		console_set_terminal(a->console, true, rows, cols);
		console_redraw(a->console);
	} else if (console_key(a->console, key)) {
		console_redraw(a->console);
	}
}

static gboolean on_tick(gpointer data);

gboolean app_open_ipfix(const struct ebpflow_config *cfg, struct transport **t, struct ipfix **x,
			GError **err)
{
	struct ipfix_config ic = {
		.profile = cfg->ie_profile,
		.pen = cfg->pen,
		.domain = cfg->observation_domain,
	};

	*t = NULL;
	*x = NULL;
	if (!cfg->collectors->len && !cfg->ipfix_file)
		return TRUE;
	*t = transport_new();
	for (guint i = 0; i < cfg->collectors->len; i++)
		if (!transport_add_collector(*t, g_ptr_array_index(cfg->collectors, i), err))
			goto fail;
	if (cfg->ipfix_file && !transport_add_file(*t, cfg->ipfix_file, err))
		goto fail;
	*x = ipfix_new(&ic, transport_send, *t, err);
	if (*x)
		return TRUE;
fail:
	g_clear_pointer(t, transport_free);
	return FALSE;
}

/* Collectors and files are checked before anything is loaded: a typo exits 2. */
static gboolean setup_ipfix(struct app *a, GError **err)
{
	return app_open_ipfix(&a->cfg, &a->transport, &a->ipfix, err);
}

/*
 * Millisecond timers, not g_timeout_add_seconds: that one batches wake-ups
 * and can fire up to a second late, and a pass every interval should come
 * every interval.
 */
void app_arm_timers(struct app *a)
{
	if (a->tick_source)
		g_source_remove(a->tick_source);
	if (a->refresh_source)
		g_source_remove(a->refresh_source);
	a->tick_source = g_timeout_add(a->cfg.interval_s * 1000u, on_tick, a);
	a->refresh_source = a->ipfix ? g_timeout_add(a->cfg.template_refresh_s * 1000u,
							     app_send_templates, a)
				     : 0;
	if (a->stats_source)
		g_source_remove(a->stats_source);
	a->stats_source = g_timeout_add(a->cfg.template_refresh_s * 1000u, on_stats, a);
}

static void log_ipfix(struct app *a)
{
	const struct ipfix_stats *s;

	if (!a->ipfix)
		return;
	s = ipfix_stats(a->ipfix);
	pr_info("IPFIX: %llu records (%llu calls) in %llu messages, %llu octets, templates sent "
		"%llu times\n",
		(unsigned long long)s->records, (unsigned long long)s->calls,
		(unsigned long long)s->messages, (unsigned long long)s->octets,
		(unsigned long long)s->template_sends);
	for (unsigned int i = 0; i < transport_count(a->transport); i++) {
		struct transport_dest_stats d = transport_stats(a->transport, i);

		pr_info("%s: %llu messages sent, %llu lost\n", d.name, (unsigned long long)d.sent,
			(unsigned long long)d.failed);
	}
}

static bool on_take(const struct flow_key *key, struct flow_totals *final, void *ctx)
{
	return drain_take(key, final, ((struct app *)ctx)->drain);
}

static void on_forget(const struct flow_key *keys, size_t n, void *ctx)
{
	drain_forget(keys, n, ((struct app *)ctx)->drain);
}

static bool on_ready(uint64_t cgroup_id, void *ctx)
{
	return enrich_ready(((struct app *)ctx)->enrich, cgroup_id);
}

static void on_enrich(struct flow_record *rec, void *ctx)
{
	enrich_record(rec, ((struct app *)ctx)->enrich);
}

/* Read the kernel: returns the flows read, or -errno. */
static int drain_once(struct app *a)
{
	GHashTable *exited = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, NULL);
	int n;

	/* exits first: an exited process's calls are all in the map by then */
	drain_exits(probe_exits_fd(a->probe), exited);
	n = drain_pass(a->drain, a->ft);
	if (n < 0)
		pr_warn("cannot read the flow map: %s\n", g_strerror(-n));
	flowtable_end_processes(a->ft, exited);
	g_hash_table_destroy(exited);
	return n;
}

static void print_console(struct app *a, bool at_exit)
{
	GDateTime *now = g_date_time_new_now_local();
	char *when = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
	char *title = g_strdup_printf("eBPFlow %s%s", when, at_exit ? " (at exit)" : "");

	if (at_exit) {
		/* the whole tables, left on the terminal after the in-place view */
		g_clear_pointer(&a->tty, tty_close);
		console_set_terminal(a->console, false, 0, 0);
	}
	console_print(a->console, a->ft, title);
	g_free(title);
	g_free(when);
	g_date_time_unref(now);
}

static gboolean on_tick(gpointer data)
{
	struct app *a = data;
	uint64_t t0 = clock_mono_ns(), t1, t2;
	uint64_t records = flowtable_stats(a->ft)->records;
	int n;

	containers_collect(a->containers);
	probe_read_stats(a->probe, a->kernel_stats);
	n = drain_once(a);
	t1 = clock_mono_ns();
	flowtable_expire(a->ft, t1);
	ipfix_flush_all(a);
	t2 = clock_mono_ns();
	pr_debug("pass: read %d flows in %.1f ms, expired and reported %llu records in %.1f ms, "
		 "%u flows live\n",
		 n, (t1 - t0) / 1e6, (unsigned long long)(flowtable_stats(a->ft)->records - records),
		 (t2 - t1) / 1e6, flowtable_size(a->ft));
	if (a->console)
		print_console(a, false);
	fflush(stdout);
	return G_SOURCE_CONTINUE;
}

static gboolean on_quit(gpointer data)
{
	struct app *a = data;

	g_main_loop_quit(a->loop);
	return G_SOURCE_REMOVE;
}

static void gather_stats(struct app *a, struct ebpflow_stats *s)
{
	const struct flowtable_stats *fs = flowtable_stats(a->ft);

	memset(s, 0, sizeof(*s));
	s->time_ms = clock_ns(CLOCK_REALTIME) / 1000000;
	stats_account(s, a->kernel_stats, fs->calls, fs->filtered, flowtable_unreported_calls(a->ft),
		      fs->records, fs->generations);
	if (a->ipfix) {
		const struct ipfix_stats *is = ipfix_stats(a->ipfix);

		s->ipfix_messages = is->messages;
		s->ipfix_records = is->records;
		s->ipfix_octets = is->octets;
		for (unsigned int i = 0; i < transport_count(a->transport); i++)
			s->ipfix_messages_lost += transport_stats(a->transport, i).failed;
	}
}

/* Every call the kernel counted is in a record, live, filtered, or counted as lost. */
static void report_stats(struct app *a, bool at_exit)
{
	struct ebpflow_stats s;

	gather_stats(a, &s);
	if (a->cfg.output == OUTPUT_JSON) {
		GString *j = g_string_new(NULL);

		stats_json(j, &s);
		puts(j->str);
		fflush(stdout);
		g_string_free(j, TRUE);
	}
	if (a->ipfix) {
		struct ipfix_stats_rec r;
		GError *err = NULL;

		stats_ipfix(&r, &s, (uint32_t)getpid());
		if (!ipfix_add_exporter_stats(a->ipfix, &r, &err))
			warn_error("cannot encode the IPFIX statistics", err);
	}
	pr_info("%scalls: %llu counted by the kernel, %llu reported in %llu records, %llu live, "
		"%llu filtered out, %llu lost\n",
		at_exit ? "at exit: " : "", (unsigned long long)s.kernel_calls,
		(unsigned long long)s.calls_reported, (unsigned long long)s.records,
		(unsigned long long)s.calls_live, (unsigned long long)s.calls_filtered,
		(unsigned long long)s.calls_lost);
	if (at_exit && s.calls_lost)
		pr_warn("%llu calls were lost (%llu refused by a full flow map, the rest in %llu "
			"flows evicted before they were read: raise --map-size or lower --interval)\n",
			(unsigned long long)s.calls_lost, (unsigned long long)s.calls_refused,
			(unsigned long long)s.flows_evicted);
	if (at_exit && s.udp_no_peer)
		pr_info("%llu UDP calls on unconnected sockets named no peer (recv() without an "
			"address): their peer address is unspecified\n",
			(unsigned long long)s.udp_no_peer);
}

static void ask_container(const struct flow_key *key, const struct flow_totals *t,
			  uint64_t unreported, void *ctx)
{
	enrich_ready(((struct app *)ctx)->enrich, t->cgroup_id);
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

static int run(struct app *a)
{
	struct probe_options po = { .map_entries = a->cfg.map_entries };
	struct flowtable_timeouts t = {
		.idle_ns = (uint64_t)a->cfg.idle_timeout_s * 1000000000ull,
		.active_ns = (uint64_t)a->cfg.active_timeout_s * 1000000000ull,
		.max_idle_per_pass = FLOWTABLE_MAX_IDLE_PER_PASS,
		.max_end_per_pass = FLOWTABLE_MAX_END_PER_PASS,
	};
	struct flowtable_ops ops = {
		.report = on_record, .take = on_take, .forget = on_forget, .ready = on_ready,
		.wanted = on_wanted, .enrich = on_enrich, .ctx = a,
	};
	int err;

	if (a->ipfix)
		app_send_templates(a);
	err = probe_start(&a->probe, &po);
	if (err)
		return err;
	a->drain = drain_new(probe_flows_fd(a->probe));
	if (!a->drain) {
		pr_err("out of memory\n");
		return -ENOMEM;
	}
	a->containers = containers_new(&(struct containers_config){
		.resolve_names = a->cfg.docker,
		.docker_socket = a->cfg.docker_socket,
		.podman_socket = a->cfg.podman_socket,
	});
	containers_set_names_fd(a->containers, probe_cgroups_fd(a->probe));
	a->enrich = enrich_new(a->containers);
	if (a->cfg.output == OUTPUT_CONSOLE) {
		a->console = console_new(stdout, a->enrich, on_wanted, a);
		a->tty = tty_open(STDOUT_FILENO, STDIN_FILENO, on_tty, a);
		if (a->tty) {
			unsigned int rows, cols;

			tty_size(a->tty, &rows, &cols);
			console_set_terminal(a->console, true, rows, cols);
		}
	}
	a->ft = flowtable_new(&t, &ops);

	err = probe_set_filter(a->probe, &a->cfg.filter);
	if (err) {
		pr_err("cannot put the filter in force: %s\n", g_strerror(-err));
		return err;
	}
	service_drop_privileges();

	a->loop = g_main_loop_new(NULL, FALSE);
	app_arm_timers(a);
	if (a->cfg.duration_s)
		g_timeout_add_seconds(a->cfg.duration_s, on_quit, a);
	g_unix_signal_add(SIGINT, on_quit, a);
	g_unix_signal_add(SIGTERM, on_quit, a);
	g_unix_signal_add(SIGHUP, service_reload, a);
	pr_info("watching; %s every %us%s\n",
		a->cfg.output == OUTPUT_CONSOLE ? "console refresh" : "JSON records",
		a->cfg.interval_s, a->cfg.duration_s ? "" : "; Ctrl-C to stop");
	g_main_loop_run(a->loop);

	/* stop counting, read what is left, report every flow */
	probe_detach(a->probe);
	probe_read_stats(a->probe, a->kernel_stats);
	drain_once(a);
	/* name the containers of what is left before the last records go */
	flowtable_foreach(a->ft, ask_container, a);
	containers_wait(a->containers, CONTAINERS_TIMEOUT_MS + 500);
	flowtable_flush(a->ft);
	report_stats(a, true);
	ipfix_flush_all(a);
	if (a->console)
		print_console(a, true);
	fflush(stdout);
	log_ipfix(a);
	log_resources();
	return 0;
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	GError *err = NULL;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	a.argc = argc;
	a.argv = argv;
	rc = config_load(&a.cfg, argc, argv, &err);
	if (rc > 0)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "ebpflow: %s\nTry 'ebpflow --help'.\n", err->message);
		g_error_free(err);
		config_clear(&a.cfg);
		return EBPFLOW_EXIT_USAGE;
	}
	if (a.cfg.check_config) {
		rc = service_check_config(&a.cfg);
		config_clear(&a.cfg);
		return rc;
	}
	log_set_level(a.cfg.log_level);
	log_set_target(a.cfg.log_target == LOG_TARGET_SYSLOG);
	if (!setup_ipfix(&a, &err)) {
		fprintf(stderr, "ebpflow: %s\n", err->message);
		g_error_free(err);
		rc = EBPFLOW_EXIT_USAGE;
		goto out;
	}

	rc = run(&a) ? 1 : 0;
out:
	flowtable_free(a.ft);
	tty_close(a.tty);
	console_free(a.console);
	enrich_free(a.enrich);
	containers_free(a.containers);
	drain_free(a.drain);
	probe_destroy(a.probe);
	ipfix_free(a.ipfix);
	transport_free(a.transport);
	if (a.loop)
		g_main_loop_unref(a.loop);
	config_clear(&a.cfg);
	return rc;
}
