/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TCP accepts on the tracepoint tier, counted without a system-call hook.
 *
 * Where fentry or kprobes attach, an accept is counted at the return of
 * inet_csk_accept, in the accepting process (fentry.bpf.c, kprobe.bpf.c).
 * Without them, the passive handshake completes in softirq, where the current
 * task is whoever the CPU interrupted, and the one hook that runs in the
 * accepting task, the exit of accept(2), is a syscall tracepoint: attaching any
 * of those slows every system call of every process on the host (measured
 * here: +28% on a getppid loop). So the kernel marks each socket it completes
 * for a listener (LISTEN -> SYN_RECV of the child, tcp.bpf.c), and the accept
 * is counted for the first process that uses the socket: its first send or
 * receive (tracepoint.bpf.c), or its close (cgroup/sock_release, tcp.bpf.c).
 * That is the accepting process, unless it hands the socket to another
 * process before using it (accept, then fork a worker): then the worker is
 * named. Connections the application never accepts are never counted.
 */
#ifndef EBPFLOW_ACCEPT_BPF_H
#define EBPFLOW_ACCEPT_BPF_H

#include "conn.bpf.h"

/* true for the one caller that turns a pending accept into a claimed one */
static __always_inline bool take_accept(struct conn *c)
{
	return c && c->accept == ACCEPT_PENDING &&
	       __sync_val_compare_and_swap(&c->accept, ACCEPT_PENDING, ACCEPT_CLAIMED) ==
		       ACCEPT_PENDING;
}

/* Count an accept of the current process on a socket it uses (tracing programs). */
static __always_inline void claim_accept(struct sock *sk)
{
	if (take_accept(conn_get(sk, false)))
		account_tcp_call(sk, EBPFLOW_DIR_INBOUND, EBPFLOW_STAT_TCP_ACCEPT);
}

#endif
