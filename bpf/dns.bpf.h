/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * DNS answers for the peers' names (issue 22): the hook of each tier that
 * already sees a received datagram hands the first bytes of those from port
 * 53 to user space (struct dns_event, ebpflow.h), which parses them. Every
 * other datagram pays one compare of its source port, and nothing at all when
 * the capture is off (the load-time knob removes the branch).
 *
 * The fentry and kprobe tiers copy the payload from the datagram itself
 * (skb_consume_udp). The tracepoint tier has no hook that holds the datagram
 * in the receiving task: its cgroup/recvmsg hook names the sender (port 53)
 * and sock_recv_length, at the end of the same system call, reads the answer
 * back from the buffer the caller passed to recvfrom or recvmsg (its first
 * iovec), found in the system call's registers. So there a DNS client must
 * ask for the sender's address (glibc, systemd-resolved, dnsmasq do) and
 * receive with recvfrom/recvmsg, not recvmmsg nor io_uring.
 */
#ifndef EBPFLOW_DNS_BPF_H
#define EBPFLOW_DNS_BPF_H

#include "flow.bpf.h"

/* hand DNS answers to user space ([flows] dns_names) */
const volatile __u32 ebpflow_dns_capture __weak = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EBPFLOW_DNS_RING_BYTES);
} dns_answers SEC(".maps") __weak;

#if defined(__TARGET_ARCH_x86)
#define DNS_NR_RECVFROM 45
#define DNS_NR_RECVMSG 47
#define DNS_SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define DNS_NR_RECVFROM 207
#define DNS_NR_RECVMSG 212
#define DNS_SYSCALL_NR(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), regs[8])
#endif

static __always_inline __u32 sock_netns(const struct sock *sk)
{
#ifdef EBPFLOW_PROBE_READ
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
#else
	return sk->__sk_common.skc_net.net->ns.inum;
#endif
}

/* An event to fill, or NULL (counted) when the ring is full. */
static __always_inline struct dns_event *dns_event_new(__u32 netns)
{
	struct dns_event *e = bpf_ringbuf_reserve(&dns_answers, sizeof(*e), 0);

	if (!e) {
		stat_inc(EBPFLOW_STAT_DNS_DROPPED);
		return NULL;
	}
	e->netns = netns;
	return e;
}

/* size: the datagram's length, len: what of it was copied */
static __always_inline void dns_event_done(struct dns_event *e, long err, __u32 len, __u32 size)
{
	if (err) {
		bpf_ringbuf_discard(e, 0);
		return;
	}
	e->len = len;
	e->size = size > 0xffff ? 0xffff : size;
	if (size > len)
		stat_inc(EBPFLOW_STAT_DNS_LONG);
	/* user space reads the ring each pass: woken early only when it fills */
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&dns_answers, BPF_RB_AVAIL_DATA) >=
				      EBPFLOW_DNS_RING_BYTES / 4
				  ? BPF_RB_FORCE_WAKEUP
				  : BPF_RB_NO_WAKEUP);
	stat_inc(EBPFLOW_STAT_DNS_ANSWERS);
}

/*
 * A datagram from port 53 received on sk, still at hand (its head, and the
 * offsets of its UDP header and of its end from there): its payload follows
 * the UDP header (the part in the skb's linear data: a payload partly in
 * pages is cut there, which its length in the event tells).
 */
static __always_inline void dns_from_skb(const struct sock *sk, const unsigned char *head, __u32 th,
					 __u32 tail)
{
	struct dns_event *e;
	__u32 len, size;
	__u16 ulen;

	if (bpf_probe_read_kernel(&ulen, sizeof(ulen), head + th + 4))
		return;
	size = bpf_ntohs(ulen);
	/* the UDP length, within the linear data, at most the capture */
	if (size < 8 || tail < th + 8)
		return;
	size -= 8;
	len = size;
	if (len > tail - th - 8)
		len = tail - th - 8;
	if (len > EBPFLOW_DNS_CAPTURE)
		len = EBPFLOW_DNS_CAPTURE;
	e = dns_event_new(sock_netns(sk));
	if (e)
		dns_event_done(e, bpf_probe_read_kernel(e->data, len, head + th + 8), len, size);
}

/*
 * The end of a receive of len bytes from port 53 on a socket of network
 * namespace netns, on the tracepoint tier: the answer is in the caller's
 * buffer.
 */
static __always_inline void dns_from_user(__u32 netns, long len)
{
#ifdef DNS_SYSCALL_NR
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = DNS_SYSCALL_NR(regs);
	const void *buf;
	struct dns_event *e;
	long received = len; /* with MSG_TRUNC the datagram's length, else what was copied */

	if (nr == DNS_NR_RECVFROM) {
		unsigned long size = PT_REGS_PARM3_CORE_SYSCALL(regs);

		buf = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		if ((unsigned long)len > size) /* MSG_TRUNC says the datagram's length */
			len = size;
	} else if (nr == DNS_NR_RECVMSG) {
		struct user_msghdr m;
		struct iovec iov;

		if (bpf_probe_read_user(&m, sizeof(m), (void *)PT_REGS_PARM2_CORE_SYSCALL(regs)) ||
		    !m.msg_iovlen || bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov))
			return;
		buf = iov.iov_base;
		if ((unsigned long)len > iov.iov_len)
			len = iov.iov_len;
	} else {
		return; /* recvmmsg, io_uring: not where the answer is */
	}
	if (len <= 0)
		return;
	if (len > EBPFLOW_DNS_CAPTURE)
		len = EBPFLOW_DNS_CAPTURE;
	e = dns_event_new(netns);
	if (e)
		dns_event_done(e, bpf_probe_read_user(e->data, len, buf), len, received);
#endif
}

#endif
