// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TCP connect and TCP accept, each attributed to the process that made the
 * call.
 *
 * connect: the CLOSE -> SYN_SENT transition of inet_sock_set_state runs in the
 * connecting task, after the kernel chose the source address. A BTF tracepoint:
 * no tracefs needed, and it fires only on TCP state changes.
 *
 * accept: the passive side's state changes run in softirq, in whatever task the
 * CPU happened to be running, so they cannot name the accepting process. The
 * accept is counted at the exit of the accept/accept4 system call instead, from
 * the socket behind the returned descriptor (fd -> file -> socket -> sock).
 */
#include "flow.bpf.h"

#define IPPROTO_TCP 6
#define TCP_SYN_SENT_STATE 2
#define TCP_CLOSE_STATE 7
#define S_IFMT 00170000
#define S_IFSOCK 0140000

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_connect, const struct sock *sk, const int oldstate, const int newstate)
{
	struct flow_key k = {};
	__u32 tgid;

	if (oldstate != TCP_CLOSE_STATE || newstate != TCP_SYN_SENT_STATE)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (ignore_current(tgid))
		return 0;

	k.direction = EBPFLOW_DIR_OUTBOUND;
	k.proto = IPPROTO_TCP;
	if (!key_from_sock(&k, sk))
		return 0;
	key_normalize_v6(&k);
	k.pid = tgid;
	k.start_ns = current_start_ns();
	stat_inc(EBPFLOW_STAT_TCP_CONNECT);
	flow_account(&k, 0);
	return 0;
}

/* The layout of every syscalls:sys_exit_* tracepoint record. */
struct syscall_exit_args {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__s64 ret;
};

static __always_inline struct sock *sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file;
	struct socket *sock;
	umode_t mode;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_core_read(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

static __always_inline int count_accept(long fd)
{
	struct flow_key k = {};
	struct sock *sk;
	__u32 tgid;

	if (fd < 0)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (ignore_current(tgid))
		return 0;
	sk = sock_of_fd(fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;

	k.direction = EBPFLOW_DIR_INBOUND;
	k.proto = IPPROTO_TCP;
	if (!key_from_sock(&k, sk))
		return 0;
	key_normalize_v6(&k);
	k.pid = tgid;
	k.start_ns = current_start_ns();
	stat_inc(EBPFLOW_STAT_TCP_ACCEPT);
	flow_account(&k, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tcp_accept4(struct syscall_exit_args *ctx)
{
	return count_accept(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tcp_accept(struct syscall_exit_args *ctx)
{
	return count_accept(ctx->ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
