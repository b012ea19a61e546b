/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exporter's memory of every live flow: what the kernel last said about
 * it and how much of that was already reported, so that the records of one
 * flow add up exactly to its calls. Pure logic (no BPF, no clock of its own):
 * the drain feeds readings and the time, the tests feed made-up ones.
 */
#ifndef EBPFLOW_FLOWTABLE_H
#define EBPFLOW_FLOWTABLE_H

#include <glib.h>

#include "flow.h"

struct flowtable;

/* The bounds eBPFlow runs with (measured: docs/PERFORMANCE.md). */
#define FLOWTABLE_MAX_IDLE_PER_PASS 100000
#define FLOWTABLE_MAX_END_PER_PASS 200000

struct flowtable_timeouts {
	uint64_t idle_ns;   /* no call for this long: report (idle) and forget */
	uint64_t active_ns; /* report a live flow's new calls this often (active) */
	/*
	 * Idle flows removed per pass at most (0: no limit). Each removal is a
	 * read-and-delete system call; a bound keeps one pass short when a
	 * million flows go idle at once, and the rest wait for the next pass.
	 */
	unsigned int max_idle_per_pass;
	/* ended flows reported, and removed from the kernel, per pass at most (0: no limit) */
	unsigned int max_end_per_pass;
};

/* An output's entry point: one record, borrowed for the call. */
typedef void (*flow_report_fn)(const struct flow_record *rec, void *ctx);

/*
 * Remove a flow from the kernel map and return its final totals (false when
 * the kernel no longer has it). Used when a flow is forgotten, so that calls
 * made between the last reading and the removal are not lost.
 */
typedef bool (*flow_take_fn)(const struct flow_key *key, struct flow_totals *final, void *ctx);

/*
 * Remove flows from the kernel without reading them: flows of exited
 * processes, one pass after they were reported, when no call can come.
 */
typedef void (*flow_forget_fn)(const struct flow_key *keys, size_t n, void *ctx);

/*
 * flow_ready_fn is false while what a record will carry (its container's
 * name, its user's name) is still being looked up, and the report waits a
 * pass (lookups time out, so not for ever); flow_wanted_fn is false when the
 * user-space filter ([filter] containers) leaves the flow out.
 */
typedef bool (*flow_ready_fn)(uint64_t cgroup_id, uint32_t uid, void *ctx);
typedef bool (*flow_wanted_fn)(uint64_t cgroup_id, void *ctx);

/*
 * A reading of a kernel entry made by uid; first: the entry was never read
 * before (a new flow, or a new entry of a key the kernel evicted).
 */
typedef void (*flow_read_fn)(uint32_t uid, bool first, void *ctx);

/* Fills what a record carries besides counts (user name, container). */
typedef void (*flow_enrich_fn)(struct flow_record *rec, void *ctx);

/* The name of a new flow's peer in the network namespace netns, or NULL. */
typedef const char *(*flow_name_fn)(const struct flow_key *key, uint32_t netns, void *ctx);

struct flowtable_ops {
	flow_report_fn report;
	flow_take_fn take;
	flow_forget_fn forget;
	flow_ready_fn ready;   /* NULL: always ready */
	flow_wanted_fn wanted; /* NULL: every flow */
	flow_enrich_fn enrich;
	flow_read_fn read; /* NULL: nobody asks */
	flow_name_fn name; /* NULL: records carry no peer_name */
	void *ctx;
};

struct flowtable_stats {
	uint64_t records;     /* records reported */
	uint64_t calls;       /* calls reported, summed over records */
	uint64_t filtered;    /* calls left out by flow_wanted_fn (never reported) */
	uint64_t generations; /* a flow the kernel evicted and started again */
	uint64_t entries;     /* kernel entries read (each once, whatever its readings) */
};

struct flowtable *flowtable_new(const struct flowtable_timeouts *t, const struct flowtable_ops *ops);
void flowtable_free(struct flowtable *ft);
void flowtable_set_timeouts(struct flowtable *ft, const struct flowtable_timeouts *t);

/* A new reading of the kernel begins (before its flowtable_update calls). */
void flowtable_begin_pass(struct flowtable *ft);
/* One reading of a flow from the kernel (cumulative totals). */
void flowtable_update(struct flowtable *ft, const struct flow_key *key, const struct flow_totals *t);
/*
 * Ask once more the peer names of this pass's new flows that had none: the
 * caller read the DNS answers again after the flows, so an answer that came
 * in while they were read (before the flow's first call) is in now.
 */
void flowtable_name_new_flows(struct flowtable *ft);
/* Report what is due at time now (flow_expiry in flowtable.c); forget what is done. */
void flowtable_expire(struct flowtable *ft, uint64_t now_ns);
/*
 * Mark every flow of a process in `procs`, a set of struct proc_key (see
 * proc_key_hash), as ended: those processes have exited. flowtable_expire
 * reports them (end of flow), and removes their kernel entries one pass
 * later (flow_forget_fn), after any call still in flight at the exit
 * (sockets close after the exit notice) was read.
 */
void flowtable_end_processes(struct flowtable *ft, GHashTable *procs);
/*
 * Shutdown: report every flow's unreported calls (forced end, or end for the
 * flows of exited processes) and forget them all.
 */
void flowtable_flush(struct flowtable *ft);

unsigned int flowtable_size(const struct flowtable *ft);
/* Calls read from the kernel and not reported yet (live flows). */
uint64_t flowtable_unreported_calls(const struct flowtable *ft);
const struct flowtable_stats *flowtable_stats(const struct flowtable *ft);

/*
 * Visit every flow the table holds: its latest totals (cumulative over its
 * current generation) and how many of its calls no record carried yet.
 */
typedef void (*flowtable_visit_fn)(const struct flow_key *key, const struct flow_totals *t,
				   uint64_t unreported, void *ctx);
void flowtable_foreach(struct flowtable *ft, flowtable_visit_fn fn, void *ctx);

#endif
