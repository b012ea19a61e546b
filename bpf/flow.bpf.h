/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every program of eBPFlow shares: the aggregation map, the statistics,
 * the load-time knobs, and the code that turns one socket call into a count on
 * its flow (what the socket says of the flow: sock.bpf.h; the names of the
 * maker's cgroup, noted when a flow is made: cgroup.bpf.h). The maps and
 * knobs are weak so that each attach domain's object can declare them and
 * `bpftool gen object` links them into one.
 *
 * Kernel differences go through CO-RE, never through the vmlinux.h this is
 * built against: flavoured types (`x___old`) for renamed fields, and
 * bpf_core_*_exists() tests that the loader resolves against the running
 * kernel, so that a branch a kernel cannot take is removed before the
 * verifier sees it.
 *
 * Objects whose programs get raw pointers (kprobes, cgroup hooks) define
 * EBPFLOW_PROBE_READ before including this file: their socket reads go
 * through bpf_probe_read_kernel. Tracing programs (fentry, tp_btf) get BTF
 * pointers and load fields directly, which costs a fraction of a helper call.
 */
#ifndef EBPFLOW_FLOW_BPF_H
#define EBPFLOW_FLOW_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "ebpflow.h"
#include "cgroup.bpf.h"
#include "sock.bpf.h"

#define EEXIST 17
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define SOCK_DGRAM 2

/* Load-time knobs, set through skel->rodata before load. */
const volatile __u32 ebpflow_self_tgid __weak = 0; /* never count ourselves */
const volatile __u32 ebpflow_tier __weak = 0;      /* enum ebpflow_tier */
/* flow entries a uid may hold before its new flows are folded (0: no budget) */
const volatile __u64 ebpflow_uid_budget __weak = 0;

/* max_entries is set by the exporter before load (--map-size). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flows SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EBPFLOW_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps") __weak;

/* The budget of flow entries per uid (ebpflow.h struct uid_usage). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EBPFLOW_UID_MAX);
	__type(key, __u32);
	__type(value, struct uid_usage);
} uid_usage SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EBPFLOW_UID_MAX);
	__type(key, __u32);
	__type(value, __u64);
} uid_released SEC(".maps") __weak;

/* The filter (ebpflow.h): one entry of settings, and the sets it names. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct filter_cfg);
} filter_cfg SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EBPFLOW_FILTER_MAX_ITEMS);
	__type(key, __u32);
	__type(value, __u8);
} filter_pids SEC(".maps") __weak, filter_uids SEC(".maps") __weak,
	filter_ports SEC(".maps") __weak;

/* A helper that older kernels lack, named so that any vmlinux.h compiles. */
enum bpf_func_id___ebpflow {
	BPF_FUNC_get_current_task_btf___ebpflow = 158,
};

static __always_inline void stat_add(enum ebpflow_stat which, __u64 n)
{
	__u32 idx = which;
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	/* per-CPU, but the task may be preempted mid-update: add atomically */
	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void stat_inc(enum ebpflow_stat which)
{
	stat_add(which, 1);
}

/* true when the current process is one eBPFlow must not count */
static __always_inline bool ignore_current(__u32 tgid)
{
	return tgid == ebpflow_self_tgid;
}

/*
 * Start of the current thread group. Where the kernel has
 * bpf_get_current_task_btf (5.11), tracing programs read the task directly
 * (a load, not a helper call: this runs on every event); so do kprobes,
 * which may call it too (EBPFLOW_TASK_BTF), though their other pointers are
 * raw.
 */
static __always_inline __u64 current_start_ns_probe(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, group_leader, start_time);
}

static __always_inline __u64 current_start_ns(void)
{
#if !defined(EBPFLOW_PROBE_READ) || defined(EBPFLOW_TASK_BTF)
	if (bpf_core_enum_value_exists(enum bpf_func_id___ebpflow,
				       BPF_FUNC_get_current_task_btf___ebpflow)) {
		struct task_struct *task = bpf_get_current_task_btf();

		return task->group_leader->start_time;
	}
#endif
	return current_start_ns_probe();
}


/* true when the configured filter leaves the current task's call on k out */
static __always_inline bool filtered_out(const struct flow_key *k)
{
	__u32 zero = 0, v;
	struct filter_cfg *f = bpf_map_lookup_elem(&filter_cfg, &zero);

	if (!f || !f->flags)
		return false;
	if ((f->flags & EBPFLOW_FILTER_PROTOCOLS) &&
	    !(f->protocols & (k->proto == IPPROTO_TCP ? 1u : 2u)))
		return true;
	if ((f->flags & EBPFLOW_FILTER_DIRECTIONS) &&
	    !(f->directions & (k->direction == EBPFLOW_DIR_OUTBOUND ? 1u : 2u)))
		return true;
	v = k->pid;
	if ((f->flags & EBPFLOW_FILTER_PIDS) && !bpf_map_lookup_elem(&filter_pids, &v))
		return true;
	v = (__u32)bpf_get_current_uid_gid();
	if ((f->flags & EBPFLOW_FILTER_UIDS) && !bpf_map_lookup_elem(&filter_uids, &v))
		return true;
	v = k->port;
	if ((f->flags & EBPFLOW_FILTER_PORTS) && !bpf_map_lookup_elem(&filter_ports, &v))
		return true;
	return false;
}

/*
 * comm is the process's name, the group leader's (what ps shows for the
 * pid), not the calling thread's: a program that names its threads (BIND's
 * isc-net-0000, a browser's Socket Thread) is still itself. Read only when a
 * flow is made or a CPU's first event of it, never per call.
 */
static __always_inline void ident_current(struct flow_ident *id)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	id->cgroup_id = bpf_get_current_cgroup_id();
	id->uid = (__u32)bpf_get_current_uid_gid();
	id->netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	if (BPF_CORE_READ_STR_INTO(&id->comm, task, group_leader, comm) < 0)
		bpf_get_current_comm(id->comm, sizeof(id->comm));
}

