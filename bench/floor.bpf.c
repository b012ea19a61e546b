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

/*
 * One empty program `name` in section `sec`; `kind` is the libbpf wrapper of
 * the section type (BPF_PROG, BPF_KPROBE, BPF_KRETPROBE), so that each has
 * the context eBPFlow's program on that hook has.
 */
#define FLOOR(sec, kind, name) \
	SEC(sec)               \
	int kind(name)         \
	{                      \
		return 0;      \
	}

/* the same for a cgroup hook, whose one argument is `arg`: allow */
#define FLOOR_CGROUP(sec, name, arg) \
	SEC(sec)                     \
	int name(arg)                \
	{                            \
		return 1;            \
	}

/* every tier */
FLOOR("tp_btf/inet_sock_set_state", BPF_PROG, floor_tcp_state)
FLOOR("tp_btf/sched_process_exit", BPF_PROG, floor_proc_exit)

/* tracepoint tier */
FLOOR("tp_btf/sock_send_length", BPF_PROG, floor_sock_send)
FLOOR("tp_btf/sock_recv_length", BPF_PROG, floor_sock_recv)
FLOOR_CGROUP("cgroup/recvmsg4", floor_recvmsg4, struct bpf_sock_addr *ctx)
FLOOR_CGROUP("cgroup/recvmsg6", floor_recvmsg6, struct bpf_sock_addr *ctx)
FLOOR_CGROUP("cgroup_skb/egress", floor_egress, struct __sk_buff *skb)
FLOOR_CGROUP("cgroup/sock_release", floor_release, struct bpf_sock *ctx)

/* fentry tier: an empty program reads no argument, so one accept program
 * stands for eBPFlow's two (inet_csk_accept's 4 arguments, or 2) */
FLOOR("fexit/inet_csk_accept", BPF_PROG, floor_accept_exit)
FLOOR("fentry/ip_send_skb", BPF_PROG, floor_out4)
FLOOR("fentry/ip6_send_skb", BPF_PROG, floor_out6)
FLOOR("fexit/udp_sendmsg", BPF_PROG, floor_send4)
FLOOR("fexit/udpv6_sendmsg", BPF_PROG, floor_send6)
FLOOR("fentry/skb_consume_udp", BPF_PROG, floor_recv)

/* kprobe tier */
FLOOR("kretprobe/inet_csk_accept", BPF_KRETPROBE, floor_kp_accept_ret)
FLOOR("kprobe/ip_send_skb", BPF_KPROBE, floor_kp_out4)
FLOOR("kprobe/ip6_send_skb", BPF_KPROBE, floor_kp_out6)
FLOOR("kprobe/udp_sendmsg", BPF_KPROBE, floor_kp_send4)
FLOOR("kprobe/udpv6_sendmsg", BPF_KPROBE, floor_kp_send6)
FLOOR("kretprobe/udp_sendmsg", BPF_KRETPROBE, floor_kp_sent4)
FLOOR("kretprobe/udpv6_sendmsg", BPF_KRETPROBE, floor_kp_sent6)
FLOOR("kprobe/skb_consume_udp", BPF_KPROBE, floor_kp_recv)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
