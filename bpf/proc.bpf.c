// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process exits: the one moment the kernel says a flow has really ended
 * (its process can make no more calls). The last thread of a process leaves
 * its pid and start time in `exits`; the exporter reports that process's
 * flows as ended (flowEndReason 3) and removes the notice.
 */
#include "flow.bpf.h"

/* LRU: if the exporter falls behind, old notices go and their flows age out */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct proc_key);
	__type(value, __u64); /* bpf_ktime_get_ns() of the exit */
} exits SEC(".maps");

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *task)
{
	struct proc_key k = {};
	__u64 now;

	/* other threads still run: the process goes on */
	if (task->signal->live.counter != 0)
		return 0;
	k.pid = task->tgid;
	if (ignore_current(k.pid))
		return 0;
	k.start_ns = task->group_leader->start_time;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&exits, &k, &now, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
