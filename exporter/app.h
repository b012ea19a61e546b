/* SPDX-License-Identifier: GPL-2.0-only */
/* The running exporter's parts, shared by main.c (wiring) and service.c (reload, privileges). */
#ifndef EBPFLOW_APP_H
#define EBPFLOW_APP_H

#include <glib.h>
#include <stdbool.h>

#include "console.h"
#include "containers.h"
#include "drain.h"
#include "enrich.h"
#include "flowtable.h"
#include "ipfix.h"
#include "options.h"
#include "probe.h"
#include "transport.h"

struct app {
	struct ebpflow_config cfg;
	int argc; /* kept to re-read the configuration on SIGHUP: flags still win */
	char **argv;
	struct probe *probe;
	struct drain *drain;
	struct flowtable *ft;
	struct enrich *enrich;
	struct containers *containers;
	struct console *console;
	struct transport *transport; /* NULL without IPFIX */
	struct ipfix *ipfix;
	GMainLoop *loop;
	guint tick_source, refresh_source, stats_source;
	uint64_t kernel_stats[EBPFLOW_STAT__MAX]; /* as read before the last drain pass */
	struct tty *tty; /* the console's terminal, NULL when stdout is none */
};

/* IPFIX outputs of cfg (collectors resolved, file created), or none. */
gboolean app_open_ipfix(const struct ebpflow_config *cfg, struct transport **t, struct ipfix **x,
			GError **err);
/* (Re)arm the periodic timers from a->cfg. */
void app_arm_timers(struct app *a);
/* Send the templates now (start, refresh, new collectors). */
gboolean app_send_templates(gpointer data);

/* service.c */
/* SIGHUP: re-read the configuration and apply it; a bad one leaves all as it was. */
gboolean service_reload(gpointer data);
/* After attaching: give up every capability; says what is kept. */
void service_drop_privileges(void);
/* --check-config: 0 when the configuration would run, else 2 (after saying why). */
int service_check_config(const struct ebpflow_config *cfg);

#endif
