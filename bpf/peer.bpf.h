/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The peer of a UDP call on an unconnected socket, handed from the cgroup
 * socket-address hook (peer.bpf.c) to the length tracepoint of the same call
 * in the same thread (io.bpf.c).
 */
#ifndef EBPFLOW_PEER_BPF_H
#define EBPFLOW_PEER_BPF_H

#include "flow.bpf.h"

struct udp_peer {
	__u8 addr[EBPFLOW_ADDR_LEN]; /* network order; IPv4 in the first 4 */
	__u16 port;                  /* host order */
	__u8 ip_version;             /* 0: nothing waiting */
	__u8 pad[5];
};

/* Per thread (task storage: a pointer away, freed with the thread). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct udp_peer);
} peers SEC(".maps") __weak;

#endif
