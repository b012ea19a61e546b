// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The peers of unconnected UDP sockets. sock_send_length/sock_recv_length
 * carry no message, and an unconnected socket has no peer of its own; but the
 * cgroup socket-address hooks run earlier in the same call, in the same
 * thread: cgroup/sendmsg4|6 see the destination the caller passed to
 * sendto/sendmsg, cgroup/recvmsg4|6 the source address handed back by
 * recvfrom/recvmsg. They leave it in the thread's `peers` storage for
 * io.bpf.c.
 *
 * They always return 1 (allow): they must never change the host's traffic.
 * They run only on UDP calls that pass an address, so they cost nothing to
 * other system calls.
 */
#include "peer.bpf.h"

static __always_inline struct udp_peer *my_peer(void)
{
	if (ignore_current(bpf_get_current_pid_tgid() >> 32))
		return NULL;
	return bpf_task_storage_get(&peers, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline void stash_peer4(struct bpf_sock_addr *ctx)
{
	struct udp_peer *p = my_peer();

	if (!p)
		return;
	__builtin_memset(p->addr, 0, sizeof(p->addr));
	*(__u32 *)p->addr = ctx->user_ip4;
	p->port = bpf_ntohs(ctx->user_port);
	p->ip_version = 4;
}

static __always_inline void stash_peer6(struct bpf_sock_addr *ctx)
{
	struct udp_peer *p = my_peer();
	__u32 *w;

	if (!p)
		return;
	w = (__u32 *)p->addr;
	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	p->port = bpf_ntohs(ctx->user_port);
	p->ip_version = 6;
}

SEC("cgroup/sendmsg4")
int udp_sendmsg4(struct bpf_sock_addr *ctx)
{
	stash_peer4(ctx);
	return 1;
}

SEC("cgroup/sendmsg6")
int udp_sendmsg6(struct bpf_sock_addr *ctx)
{
	stash_peer6(ctx);
	return 1;
}

SEC("cgroup/recvmsg4")
int udp_recvmsg4(struct bpf_sock_addr *ctx)
{
	stash_peer4(ctx);
	return 1;
}

SEC("cgroup/recvmsg6")
int udp_recvmsg6(struct bpf_sock_addr *ctx)
{
	stash_peer6(ctx);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
