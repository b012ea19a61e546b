/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every program of eBPFlow shares: the aggregation map, the statistics,
 * the load-time knobs, and the code that turns one socket call into a count on
 * its flow. The maps and knobs are weak so that each attach domain's object can
 * declare them and `bpftool gen object` links them into one.
 */
#ifndef EBPFLOW_FLOW_BPF_H
#define EBPFLOW_FLOW_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "ebpflow.h"

#define AF_INET 2
#define AF_INET6 10
#define EEXIST 17

/* Load-time knobs, set through skel->rodata before load. */
const volatile __u32 ebpflow_self_tgid __weak = 0; /* never count ourselves */

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

/* cgroup id -> names, for the exporter's container resolution */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct cgroup_names);
} cgroups SEC(".maps") __weak;

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

/* Kernels before 6.15 call the parent pointer `parent`. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline void stat_inc(enum ebpflow_stat which)
{
	__u32 idx = which;
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	/* per-CPU, but the task may be preempted mid-update: add atomically */
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* true when the current process is one eBPFlow must not count */
static __always_inline bool ignore_current(__u32 tgid)
{
	return tgid == ebpflow_self_tgid;
}

/*
 * Start of the current thread group. Tracing programs get the task as a
 * trusted BTF pointer and read it directly (a load, not a helper call: this
 * runs on every event); other program types go through probe reads.
 */
static __always_inline __u64 current_start_ns(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->group_leader->start_time;
}

static __always_inline __u64 current_start_ns_probe(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, group_leader, start_time);
}

static __always_inline bool v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

static __always_inline bool v6_unspecified(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return (w[0] | w[1] | w[2] | w[3]) == 0;
}

/*
 * Dual-stack sockets talk IPv4 through IPv4-mapped IPv6 addresses: report
 * those as IPv4, as the user would (a wildcard local side maps to 0.0.0.0).
 */
static __always_inline void key_normalize_v6(struct flow_key *k)
{
	__u8 *remote = k->direction == EBPFLOW_DIR_OUTBOUND ? k->daddr : k->saddr;
	__u8 *local = k->direction == EBPFLOW_DIR_OUTBOUND ? k->saddr : k->daddr;

	if (k->ip_version != 6 || !v4_mapped(remote))
		return;
	if (!v4_mapped(local) && !v6_unspecified(local))
		return;
	k->ip_version = 4;
	__builtin_memcpy(remote, remote + 12, 4);
	__builtin_memset(remote + 4, 0, 12);
	__builtin_memcpy(local, local + 12, 4);
	__builtin_memset(local + 4, 0, 12);
}

/*
 * Fill the address part of a key from a socket's own fields (local and peer
 * address, local and peer port) and the direction already set in k.
 * Returns false for families other than IPv4/IPv6. sk is a BTF pointer
 * (tracing programs): its fields are read directly.
 */
static __always_inline bool key_from_sock(struct flow_key *k, const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;
	__u8 *remote = k->direction == EBPFLOW_DIR_OUTBOUND ? k->daddr : k->saddr;
	__u8 *local = k->direction == EBPFLOW_DIR_OUTBOUND ? k->saddr : k->daddr;

	if (family == AF_INET) {
		k->ip_version = 4;
		*(__u32 *)local = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)remote = sk->__sk_common.skc_daddr;
	} else if (family == AF_INET6) {
		k->ip_version = 6;
		__builtin_memcpy(local, &sk->__sk_common.skc_v6_rcv_saddr, EBPFLOW_ADDR_LEN);
		__builtin_memcpy(remote, &sk->__sk_common.skc_v6_daddr, EBPFLOW_ADDR_LEN);
	} else {
		return false;
	}
	if (k->direction == EBPFLOW_DIR_OUTBOUND)
		k->port = bpf_ntohs(sk->__sk_common.skc_dport);
	else
		k->port = sk->__sk_common.skc_num;
	return true;
}

