/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel side's lifecycle: probe what this kernel offers, open the
 * skeleton, set the load-time knobs, load, attach each program, detach.
 */
#ifndef EBPFLOW_PROBE_H
#define EBPFLOW_PROBE_H

#include <glib.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "ebpflow.h"

struct probe;

struct probe_options {
	uint32_t map_entries; /* capacity of the flow map */
	uint32_t uid_budget;  /* flow entries per uid; >= map_entries: none */
	int hooks;            /* enum hook_tier: the tier asked for, or auto */
	uint32_t cmdline_bytes; /* of each command line kept at exec (0: none) */
	bool dns_answers;       /* hand DNS answers to user space (probe_dns_fd) */
};

/*
 * Load and attach; on failure a negative errno and why in err:
 * -EOPNOTSUPP when the tier asked for is not on this kernel.
 */
int probe_start(struct probe **out, const struct probe_options *o, GError **err);
/* Detach every program (the maps stay readable) */
void probe_detach(struct probe *p);
void probe_destroy(struct probe *p);

int probe_flows_fd(const struct probe *p);
int probe_exits_fd(const struct probe *p);
int probe_procs_fd(const struct probe *p); /* struct proc_key -> struct proc_info */
int probe_cgroups_fd(const struct probe *p);
int probe_dns_fd(const struct probe *p); /* ring buffer of struct dns_event */
struct ebpflow_filter;
/* Put a filter in force in the kernel (at start and on SIGHUP). */
int probe_set_filter(struct probe *p, const struct ebpflow_filter *f);
struct uids;
/* The kernel's counters of every uid (struct uid_usage) into u. */
int probe_read_uids(const struct probe *p, struct uids *u);
/* Tell the kernel how many of uid's entries are gone (its budget's other half). */
int probe_release_uid(const struct probe *p, uint32_t uid, uint64_t released);
/*
 * Move the calls the kernel holds in its per-CPU flow cache (bpf/fcache.bpf.h)
 * into the flow map: before every read of the map, and after a new filter.
 * Returns the CPUs whose slots could not be moved yet (they will be at the
 * next call; nothing is lost), or -errno.
 */
int probe_flush(const struct probe *p);
/* Sum of the kernel's per-CPU counters, indexed by enum ebpflow_stat */
int probe_read_stats(const struct probe *p, uint64_t out[EBPFLOW_STAT__MAX]);

#endif
