/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TCP accepts, counted without a system-call hook.
 *
 * The passive handshake completes in softirq, where the current task is
 * whoever the CPU interrupted, and the one hook that runs in the accepting
 * task, the exit of accept(2), is a syscall tracepoint: attaching any of those
 * slows every system call of every process on the host (measured here: +28%
 * on a getppid loop). So the kernel marks each socket it completes for a
 * listener (LISTEN -> SYN_RECV of the child, tcp.bpf.c), and the accept is
 * counted for the first process that uses the socket: its first send or
 * receive (io.bpf.c), or its close (cgroup/sock_release, tcp.bpf.c). That is
 * the accepting process, unless it hands the socket to another process
 * before using it (accept, then fork a worker): then the worker is named.
 * Connections the application never accepts are never counted.
 */
#ifndef EBPFLOW_ACCEPT_BPF_H
#define EBPFLOW_ACCEPT_BPF_H

#include "flow.bpf.h"

#define IPPROTO_TCP 6

/*
 * Per socket, freed with it: ACCEPT_PENDING when the kernel accepts, swapped
 * to ACCEPT_CLAIMED by the one call that counts it (an atomic compare and
 * exchange, so two threads using the socket at once count it once; cgroup
 * programs may not delete socket storage, so it stays until the socket goes).
 */
#define ACCEPT_PENDING 1
#define ACCEPT_CLAIMED 2

struct accept_state {
	__u32 state; /* 0, ACCEPT_PENDING or ACCEPT_CLAIMED */
	/*
	 * The inbound key's address part, filled when the handshake is done
	 * (the child's addresses are set after its LISTEN -> SYN_RECV): the
	 * cgroup close hook sees no addresses of its own.
	 */
	__u8 ip_version; /* 0 until filled */
	__u8 pad;
	__u16 port; /* local, host order */
	__u8 saddr[EBPFLOW_ADDR_LEN]; /* remote */
	__u8 daddr[EBPFLOW_ADDR_LEN]; /* local */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct accept_state);
} pending_accepts SEC(".maps") __weak;

/* true for the one caller that turns a pending accept into a claimed one */
static __always_inline bool take_accept(struct accept_state *a)
{
	return a && a->state == ACCEPT_PENDING &&
	       __sync_val_compare_and_swap(&a->state, ACCEPT_PENDING, ACCEPT_CLAIMED) ==
		       ACCEPT_PENDING;
}

/* Count an accept of the current process on a socket from a tracepoint. */
static __always_inline void claim_accept(struct sock *sk)
{
	if (take_accept(bpf_sk_storage_get(&pending_accepts, sk, 0, 0)))
		account_tcp_call(sk, EBPFLOW_DIR_INBOUND, EBPFLOW_STAT_TCP_ACCEPT);
}

#endif
