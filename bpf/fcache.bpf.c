// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The flow cache's flush (fcache.bpf.h), attached to nothing: user space runs
 * it on each CPU in turn (BPF_PROG_TEST_RUN with BPF_F_TEST_RUN_ON_CPU, Linux
 * 5.10) before it reads the flow map. It runs there in an interrupt, so the
 * programs of that CPU are either done with their slot or marked in it.
 */
#include "fcache.bpf.h"

SEC("raw_tp/ebpflow_fcache_flush")
int fcache_flush_cpu(void *ctx)
{
	return fcache_flush();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
