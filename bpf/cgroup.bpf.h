/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The names of a flow's cgroup, noted in the kernel when the flow is made
 * (exporter/containers/ and exporter/cgroup.c turn them into a container or a
 * unit).
 */
#ifndef EBPFLOW_CGROUP_BPF_H
#define EBPFLOW_CGROUP_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "ebpflow.h"

/* cgroup id -> names, for the exporter's container resolution */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct cgroup_names);
} cgroups SEC(".maps") __weak;

/* Linux 6.15 renamed kernfs_node's parent pointer. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct kernfs_node___new {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

/*
 * A function of its own: inlined into a loop, clang moved the flavour test
 * out of it and the verifier met the relocation of the absent flavour.
 */
static __noinline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___new, __parent))
		return BPF_CORE_READ((struct kernfs_node___new *)kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/*
 * Note the path of the current cgroup from the root (struct cgroup_names),
 * once per cgroup (on the path that makes a new flow, never per event).
 * Here, not from the cgroup id in user space: by the time the exporter looks
 * the cgroup may be gone (a container that exited). Two walks up the kernfs
 * parents: one for the depth, one that takes the names of the top levels
 * (the leaf is at the bottom, the names wanted at the top). Loops with a
 * constant bound, which verifiers accept since 5.3 (5.10 included), kept
 * rolled: unrolled, clang gave each copy's reads their own stack slots, past
 * the 512 bytes. Probe reads: this also runs in kprobes.
 */
static __always_inline void note_cgroup(__u64 cgid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct kernfs_node *leaf, *kn;
	struct cgroup_names *n;
	static const struct cgroup_names zero;
	__u32 depth = EBPFLOW_CGROUP_TOO_DEEP;

	if (bpf_map_lookup_elem(&cgroups, &cgid))
		return;
	if (bpf_map_update_elem(&cgroups, &cgid, &zero, BPF_NOEXIST))
		return;
	n = bpf_map_lookup_elem(&cgroups, &cgid);
	if (!n)
		return;
	leaf = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	kn = leaf;
#pragma nounroll
	for (__u32 i = 0; i <= EBPFLOW_CGROUP_WALK_MAX; i++) {
		/* the root's node has no parent and is not a level */
		if (!kn || !(kn = kn_parent(kn))) {
			depth = i;
			break;
		}
	}
	n->depth = depth;
	if (depth == EBPFLOW_CGROUP_TOO_DEEP || !leaf)
		return;
	/* level (depth - 1 - i) is i steps up from the leaf; level 0 is the root's child */
	kn = leaf;
#pragma nounroll
	for (__u32 i = 0; i < EBPFLOW_CGROUP_WALK_MAX; i++) {
		__u32 level = depth - 1 - i;
		long r;

		if (i >= depth || !kn)
			break;
		if (level < EBPFLOW_CGROUP_LEVELS) {
			r = bpf_probe_read_kernel_str(n->name[level], EBPFLOW_CGROUP_NAME_LEN,
						      BPF_CORE_READ(kn, name));
			if (r < 0 || r == EBPFLOW_CGROUP_NAME_LEN)
				n->cut |= 1u << level;
		}
		kn = kn_parent(kn);
	}
}

#endif /* EBPFLOW_CGROUP_BPF_H */
