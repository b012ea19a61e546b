// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fentry tier, where the kernel's BPF trampolines attach (most kernels
 * since 5.5 with BTF): the calls counted at the kernel functions that make
 * them, in the calling task, with their results.
 *
 * - accept: the return of inet_csk_accept, in the accepting process, with
 *   the new socket (exact even when a forked worker then uses the socket);
 * - UDP send: the return of udp_sendmsg/udpv6_sendmsg with the datagram's
 *   addresses noted at ip_send_skb/ip6_send_skb (udp.bpf.h);
 * - UDP receive: skb_consume_udp, which a successful receive calls with the
 *   datagram still at hand (a peek passes a negative length).
 * TCP connects and closes are tcp.bpf.c's, on every tier.
 */
#include "conn.bpf.h"
#include "udp.bpf.h"

/* Linux 6.10 folded inet_csk_accept's flags, err and kern into one argument. */
SEC("fexit/inet_csk_accept")
int BPF_PROG(accept_exit4, struct sock *sk, int flags, int *err, bool kern, struct sock *newsk)
{
	if (newsk)
		account_tcp_call(newsk, EBPFLOW_DIR_INBOUND, EBPFLOW_STAT_TCP_ACCEPT);
	return 0;
}

SEC("fexit/inet_csk_accept")
int BPF_PROG(accept_exit2, struct sock *sk, void *arg, struct sock *newsk)
{
	if (newsk)
		account_tcp_call(newsk, EBPFLOW_DIR_INBOUND, EBPFLOW_STAT_TCP_ACCEPT);
	return 0;
}

SEC("fentry/ip_send_skb")
int BPF_PROG(udp_out4, struct net *net, struct sk_buff *skb)
{
	note_sent_skb(skb, 4);
	return 0;
}

SEC("fentry/ip6_send_skb")
int BPF_PROG(udp_out6, struct sk_buff *skb)
{
	note_sent_skb(skb, 6);
	return 0;
}

SEC("fexit/udp_sendmsg")
int BPF_PROG(udp_send4, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	/* an IPv6 socket's IPv4 send runs in udpv6_sendmsg, which counts it */
	if (sk->__sk_common.skc_family == AF_INET && sk->sk_protocol == IPPROTO_UDP)
		count_udp_send(sk, ret);
	return 0;
}

SEC("fexit/udpv6_sendmsg")
int BPF_PROG(udp_send6, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	if (sk->sk_protocol == IPPROTO_UDP)
		count_udp_send(sk, ret);
	return 0;
}

SEC("fentry/skb_consume_udp")
int BPF_PROG(udp_recv, struct sock *sk, struct sk_buff *skb, int len)
{
	count_udp_recv_skb(sk, skb, len);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
