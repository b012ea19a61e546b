/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * UDP sends and receives, counted at the end of the call (its result says
 * whether it happened) with the addresses the datagram itself carried.
 *
 * A send: the hook that sees the datagram leave (ip_send_skb/ip6_send_skb on
 * the fentry and kprobe tiers, the cgroup egress hook on the tracepoint tier)
 * notes its source, destination and port; the end of the same call takes the
 * note. That gives the source the kernel chose for an unbound socket, and the
 * destination of sendto on any socket. A call that made no datagram (it
 * failed, or MSG_MORE corks it) has no note: its socket's own addresses are
 * used.
 *
 * A receive: where the datagram is at hand (skb_consume_udp, fentry and
 * kprobe tiers), its source names the peer even for recv() without an
 * address; on the tracepoint tier the peer is the address handed back to the
 * caller (cgroup/recvmsg4|6), so recv() on an unconnected socket has none.
 * A datagram from port 53 is a DNS answer: its first bytes also go to user
 * space, for the peers' names (dns.bpf.h).
 *
 * Notes live in a per-CPU slot, not per thread: the hook and the end of the
 * call run in one task with nothing that sleeps in between, and every slot
 * says which socket (and thread) it belongs to, so a note is never applied to
 * another socket or call: a mismatch leaves the peer to the socket (counted as
 * unknown when it has none).
 */
#ifndef EBPFLOW_UDP_BPF_H
#define EBPFLOW_UDP_BPF_H

#include "dns.bpf.h"
#include "fcache.bpf.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define MSG_PEEK 2
#define MSG_ERRQUEUE 0x2000
#define NEXTHDR_UDP 17

struct udp_note {
	__u64 sk;        /* the socket it belongs to (its address) */
	__u64 tid;       /* bpf_get_current_pid_tgid() of the thread, 0 if unknown */
	__u8 ip_version; /* 0: empty */
	__u8 pad;
	__u16 port;      /* remote port, host order */
	__u32 pad2;
	__u8 local[EBPFLOW_ADDR_LEN];  /* network order, IPv4 in the first 4 */
	__u8 remote[EBPFLOW_ADDR_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct udp_note);
} udp_notes SEC(".maps") __weak;

#define NOTE_OUT 0 /* the datagram a send made */
#define NOTE_IN 1  /* the peer a receive handed back */

static __always_inline struct udp_note *udp_note(__u32 which)
{
	return bpf_map_lookup_elem(&udp_notes, &which);
}

/*
 * Take this call's note: the slot is emptied when it is this thread's or this
 * socket's, and returned when it is both.
 */
static __always_inline struct udp_note *note_take(__u32 which, const void *sk, __u64 tid,
						  struct udp_note *out)
{
	struct udp_note *n = udp_note(which);
	bool mine;

	if (!n || !n->ip_version)
		return NULL;
	mine = n->sk == (__u64)sk && (!n->tid || n->tid == tid);
	if (!mine && n->sk != (__u64)sk && n->tid != tid)
		return NULL; /* someone else's, not ours to empty */
	if (mine)
		__builtin_memcpy(out, n, sizeof(*out));
	n->ip_version = 0;
	return mine ? out : NULL;
}

/*
 * IPv4 in the IPv6-sized fields of a key or note (4-byte aligned in both):
 * mapped when the key is IPv6. Word stores: a byte-wise memset here made
 * 16 stores of every note and key.
 */
static __always_inline void put_v4(__u8 *dst, __u32 addr, bool mapped)
{
	__u32 *w = (__u32 *)dst;

	w[0] = mapped ? 0 : addr;
	w[1] = 0;
	w[2] = mapped ? bpf_htonl(0x0000ffff) : 0;
	w[3] = mapped ? addr : 0;
}

/* What the IPv4/IPv6 and UDP headers of an outgoing datagram say, into the out note. */
static __always_inline void note_datagram4(const void *sk, __u64 tid, __u32 saddr, __u32 daddr,
					   __u16 dport)
{
	struct udp_note *n = udp_note(NOTE_OUT);

	if (!n)
		return;
	n->sk = (__u64)sk;
	n->tid = tid;
	put_v4(n->local, saddr, false);
	put_v4(n->remote, daddr, false);
	n->port = bpf_ntohs(dport);
	n->ip_version = 4;
}

static __always_inline void note_datagram6(const void *sk, __u64 tid, const void *saddr,
					   const void *daddr, __u16 dport)
{
	struct udp_note *n = udp_note(NOTE_OUT);

	if (!n)
		return;
	n->sk = (__u64)sk;
	n->tid = tid;
	__builtin_memcpy(n->local, saddr, EBPFLOW_ADDR_LEN);
	__builtin_memcpy(n->remote, daddr, EBPFLOW_ADDR_LEN);
	n->port = bpf_ntohs(dport);
	n->ip_version = 6;
}

