// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kprobe tier, for kernels where kprobes attach and fentry does not: the
 * fentry tier's logic (fentry.bpf.c) at the same functions. A kretprobe sees
 * the result but not the arguments, so the socket of a send is kept by
 * thread from the entry to the return (the task may sleep in between, waiting
 * for buffer space). Sockets are read with probe reads.
 */
#define EBPFLOW_PROBE_READ 1
#define EBPFLOW_TASK_BTF 1 /* kprobes may call bpf_get_current_task_btf */
#include "conn.bpf.h"
#include "udp.bpf.h"

/*
 * The send under way in a thread, from the entry of udp_sendmsg or
 * udpv6_sendmsg to its return. One entry per thread that sends, written in
 * place at each entry and emptied (sk 0) at the return: a thread's sends
 * after its first take nothing from the map's free list and give nothing
 * back, where a hash element was made and freed per call (an update and a
 * delete, each under its bucket's lock). The LRU bounds it: the entries of
 * threads gone are the ones reused. tid says whose an entry is, for an
 * element the LRU gave to another thread while a program held it.
 */
struct udp_send {
	__u64 sk;  /* the struct sock of the send under way; 0: none */
	__u64 tid; /* bpf_get_current_pid_tgid() of the thread */
	__u32 v6;  /* begun by udpv6_sendmsg */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* bpf_get_current_pid_tgid() */
	__type(value, struct udp_send);
} udp_sends SEC(".maps");

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(accept_ret, struct sock *newsk)
{
	if (newsk)
		account_tcp_call(newsk, EBPFLOW_DIR_INBOUND, EBPFLOW_STAT_TCP_ACCEPT);
	return 0;
}

SEC("kprobe/ip_send_skb")
int BPF_KPROBE(kp_udp_out4, struct net *net, struct sk_buff *skb)
{
	note_sent_skb(skb, 4);
	return 0;
}

SEC("kprobe/ip6_send_skb")
int BPF_KPROBE(kp_udp_out6, struct sk_buff *skb)
{
	note_sent_skb(skb, 6);
	return 0;
}

/*
 * A UDP send begins (not UDP-Lite's, which shares the functions). An IPv6
 * socket's IPv4 send runs udp_sendmsg inside udpv6_sendmsg, on the same
 * socket: the outer call's entry stays, and its return counts the send.
 */
static __always_inline void send_begins(struct sock *sk, bool v6)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct udp_send *s;

	if (sock_protocol(sk) != IPPROTO_UDP)
		return;
	s = bpf_map_lookup_elem(&udp_sends, &id);
	if (!s) {
		struct udp_send init = { .sk = (__u64)sk, .tid = id, .v6 = v6 };

		bpf_map_update_elem(&udp_sends, &id, &init, BPF_ANY);
		return;
	}
	if (!v6 && s->v6 && s->sk == (__u64)sk && s->tid == id)
		return; /* the IPv4 part of udpv6_sendmsg's send */
	s->tid = id;
	s->v6 = v6;
	s->sk = (__u64)sk;
}

/*
 * The return of the call whose entry is the thread's: an inner udp_sendmsg
 * leaves the send to udpv6_sendmsg's return, and a return whose entry was
 * not seen finds none (emptied at the last return) or another kind.
 */
static __always_inline void send_ends(long ret, bool v6)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct udp_send *s = bpf_map_lookup_elem(&udp_sends, &id);
	struct sock *sk;

	if (!s || !s->sk || s->tid != id || s->v6 != v6)
		return;
	sk = (struct sock *)s->sk;
	s->sk = 0;
	count_udp_send(sk, ret);
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(kp_udp_send4, struct sock *sk)
{
	send_begins(sk, false);
	return 0;
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(kp_udp_send6, struct sock *sk)
{
	send_begins(sk, true);
	return 0;
}

SEC("kretprobe/udp_sendmsg")
int BPF_KRETPROBE(kp_udp_sent4, int ret)
{
	send_ends(ret, false);
	return 0;
}

SEC("kretprobe/udpv6_sendmsg")
int BPF_KRETPROBE(kp_udp_sent6, int ret)
{
	send_ends(ret, true);
	return 0;
}

SEC("kprobe/skb_consume_udp")
int BPF_KPROBE(kp_udp_recv, struct sock *sk, struct sk_buff *skb, int len)
{
	count_udp_recv_skb(sk, skb, len);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
