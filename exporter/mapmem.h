/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The flow map's kernel memory. A BPF_MAP_TYPE_LRU_PERCPU_HASH is allocated
 * whole when it is created, and every element's value once per *possible*
 * CPU: on hosts with many CPUs (or many hot-plug slots) it dominates what
 * eBPFlow costs. [flows] map_memory_max bounds it; a map over that budget is
 * refused before anything is loaded.
 */
#ifndef EBPFLOW_MAPMEM_H
#define EBPFLOW_MAPMEM_H

#include <glib.h>
#include <stdint.h>

#define MIB (1024.0 * 1024.0)

/* Bytes of kernel memory a flow map of entries flows takes with ncpus possible CPUs. */
uint64_t mapmem_flow_map_bytes(uint32_t entries, unsigned int ncpus);
/* The most flows (at least min_entries) that fit budget bytes; 0 if not even min_entries. */
uint32_t mapmem_max_entries(uint64_t budget, unsigned int ncpus, uint32_t min_entries,
			    uint32_t max_entries);
/*
 * Refuse (FALSE, err says why and what to change) a flow map of entries
 * flows that would take more than budget_mib MiB on ncpus possible CPUs.
 */
gboolean mapmem_check(uint32_t entries, uint32_t budget_mib, unsigned int ncpus,
		      GError **err);
/* What the kernel says a map takes ("memlock:" of its fdinfo), or -1. */
int64_t mapmem_kernel_bytes(int map_fd);

#endif
