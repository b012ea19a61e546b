// SPDX-License-Identifier: GPL-2.0-only
/* Feature probes for tests/vm/facts.py: does this kernel load, attach and
 * fire a program of each kind eBPFlow could use? Compiled once per probe
 * with -DPROBE_<name> (one program per object: a probe that fails to load
 * must not take the others with it). Each program counts its runs in `hits`.
 * No vmlinux.h: the kernel's own BTF describes the functions' arguments.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct sock;

int hits;

#if defined(PROBE_task_storage_fentry) || defined(PROBE_task_storage_cgroup)
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, long);
} store SEC(".maps");
#endif

#ifdef PROBE_sk_storage_fentry
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, long);
} store SEC(".maps");
#endif

#ifdef PROBE_fentry
SEC("fentry/udp_sendmsg")
int BPF_PROG(probe)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}
#endif

#ifdef PROBE_fexit_func_ret
/* the return value of a function with a prototype the program need not know */
SEC("fexit/inet_csk_accept")
int probe(void *ctx)
{
	__u64 ret = 0;

	if (bpf_get_func_ret(ctx, &ret) == 0 && ret)
		__sync_fetch_and_add(&hits, 1);
	return 0;
}
#endif

#ifdef PROBE_kprobe
SEC("kprobe/udp_sendmsg")
int probe(void *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}
#endif

#ifdef PROBE_kretprobe
SEC("kretprobe/inet_csk_accept")
int probe(void *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}
#endif

#ifdef PROBE_tp_btf_sock_send_length
SEC("tp_btf/sock_send_length")
int probe(void *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}
#endif

#ifdef PROBE_tp_btf_inet_sock_set_state
SEC("tp_btf/inet_sock_set_state")
int probe(void *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}
#endif

#ifdef PROBE_task_storage_fentry
SEC("fentry/udp_sendmsg")
int BPF_PROG(probe)
{
	long *v = bpf_task_storage_get(&store, bpf_get_current_task_btf(), 0,
				       BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (v)
		__sync_fetch_and_add(&hits, 1);
	return 0;
}
#endif

#ifdef PROBE_sk_storage_fentry
SEC("fentry/udp_sendmsg")
int BPF_PROG(probe, struct sock *sk)
{
	long *v = bpf_sk_storage_get(&store, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (v)
		__sync_fetch_and_add(&hits, 1);
	return 0;
}
#endif

#ifdef PROBE_task_storage_cgroup
SEC("cgroup/sendmsg4")
int probe(struct bpf_sock_addr *ctx)
{
	long *v = bpf_task_storage_get(&store, bpf_get_current_task_btf(), 0,
				       BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (v)
		__sync_fetch_and_add(&hits, 1);
	return 1;
}
#endif

char LICENSE[] SEC("license") = "GPL";
