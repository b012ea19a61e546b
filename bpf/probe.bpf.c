// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Feature probes, a skeleton of their own (exporter/features.c): what the
 * running kernel lets eBPFlow do, found by trying it, not by its version.
 * Each program is loaded alone, and attached where attaching is the test;
 * none of them counts anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Does a BPF trampoline attach? (fentry programs may load and not attach.) */
SEC("fentry/udp_sendmsg")
int BPF_PROG(probe_fentry)
{
	return 0;
}

/* Does a kprobe attach? (CONFIG_KPROBES may be off: they load, never attach.) */
SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} probe_sk SEC(".maps");

/* May tracing programs use socket storage (Linux 5.11)? Loading says. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(probe_sk_storage, struct sock *sk)
{
	bpf_sk_storage_get(&probe_sk, sk, 0, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
