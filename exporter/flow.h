/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A flow as user space sees it: the kernel's key with the per-CPU values
 * merged (flow_totals), and the record that outputs receive when a flow, or
 * a part of it, is reported (flow_record).
 */
#ifndef EBPFLOW_FLOW_H
#define EBPFLOW_FLOW_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpflow.h"

_Static_assert(sizeof(struct flow_key) == 56, "flow_key layout changed: update both sides");
_Static_assert(sizeof(struct flow_key) % 8 == 0 && sizeof(struct proc_key) % 8 == 0,
	       "keys are hashed a word at a time");
_Static_assert(sizeof(struct proc_key) == 16, "proc_key layout changed: update both sides");
_Static_assert(sizeof(struct flow_value) == 144 && sizeof(struct flow_value) % 8 == 0,
	       "flow_value layout changed: update both sides");

/* Why a record was reported; the values are IPFIX flowEndReason (RFC 5102). */
enum flow_end_reason {
	FLOW_END_NONE = 0,   /* nothing is due (never in a record) */
	FLOW_END_IDLE = 1,   /* no call for the idle timeout */
	FLOW_END_ACTIVE = 2, /* still going: the calls since the last report */
	FLOW_END_END = 3,    /* the kernel says it ended */
	FLOW_END_FORCED = 4, /* shutdown */
	FLOW_END_LACK = 5,   /* the kernel map evicted it */
};

/*
 * A flow's TCP health (struct tcp_health, ebpflow.h) as user space keeps it:
 * 64-bit, since records and totals add up many CPUs' 32-bit slots.
 * Connects that failed otherwise are flow_totals.failed less the two reasons.
 */
struct flow_health {
	uint64_t hs_count;
	uint64_t hs_sum_us;
	uint64_t rtt_count;
	uint64_t rtt_sum_us;
	uint32_t hs_min_us; /* min and max mean nothing while their count is 0 */
	uint32_t hs_max_us;
	uint32_t rtt_min_us;
	uint32_t rtt_max_us;
	uint64_t retrans_segs;
	uint64_t failed_refused;
	uint64_t failed_timeout;
};

/* One flow's per-CPU values added up. */
struct flow_totals {
	uint64_t count;
	uint64_t bytes;         /* initiator -> responder */
	uint64_t reverse_bytes; /* responder -> initiator (TCP) */
	uint64_t failed;        /* connects never established */
	uint64_t first_ns; /* earliest first call on any CPU (monotonic ns), 0 without calls */
	uint64_t last_ns;  /* latest call on any CPU */
	uint64_t close_ns; /* latest close that added bytes or a failure, 0 if none */
	uint64_t cgroup_id;
	uint32_t uid;
	uint32_t netns; /* the maker's network namespace (inode), 0 if not known */
	char comm[EBPFLOW_COMM_LEN]; /* NUL-terminated */
	struct flow_health health; /* merged: counts and sums added, min of mins, max of maxes */
};

/* What an output receives. Strings are borrowed for the call only. */
struct flow_record {
	struct flow_key key;
	uint64_t count; /* calls in this record (a delta after an active report) */
	uint64_t bytes; /* payload bytes, initiator -> responder */
	uint64_t reverse_bytes; /* payload bytes back (TCP) */
	uint64_t failed;   /* connects that never became established */
	uint64_t first_ns; /* first call of this record (monotonic ns), or its close */
	uint64_t last_ns;  /* last call of the flow so far (for MTBS) */
	uint64_t end_ns;   /* the record's last call or close */
	/* the whole flow so far, for MTBS: (last - first) / (count - 1) */
	uint64_t flow_count;
	uint64_t flow_first_ns;
	uint64_t cgroup_id;
	uint32_t uid;
	uint32_t netns; /* where the process resolves names: peer_name is looked up there */
	char comm[EBPFLOW_COMM_LEN];
	/*
	 * TCP connections' health (ebpflow.h): counts, sums, retransmissions
	 * and failure reasons are this record's (deltas, so records add up);
	 * min and max are the flow's so far (the kernel keeps no more).
	 */
	struct flow_health health;
	enum flow_end_reason reason;
	const char *user;      /* user name, or the uid in decimal */
	const char *container;    /* container name (or systemd unit), "" when none is known */
	const char *container_id; /* container id, "" when none */
	/*
	 * Who the process is (issue 19), captured when it exec'd (or read from
	 * /proc once for a process older than eBPFlow): NULL or "", and 0, when
	 * not known.
	 * Bytes are the process's own: outputs escape and bound them.
	 */
	const char *exe;     /* full path of the executable, as /proc/PID/exe */
	const char *cmdline; /* its first [flows] cmdline_bytes, arguments joined by ' ' */
	bool cmdline_cut;    /* the command line was longer than what is kept */
	uint32_t ppid;       /* the parent's pid at exec (or at the /proc read) */
	const char *parent;  /* the parent's name */
	const char *thread;  /* name of the calling thread at the flow's first call, "" if the same */
	/*
	 * The peer's DNS name (issue 22): the name the process asked for that
	 * answered with the peer's address, in the flow's network namespace;
	 * NULL when none is known. Bytes from a DNS answer: printable, bounded
	 * (DNS_NAME_MAX), but outputs escape them as any other string.
	 */
	const char *peer_name;
};

/*
 * Add up n per-CPU slots of one flow. The value array is as the kernel hands
 * it: one slot per possible CPU, each `stride` bytes apart. Returns false when
 * no CPU has seen the flow. Who made the flow (uid, cgroup, comm) is the
 * maker of its first call (the kernel notes it at each CPU's first event of
 * the flow), or of a close when the reading holds no call.
 */
bool flow_merge_percpu(const void *values, size_t stride, int ncpu, struct flow_totals *out);

/*
 * Add one CPU's slot (its health and retransmitted segments) to dst: counts
 * and sums added, min of mins, max of maxes.
 */
void flow_health_merge(struct flow_health *dst, const struct tcp_health *src,
		       uint32_t retrans_segs);

/* true when b holds something a (an earlier reading of it) does not */
bool flow_health_newer(const struct flow_health *b, const struct flow_health *a);

/* b's counts and sums less a's (an earlier reading); min and max are b's */
void flow_health_delta(struct flow_health *out, const struct flow_health *b,
		       const struct flow_health *a);

/* connects of a record or flow that failed neither refused nor timed out */
static inline uint64_t flow_failed_other(uint64_t failed, const struct flow_health *h)
{
	uint64_t known = h->failed_refused + h->failed_timeout;

	return failed > known ? failed - known : 0;
}

/* MTBS in seconds of a flow, or a negative number when count < 2. */
double flow_mtbs_s(uint64_t count, uint64_t first_ns, uint64_t last_ns);

/* hashing of keys for glib tables (the whole key, padding included) */
unsigned int flow_key_hash(const void *key);
int flow_key_equal(const void *a, const void *b);

/* the same for struct proc_key (a process: pid and start time) */
unsigned int proc_key_hash(const void *key);
int proc_key_equal(const void *a, const void *b);

const char *flow_end_reason_name(enum flow_end_reason r);
const char *flow_proto_name(uint8_t proto);
/* the address of one side in text; buf needs INET6_ADDRSTRLEN */
const char *flow_addr_str(const struct flow_key *k, const uint8_t *addr, char *buf, size_t len);

#endif
