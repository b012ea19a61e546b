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
 * here: +28% on a getppid loop). So each connection a listener's child
 * establishes (SYN_RECV -> ESTABLISHED, tcp.bpf.c) is marked, and the accept
 * is counted for the first process that uses the socket: its first send or
 * receive (tracepoint.bpf.c), or its close (cgroup/sock_release, tcp.bpf.c).
 * That is the accepting process, unless it hands the socket to another
 * process before using it (accept, then fork a worker): then the worker is
 * named. Connections the application never accepts are never counted.
 */
#ifndef EBPFLOW_ACCEPT_BPF_H
#define EBPFLOW_ACCEPT_BPF_H

#include "conn.bpf.h"

/* Tracepoint tier: accepts are counted at first use. */
const volatile bool accept_at_first_use __weak = false;

/*
 * Which sockets may have an accept pending, without a look-up in the
 * connections hash: every TCP send and receive on this tier asks, and a
 * hash look-up cost each of them 30 to 55 ns (docs/PERFORMANCE.md; bench/run's
 * tcpio figures). A socket's slot counts the pending accepts of the sockets
 * that hash to it: 0 means none is pending there, anything else sends the
 * caller to the hash. A count left too high costs look-ups, never a count.
 */
#define ACCEPT_SLOTS 1024

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ACCEPT_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} accepts_pending SEC(".maps") __weak;

/*
 * The slot of an established socket, from its peer's address and port (the
 * verifier allows no arithmetic on its address; its cookie, tried first,
 * changed between the child's creation and its first use on 6.12). The
 * local ones are the listener's, the same for all its children, and the
 * close hook may not read them. Read once the connection is established,
 * when they are its own, and kept in the connection for the end of the wait.
 */
static __always_inline __u32 accept_slot_hash(__u32 dport, __u32 daddr)
{
	return ((dport ^ daddr) * 2654435761u) >> 22;
}

static __always_inline __u32 accept_slot_of(struct sock *sk)
{
	return accept_slot_hash(sk->__sk_common.skc_dport, sk->__sk_common.skc_daddr);
}

/* The same slot, of the socket a cgroup hook sees (the same fields of sock_common). */
static __always_inline __u32 accept_slot_of_ctx(struct bpf_sock *ctx)
{
	return accept_slot_hash((__u16)ctx->dst_port, ctx->dst_ip4);
}

static __always_inline __u32 *accept_count(__u32 slot)
{
	return bpf_map_lookup_elem(&accepts_pending, &slot);
}

/* No accept pending in slot: no socket there has one, without a hash look-up. */
static __always_inline bool accept_none_in(__u32 slot)
{
	__u32 *n = accept_count(slot);

	return n && !*n;
}

/*
 * sk's connection, completed for a listener and now established, made (in
 * c, not yet in a map): its accept is pending, to be counted where its first
 * use will look once c is in place (accept_slotted).
 */
static __always_inline void accept_pending(struct sock *sk, struct conn *c)
{
	c->accept = ACCEPT_PENDING;
	c->slot = accept_slot_of(sk);
	c->flags |= CONN_SLOTTED;
}

/* c's slot counts one pending accept more (delta 1) or one less (-1). */
static __always_inline void accept_slot_add(const struct conn *c, int delta)
{
	__u32 *n;

	if ((c->flags & CONN_SLOTTED) && (n = accept_count(c->slot)))
		__sync_fetch_and_add(n, delta);
}

/*
 * c, made by accept_pending, is in place: its slot counts it. A close or a
 * claim on another CPU in between takes its count one lower first, for an
 * instant: a slot too high costs look-ups, never a count.
 */
static __always_inline void accept_slotted(const struct conn *c)
{
	accept_slot_add(c, 1);
}

/* c's pending accept no more: its slot's count one lower */
static __always_inline void accept_unslot(struct conn *c)
{
	accept_slot_add(c, -1);
}

/* true for the one caller that turns c's pending accept into to (claimed, or none): 5.12 */
static __always_inline bool accept_end(struct conn *c, __u32 to)
{
	if (!c || c->accept != ACCEPT_PENDING ||
	    __sync_val_compare_and_swap(&c->accept, ACCEPT_PENDING, to) != ACCEPT_PENDING)
		return false;
	accept_unslot(c);
	return true;
}

/*
 * c's connection closed before any process used it (tcp_state, on every
 * tier: no compare-and-swap there, which Debian 11's 5.10 refuses in any
 * program). A claim at the same instant may leave its slot one too low for
 * a while: a pending accept there is then claimed at its close
 * (tcp_release) instead of its first use, never lost.
 */
static __always_inline void accept_dropped(struct conn *c)
{
	if (c->accept != ACCEPT_PENDING)
		return;
	c->accept = 0;
	accept_unslot(c);
}

/* true for the one caller that turns a pending accept into a claimed one */
static __always_inline bool take_accept(struct conn *c)
{
	return accept_end(c, ACCEPT_CLAIMED);
}

/* Count an accept of the current process on a socket it uses (tracing programs). */
static __always_inline void claim_accept(struct sock *sk)
{
	if (accept_none_in(accept_slot_of(sk)))
		return;
	if (take_accept(conn_get(sk, false)))
		account_tcp_call(sk, EBPFLOW_DIR_INBOUND, EBPFLOW_STAT_TCP_ACCEPT);
}

#endif
