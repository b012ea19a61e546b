// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * UDP send and UDP receive, counted where every call passes in the calling
 * task: the sock_send_length / sock_recv_length tracepoints (Linux >= 6.3),
 * which fire at the end of every sendmsg/recvmsg with the socket and the
 * result, but without the message.
 *
 * An unconnected socket has no peer on the sock, so the peer comes from the
 * cgroup socket-address hooks that run earlier in the same call in the same
 * thread: cgroup/sendmsg4|6 see the destination the caller passed to
 * sendto/sendmsg, cgroup/recvmsg4|6 the source address handed back by
 * recvfrom/recvmsg. They leave it in `peers`, keyed by thread, and the length
 * tracepoint takes it. They always return 1 (allow): they must never change the
 * host's traffic. They run only on the UDP calls that pass an address, so they
 * cost nothing to other system calls.
 */
#include "flow.bpf.h"

#define IPPROTO_UDP 17

struct udp_peer {
	__u8 addr[EBPFLOW_ADDR_LEN]; /* network order; IPv4 in the first 4 */
	__u16 port;                  /* host order */
	__u8 ip_version;
	__u8 pad[5];
};

/* A thread's peer, from the cgroup hook to the tracepoint of the same call. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid: the thread */
	__type(value, struct udp_peer);
} peers SEC(".maps");

static __always_inline void stash_peer4(struct bpf_sock_addr *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct udp_peer p = {};

	if (ignore_current(id >> 32))
		return;
	p.ip_version = 4;
	*(__u32 *)p.addr = ctx->user_ip4;
	p.port = bpf_ntohs(ctx->user_port);
	bpf_map_update_elem(&peers, &id, &p, BPF_ANY);
}

static __always_inline void stash_peer6(struct bpf_sock_addr *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct udp_peer p = {};
	__u32 *w = (__u32 *)p.addr;

	if (ignore_current(id >> 32))
		return;
	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	p.ip_version = 6;
	p.port = bpf_ntohs(ctx->user_port);
	bpf_map_update_elem(&peers, &id, &p, BPF_ANY);
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

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return;
	if (ignore_current(id >> 32))
		return;

	k.direction = direction;
	k.proto = IPPROTO_UDP;
	if (!key_from_sock(&k, sk))
		return;
	remote = direction == EBPFLOW_DIR_OUTBOUND ? k.daddr : k.saddr;
	p = bpf_map_lookup_elem(&peers, &id);
	if (p) {
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
		bpf_map_delete_elem(&peers, &id);
	} else if (direction == EBPFLOW_DIR_OUTBOUND ? k.port == 0
						     : BPF_CORE_READ(sk, __sk_common.skc_dport) == 0) {
		stat_inc(EBPFLOW_STAT_UDP_NO_PEER);
	}
	key_normalize_v6(&k);
	k.pid = id >> 32;
	k.start_ns = current_start_ns();
	stat_inc(direction == EBPFLOW_DIR_OUTBOUND ? EBPFLOW_STAT_UDP_SEND : EBPFLOW_STAT_UDP_RECV);
	flow_account(&k, ret > 0 ? ret : 0);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(udp_send, struct sock *sk, int ret, int flags)
{
	count_udp(sk, ret, EBPFLOW_DIR_OUTBOUND);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(udp_recv, struct sock *sk, int ret, int flags)
{
	/* MSG_PEEK looks without taking: the real receive comes later */
	if (flags & 2 /* MSG_PEEK */)
		return 0;
	count_udp(sk, ret, EBPFLOW_DIR_INBOUND);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
