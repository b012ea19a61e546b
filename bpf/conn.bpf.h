/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What eBPFlow follows of one TCP connection between the call that made it
 * (a connect, an accept) and its close: the flow it counts for, who made it,
 * whether it was ever established, and where its byte counters stood then.
 * At the close (tcp.bpf.c) the connection's payload bytes, or its failure,
 * are added to that flow, in whatever context the kernel closes it.
 *
 * Two places to keep it, one meaning. First a hash keyed by the socket's
 * address, whose entry is removed at the close: an entry comes from a per-CPU
 * cache of the map's own memory. Socket storage (tracing programs, Linux 5.11;
 * a pointer away from the socket, freed with it) costs an allocation charged
 * to the socket and a free when the socket goes, two for every connection:
 * 90 ns more a state change on average in the TCP loop, over a third of
 * tcp_state (docs/PERFORMANCE.md). So it takes only the connections the full
 * hash cannot, where the kernel lets these programs use it: the exporter sets
 * conn_in_sk_storage after probing, and the loader drops the branch a kernel
 * cannot take, so an older kernel never sees the helper it lacks.
 */
#ifndef EBPFLOW_CONN_BPF_H
#define EBPFLOW_CONN_BPF_H

#include "flow.bpf.h"

const volatile bool conn_in_sk_storage __weak = false;

/* conn.flags */
#define CONN_KEYED 1u       /* key and ident are set: the connection counts */
#define CONN_ESTABLISHED 2u /* it reached ESTABLISHED: acked0/received0 are set */
#define CONN_HANDSHAKE 4u   /* hs is its handshake time in us, no more its SYN's time */
#define CONN_SLOTTED 8u     /* its pending accept is counted in accepts_pending[slot] */

/* conn.accept, tracepoint tier only (accept.bpf.h) */
#define ACCEPT_PENDING 1u /* completed for a listener, not claimed yet */
#define ACCEPT_CLAIMED 2u /* claimed by the first process that used it */

struct conn {
	struct flow_key key;
	struct flow_ident ident;
	__u64 acked0;    /* tcp_sock.bytes_acked when established (the SYN, on the active side) */
	__u64 received0; /* tcp_sock.bytes_received then */
	__u32 flags;     /* CONN_* */
	__u32 accept;    /* ACCEPT_*, swapped atomically */
	/* a connect's SYN_SENT (bpf_ktime_get_ns), then its handshake (CONN_HANDSHAKE) */
	__u64 hs;
	__u32 slot; /* tracepoint tier: where its pending accept is counted (accept.bpf.h) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct conn);
} conn_store SEC(".maps") __weak;

/*
 * Memory only for the connections alive (no preallocation). A connection
 * that finds it full goes to socket storage where there is any, else it is
 * counted and its bytes are lost. On the kprobe tier before Linux 6.1 the
 * exporter allocates it whole at load, smaller (tiers.c conn_prealloc): a
 * kprobe using a hash that allocates as it runs makes those kernels WARN.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EBPFLOW_CONN_MAX); /* EBPFLOW_CONN_MAX_PREALLOC, allocated, on old kprobes */
	__type(key, __u64); /* the struct sock's address */
	__type(value, struct conn);
} conn_hash SEC(".maps") __weak;

/*
 * Where a connection goes when the hash is full: socket storage (made, or
 * what is there), where the kernel lets these programs use it; else it is
 * counted as not followed and NULL.
 */
static __always_inline struct conn *conn_overflow(struct sock *sk)
{
	struct conn *c;

	if (conn_in_sk_storage) {
		c = bpf_sk_storage_get(&conn_store, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (c)
			return c;
	}
	stat_inc(EBPFLOW_STAT_CONN_FULL);
	return NULL;
}

/* The state of sk, made (zeroed) when create is set and there is none. */
static __always_inline struct conn *conn_get(struct sock *sk, bool create)
{
	static const struct conn zero;
	__u64 addr = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conn_hash, &addr);

	if (c)
		return c;
	if (conn_in_sk_storage) {
		c = bpf_sk_storage_get(&conn_store, sk, 0, 0);
		if (c || !create)
			return c;
	} else if (!create) {
		return NULL;
	}
	/* EEXIST: another CPU made it (an accept's first use on two CPUs) */
	bpf_map_update_elem(&conn_hash, &addr, &zero, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&conn_hash, &addr);
	if (c)
		return c;
	return conn_overflow(sk);
}

/*
 * A connection's state made whole at once, init, for a socket whose hash
 * entry is new (flags: BPF_NOEXIST) or replaced (BPF_ANY): one update, where
 * conn_get's making costs a look-up, an update and a look-up more. Returns 0
 * when made, -EEXIST when BPF_NOEXIST found one (the caller's to look up),
 * in the hash or, when the full hash sent it to socket storage, there (a
 * connection's entry there is emptied at its close), or -1 when neither the
 * hash nor socket storage took it.
 */
static __always_inline int conn_put(struct sock *sk, const struct conn *init, __u64 flags)
{
	__u64 addr = (__u64)sk;
	struct conn *c;
	long err = bpf_map_update_elem(&conn_hash, &addr, init, flags);

	if (!err)
		return 0;
	if (err == -EEXIST)
		return err;
	c = conn_overflow(sk);
	if (!c)
		return -1;
	if (flags == BPF_NOEXIST && (c->flags || c->accept))
		return -EEXIST;
	*c = *init;
	return 0;
}

/*
 * The connection is over. A hash entry must go; socket storage goes with its
 * socket: emptying it is cheaper than deleting it, and a socket that connects
 * again starts afresh anyway.
 */
static __always_inline void conn_forget(struct sock *sk, struct conn *c)
{
	__u64 addr = (__u64)sk;

	if (bpf_map_delete_elem(&conn_hash, &addr) && conn_in_sk_storage) {
		c->flags = 0;
		c->accept = 0;
	}
}

/*
 * A connection of the current task, counted on the flow k, is followed to its
 * close. A connect starts afresh; an accept keeps what the kernel noted when
 * the connection was established (before anyone accepted it).
 */
static __always_inline void conn_begin(struct sock *sk, const struct flow_key *k, bool fresh,
				       const struct flow_counted *got)
{
	struct conn *c, n = {};

	if (fresh) {
		n.key = *k;
		ident_of_counted(got, &n.ident);
		n.flags = CONN_KEYED;
		n.hs = got->now; /* the SYN goes out now */
		conn_put(sk, &n, BPF_ANY);
		return;
	}
	c = conn_get(sk, true);
	if (!c)
		return;
	c->key = *k;
	ident_of_counted(got, &c->ident);
	c->flags |= CONN_KEYED;
}

/*
 * Count a TCP connect or accept of the current task on sk, whose own fields
 * make the key, and follow the connection to its close. sk is read the way
 * the including object reads sockets.
 */
static __always_inline void account_tcp_call(struct sock *sk, __u8 direction,
					     enum ebpflow_stat stat)
{
	struct flow_key k = {};
	struct flow_counted got;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (ignore_current(tgid))
		return;
	k.direction = direction;
	k.proto = IPPROTO_TCP;
	if (!key_from_sock(&k, sk))
		return;
	key_normalize_v6(&k);
	key_set_current(&k, tgid);
	stat_inc(stat);
	if (flow_count(&k, 0, &got))
		conn_begin(sk, &k, direction == EBPFLOW_DIR_OUTBOUND, &got);
}

#endif
