/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one definition of what the kernel side hands to user space: the flow
 * key and value of the aggregation map, the per-CPU statistics, and the
 * constants both sides agree on. Included by the bpf/ programs (with vmlinux.h) and
 * by exporter/ (with <linux/types.h>); the exporter asserts the sizes.
 */
#ifndef EBPFLOW_H
#define EBPFLOW_H

#define EBPFLOW_COMM_LEN 16
/* TCP connections followed at once in conn_hash (bpf/conn.bpf.h), and where
 * the kprobe tier must allocate it at load (before Linux 6.1) */
#define EBPFLOW_CONN_MAX 262144
#define EBPFLOW_CONN_MAX_PREALLOC 65536
#define EBPFLOW_ADDR_LEN 16

/* The seed's definition: outbound = connect/send, inbound = accept/receive. */
enum ebpflow_direction {
	EBPFLOW_DIR_OUTBOUND = 0,
	EBPFLOW_DIR_INBOUND = 1,
};

/*
 * A flow is an aggregation of socket calls of one process (the thread group,
 * told apart from an earlier process with the same pid by its start time).
 * The initiator is always the source: inbound flows carry the remote peer in
 * saddr. port is the responder's port: the remote port outbound, the local
 * port inbound; the initiator's (ephemeral) port is deliberately not a key.
 * Every byte is written by the kernel side (padding included) so that two
 * events of one flow hash to the same key.
 */
struct flow_key {
	__u64 start_ns;  /* start of the thread group leader, ns since boot */
	__u32 pid;       /* thread group id (what ps calls PID) */
	__u16 port;      /* responder's port, host byte order */
	__u8 direction;  /* enum ebpflow_direction */
	__u8 ip_version; /* 4 or 6; IPv4-mapped IPv6 is reported as 4 */
	__u8 proto;      /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 flags;      /* EBPFLOW_KEY_* */
	__u8 pad[2];
	__u32 uid;       /* an overflow flow's uid; 0 in every other key */
	/* network byte order; IPv4 in the first 4 bytes, the rest zero */
	__u8 saddr[EBPFLOW_ADDR_LEN];
	__u8 daddr[EBPFLOW_ADDR_LEN];
};

/*
 * The overflow flow of a uid over its budget of flow entries (below): every
 * new flow of that uid, one direction, protocol and IP version, folded into one
 * entry whose pid, start, port and addresses are zero. Its calls are still
 * counted exactly; they only lose their peers.
 */
#define EBPFLOW_KEY_OVERFLOW 1u

/* A process: its pid and the start time that tells it from a reused pid. */
struct proc_key {
	__u64 start_ns; /* as flow_key.start_ns */
	__u32 pid;
	__u32 pad;
};

/*
 * Who a process is (issue 19), captured by the kernel when it execs (or forks
 * without exec: a preforked worker is its parent's program), kept per process
 * (struct proc_key) in the LRU map `procs` of EBPFLOW_PROCS_MAX entries, so
 * that a process gone by the next reading is still known. The exporter takes
 * an entry out of the map once the process's exit is handled.
 *
 * exe is the full path of the executable from the root of the process's
 * mount namespace, as /proc/PID/exe shows it (the interpreter of a script);
 * empty with EBPFLOW_PROC_EXE_CUT when it is deeper or longer than the
 * kernel side walks. cmdline holds the first cmdline_len bytes of the
 * arguments as the process has them (NUL after each); EBPFLOW_PROC_CMDLINE_CUT
 * says there were more. The parent is the real parent at the exec (or fork),
 * its name its group leader's.
 */
#define EBPFLOW_EXE_LEN 256     /* a power of two: the kernel side masks offsets with it */
#define EBPFLOW_EXE_DEPTH 32    /* directories the kernel side walks up */
#define EBPFLOW_CMDLINE_MAX 512 /* the most [flows] cmdline_bytes may ask for */
#define EBPFLOW_PROCS_MAX 8192
#define EBPFLOW_PROC_EXE_CUT 1u
#define EBPFLOW_PROC_CMDLINE_CUT 2u
#define EBPFLOW_PROC_FORKED 4u /* made at a fork: the parent's program, no exec of its own */

