// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TCP connect and TCP accept (see accept.bpf.h for how accepts are found).
 *
 * connect: the CLOSE -> SYN_SENT transition of inet_sock_set_state runs in the
 * connecting task, after the kernel chose the source address. A BTF
 * tracepoint: no tracefs needed, and it fires only on TCP state changes.
 */
#include "accept.bpf.h"

#define TCP_ESTABLISHED_STATE 1
#define TCP_SYN_SENT_STATE 2
#define TCP_SYN_RECV_STATE 3
#define TCP_CLOSE_STATE 7
#define TCP_LISTEN_STATE 10

static __always_inline void mark_accept(struct sock *sk)
{
	struct accept_state *a =
		bpf_sk_storage_get(&pending_accepts, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (a)
		a->state = ACCEPT_PENDING;
}

static __always_inline void note_accept_addresses(struct sock *sk)
{
	struct accept_state *a = bpf_sk_storage_get(&pending_accepts, sk, 0, 0);
	struct flow_key k = { .direction = EBPFLOW_DIR_INBOUND };

	if (!a || !key_from_sock(&k, sk))
		return;
	key_normalize_v6(&k);
	__builtin_memcpy(a->saddr, k.saddr, EBPFLOW_ADDR_LEN);
	__builtin_memcpy(a->daddr, k.daddr, EBPFLOW_ADDR_LEN);
	a->port = k.port;
	a->ip_version = k.ip_version;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state, struct sock *sk, const int oldstate, const int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (oldstate == TCP_CLOSE_STATE && newstate == TCP_SYN_SENT_STATE)
		account_tcp_call(sk, EBPFLOW_DIR_OUTBOUND, EBPFLOW_STAT_TCP_CONNECT);
	else if (oldstate == TCP_LISTEN_STATE && newstate == TCP_SYN_RECV_STATE)
		/* a listener's child, created when the handshake completes */
		mark_accept(sk);
	else if (oldstate == TCP_SYN_RECV_STATE && newstate == TCP_ESTABLISHED_STATE)
		note_accept_addresses(sk);
	return 0;
}

/* The last close of a socket, in the closing process. */
SEC("cgroup/sock_release")
int tcp_release(struct bpf_sock *ctx)
{
	struct accept_state *a;
	struct flow_key k = {};
	__u32 tgid;

	if (ctx->protocol != IPPROTO_TCP)
		return 1;
	a = bpf_sk_storage_get(&pending_accepts, ctx, 0, 0);
	if (!a || !a->ip_version || !take_accept(a))
		return 1;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (ignore_current(tgid))
		return 1;
	k.direction = EBPFLOW_DIR_INBOUND;
	k.proto = IPPROTO_TCP;
	k.ip_version = a->ip_version;
	k.port = a->port;
	__builtin_memcpy(k.saddr, a->saddr, EBPFLOW_ADDR_LEN);
	__builtin_memcpy(k.daddr, a->daddr, EBPFLOW_ADDR_LEN);
	k.pid = tgid;
	k.start_ns = current_start_ns_probe();
	stat_inc(EBPFLOW_STAT_TCP_ACCEPT);
	flow_account(&k, 0);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
