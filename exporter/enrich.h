/* SPDX-License-Identifier: GPL-2.0-only */
/* Who made a flow, in words: user names (cached) and containers (containers.c). */
#ifndef EBPFLOW_ENRICH_H
#define EBPFLOW_ENRICH_H

#include <glib.h>

#include "containers.h"
#include "flow.h"

struct enrich;

/* containers may be NULL: no container resolution. Not owned. */
struct enrich *enrich_new(struct containers *containers);
void enrich_free(struct enrich *e);
/* The user name of uid as ps shows it, or the uid in decimal; cached. */
const char *enrich_user(struct enrich *e, uint32_t uid);
/* The container of a cgroup id: name and id ("" when none). */
void enrich_container(struct enrich *e, uint64_t cgroup_id, const char **name, const char **id);
/* False while the container name of cgroup_id is being asked of its runtime. */
bool enrich_ready(struct enrich *e, uint64_t cgroup_id);
/*
 * [filter] containers, the one filter list applied in user space (names are
 * known here, not in the kernel): true when want is empty or names the
 * container of cgroup_id, or the start of its id.
 */
bool enrich_container_wanted(struct enrich *e, const GPtrArray *want, uint64_t cgroup_id);
/* flow_enrich_fn: ctx is the struct enrich */
void enrich_record(struct flow_record *rec, void *ctx);

#endif
