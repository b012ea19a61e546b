/* SPDX-License-Identifier: GPL-2.0-only */
/* The configuration: defaults, then the command line. */
#ifndef EBPFLOW_OPTIONS_H
#define EBPFLOW_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "templates.h"

enum output_mode { OUTPUT_CONSOLE, OUTPUT_JSON, OUTPUT_NONE };

struct ebpflow_config {
	enum output_mode output;
	uint32_t interval_s;       /* read the kernel / refresh the console */
	uint32_t duration_s;       /* 0: until a signal */
	uint32_t idle_timeout_s;
	uint32_t active_timeout_s;
	uint32_t map_entries;
	enum log_level log_level;
	/* IPFIX */
	GPtrArray *collectors; /* char *: HOST:PORT */
	char *ipfix_file;
	uint32_t template_refresh_s;
	uint32_t observation_domain;
	uint32_t pen;
	enum ie_profile ie_profile;
	/* containers */
	bool docker;          /* ask the runtimes for container names */
	char *docker_socket;  /* NULL: the default */
	char *podman_socket;
};

#define EBPFLOW_EXIT_USAGE 2

void config_defaults(struct ebpflow_config *c);
void config_clear(struct ebpflow_config *c);
/*
 * Parse the command line into c. Returns 1 when it asked for help or the
 * version (printed, nothing left to do), 0 to run, -1 on an error set in err.
 */
int config_parse_args(struct ebpflow_config *c, int argc, char **argv, GError **err);
/* Parse an unsigned decimal in [min, max] for option `name`. */
gboolean config_parse_uint(const char *name, const char *text, uint32_t min, uint32_t max,
			   uint32_t *out, GError **err);

#endif
