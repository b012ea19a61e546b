/* SPDX-License-Identifier: GPL-2.0-only */
/* The configuration: defaults, then the file (conffile.c), then the command line. */
#ifndef EBPFLOW_OPTIONS_H
#define EBPFLOW_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "templates.h"

enum output_mode { OUTPUT_CONSOLE, OUTPUT_JSON, OUTPUT_NONE };
enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };
/* --hooks: the values match enum ebpflow_tier (bpf/ebpflow.h), 0 is auto */
enum hook_tier { HOOKS_AUTO, HOOKS_FENTRY, HOOKS_KPROBE, HOOKS_TRACEPOINT };

/* Filter bits, as the kernel side reads them (bpf/ebpflow.h FILTER_*). */
#define FILTER_PROTO_TCP 1u
#define FILTER_PROTO_UDP 2u
#define FILTER_DIR_OUTBOUND 1u
#define FILTER_DIR_INBOUND 2u

/* Only flows that match every non-empty list are counted and exported. */
struct ebpflow_filter {
	GArray *pids;          /* uint32_t */
	GArray *uids;          /* uint32_t (user names resolved when read) */
	GArray *ports;         /* uint32_t: the responder's port */
	uint32_t protocols;    /* FILTER_PROTO_* bits; 0: all */
	uint32_t directions;   /* FILTER_DIR_* bits; 0: all */
	GPtrArray *containers; /* char *: container names (or ids) */
};

struct ebpflow_config {
	enum output_mode output;
	uint32_t interval_s;       /* read the kernel / refresh the console */
	uint32_t duration_s;       /* 0: until a signal */
	uint32_t idle_timeout_s;
	uint32_t active_timeout_s;
	uint32_t map_entries;
	enum hook_tier hooks; /* which kernel hooks (auto: the best this kernel has) */
	enum log_level log_level;
	enum log_target log_target;
	char *config_path; /* NULL: no file */
	bool check_config; /* --check-config: validate and exit */
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
	struct ebpflow_filter filter;
};

#define EBPFLOW_EXIT_USAGE 2

void config_defaults(struct ebpflow_config *c);
void config_clear(struct ebpflow_config *c);
/*
 * Parse the command line into c. Returns 1 when it asked for help or the
 * version (printed, nothing left to do), 0 to run, -1 on an error set in err.
 */
int config_parse_args(struct ebpflow_config *c, int argc, char **argv, GError **err);
/*
 * The whole configuration: defaults, then the file named by -c/--config (if
 * any), then the other flags, which win over the file. Returns as
 * config_parse_args.
 */
int config_load(struct ebpflow_config *c, int argc, char **argv, GError **err);
/* Parse an unsigned decimal in [min, max] for option `name`. */
gboolean config_parse_uint(const char *name, const char *text, uint32_t min, uint32_t max,
			   uint32_t *out, GError **err);

#endif
