// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark baseline only, never shipped: the streaming design of the
 * original eBPFlow and of bcc's tools. One ring-buffer record per socket
 * event, aggregated in user space. It hooks the same tracepoints as eBPFlow
 * but does less per event (no peer of unconnected UDP sockets), which only
 * favours it in the comparison.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "streaming.h"

#define IPPROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* events that found the ring full */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

const volatile __u32 self_tgid = 0;

static __always_inline void emit(struct sock *sk, int ret, __u8 dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stream_event *e;
	__u32 zero = 0;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP || (id >> 32) == self_tgid)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u64 *d = bpf_map_lookup_elem(&drops, &zero);

		if (d)
			__sync_fetch_and_add(d, 1);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->direction = dir;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	e->raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	e->bytes = ret > 0 ? ret : 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(stream_send, struct sock *sk, int ret, int flags)
{
	emit(sk, ret, 0);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(stream_recv, struct sock *sk, int ret, int flags)
{
	emit(sk, ret, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