/*
 * What of an skb locates its headers (offsets from head) and says who holds
 * it. On probe reads they come in one read: in every layout seen they lie
 * together, from protocol to users (48 bytes from the 8-byte boundary before
 * protocol on Debian's 6.1 and 6.12, 40 on 6.18), where they were four to six
 * reads of a field each.
 */
struct skb_view {
	unsigned char *head;
	__u32 tail; /* sk_buff_data_t: an offset on 64-bit kernels */
	__u16 nh, th;
	__u16 proto; /* network order */
	int users;
};

/* false, and all zeros in *v, when it cannot be read */
static __always_inline bool skb_view(struct sk_buff *skb, struct skb_view *v)
{
#ifdef EBPFLOW_PROBE_READ
	__u64 w[6];

	if (CORE_IN_WINDOW(w, skb, protocol, transport_header) &&
	    CORE_IN_WINDOW(w, skb, protocol, network_header) &&
	    CORE_IN_WINDOW(w, skb, protocol, tail) && CORE_IN_WINDOW(w, skb, protocol, head) &&
	    CORE_IN_WINDOW(w, skb, protocol, users)) {
		if (CORE_READ_WINDOW(w, skb, protocol)) {
			__builtin_memset(v, 0, sizeof(*v)); /* as field reads would */
			return false;
		}
		v->proto = *(__u16 *)CORE_AT(w, skb, protocol, protocol);
		v->th = *(__u16 *)CORE_AT(w, skb, protocol, transport_header);
		v->nh = *(__u16 *)CORE_AT(w, skb, protocol, network_header);
		v->tail = *(__u32 *)CORE_AT(w, skb, protocol, tail);
		v->head = *(unsigned char **)CORE_AT(w, skb, protocol, head);
		v->users = *(int *)CORE_AT(w, skb, protocol, users);
		return true;
	}
	v->proto = BPF_CORE_READ(skb, protocol);
	v->th = BPF_CORE_READ(skb, transport_header);
	v->nh = BPF_CORE_READ(skb, network_header);
	v->tail = BPF_CORE_READ(skb, tail);
	v->head = BPF_CORE_READ(skb, head);
	v->users = BPF_CORE_READ(skb, users.refs.counter);
#else
	v->proto = skb->protocol;
	v->th = skb->transport_header;
	v->nh = skb->network_header;
	v->tail = skb->tail;
	v->head = skb->head;
	v->users = skb->users.refs.counter;
#endif
	return true;
}

/*
 * The headers of an skb the kernel built (network and transport header
 * offsets set); the packet bytes are read with probe reads, the IP and UDP
 * headers in one where they follow each other (no IPv4 options, no IPv6
 * extension headers: the usual case). ip_version is the one the caller
 * knows, or 0 to go by skb->protocol (set on received packets, and on sent
 * ones only once ip_output runs).
 */
struct dgram_hdr {
	__u8 ip_version;
	__u16 sport, dport; /* network order */
	__u8 saddr[EBPFLOW_ADDR_LEN], daddr[EBPFLOW_ADDR_LEN];
};

static __always_inline bool read_dgram(const struct skb_view *v, __u8 ip_version,
				       struct dgram_hdr *h)
{
	__u16 proto = bpf_ntohs(v->proto);
	const unsigned char *ip = v->head + v->nh, *udp = v->head + v->th;

	if (ip_version)
		proto = ip_version == 4 ? ETH_P_IP : ETH_P_IPV6;
	__builtin_memset(h, 0, sizeof(*h));
	if (proto == ETH_P_IP) {
		struct {
			struct iphdr ip;
			__u16 ports[2];
		} p;

		_Static_assert(sizeof(p) == sizeof(p.ip) + 4,
			       "UDP header right after the IP header");
		if (v->th == v->nh + sizeof(p.ip)) {
			if (bpf_probe_read_kernel(&p, sizeof(p), ip))
				return false;
		} else if (bpf_probe_read_kernel(&p.ip, sizeof(p.ip), ip) ||
			   bpf_probe_read_kernel(p.ports, sizeof(p.ports), udp)) {
			return false;
		}
		__builtin_memcpy(h->saddr, &p.ip.saddr, 4);
		__builtin_memcpy(h->daddr, &p.ip.daddr, 4);
		h->sport = p.ports[0];
		h->dport = p.ports[1];
		h->ip_version = 4;
	} else if (proto == ETH_P_IPV6) {
		struct {
			struct ipv6hdr ip;
			__u16 ports[2];
		} p;

		_Static_assert(sizeof(p) == sizeof(p.ip) + 4,
			       "UDP header right after the IP header");
		if (v->th == v->nh + sizeof(p.ip)) {
			if (bpf_probe_read_kernel(&p, sizeof(p), ip))
				return false;
		} else if (bpf_probe_read_kernel(&p.ip, sizeof(p.ip), ip) ||
			   bpf_probe_read_kernel(p.ports, sizeof(p.ports), udp)) {
			return false;
		}
		__builtin_memcpy(h->saddr, &p.ip.saddr, EBPFLOW_ADDR_LEN);
		__builtin_memcpy(h->daddr, &p.ip.daddr, EBPFLOW_ADDR_LEN);
		h->sport = p.ports[0];
		h->dport = p.ports[1];
		h->ip_version = 6;
	} else {
		return false;
	}
	return true;
}

