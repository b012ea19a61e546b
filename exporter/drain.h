/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading the kernel flow map: every entry, merged across CPUs, fed to the
 * flow table; and the atomic read-and-delete that the flow table uses to
 * forget a flow without losing its last calls.
 */
#ifndef EBPFLOW_DRAIN_H
#define EBPFLOW_DRAIN_H

#include "flowtable.h"

struct drain;

struct drain *drain_new(int map_fd);
void drain_free(struct drain *d);
/* Read the whole map into ft; returns flows read or -errno. */
int drain_pass(struct drain *d, struct flowtable *ft);
/*
 * Move the kernel's process-exit notices into procs (a set of struct
 * proc_key, owned by the set), removing them from the map. Read them before
 * drain_pass: every call of an exited process is then already in the map.
 */
int drain_exits(int exits_fd, GHashTable *procs);
/* flow_forget_fn for the flow table: ctx is the struct drain */
void drain_forget(const struct flow_key *keys, size_t n, void *ctx);
/* flow_take_fn for the flow table: ctx is the struct drain */
bool drain_take(const struct flow_key *key, struct flow_totals *final, void *ctx);

#endif
