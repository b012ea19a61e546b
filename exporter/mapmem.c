// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flow map's kernel memory, as the kernel counts it (htab_map_mem_usage
 * in kernel/bpf/hashtab.c, Linux 6.4 and later, which is what fdinfo's
 * "memlock:" shows there): a preallocated element per flow (struct htab_elem,
 * the key, a pointer to the per-CPU value), the value rounded up to 8 bytes
 * for every possible CPU, a bucket per flow rounded up to a power of two,
 * and a small fixed part. Older kernels show a smaller "memlock:" (key and
 * values only), but allocate the same.
 */
#include "mapmem.h"

#include <inttypes.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>

#include "ebpflow.h"
#include "options.h"

#define MAPMEM_ERROR g_quark_from_static_string("ebpflow-mapmem")

/* struct htab_elem up to its key (x86-64 and arm64: two unions of 16 and 24 bytes, the hash) */
#define HTAB_ELEM_HEAD 48u
/* struct bucket: a list head and a spinlock */
#define HTAB_BUCKET 16u
/*
 * struct bpf_htab (its size depends on the kernel's configuration: 832 bytes
 * on the 6.18 that calibrated this, where the total is exact) and its
 * per-CPU lock counters (HASHTAB_MAP_LOCK_COUNT ints per CPU)
 */
#define HTAB_FIXED 832u
#define HTAB_LOCKS_PER_CPU (8u * sizeof(int))

#define ROUND8(x) (((x) + 7u) & ~(uint64_t)7u)

uint64_t mapmem_flow_map_bytes(uint32_t entries, unsigned int ncpus)
{
	uint64_t elem = HTAB_ELEM_HEAD + ROUND8(sizeof(struct flow_key)) + sizeof(void *);
	uint64_t value = ROUND8(sizeof(struct flow_value));
	uint64_t buckets = 1;

	while (buckets < entries)
		buckets <<= 1;
	return HTAB_FIXED + (uint64_t)HTAB_LOCKS_PER_CPU * ncpus + buckets * HTAB_BUCKET +
	       (uint64_t)entries * (elem + value * ncpus);
}

uint32_t mapmem_max_entries(uint64_t budget, unsigned int ncpus, uint32_t min_entries,
			    uint32_t max_entries)
{
	uint32_t lo = min_entries, hi = max_entries;

	if (mapmem_flow_map_bytes(lo, ncpus) > budget)
		return 0;
	while (lo < hi) { /* the size grows with the entries: the last one that fits */
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (mapmem_flow_map_bytes(mid, ncpus) <= budget)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

gboolean mapmem_check(uint32_t entries, uint32_t budget_mib, unsigned int ncpus, GError **err)
{
	uint64_t budget = (uint64_t)budget_mib << 20, need = mapmem_flow_map_bytes(entries, ncpus);
	char lower[96] = "";
	uint32_t fit;

	if (need <= budget)
		return TRUE;
	fit = mapmem_max_entries(budget, ncpus, 1024, entries);
	if (fit)
		snprintf(lower, sizeof(lower), "lower map_size (--map-size) to at most %u, or ", fit);
	g_set_error(err, MAPMEM_ERROR, 1,
		    "[flows] map_size = %u flows would take %.1f MiB of kernel memory on %u "
		    "possible CPUs (%zu bytes per flow and CPU), more than [flows] map_memory_max "
		    "= %u MiB: %sraise map_memory_max (--map-memory-max)",
		    entries, need / MIB, ncpus, (size_t)ROUND8(sizeof(struct flow_value)),
		    budget_mib, lower);
	return FALSE;
}

int64_t mapmem_kernel_bytes(int map_fd)
{
	char path[64], line[128];
	int64_t bytes = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", map_fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNd64, &bytes) == 1)
			break;
	fclose(f);
	return bytes;
}
