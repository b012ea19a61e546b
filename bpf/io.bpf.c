// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The end of every sendmsg/recvmsg: the sock_send_length / sock_recv_length
 * tracepoints (Linux >= 6.3) fire in the calling task with the socket and
 * the result, but without the message. Here UDP sends and receives are
 * counted (the peer of an unconnected socket comes from peer.bpf.c), and the
 * first send or receive on an accepted TCP socket counts its accept.
 */
#include "accept.bpf.h"
#include "peer.bpf.h"

#define IPPROTO_UDP 17

/*
 * Count one UDP call of the current task on sk. The peer the cgroup hook left
 * for this thread wins over the sock's own (it is the real one for sendto on
 * a connected socket too); without either the peer stays unspecified and the
 * event is counted as such.
 */
static __always_inline void count_udp(const struct sock *sk, int ret, __u8 direction)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct flow_key k = {};
	struct udp_peer *p;
	__u8 *remote;

	if (ignore_current(id >> 32))
		return;

	k.direction = direction;
	k.proto = IPPROTO_UDP;
	if (!key_from_sock(&k, sk))
		return;
	remote = direction == EBPFLOW_DIR_OUTBOUND ? k.daddr : k.saddr;
	p = bpf_task_storage_get(&peers, bpf_get_current_task_btf(), 0, 0);
	if (p && p->ip_version) {
		if (p->ip_version == 4 && k.ip_version == 6) {
			/* IPv4 peer of a dual-stack socket: speak IPv4 */
			__builtin_memset(remote, 0, EBPFLOW_ADDR_LEN);
			__builtin_memcpy(remote + 10, "\xff\xff", 2);
			__builtin_memcpy(remote + 12, p->addr, 4);
		} else {
			__builtin_memcpy(remote, p->addr, EBPFLOW_ADDR_LEN);
		}
		if (direction == EBPFLOW_DIR_OUTBOUND)
			k.port = p->port;
		p->ip_version = 0; /* taken */
	} else if (direction == EBPFLOW_DIR_OUTBOUND ? k.port == 0
						     : sk->__sk_common.skc_dport == 0) {
		stat_inc(EBPFLOW_STAT_UDP_NO_PEER);
	}
	key_normalize_v6(&k);
	k.pid = id >> 32;
	k.start_ns = current_start_ns();
	stat_inc(direction == EBPFLOW_DIR_OUTBOUND ? EBPFLOW_STAT_UDP_SEND : EBPFLOW_STAT_UDP_RECV);
	flow_account(&k, ret > 0 ? ret : 0);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send, struct sock *sk, int ret, int flags)
{
	__u16 proto = sk->sk_protocol;

	if (proto == IPPROTO_UDP)
		count_udp(sk, ret, EBPFLOW_DIR_OUTBOUND);
	else if (proto == IPPROTO_TCP)
		claim_accept(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv, struct sock *sk, int ret, int flags)
{
	__u16 proto = sk->sk_protocol;

	if (proto == IPPROTO_TCP) {
		claim_accept(sk);
		return 0;
	}
	/* MSG_PEEK looks without taking: the real receive comes later */
	if (proto != IPPROTO_UDP || (flags & 2 /* MSG_PEEK */))
		return 0;
	count_udp(sk, ret, EBPFLOW_DIR_INBOUND);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