struct proc_info {
	__u64 seen_ns;     /* bpf_ktime_get_ns() of the exec or fork */
	__u32 ppid;
	__u32 flags;       /* EBPFLOW_PROC_* */
	__u32 cmdline_len; /* bytes of cmdline used */
	__u32 pad;
	char parent[EBPFLOW_COMM_LEN];
	char exe[EBPFLOW_EXE_LEN];
	char cmdline[EBPFLOW_CMDLINE_MAX];
};

/*
 * One CPU's share of a flow (the map is per-CPU): user space adds the
 * counters, takes the earliest first_ns and the latest last_ns. A slot whose
 * counters are all zero never saw the flow.
 *
 * Calls (count, first_ns, last_ns) are the seed's: connects, accepts, sends,
 * receives. A TCP connection's payload bytes and its failure are known only
 * when it closes, in whatever context the kernel closes it: they are added
 * to the flow of the process that connected or accepted (close_ns says when)
 * without touching the calls' times.
 */
/*
 * How healthy a flow's TCP connections were (issue 21), added at each
 * connection's close like its bytes. A figure is measured only where the
 * kernel had it: *_count says over how many connections, so the mean is
 * sum / count, and min/max mean nothing while the count is 0. Per-CPU slots
 * merge by adding counts and sums, min of mins, max of maxes.
 *
 * Handshake: a connect's CLOSE -> SYN_SENT to ESTABLISHED; an accepted
 * connection's SYN-ACK to its ACK (the RTT the kernel measures from the
 * request's SYN-ACK stamp, which it leaves in the child's srtt when the child
 * is established; not measured when the SYN-ACK was sent again). RTT: the
 * socket's smoothed RTT at its close. A failed connect is refused (a reset:
 * ECONNREFUSED), timed out (ETIMEDOUT) or other: failed less the two.
 *
 * Compact, because every flow has one on every possible CPU: microseconds in
 * 32 bits (the kernel's srtt_us is 32 bits; a handshake saturates at 71
 * minutes), counts in 32 bits (a flow's slot on one CPU), only the sums in 64.
 */
struct tcp_health {
	__u64 hs_sum_us;
	__u64 rtt_sum_us;
	__u32 hs_count;  /* connections whose handshake was measured */
	__u32 rtt_count; /* connections with a smoothed RTT at close */
	__u32 hs_min_us;
	__u32 hs_max_us;
	__u32 rtt_min_us;
	__u32 rtt_max_us;
	__u32 failed_refused;
	__u32 failed_timeout;
};

/*
 * Who made a flow: what a flow entry records at its first event on a CPU.
 * For calls it is the current task; for what a TCP close adds it was noted
 * when the connection was made (a close may run in softirq).
 */
struct flow_ident {
	__u64 cgroup_id;
	__u32 uid;
	__u32 netns; /* the process's network namespace, where its names were resolved */
	char comm[EBPFLOW_COMM_LEN];
};

struct flow_value {
	__u64 count;         /* calls aggregated */
	__u64 bytes;         /* payload bytes from the initiator to the responder */
	__u64 reverse_bytes; /* payload bytes back (TCP; 0 for UDP) */
	__u64 failed;        /* connects that never became established */
	__u64 first_ns;      /* bpf_ktime_get_ns() of this CPU's first call, 0 if none */
	__u64 last_ns;       /* ... and of its latest call (CLOCK_MONOTONIC) */
	__u64 close_ns;      /* ... of the latest bytes/failure added at a close, 0 if none */
	__u64 cgroup_id;     /* cgroup v2 id of the caller at its first event here */
	__u32 uid;
	__u32 netns;         /* ... and the inode of its network namespace (issue 22) */
	__u32 retrans_segs;  /* TCP: the closed connections' total_retrans, added */
	__u32 pad;
	char comm[EBPFLOW_COMM_LEN];
	struct tcp_health health; /* TCP only; all zero for UDP */
};