static __always_inline void ident_set(struct flow_value *v, const struct flow_ident *id)
{
	v->cgroup_id = id->cgroup_id;
	v->uid = id->uid;
	v->netns = id->netns;
	__builtin_memcpy(v->comm, id->comm, sizeof(v->comm));
}

/* ... and back: the maker a CPU's slot of a flow holds */
static __always_inline void ident_get(struct flow_ident *id, const struct flow_value *v)
{
	id->cgroup_id = v->cgroup_id;
	id->uid = v->uid;
	id->netns = v->netns;
	__builtin_memcpy(id->comm, v->comm, sizeof(id->comm));
}

/* Has this CPU's slot of a flow its maker? All zeros until its first event here. */
static __always_inline bool ident_known(const struct flow_value *v)
{
	return v->uid || v->cgroup_id || v->comm[0];
}

/* The counters of uid, made on its first flow; NULL when EBPFLOW_UID_MAX uids are followed. */
static __always_inline struct uid_usage *uid_usage_of(__u32 uid)
{
	static const struct uid_usage zero;
	struct uid_usage *u = bpf_map_lookup_elem(&uid_usage, &uid);

	if (u)
		return u;
	bpf_map_update_elem(&uid_usage, &uid, &zero, BPF_NOEXIST); /* EEXIST: another CPU's */
	return bpf_map_lookup_elem(&uid_usage, &uid);
}

/*
 * Does uid hold its budget of entries? Asked only when it would make a new
 * one, so a flood of new flows by one user folds into its overflow flows and
 * cannot evict the flows of others. A uid that cannot be followed is folded:
 * a budget that a full map of uids would lift is none.
 */
static __always_inline bool over_budget(const struct uid_usage *u, __u32 uid)
{
	__u64 *released;

	if (!ebpflow_uid_budget || uid == 0)
		return false;
	if (!u)
		return true;
	released = bpf_map_lookup_elem(&uid_released, &uid);
	if (released && *released >= u->created)
		return false;
	return u->created - (released ? *released : 0) >= ebpflow_uid_budget;
}

/*
 * Make k's entry with the identity id unless another CPU just did (the loser
 * of the BPF_NOEXIST insert looks the key up again); this CPU's slot, or
 * NULL when the map refused it. The names of id's cgroup are read from the
 * current task's, unless the current task is not the maker (!current).
 */
static __always_inline struct flow_value *flow_make(const struct flow_key *k,
						    const struct flow_ident *id,
						    struct uid_usage *u, bool current)
{
	struct flow_value init = {};
	struct flow_value *v;
	long err;

	ident_set(&init, id);
	err = bpf_map_update_elem(&flows, k, &init, BPF_NOEXIST);
	/*
	 * Refused or not, look: Debian 11's 5.10 refused one of two threads
	 * making one flow at the same instant (test_tcphealth's two connects,
	 * 2 runs in about 120, neither ENOMEM nor EBUSY; cause not found), and
	 * the other's entry is there. Only a refused flow that is still missing
	 * is tried once more, then counted by the caller.
	 */
	if (err && err != -EEXIST) {
		v = bpf_map_lookup_elem(&flows, k);
		if (v)
			return v;
		err = bpf_map_update_elem(&flows, k, &init, BPF_NOEXIST);
		if (err && err != -EEXIST)
			return NULL;
	}
	if (!err) {
		stat_inc(EBPFLOW_STAT_FLOW_CREATED);
		if (u)
			__sync_fetch_and_add(&u->created, 1);
		if (current)
			note_cgroup(id->cgroup_id);
	}
	return bpf_map_lookup_elem(&flows, k);
}

