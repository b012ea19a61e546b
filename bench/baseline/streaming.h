/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The baseline's per-event record (benchmarks only). */
#ifndef EBPFLOW_BENCH_STREAMING_H
#define EBPFLOW_BENCH_STREAMING_H

struct stream_event {
	__u64 ts_ns;
	__u64 bytes;
	__u32 pid;
	__u32 uid;
	__u32 laddr; /* IPv4 only: the benchmark's traffic */
	__u32 raddr;
	__u16 lport;
	__u16 rport;
	__u16 family;
	__u8 direction;
	__u8 pad;
	char comm[16];
};

#endif