/*
 * The per-CPU flow cache's slots (bpf/fcache.bpf.h): the UDP flow each CPU
 * last counted a send on, and a receive on, with the calls not yet in the
 * flow map. User space runs the flush; it writes a slot only to turn the
 * cache off (busy for good).
 */
#define FCACHE_SEND 0
#define FCACHE_RECV 1
#define FCACHE_SLOTS 2
#define FCACHE_TENTATIVE 1 /* fcache_slot.valid: a key whose next call admits it */
#define FCACHE_VALID 2     /* ... admitted: calls on it are added in the slot */

struct fcache_slot {
	__u32 busy;              /* a program of this CPU is in the slot */
	__u32 valid;             /* 0, FCACHE_TENTATIVE or FCACHE_VALID */
	struct flow_key key;
	struct flow_ident ident; /* the flow's maker: a flush may have to make it again */
	__u64 count;             /* calls not yet in the map */
	__u64 bytes;
	__u64 first_ns;          /* the first of them */
	__u64 last_ns;           /* the latest clock reading */
	__u64 jiffies;           /* the tick of last_ns */
};

/*
 * The path of a cgroup seen in a flow, from the cgroup v2 root: the names of
 * its top-most EBPFLOW_CGROUP_LEVELS directories, the root's child first.
 * Read from the root because what a name means depends on where it is: a
 * user may make any name under the subtree systemd delegates to them
 * (user@UID.service), so only the layouts systemd and the runtimes make from
 * the root tell a unit or a container (exporter/cgroup.c); the levels below
 * those are never needed. Written by the kernel side when a flow is first
 * made, so a container that is gone by the time the exporter looks is still
 * known.
 *
 * depth is the number of levels below the root (EBPFLOW_CGROUP_TOO_DEEP past
 * what the kernel side walks); a name longer than EBPFLOW_CGROUP_NAME_LEN - 1
 * bytes is cut, and its bit in cut says so. Names are NUL-terminated.
 */
#define EBPFLOW_CGROUP_LEVELS 6
#define EBPFLOW_CGROUP_NAME_LEN 128
#define EBPFLOW_CGROUP_WALK_MAX 32 /* levels the kernel side walks up to the root */
#define EBPFLOW_CGROUP_TOO_DEEP 0xffffffffu
struct cgroup_names {
	__u32 depth;
	__u32 cut; /* bit i: name[i] was cut */
	char name[EBPFLOW_CGROUP_LEVELS][EBPFLOW_CGROUP_NAME_LEN];
};

/* Per-CPU counters of what the kernel side handled, indexed by this enum. */
enum ebpflow_stat {
	EBPFLOW_STAT_TCP_CONNECT = 0,
	EBPFLOW_STAT_TCP_ACCEPT,
	EBPFLOW_STAT_UDP_SEND,
	EBPFLOW_STAT_UDP_RECV,
	EBPFLOW_STAT_FLOW_CREATED,  /* new keys inserted in the flow map */
	EBPFLOW_STAT_UPDATE_FAILED, /* events lost: the map refused the insert */
	EBPFLOW_STAT_UDP_NO_PEER,   /* UDP events whose peer could not be known */
	EBPFLOW_STAT_FILTERED,      /* events the configured filter left out */
	EBPFLOW_STAT_TCP_FAILED,    /* connects that never became established */
	EBPFLOW_STAT_CONN_FULL,     /* TCP connections whose bytes are lost: no room to follow them */
	EBPFLOW_STAT_CLOSE_LOST,    /* closes whose bytes the flow map refused */
	EBPFLOW_STAT_FOLDED,        /* calls folded into an overflow flow (counted there too) */
	EBPFLOW_STAT_DNS_ANSWERS,   /* datagrams from port 53 handed to user space */
	EBPFLOW_STAT_DNS_DROPPED,   /* ... and those lost: the ring was full */
	EBPFLOW_STAT_DNS_LONG,      /* ... handed over cut: longer than the capture */
	EBPFLOW_STAT__MAX,
};

