/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a socket says of a flow: its addresses and responder's port into a
 * struct flow_key (IPv4-mapped IPv6 reported as IPv4), its protocol and
 * family. Tracing programs load the fields through their BTF pointers; the
 * objects that get raw pointers (EBPFLOW_PROBE_READ, kprobes and cgroup
 * hooks) read them with probe reads, the fields that lie together in one read
 * (CORE_READ_WINDOW).
 */
#ifndef EBPFLOW_SOCK_BPF_H
#define EBPFLOW_SOCK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "ebpflow.h"

#define AF_INET 2
#define AF_INET6 10

static __always_inline bool v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

static __always_inline bool v6_unspecified(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return (w[0] | w[1] | w[2] | w[3]) == 0;
}

static __always_inline __u8 *key_remote(struct flow_key *k)
{
	return k->direction == EBPFLOW_DIR_OUTBOUND ? k->daddr : k->saddr;
}

static __always_inline __u8 *key_local(struct flow_key *k)
{
	return k->direction == EBPFLOW_DIR_OUTBOUND ? k->saddr : k->daddr;
}

/*
 * Dual-stack sockets talk IPv4 through IPv4-mapped IPv6 addresses: report
 * those as IPv4, as the user would (a wildcard local side maps to 0.0.0.0).
 */
static __always_inline void key_normalize_v6(struct flow_key *k)
{
	__u8 *remote = key_remote(k);
	__u8 *local = key_local(k);

	if (k->ip_version != 6 || !v4_mapped(remote))
		return;
	if (!v4_mapped(local) && !v6_unspecified(local))
		return;
	k->ip_version = 4;
	__builtin_memcpy(remote, remote + 12, 4);
	__builtin_memset(remote + 4, 0, 12);
	__builtin_memcpy(local, local + 12, 4);
	__builtin_memset(local + 4, 0, 12);
}

/*
 * One probe read for the fields of an object that lie together: a window of
 * the object from its field first (from the 8-byte boundary before it, so
 * that each field keeps its alignment: the verifier wants aligned stack
 * loads), and where a field of it is in that window. Offsets and sizes are
 * CO-RE relocations, the running kernel's layout, so every test below is a
 * constant by the time the verifier sees it; where a field is not in the
 * window there, the caller reads field by field.
 */
#define CORE_BASE(p, first) (bpf_core_field_offset((p)->first) & ~7u)
#define CORE_REL(p, first, field) (bpf_core_field_offset((p)->field) - CORE_BASE(p, first))
#define CORE_IN_WINDOW(buf, p, first, field)                                       \
	(bpf_core_field_offset((p)->field) >= bpf_core_field_offset((p)->first) && \
	 CORE_REL(p, first, field) + bpf_core_field_size((p)->field) <= sizeof(buf))
/* opaque to clang, which would turn buf + (off & 7) into buf | (off & 7): no pointer ORs */
#define CORE_AT(buf, p, first, field)                  \
	({                                             \
		__u32 rel = CORE_REL(p, first, field); \
		barrier_var(rel);                      \
		(void *)(buf) + rel;                   \
	})
/* the window itself, read from the object at p */
#define CORE_READ_WINDOW(buf, p, first) \
	bpf_probe_read_kernel(buf, sizeof(buf), (void *)(p) + CORE_BASE(p, first))

/*
 * Fill the address part of a key from a socket's own fields (local and peer
 * address, local and peer port) and the direction already set in k.
 * Returns false for families other than IPv4/IPv6.
 */
