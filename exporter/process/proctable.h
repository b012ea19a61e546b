/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who made a flow, exactly (issue 19): the executable, command line and
 * parent of the process (pid and start time) of each record. Answered from
 * what the kernel noted at the process's exec or fork (map `procs`,
 * bpf/proc.bpf.c), else from what /proc said of the processes running when
 * eBPFlow started, else from /proc now (the process alive, the same start
 * time), else nothing; each answer is counted by where it came from.
 *
 * A cache keyed by struct proc_key keeps the answers in words: a live
 * process's entry is checked against the kernel's once per pass (an exec
 * keeps the pid and start time and changes the rest); an exited process's
 * entry is taken out of the kernel's map when its exit notice is handled
 * (so that the map holds live processes) and kept until its last records
 * went out. Bounded: PROCTABLE_MAX entries.
 */
#ifndef EBPFLOW_PROCTABLE_H
#define EBPFLOW_PROCTABLE_H

#include <glib.h>
#include <stdint.h>

#include "flow.h"
#include "procfs.h"

#define PROCTABLE_MAX 16384

struct proctable_stats {
	uint64_t kernel;  /* records named from the kernel's notes */
	uint64_t procfs;  /* records named from /proc (at start, or now) */
	uint64_t unknown; /* records of a process nobody could name */
	uint64_t full;    /* answers not cached: the cache was full */
};

struct proctable;

/* root: where /proc is (tests make one up); cmdline_bytes as [flows] cmdline_bytes. */
struct proctable *proctable_new(const char *root, uint32_t cmdline_bytes);
void proctable_free(struct proctable *pt);
/* The kernel's map (struct proc_key -> struct proc_info); -1: none. */
void proctable_set_fd(struct proctable *pt, int procs_fd);
/*
 * Read every process of /proc once: those that began before eBPFlow.
 * Before privileges are dropped: another user's executable needs them.
 */
unsigned int proctable_scan(struct proctable *pt);
/* A reading of the kernel begins: forget what is done with. */
void proctable_begin_pass(struct proctable *pt, uint64_t now_ns);
/* These processes (a set of struct proc_key) exited: keep what is known of them. */
void proctable_exited(struct proctable *pt, GHashTable *procs);
/* Fill rec's exe, cmdline, cmdline_cut, ppid and parent (borrowed until the next call). */
void proctable_fill(struct proctable *pt, struct flow_record *rec);
unsigned int proctable_size(const struct proctable *pt);
const struct proctable_stats *proctable_stats(const struct proctable *pt);

#endif
