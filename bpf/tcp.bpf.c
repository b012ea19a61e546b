// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TCP on every tier: connects, each connection's end (its payload bytes and
 * health: handshake, RTT, retransmissions; or its failure and why), and on
 * the tracepoint tier the marks that let accepts be counted at first use
 * (accept.bpf.h).
 *
 * inet_sock_set_state fires at every state change of every TCP socket. The
 * CLOSE -> SYN_SENT change runs in the connecting task, after the kernel chose
 * the source address: that is the connect. Every connection ends with a change
 * to CLOSE, in whatever context (a timer, softirq for a reset): the flow it
 * counts for was noted when it was made (conn.bpf.h). A BTF tracepoint: no
 * tracefs needed.
 */
#include "accept.bpf.h"

#define TCP_ESTABLISHED_STATE 1
#define TCP_SYN_SENT_STATE 2
#define TCP_SYN_RECV_STATE 3
#define TCP_FIN_WAIT1_STATE 4
#define TCP_FIN_WAIT2_STATE 5
#define TCP_CLOSE_STATE 7
#define TCP_LAST_ACK_STATE 9
#define TCP_CLOSING_STATE 11

/* Linux 6.13 moved the socket's flags into sock_common. */
struct sock_common___ebpflow {
	unsigned long skc_flags;
} __attribute__((preserve_access_index));

struct sock___flags_new {
	struct sock_common___ebpflow __sk_common;
} __attribute__((preserve_access_index));

struct sock___flags_old {
	unsigned long sk_flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long sock_flags_of(struct sock *sk)
{
	if (bpf_core_field_exists(struct sock___flags_old, sk_flags))
		return ((struct sock___flags_old *)sk)->sk_flags;
	return ((struct sock___flags_new *)sk)->__sk_common.skc_flags;
}

/*
 * The TCP socket behind sk, for direct loads: one helper call instead of a
 * probe read (a helper call each) per field. NULL only for what is not a
 * full TCP socket, which inet_sock_set_state never passes.
 */
static __always_inline struct tcp_sock *tcp_of(struct sock *sk)
{
	return bpf_skc_to_tcp_sock(sk);
}

#define ECONNREFUSED 111
#define ETIMEDOUT 110

/* Where a connection's byte counters stand once it is established. */
static __always_inline void conn_established(struct tcp_sock *tp, struct conn *c)
{
	c->acked0 = tp->bytes_acked;
	c->received0 = tp->bytes_received;
	c->flags |= CONN_ESTABLISHED;
}

/* A connect's handshake: from its SYN_SENT (conn_begin) to now. */
static __always_inline void active_handshake(struct conn *c)
{
	__u64 now = bpf_ktime_get_ns(), us;

	if (!(c->flags & CONN_KEYED) || !c->hs || now < c->hs)
		return;
	us = (now - c->hs) / 1000;
	c->hs = us > 0xffffffffu ? 0xffffffffu : us;
	c->flags |= CONN_HANDSHAKE;
}

/*
 * An accepted connection's handshake as its server saw it: the kernel
 * measures the SYN-ACK's RTT from the request's stamp and seeds the child's
 * srtt with it just before the child is established (0 when the SYN-ACK
 * was sent again: then nothing is measured).
 */
static __always_inline void passive_handshake(struct tcp_sock *tp, struct conn *c)
{
	__u32 srtt = tp->srtt_us >> 3;

	if (!srtt)
		return;
	c->hs = srtt;
	c->flags |= CONN_HANDSHAKE;
}

/* one more measure x of a figure: its count, sum, min and max */
static __always_inline void health_add(__u32 *count, __u64 *sum, __u32 *min, __u32 *max, __u32 x)
{
	/*
	 * Plain stores for min and max: the slot is this CPU's; a close in
	 * softirq that interrupts one in a task may lose its min or max, never
	 * a count or a sum.
	 */
	if (!*count || x < *min)
		*min = x;
	if (x > *max)
		*max = x;
	__sync_fetch_and_add(sum, x);
	__sync_fetch_and_add(count, 1);
}

/* An established connection's handshake, RTT (srtt_us >> 3) and retransmissions, at its close. */
static __always_inline void health_close(struct tcp_sock *tp, struct conn *c, __u32 srtt,
					 struct flow_value *v)
{
	__u32 segs = tp->total_retrans;
	struct tcp_health *h = &v->health;

