// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor (bench/README.md): programs that do nothing, one for each hook
 * eBPFlow attaches on some tier (docs/ARCHITECTURE.md, "Hooks per tier"),
 * with the same section types. A loop timed with the programs of one tier
 * attached pays only for the hooks being there; what eBPFlow costs beyond
 * that is its own code. ebpflow-bench-floor (floor.c) loads those of the
 * tier asked for.
 *
 * The cgroup programs return 1 (allow), as eBPFlow's do: they see the host's
 * real traffic.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* every tier */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_tcp_state)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_proc_exit)
{
	return 0;
}

/* tracepoint tier */
SEC("tp_btf/sock_send_length")
int BPF_PROG(floor_sock_send)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(floor_sock_recv)
{
	return 0;
}

SEC("cgroup/recvmsg4")
int floor_recvmsg4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/recvmsg6")
int floor_recvmsg6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup_skb/egress")
int floor_egress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup/sock_release")
int floor_release(struct bpf_sock *ctx)
{
	return 1;
}

/* fentry tier: an empty program reads no argument, so one accept program
 * stands for eBPFlow's two (inet_csk_accept's 4 arguments, or 2) */
SEC("fexit/inet_csk_accept")
int BPF_PROG(floor_accept_exit)
{
	return 0;
}

SEC("fentry/ip_send_skb")
int BPF_PROG(floor_out4)
{
	return 0;
}

SEC("fentry/ip6_send_skb")
int BPF_PROG(floor_out6)
{
	return 0;
}

SEC("fexit/udp_sendmsg")
int BPF_PROG(floor_send4)
{
	return 0;
}

SEC("fexit/udpv6_sendmsg")
int BPF_PROG(floor_send6)
{
	return 0;
}

SEC("fentry/skb_consume_udp")
int BPF_PROG(floor_recv)
{
	return 0;
}

/* kprobe tier */
SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(floor_kp_accept_ret)
{
	return 0;
}

SEC("kprobe/ip_send_skb")
int BPF_KPROBE(floor_kp_out4)
{
	return 0;
}

SEC("kprobe/ip6_send_skb")
int BPF_KPROBE(floor_kp_out6)
{
	return 0;
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(floor_kp_send4)
{
	return 0;
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(floor_kp_send6)
{
	return 0;
}

SEC("kretprobe/udp_sendmsg")
int BPF_KRETPROBE(floor_kp_sent4)
{
	return 0;
}

SEC("kretprobe/udpv6_sendmsg")
int BPF_KRETPROBE(floor_kp_sent6)
{
	return 0;
}

SEC("kprobe/skb_consume_udp")
int BPF_KPROBE(floor_kp_recv)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
