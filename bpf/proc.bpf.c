// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The life of processes. Exits: the one moment the kernel says a flow has
 * really ended (its process can make no more calls). The last thread of a
 * process leaves its pid and start time in `exits`; the exporter reports that
 * process's flows as ended (flowEndReason 3) and removes the notice.
 * Execs and forks: who a process is (struct proc_info, ebpflow.h), noted in
 * `procs` when it begins, since a process that connects and exits between two
 * readings cannot be asked later. These run once per exec or fork, never per
 * socket call.
 */
#include "flow.bpf.h"

/* [flows] cmdline_bytes: how much of a command line is kept (0: none) */
const volatile __u32 ebpflow_cmdline_bytes = 256;

#define PF_KTHREAD 0x00200000

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

/* LRU: when full the least recently noted process is forgotten (the exporter then asks /proc) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EBPFLOW_PROCS_MAX);
	__type(key, struct proc_key);
	__type(value, struct proc_info);
} procs SEC(".maps");

/*
 * An entry is built here, then copied into the map whole, so that a reader
 * never sees it half made; the path is built backwards from its end in path.
 */
struct proc_scratch {
	struct proc_info v;
	char path[2 * EBPFLOW_EXE_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct proc_scratch);
} proc_scratch SEC(".maps");

#define EXE_MASK (EBPFLOW_EXE_LEN - 1)

/*
 * The full path of the executable, as /proc/PID/exe gives it: a walk up the
 * dentries of the mapped file, crossing mount points, to the process's root
 * (a chroot's or a container's root, as the process sees it), else the root
 * of its mount namespace. There is no bpf_d_path in tracepoints, and the name exec
 * was given (bprm->filename) may be relative or a symbolic link. Each name is
 * put before the previous one, ending at path[EBPFLOW_EXE_LEN]; offsets are
 * masked so that the verifier sees every access inside path. A file deleted
 * after exec keeps its names: its path is the one it had.
 */
static __always_inline void exe_path(struct file *file, const struct path *top,
				     struct proc_scratch *s)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
	unsigned long moff = bpf_core_field_offset(struct mount, mnt);
	struct mount *m = (struct mount *)((unsigned long)vm - moff);
	__u32 pos = EBPFLOW_EXE_LEN, i;
	bool done = false;

	s->path[EBPFLOW_EXE_LEN] = '\0';
#pragma nounroll
	for (i = 0; i < EBPFLOW_EXE_DEPTH; i++) {
		struct dentry *root = BPF_CORE_READ(vm, mnt_root);
		struct dentry *up = BPF_CORE_READ(d, d_parent);
		const unsigned char *name;
		__u32 len, off;

		if (d == top->dentry && vm == top->mnt) {
			done = true;
			break;
		}
		if (d == root || d == up) {
			struct mount *mp = BPF_CORE_READ(m, mnt_parent);

			/* the root of the namespace, or of a file system mounted nowhere */
			if (d != root || mp == m || !mp) {
				done = true;
				break;
			}
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mp;
			vm = (struct vfsmount *)((unsigned long)m + moff);
			continue;
		}
		len = BPF_CORE_READ(d, d_name.len);
		name = BPF_CORE_READ(d, d_name.name);
		if (!len || len >= pos)
			break;
		off = pos - len;
		bpf_probe_read_kernel(s->path + (off & EXE_MASK), len & EXE_MASK, name);
		pos = off - 1;
		s->path[pos & EXE_MASK] = '/';
		d = up;
	}
	if (!done || pos == EBPFLOW_EXE_LEN) {
		s->v.exe[0] = '\0';
		s->v.flags |= done ? 0 : EBPFLOW_PROC_EXE_CUT;
		return;
	}
	bpf_probe_read_kernel(s->v.exe, sizeof(s->v.exe), s->path + (pos & EXE_MASK));
}

/*
 * Note who the process of task is, from the memory and root of the current
 * task: at an exec they are one; at a fork the child's memory is a copy of
 * the current (parent's) one, arguments included, and so is its root.
 */
static __always_inline void note_proc(struct task_struct *task, __u32 flags)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(cur, mm);
	struct proc_scratch *s;
	struct proc_key k = {};
	struct path top;
	unsigned long start, end;
	__u64 total;
	__u32 zero = 0, n;

	if (!mm || (BPF_CORE_READ(task, flags) & PF_KTHREAD))
		return;
	s = bpf_map_lookup_elem(&proc_scratch, &zero);
	if (!s)
		return;
	k.pid = BPF_CORE_READ(task, tgid);
	if (ignore_current(k.pid))
		return;
	k.start_ns = BPF_CORE_READ(task, group_leader, start_time);
	s->v.seen_ns = bpf_ktime_get_ns();
	s->v.flags = flags;
	s->v.ppid = BPF_CORE_READ(task, real_parent, tgid);
	if (BPF_CORE_READ_STR_INTO(&s->v.parent, task, real_parent, group_leader, comm) < 0)
		s->v.parent[0] = '\0';
	top.dentry = BPF_CORE_READ(cur, fs, root.dentry);
	top.mnt = BPF_CORE_READ(cur, fs, root.mnt);
	exe_path(BPF_CORE_READ(mm, exe_file), &top, s);
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	total = end > start ? end - start : 0;
	n = total < ebpflow_cmdline_bytes ? total : ebpflow_cmdline_bytes;
	if (n > EBPFLOW_CMDLINE_MAX)
		n = EBPFLOW_CMDLINE_MAX;
	/* none kept is no cut: it is what was asked */
	if (total > n && ebpflow_cmdline_bytes)
		s->v.flags |= EBPFLOW_PROC_CMDLINE_CUT;
	s->v.cmdline_len = 0;
	if (n && bpf_probe_read_user(s->v.cmdline, n, (void *)start) == 0)
		s->v.cmdline_len = n;
	bpf_map_update_elem(&procs, &k, &s->v, BPF_ANY);
}

/* After the new program is in place: mm is the new one, comm its name. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	note_proc(task, 0);
	return 0;
}

/* A new process that may never exec (a preforked worker): its parent's program. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	/* a new thread is no new process */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	note_proc(child, EBPFLOW_PROC_FORKED);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