static __always_inline bool key_from_sock(struct flow_key *k, const struct sock *sk)
{
	__u8 *remote = key_remote(k);
	__u8 *local = key_local(k);
	__u16 family, dport, num;

#ifdef EBPFLOW_PROBE_READ
	const struct sock_common *c = (const struct sock_common *)sk;
	__u64 head[3], v6[4];

	/*
	 * IPv4's addresses, the ports and the family lie together at the head
	 * of sock_common (skc_daddr .. skc_family), IPv6's two addresses
	 * together further on: one probe read each, where five were one field
	 * each.
	 */
	if (CORE_IN_WINDOW(head, c, skc_daddr, skc_rcv_saddr) &&
	    CORE_IN_WINDOW(head, c, skc_daddr, skc_dport) &&
	    CORE_IN_WINDOW(head, c, skc_daddr, skc_num) &&
	    CORE_IN_WINDOW(head, c, skc_daddr, skc_family)) {
		if (CORE_READ_WINDOW(head, c, skc_daddr))
			return false;
		family = *(__u16 *)CORE_AT(head, c, skc_daddr, skc_family);
		dport = *(__u16 *)CORE_AT(head, c, skc_daddr, skc_dport);
		num = *(__u16 *)CORE_AT(head, c, skc_daddr, skc_num);
		if (family == AF_INET) {
			*(__u32 *)local = *(__u32 *)CORE_AT(head, c, skc_daddr, skc_rcv_saddr);
			*(__u32 *)remote = *(__u32 *)CORE_AT(head, c, skc_daddr, skc_daddr);
		}
	} else {
		family = BPF_CORE_READ(c, skc_family);
		dport = BPF_CORE_READ(c, skc_dport);
		num = BPF_CORE_READ(c, skc_num);
		if (family == AF_INET) {
			BPF_CORE_READ_INTO((__u32 *)local, c, skc_rcv_saddr);
			BPF_CORE_READ_INTO((__u32 *)remote, c, skc_daddr);
		}
	}
	if (family == AF_INET6) {
		if (CORE_IN_WINDOW(v6, c, skc_v6_daddr, skc_v6_rcv_saddr)) {
			if (CORE_READ_WINDOW(v6, c, skc_v6_daddr))
				return false;
			/* in6_addr: 4-byte aligned */
			__builtin_memcpy(remote,
					 (__u32 *)CORE_AT(v6, c, skc_v6_daddr, skc_v6_daddr),
					 EBPFLOW_ADDR_LEN);
			__builtin_memcpy(local,
					 (__u32 *)CORE_AT(v6, c, skc_v6_daddr, skc_v6_rcv_saddr),
					 EBPFLOW_ADDR_LEN);
		} else {
			BPF_CORE_READ_INTO((struct in6_addr *)local, c, skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO((struct in6_addr *)remote, c, skc_v6_daddr);
		}
	}
#else
	family = sk->__sk_common.skc_family;
	dport = sk->__sk_common.skc_dport;
	num = sk->__sk_common.skc_num;
	if (family == AF_INET) {
		*(__u32 *)local = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)remote = sk->__sk_common.skc_daddr;
	} else if (family == AF_INET6) {
		__builtin_memcpy(local, &sk->__sk_common.skc_v6_rcv_saddr, EBPFLOW_ADDR_LEN);
		__builtin_memcpy(remote, &sk->__sk_common.skc_v6_daddr, EBPFLOW_ADDR_LEN);
	}
#endif
	if (family == AF_INET)
		k->ip_version = 4;
	else if (family == AF_INET6)
		k->ip_version = 6;
	else
		return false;
	k->port = k->direction == EBPFLOW_DIR_OUTBOUND ? bpf_ntohs(dport) : num;
	return true;
}

/* The socket's protocol and type, read the way this object reads sockets. */
static __always_inline __u16 sock_protocol(const struct sock *sk)
{
#ifdef EBPFLOW_PROBE_READ
	return BPF_CORE_READ(sk, sk_protocol);
#else
	return sk->sk_protocol;
#endif
}

static __always_inline __u16 sock_family(const struct sock *sk)
{
#ifdef EBPFLOW_PROBE_READ
	return BPF_CORE_READ(sk, __sk_common.skc_family);
#else
	return sk->__sk_common.skc_family;
#endif
}

#endif /* EBPFLOW_SOCK_BPF_H */
