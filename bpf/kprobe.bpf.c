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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);   /* bpf_get_current_pid_tgid() */
	__type(value, __u64); /* the struct sock of the send under way */
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

static __always_inline void send_begins(struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid(), addr = (__u64)sk;

	if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_UDP)
		bpf_map_update_elem(&udp_sends, &id, &addr, BPF_ANY);
}

/*
 * The end of a send. An IPv6 socket's IPv4 send runs udp_sendmsg inside
 * udpv6_sendmsg: the inner return leaves the send to the outer one.
 */
static __always_inline void send_ends(long ret, bool outer_v6)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 *addr = bpf_map_lookup_elem(&udp_sends, &id);
	struct sock *sk;

	if (!addr)
		return;
	sk = (struct sock *)*addr;
	if (!outer_v6 && BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6)
		return;
	bpf_map_delete_elem(&udp_sends, &id);
	count_udp_send(sk, ret);
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(kp_udp_send4, struct sock *sk)
{
	send_begins(sk);
	return 0;
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(kp_udp_send6, struct sock *sk)
{
	send_begins(sk);
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