	if (c->flags & CONN_HANDSHAKE)
		health_add(&h->hs_count, &h->hs_sum_us, &h->hs_min_us, &h->hs_max_us, c->hs);
	if (srtt)
		health_add(&h->rtt_count, &h->rtt_sum_us, &h->rtt_min_us, &h->rtt_max_us, srtt);
	if (segs)
		__sync_fetch_and_add(&v->retrans_segs, segs);
}

/* Why a connect failed: the error the kernel left on the socket as it closed it. */
static __always_inline void health_failed(struct sock *sk, struct tcp_health *h)
{
	int err = sk->sk_err;

	/* anything else is failed_other: flow_value.failed less these two */
	if (err == ECONNREFUSED)
		__sync_fetch_and_add(&h->failed_refused, 1);
	else if (err == ETIMEDOUT)
		__sync_fetch_and_add(&h->failed_timeout, 1);
}

/*
 * Payload bytes each way at the close. The counters count sequence space, so
 * the FIN is in them when it was sent and acknowledged, or received; the SYN
 * is left out by the readings taken at ESTABLISHED. Our FIN went out only
 * from the states after a close or shutdown, and it was acknowledged when
 * nothing is left unacknowledged; the peer's FIN is the one thing that sets
 * SOCK_DONE on a TCP socket.
 */
static __always_inline void conn_bytes(struct sock *sk, struct tcp_sock *tp, struct conn *c,
				       int oldstate, __u64 *sent, __u64 *received)
{
	bool fin_out = oldstate == TCP_FIN_WAIT1_STATE || oldstate == TCP_FIN_WAIT2_STATE ||
		       oldstate == TCP_CLOSING_STATE || oldstate == TCP_LAST_ACK_STATE;
	unsigned long sk_flags = sock_flags_of(sk);
	__u64 acked = tp->bytes_acked - c->acked0;
	__u64 rcvd = tp->bytes_received - c->received0;

	if (fin_out && acked && tp->snd_una == tp->write_seq)
		acked--;
	if (rcvd && (sk_flags & (1ul << bpf_core_enum_value(enum sock_flags, SOCK_DONE))))
		rcvd--;
	*sent = acked;
	*received = rcvd;
}

/* The end of a followed connection: its bytes, or its failure, go to its flow. */
static __always_inline void conn_close(struct sock *sk, int oldstate)
{
	struct conn *c = conn_get(sk, false);
	struct flow_slot_info info = {}; /* bytes, not calls: nothing of it is counted */
	struct tcp_sock *tp = NULL;
	struct flow_value *v;
	__u64 sent = 0, received = 0, fwd, rev;
	__u32 srtt = 0;

	if (!c)
		return;
	if (!(c->flags & CONN_KEYED))
		goto out;
	if (c->flags & CONN_ESTABLISHED) {
		tp = tcp_of(sk);
		if (!tp)
			goto out;
		conn_bytes(sk, tp, c, oldstate, &sent, &received);
		/*
		 * Without a byte either way the close touches no flow, as before
		 * its health was kept: a flow update at every such close cost
		 * the TCP loop 170 ns a state change (docs/PERFORMANCE.md).
		 */
		if (!sent && !received)
			goto out;
		srtt = tp->srtt_us >> 3;
	} else if (c->key.direction != EBPFLOW_DIR_OUTBOUND) {
		goto out;
	}
	v = flow_slot(&c->key, &c->ident, &info);
	if (!v) {
		stat_inc(EBPFLOW_STAT_CLOSE_LOST);
		goto out;
	}
	if (tp) {
		/* the initiator is the source: an inbound flow's bytes are the peer's */
		fwd = c->key.direction == EBPFLOW_DIR_OUTBOUND ? sent : received;
		rev = c->key.direction == EBPFLOW_DIR_OUTBOUND ? received : sent;
		if (fwd)
			__sync_fetch_and_add(&v->bytes, fwd);
		if (rev)
			__sync_fetch_and_add(&v->reverse_bytes, rev);
		health_close(tp, c, srtt, v);
	} else {
		/* refused, timed out or reset before the handshake completed */
		health_failed(sk, &v->health);
		__sync_fetch_and_add(&v->failed, 1);
		stat_inc(EBPFLOW_STAT_TCP_FAILED);
	}
	v->close_ns = bpf_ktime_get_ns();
out:
	accept_dropped(c);
	conn_forget(sk, c);
}

/*
 * A passive connection is established (in softirq, before anyone accepts
 * it): its byte counters' starting point, and on the tracepoint tier its
 * pending accept with the inbound key's address part, which the close hook
 * cannot read. Its state is made here whole, in one update, and nothing is
 * kept of a listener's child before: its pending accept could not be claimed
 * before this key was read anyway. The state is there already when an accept
 * on another CPU came first (fentry and kprobe tiers, which count an accept
 * where it returns), or for a simultaneous open (the connect's).
 */
static __always_inline void passive_established(struct sock *sk)
{
	struct flow_key k = { .direction = EBPFLOW_DIR_INBOUND, .proto = IPPROTO_TCP };
	struct tcp_sock *tp = tcp_of(sk);
	struct conn *c, n = {};
	int err;

	if (!tp)
		return;
	conn_established(tp, &n);
	passive_handshake(tp, &n);
	if (accept_at_first_use && key_from_sock(&k, sk)) {
		key_normalize_v6(&k);
		n.key = k;
		accept_pending(sk, &n);
	}
	err = conn_put(sk, &n, BPF_NOEXIST);
	if (!err) {
		accept_slotted(&n);
		return;
	}
	if (err != -EEXIST)
		return;
	c = conn_get(sk, false);
	if (c) {
		conn_established(tp, c);
		passive_handshake(tp, c);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state, struct sock *sk, const int oldstate, const int newstate)
{
	struct tcp_sock *tp;
	struct conn *c;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_CLOSE_STATE) {
		conn_close(sk, oldstate);
	} else if (oldstate == TCP_CLOSE_STATE && newstate == TCP_SYN_SENT_STATE) {
		account_tcp_call(sk, EBPFLOW_DIR_OUTBOUND, EBPFLOW_STAT_TCP_CONNECT);
	} else if (oldstate == TCP_SYN_SENT_STATE && newstate == TCP_ESTABLISHED_STATE) {
		c = conn_get(sk, false);
		tp = tcp_of(sk);
		if (c && tp) {
			conn_established(tp, c);
			active_handshake(c);
		}
	} else if (oldstate == TCP_SYN_RECV_STATE && newstate == TCP_ESTABLISHED_STATE) {
		passive_established(sk);
	}
	return 0;
}

/*
 * Tracepoint tier: the last close of a socket, in the closing process, before
 * the socket leaves ESTABLISHED: an accepted socket closed without a read or
 * a write is claimed here. The key was noted when it was established.
 */
SEC("cgroup/sock_release")
int tcp_release(struct bpf_sock *ctx)
{
	struct flow_counted got;
	struct conn *c;
	__u32 tgid;

	if (ctx->protocol != IPPROTO_TCP || accept_none_in(accept_slot_of_ctx(ctx)))
		return 1;
	c = conn_get((struct sock *)ctx, false);
	if (!c || !c->key.ip_version || !take_accept(c))
		return 1;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (ignore_current(tgid))
		return 1;
	c->key.pid = tgid;
	c->key.start_ns = current_start_ns_probe(); /* not a tracing program */
	stat_inc(EBPFLOW_STAT_TCP_ACCEPT);
	if (flow_count(&c->key, 0, &got)) {
		ident_of_counted(&got, &c->ident);
		c->flags |= CONN_KEYED;
	}
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
