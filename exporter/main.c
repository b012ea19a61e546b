// SPDX-License-Identifier: GPL-2.0-only
/*
 * eBPFlow: reads the configuration (cmdline.c, conffile.c), checks it
 * (--check-config stops there), starts the runtime and runs the glib main
 * loop until a signal or --duration; SIGHUP reads the configuration again
 * and hands it to the runtime. The one place that exits.
 */
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "options.h"
#include "runtime.h"

struct wiring {
	GMainLoop *loop;
	struct runtime *rt;
	int argc; /* kept to read the configuration again on SIGHUP: options still win */
	char **argv;
};

static gboolean on_quit(gpointer data)
{
	g_main_loop_quit(((struct wiring *)data)->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_hup(gpointer data)
{
	struct wiring *w = data;
	struct ebpflow_config cfg;
	GError *err = NULL;

	pr_info("SIGHUP: reading the configuration again\n");
	if (config_load(&cfg, w->argc, w->argv, &err) != 0 ||
	    !runtime_reload(w->rt, &cfg, &err)) {
		pr_err("reload failed, the running configuration stays: %s\n",
		       err ? err->message : "error");
		g_clear_error(&err);
	}
	config_clear(&cfg);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	struct wiring w = { .argc = argc, .argv = argv };
	struct ebpflow_config cfg;
	GError *err = NULL;
	uint32_t duration_s;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	/*
	 * The signals are ours before anything else: a SIGHUP or SIGTERM while
	 * the programs load must not kill eBPFlow half-attached (they are acted
	 * on once the loop runs: a reload, or a clean stop).
	 */
	w.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_quit, &w);
	g_unix_signal_add(SIGTERM, on_quit, &w);
	g_unix_signal_add(SIGHUP, on_hup, &w);
	rc = config_load(&cfg, argc, argv, &err);
	if (rc > 0) {
		rc = 0; /* --help, --version */
		goto out;
	}
	if (rc < 0) {
		fprintf(stderr, "ebpflow: %s\nTry 'ebpflow --help'.\n", err->message);
		rc = EBPFLOW_EXIT_USAGE;
		goto out;
	}
	if (cfg.check_config) {
		rc = runtime_check(&cfg, &err) ? 0 : EBPFLOW_EXIT_USAGE;
		if (rc)
			fprintf(stderr, "ebpflow: %s\n", err->message);
		else if (cfg.config_path)
			printf("ebpflow: configuration OK (%s)\n", cfg.config_path);
		else
			printf("ebpflow: configuration OK\n");
		goto out;
	}
	duration_s = cfg.duration_s;
	rc = runtime_start(&w.rt, &cfg, &err); /* takes cfg over */
	if (rc) {
		fprintf(stderr, "ebpflow: %s\n", err->message);
		goto out;
	}
	if (duration_s)
		g_timeout_add_seconds(duration_s, on_quit, &w);
	g_main_loop_run(w.loop);
	runtime_stop(w.rt);
out:
	g_clear_error(&err);
	config_clear(&cfg);
	runtime_free(w.rt);
	g_main_loop_unref(w.loop);
	return rc;
}
