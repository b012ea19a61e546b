/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the running kernel offers eBPFlow, found by trying (attach tests,
 * BTF look-ups, loading a probe program), never by its version; and the tier
 * of hooks chosen from it (docs/ARCHITECTURE.md has each tier's hooks).
 */
#ifndef EBPFLOW_TIERS_H
#define EBPFLOW_TIERS_H

#include <glib.h>
#include <linux/types.h>
#include <stdbool.h>

#include "ebpflow.h"
#include "options.h"

struct kernel_features {
	bool btf;                /* /sys/kernel/btf/vmlinux */
	bool fentry;             /* a fentry program loads and attaches */
	bool kprobe;             /* a kprobe attaches */
	bool sk_storage_tracing; /* tracing programs may use socket storage (5.11) */
	bool hash_any_context;   /* kprobes may use hash maps that allocate (6.1: bpf_mem_alloc) */
	bool tp_state;           /* sock:inet_sock_set_state */
	bool tp_io;              /* sock:sock_send_length and sock_recv_length (6.3) */
	bool tp_exit;            /* sched:sched_process_exit */
	bool cgroup2;            /* a cgroup v2 hierarchy to attach socket hooks to */
	int accept_args;         /* inet_csk_accept's arguments (4; 2 since 6.10); 0: absent */
	const char *missing_fn;  /* a function the fentry and kprobe tiers hook that BTF lacks */
	char fentry_why[160];    /* why fentry is not available */
	char kprobe_why[160];    /* why kprobes are not available */
	char release[65];        /* uname -r */
};

/* What the tier chosen counts on this kernel. */
struct tier_plan {
	enum ebpflow_tier tier;
	bool udp;               /* UDP sends and receives are counted */
	bool accept_first_use;  /* accepts at the first use of the socket, not at accept() */
	bool accept_close_only; /* ... and only at its close (no send/receive tracepoints) */
	bool recv_peer_always;  /* recv() without an address names the peer too */
	bool exits;             /* flows end with their process */
	bool conn_sk_storage;   /* connections the full hash cannot follow go to socket storage */
	bool conn_prealloc;     /* the connections hash allocated at load (kprobes before 6.1) */
	int accept_args;
};

/* Probe the running kernel (needs the privileges of loading programs). */
void features_probe(struct kernel_features *f);

/*
 * The tier to run: `want` when forced (an error naming what is missing when
 * this kernel lacks it), else the best one this kernel offers. FALSE with err
 * when nothing can run.
 */
gboolean tier_choose(const struct kernel_features *f, enum hook_tier want, struct tier_plan *p,
		     GError **err);

/* Say which tier runs, what it counts and what it does not (and why). */
void tier_log(const struct kernel_features *f, const struct tier_plan *p);

const char *tier_name(enum ebpflow_tier t);

/* The cgroup v2 root (for the socket hooks), or -1. */
int cgroup2_root_open(void);

#endif