/* Where a flow that is not made goes: what flow_slot did, for the caller to count. */
struct flow_slot_info {
	struct uid_usage *usage; /* the maker's counters, when a new flow was asked for */
	bool folded;             /* into the maker's overflow flow */
	bool not_current;        /* in: the maker is not the current task (a flush) */
};

/*
 * This CPU's slot of k's flow, made with the identity id (NULL: the current
 * task's, read only then: it costs three helper calls) when the flow is new,
 * or the slot of the maker's overflow flow when that uid holds its budget.
 * A slot never used on this CPU is all zeros and gets the identity here.
 * NULL when the map refused the flow.
 */
static __always_inline struct flow_value *flow_slot(const struct flow_key *k,
						    const struct flow_ident *id,
						    struct flow_slot_info *info)
{
	struct flow_value *v = bpf_map_lookup_elem(&flows, k);
	struct flow_ident cur;

	if (v && ident_known(v))
		return v;
	if (!id) {
		ident_current(&cur);
		id = &cur;
	}
	if (!v) {
		struct uid_usage *u = uid_usage_of(id->uid);

		info->usage = u;
		if (over_budget(u, id->uid)) {
			struct flow_key fold = {
				.direction = k->direction,
				.ip_version = k->ip_version,
				.proto = k->proto,
				.flags = EBPFLOW_KEY_OVERFLOW,
				.uid = id->uid,
			};

			info->folded = true;
			v = bpf_map_lookup_elem(&flows, &fold);
			if (!v)
				v = flow_make(&fold, id, u, !info->not_current);
		} else {
			v = flow_make(k, id, u, !info->not_current);
		}
		if (!v)
			return NULL;
	}
	if (!ident_known(v))
		ident_set(v, id); /* first event of this flow on this CPU */
	return v;
}

/* A call counted by flow_count: where, and when. */
struct flow_counted {
	struct flow_value *v; /* this CPU's slot of its flow */
	bool folded;          /* the slot is its maker's overflow flow's */
	__u64 now;            /* bpf_ktime_get_ns() of the call */
};

/*
 * Count one call of the current task on its flow. Each CPU owns its slot of
 * the per-CPU value, and adds atomically because a tracing program can be
 * preempted on preemptible kernels (and a close can add from softirq).
 * Returns whether the call was counted (not filtered out, not refused), and
 * where in *got.
 */
static __always_inline bool flow_count(struct flow_key *k, __u64 bytes, struct flow_counted *got)
{
	struct flow_slot_info info = {};
	struct flow_value *v;
	__u64 now;

	if (filtered_out(k)) {
		stat_inc(EBPFLOW_STAT_FILTERED);
		return false;
	}
	v = flow_slot(k, NULL, &info);
	if (!v) {
		stat_inc(EBPFLOW_STAT_UPDATE_FAILED);
		if (info.usage)
			__sync_fetch_and_add(&info.usage->refused, 1);
		return false;
	}
	if (info.folded) {
		stat_inc(EBPFLOW_STAT_FOLDED);
		if (info.usage)
			__sync_fetch_and_add(&info.usage->folded, 1);
	}
	now = bpf_ktime_get_ns();
	if (!v->first_ns)
		v->first_ns = now;
	__sync_fetch_and_add(&v->count, 1);
	if (bytes)
		__sync_fetch_and_add(&v->bytes, bytes);
	if (now > v->last_ns)
		v->last_ns = now;
	got->v = v;
	got->folded = info.folded;
	got->now = now;
	return true;
}

static __always_inline bool flow_account(struct flow_key *k, __u64 bytes)
{
	struct flow_counted got;

	return flow_count(k, bytes, &got);
}

/*
 * The identity of the task a call was just counted for: its flow's slot has
 * it (the slot's maker is this process), which saves ident_current's helper
 * calls; an overflow flow's slot holds another process's.
 */
static __always_inline void ident_of_counted(const struct flow_counted *got, struct flow_ident *id)
{
	if (got->folded) {
		ident_current(id);
		return;
	}
	ident_get(id, got->v);
}

/* The current task's key part: its pid and start time. */
static __always_inline void key_set_current(struct flow_key *k, __u32 tgid)
{
	k->pid = tgid;
	k->start_ns = current_start_ns();
}

#endif /* EBPFLOW_FLOW_BPF_H */