/*
 * What one uid did to the flow map, counted by the kernel (map uid_usage)
 * when it makes a flow entry, or cannot. The kernel folds a uid's new flows
 * into its overflow flow while it holds `budget` entries or more: created
 * minus what user space says are gone (map uid_released, uid -> __u64,
 * written by user space after each reading). Root (uid 0) has no budget.
 */
#define EBPFLOW_UID_MAX 4096 /* uids followed; a uid beyond them is folded at once */

struct uid_usage {
	__u64 created; /* flow entries made for it (overflow flows included) */
	__u64 folded;  /* calls folded into its overflow flows */
	__u64 refused; /* calls lost: the full flow map refused their flow */
};

/*
 * DNS answers (issue 22): the first EBPFLOW_DNS_CAPTURE bytes of each UDP
 * datagram a process receives from port 53, with the inode of the receiving
 * socket's network namespace and the datagram's length, go to user space
 * through the ring buffer `dns_answers` (a full ring drops the answer and
 * counts it, never waits). 1232 bytes is the EDNS0 buffer size DNS Flag Day
 * 2020 asks resolvers to advertise and servers to answer within (with its
 * headers it fits the 1280-byte IPv6 minimum MTU: no fragments); glibc with
 * `options edns0` asks for 1200. So EDNS0 answers come whole; a longer
 * datagram is cut, and user space counts it apart (dns_long) rather than
 * parse it. The ring: 512 KiB, 420 events of 1248 bytes (with the ring's
 * header), so that the three quarters left when the kernel wakes eBPFlow
 * (dns.bpf.h) still hold 315 answers (372 when 256 KiB held 512-byte ones).
 */
#define EBPFLOW_DNS_PORT 53
#define EBPFLOW_DNS_CAPTURE 1232
#define EBPFLOW_DNS_RING_BYTES (512 * 1024)

struct dns_event {
	__u32 netns; /* inode of the socket's network namespace */
	__u16 len;   /* bytes of data captured */
	__u16 size;  /* the datagram's length: more than len when the capture cut it */
	__u8 data[EBPFLOW_DNS_CAPTURE];
};

/*
 * Where the kernel side runs (docs/ARCHITECTURE.md): chosen by the exporter
 * after probing the running kernel, passed to the programs as a load-time
 * knob. The order is the order of preference.
 */
enum ebpflow_tier {
	EBPFLOW_TIER_FENTRY = 1,     /* fentry/fexit trampolines */
	EBPFLOW_TIER_KPROBE = 2,     /* kprobes and kretprobes */
	EBPFLOW_TIER_TRACEPOINT = 3, /* tracepoints and cgroup socket hooks only */
};

/*
 * The filter of ebpflow.conf's [filter], applied in the kernel: an event is
 * counted only if it matches every list that is on (flags). Changed at run
 * time (SIGHUP), so it lives in maps, not in load-time knobs.
 */
#define EBPFLOW_FILTER_PIDS 1u
#define EBPFLOW_FILTER_UIDS 2u
#define EBPFLOW_FILTER_PORTS 4u
#define EBPFLOW_FILTER_PROTOCOLS 8u
#define EBPFLOW_FILTER_DIRECTIONS 16u
#define EBPFLOW_FILTER_MAX_ITEMS 4096 /* per list */

struct filter_cfg {
	__u32 flags;      /* EBPFLOW_FILTER_* of the lists in force */
	__u32 protocols;  /* bit 0 TCP, bit 1 UDP */
	__u32 directions; /* bit 0 outbound, bit 1 inbound */
	__u32 pad;
};

#endif /* EBPFLOW_H */