/* An outgoing IPv4 or IPv6 datagram of the current thread: note it if UDP's. */
static __always_inline void note_sent_skb(struct sk_buff *skb, __u8 ip_version)
{
#ifdef EBPFLOW_PROBE_READ
	struct sock *sk = BPF_CORE_READ(skb, sk);
#else
	struct sock *sk = skb->sk;
#endif
	struct skb_view v;
	struct dgram_hdr h;

	if (!sk || sock_protocol(sk) != IPPROTO_UDP || !skb_view(skb, &v) ||
	    !read_dgram(&v, ip_version, &h))
		return;
	if (h.ip_version == 4)
		note_datagram4(sk, bpf_get_current_pid_tgid(), *(__u32 *)h.saddr,
			       *(__u32 *)h.daddr, h.dport);
	else
		note_datagram6(sk, bpf_get_current_pid_tgid(), h.saddr, h.daddr, h.dport);
}

/*
 * The end of a UDP send of the current task on sk that returned ret: counted
 * when it succeeded, with the datagram's addresses where it made one.
 */
static __always_inline void count_udp_send(struct sock *sk, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct udp_note buf, *n = note_take(NOTE_OUT, sk, id, &buf);
	struct flow_key k = { .direction = EBPFLOW_DIR_OUTBOUND, .proto = IPPROTO_UDP };

	if (ret < 0 || ignore_current(id >> 32))
		return;
	if (n) {
		k.ip_version = n->ip_version;
		__builtin_memcpy(k.saddr, n->local, EBPFLOW_ADDR_LEN);
		__builtin_memcpy(k.daddr, n->remote, EBPFLOW_ADDR_LEN);
		k.port = n->port;
	} else {
		if (!key_from_sock(&k, sk))
			return;
		if (!k.port)
			stat_inc(EBPFLOW_STAT_UDP_NO_PEER);
		key_normalize_v6(&k);
	}
	key_set_current(&k, id >> 32);
	stat_inc(EBPFLOW_STAT_UDP_SEND);
	fcache_count(FCACHE_SEND, &k, ret);
}

/*
 * A receive of len bytes on sk by the current task, the sender known (peer,
 * sport; ip_version 0 when it is not): counted on the socket's inbound flow,
 * whose local side is the socket's own address.
 */
static __always_inline void count_udp_recv(struct sock *sk, long len, __u8 peer_version,
					   const __u8 *peer, __u16 sport)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct flow_key k = { .direction = EBPFLOW_DIR_INBOUND, .proto = IPPROTO_UDP };
	__u32 v4;

	if (ignore_current(id >> 32) || !key_from_sock(&k, sk))
		return;
	if (peer_version == 4) {
		__builtin_memcpy(&v4, peer, 4);
		put_v4(k.saddr, v4, k.ip_version == 6);
	} else if (peer_version == 6 && k.ip_version == 6) {
		__builtin_memcpy(k.saddr, peer, EBPFLOW_ADDR_LEN);
	} else if (peer_version || v6_unspecified(k.saddr)) {
		/* no peer, or an IPv6 one on an IPv4 socket (cannot be) */
		stat_inc(EBPFLOW_STAT_UDP_NO_PEER);
	}
	key_normalize_v6(&k);
	key_set_current(&k, id >> 32);
	stat_inc(EBPFLOW_STAT_UDP_RECV);
	fcache_count(FCACHE_RECV, &k, len);
}

/*
 * A received datagram, still at hand: its headers name the sender. A peek
 * passes the negation of what it copied, which is 0 for a peek into an empty
 * buffer (the idiom that learns the sender first): a peeked datagram is also
 * still referenced by its queue, which a received one no longer is.
 */
static __always_inline void count_udp_recv_skb(struct sock *sk, struct sk_buff *skb, long len)
{
	struct skb_view v;
	struct dgram_hdr h;

	if (len < 0)
		return; /* a peek: the real receive comes later */
	skb_view(skb, &v); /* all zeros if it cannot be read: no peer then */
	if (v.users > 1 || sock_protocol(sk) != IPPROTO_UDP)
		return; /* a peek too, or UDP-Lite */
	if (!read_dgram(&v, 0, &h))
		h.ip_version = 0;
	else if (ebpflow_dns_capture && h.sport == bpf_htons(EBPFLOW_DNS_PORT))
		dns_from_skb(sk, v.head, v.th, v.tail);
	count_udp_recv(sk, len, h.ip_version, h.saddr, h.sport);
}

#endif