/*
 * Note the names of the current cgroup, once per cgroup (on the path that
 * makes a new flow, never per event). Probe reads: this also runs in
 * cgroup programs.
 */
static __always_inline void note_cgroup(__u64 cgid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct kernfs_node *kn, *parent;
	struct cgroup_names *n;
	static const struct cgroup_names zero;

	if (bpf_map_lookup_elem(&cgroups, &cgid))
		return;
	if (bpf_map_update_elem(&cgroups, &cgid, &zero, BPF_NOEXIST))
		return;
	n = bpf_map_lookup_elem(&cgroups, &cgid);
	if (!n)
		return;
	kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	if (bpf_core_field_exists(kn->__parent))
		parent = BPF_CORE_READ(kn, __parent);
	else
		parent = BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
	bpf_probe_read_kernel_str(n->leaf, sizeof(n->leaf), BPF_CORE_READ(kn, name));
	if (parent)
		bpf_probe_read_kernel_str(n->parent, sizeof(n->parent), BPF_CORE_READ(parent, name));
}

/* true when the configured filter leaves this call out */
static __always_inline bool filtered_out(const struct flow_key *k)
{
	__u32 zero = 0, v;
	struct filter_cfg *f = bpf_map_lookup_elem(&filter_cfg, &zero);

	if (!f || !f->flags)
		return false;
	if ((f->flags & EBPFLOW_FILTER_PROTOCOLS) &&
	    !(f->protocols & (k->proto == 6 ? 1u : 2u)))
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
 * Count one call on its flow. Two CPUs may create the same key at once: the
 * loser of the BPF_NOEXIST insert looks the key up again and adds. Each CPU
 * owns its slot of the per-CPU value, and adds atomically because a tracing
 * program can be preempted on preemptible kernels.
 */
static __always_inline void flow_account(struct flow_key *k, __u64 bytes)
{
	__u64 now;
	struct flow_value *v;
	long err;

	if (filtered_out(k)) {
		stat_inc(EBPFLOW_STAT_FILTERED);
		return;
	}
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&flows, k);
	if (!v) {
		struct flow_value init = {};

		init.count = 1;
		init.bytes = bytes;
		init.first_ns = now;
		init.last_ns = now;
		init.cgroup_id = bpf_get_current_cgroup_id();
		init.uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(init.comm, sizeof(init.comm));
		err = bpf_map_update_elem(&flows, k, &init, BPF_NOEXIST);
		if (!err) {
			stat_inc(EBPFLOW_STAT_FLOW_CREATED);
			note_cgroup(init.cgroup_id);
			return;
		}
		v = err == -EEXIST ? bpf_map_lookup_elem(&flows, k) : NULL;
		if (!v) {
			stat_inc(EBPFLOW_STAT_UPDATE_FAILED);
			return;
		}
	}
	if (!v->first_ns) {
		/* first call of this flow on this CPU: its slot is still zero */
		v->first_ns = now;
		v->cgroup_id = bpf_get_current_cgroup_id();
		v->uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(v->comm, sizeof(v->comm));
	}
	__sync_fetch_and_add(&v->count, 1);
	if (bytes)
		__sync_fetch_and_add(&v->bytes, bytes);
	if (now > v->last_ns)
		v->last_ns = now;
}

/*
 * Count one call of the current process on a TCP socket whose own fields
 * (addresses, ports) make the key: a connect (outbound) or an accept
 * (inbound). sk is a BTF pointer (tracing programs).
 */
static __always_inline void account_tcp_call(const struct sock *sk, __u8 direction,
					     enum ebpflow_stat stat)
{
	struct flow_key k = {};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (ignore_current(tgid))
		return;
	k.direction = direction;
	k.proto = 6; /* IPPROTO_TCP */
	if (!key_from_sock(&k, sk))
		return;
	key_normalize_v6(&k);
	k.pid = tgid;
	k.start_ns = current_start_ns();
	stat_inc(stat);
	flow_account(&k, 0);
}

#endif /* EBPFLOW_FLOW_BPF_H */
