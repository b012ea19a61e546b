// SPDX-License-Identifier: GPL-2.0-only
/*
 * eBPFlow: reads the configuration (cmdline.c, conffile.c), checks it
 * (--check-config stops there), starts the runtime and runs the glib main
 * loop until a signal or --duration; SIGHUP reads the configuration again
 * and hands it to the runtime. Under systemd (Type=notify) it says when it
 * is ready, reloading and stopping. The one place that exits.
 */
#include <glib-unix.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "notify.h"
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
	notify_reloading();
	if (config_load(&cfg, w->argc, w->argv, &err) != 0 ||
	    !runtime_reload(w->rt, &cfg, &err)) {
		pr_err("reload failed, the running configuration stays: %s\n",
		       err ? err->message : "error");
		notify("READY=1\nSTATUS=watching; the last reload failed (see the log)");
		g_clear_error(&err);
	} else {
		notify("READY=1\nSTATUS=watching; configuration reloaded");
	}
	config_clear(&cfg);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	struct wiring w = { .argc = argc, .argv = argv };
	struct ebpflow_config cfg = { 0 };
	GError *err = NULL;
	uint32_t duration_s;
	sigset_t held;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	/*
	 * The signals are held (blocked) from the first instruction: a SIGHUP or
	 * SIGTERM while the programs load must not kill eBPFlow half-attached,
	 * nor reach the verifier (it gives up with EAGAIN on a pending signal).
	 * They are handled once runtime_start has dropped privileges, because
	 * g_unix_signal_add starts GLib's worker thread, and a thread made before
	 * the drop would keep every capability; those that came meanwhile are
	 * handled then (a reload, or a clean stop).
	 */
	sigemptyset(&held);
	sigaddset(&held, SIGINT);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &held, NULL);
	w.loop = g_main_loop_new(NULL, FALSE);
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
	g_unix_signal_add(SIGINT, on_quit, &w);
	g_unix_signal_add(SIGTERM, on_quit, &w);
	g_unix_signal_add(SIGHUP, on_hup, &w);
	pthread_sigmask(SIG_UNBLOCK, &held, NULL);
	if (duration_s)
		g_timeout_add_seconds(duration_s, on_quit, &w);
	notify("READY=1\nSTATUS=watching");
	g_main_loop_run(w.loop);
	notify("STOPPING=1\nSTATUS=reporting every flow");
	rc = runtime_stop(w.rt);
out:
	g_clear_error(&err);
	config_clear(&cfg);
	runtime_free(w.rt);
	g_main_loop_unref(w.loop);
	return rc;
}
