// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tracepoint tier (Linux >= 6.3, for kernels without fentry and kprobes):
 * the end of every sendmsg/recvmsg, where the sock_send_length /
 * sock_recv_length tracepoints fire in the calling task with the socket, the
 * result and the flags, but without the message. The datagram's addresses
 * come from the cgroup hooks that run earlier in the same call (udp.bpf.h);
 * the first send or receive on an accepted TCP socket counts its accept
 * (accept.bpf.h).
 *
 * The cgroup hooks always return 1 (allow): they must never change the host's
 * traffic. The egress hook sees every packet a socket sends and leaves at once
 * unless it is UDP; the receive hooks run only on UDP receives that ask for
 * the sender's address.
 */
#include "accept.bpf.h"
#include "udp.bpf.h"

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send, struct sock *sk, int ret, int flags)
{
	__u16 proto = sk->sk_protocol;

	if (proto == IPPROTO_UDP)
		count_udp_send(sk, ret);
	else if (proto == IPPROTO_TCP && ret >= 0)
		claim_accept(sk);
	return 0;
}

/*
 * A DNS answer's copy, in a function of its own that the verifier checks once,
 * apart from sock_recv: inlined there, clang 19's code (Debian 13's) took
 * sock_recv past the verifier's million instructions.
 */
__noinline int sock_recv_dns(__u32 netns, long len)
{
	dns_from_user(netns, len);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv, struct sock *sk, int ret, int flags)
{
	__u16 proto = sk->sk_protocol;
	struct udp_note buf, *n;

	if (proto == IPPROTO_TCP) {
		if (ret >= 0)
			claim_accept(sk);
		return 0;
	}
	if (sk->sk_type != SOCK_DGRAM)
		return 0;
	/* any datagram call ends what its hook noted, counted or not */
	n = note_take(NOTE_IN, sk, bpf_get_current_pid_tgid(), &buf);
	/* a peek looks without taking (the real receive comes later); the error
	 * queue holds no datagram of the peer's; a failed call received nothing */
	if (proto != IPPROTO_UDP || (flags & (MSG_PEEK | MSG_ERRQUEUE)) || ret < 0)
		return 0;
	/* first, so that no flag of it stays live across the counting's paths */
	if (ebpflow_dns_capture && n && n->port == EBPFLOW_DNS_PORT)
		sock_recv_dns(sock_netns(sk), ret);
	if (n)
		count_udp_recv(sk, ret, n->ip_version, n->remote, n->port);
	else
		count_udp_recv(sk, ret, 0, NULL, 0);
	return 0;
}

/* The sender's address handed back to recvfrom/recvmsg, for sock_recv. */
static __always_inline void note_peer(struct bpf_sock_addr *ctx, __u8 ip_version)
{
	struct udp_note *n = udp_note(NOTE_IN);

	if (!n)
		return;
	n->sk = (__u64)ctx->sk;
	n->tid = bpf_get_current_pid_tgid();
	if (ip_version == 4) {
		put_v4(n->remote, ctx->user_ip4, false);
	} else {
		__u32 *w = (__u32 *)n->remote;

		w[0] = ctx->user_ip6[0];
		w[1] = ctx->user_ip6[1];
		w[2] = ctx->user_ip6[2];
		w[3] = ctx->user_ip6[3];
	}
	n->port = bpf_ntohs(ctx->user_port);
	n->ip_version = ip_version;
}

SEC("cgroup/recvmsg4")
int udp_recvmsg4(struct bpf_sock_addr *ctx)
{
	note_peer(ctx, 4);
	return 1;
}

SEC("cgroup/recvmsg6")
int udp_recvmsg6(struct bpf_sock_addr *ctx)
{
	note_peer(ctx, 6);
	return 1;
}

/*
 * Every packet a socket sends, in the sending task, before it may wait for a
 * neighbour: a UDP datagram's addresses are noted for sock_send. The packet
 * starts at its IP header, in the skb's linear part for a datagram this host
 * made: read in place (direct packet access), not copied by a helper.
 */
SEC("cgroup_skb/egress")
int udp_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct bpf_sock *sk = skb->sk;
	struct ipv6hdr *ip6 = data;
	struct iphdr *ip = data;
	__u16 *ports;
	bool v4;

	/* the packet's own protocol first: a TCP packet leaves without a helper call */
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
			return 1;
		ports = data + ip->ihl * 4;
		v4 = true;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		/* extension headers are rare on UDP: without the port, no note */
		if ((void *)(ip6 + 1) > end || ip6->nexthdr != NEXTHDR_UDP)
			return 1;
		ports = (void *)(ip6 + 1);
		v4 = false;
	} else {
		return 1;
	}
	if ((void *)(ports + 2) > end || !sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != IPPROTO_UDP)
		return 1;
	if (v4)
		note_datagram4(sk, 0, ip->saddr, ip->daddr, ports[1]);
	else
		note_datagram6(sk, 0, &ip6->saddr, &ip6->daddr, ports[1]);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
