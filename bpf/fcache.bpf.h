/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The flow cache: each CPU keeps the UDP flow it last counted a send on, and
 * the one it last counted a receive on, and adds the calls that follow on the
 * same flow in its own slot instead of the flow map. A process that sends or
 * receives over and over on one socket (a resolver, a stream, a benchmark)
 * then costs no map look-up per call. On this machine, a PVM guest where every
 * system call empties the TLB, the look-up was most of a call's cost (the
 * map's bucket, element and per-CPU value are three cold pages), and so was the
 * clock (kvm-clock): a call on the cached flow reads the clock only when the
 * tick has moved (docs/PERFORMANCE.md).
 *
 * Nothing is lost on the way to the map:
 *  - a call on another flow first adds the slot's calls to the map (a look-up),
 *    then counts itself there, and leaves its key in the slot, tentative: the
 *    next call on it admits it (the filter, the budget and the flow's making
 *    have had their say on the map's path);
 *  - user space runs fcache_flush on every CPU before it reads the map
 *    (BPF_PROG_TEST_RUN on that CPU, an interrupt there): it adds the slots'
 *    calls, making the flow again if user space took it meanwhile, and empties
 *    the slots, so that the next call meets the filter and the flow map again;
 *  - a slot in use (busy) is never touched by anything else: the flush says so
 *    and is run again, and a program that finds its slot busy (it preempted
 *    another on this CPU) counts in the map.
 *
 * The cost: a call's last time is the clock's reading at the first call in
 * its tick (1 to 10 ms, the kernel's HZ), not its own; its count and bytes
 * are exact. The calls of the tick's first call are timed exactly.
 */
#ifndef EBPFLOW_FCACHE_BPF_H
#define EBPFLOW_FCACHE_BPF_H

#include "flow.bpf.h"

_Static_assert(sizeof(struct flow_key) == 56, "key_same compares seven words");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FCACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct fcache_slot);
} flow_cache SEC(".maps") __weak;

#define fcache_barrier() asm volatile("" ::: "memory")

/* Branch-free: seven words of two keys, XORed together. */
static __always_inline bool key_same(const struct flow_key *a, const struct flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]) |
		 (x[5] ^ y[5]) | (x[6] ^ y[6]));
}

/* The slot's calls into v, this CPU's part of their flow; the slot is then empty. */
static __always_inline void fcache_add(struct flow_value *v, struct fcache_slot *s)
{
	if (!ident_known(v))
		ident_set(v, &s->ident); /* made on another CPU since */
	if (!v->first_ns)
		v->first_ns = s->first_ns;
	__sync_fetch_and_add(&v->count, s->count);
	__sync_fetch_and_add(&v->bytes, s->bytes);
	if (s->last_ns > v->last_ns)
		v->last_ns = s->last_ns;
	s->count = 0;
	s->bytes = 0;
}

/* This call into the slot: its first since a flush or another flow reads the clock. */
static __always_inline void fcache_hit(struct fcache_slot *s, __u64 bytes)
{
	__u64 j = bpf_jiffies64();

	if (!s->count || j != s->jiffies) {
		s->last_ns = bpf_ktime_get_ns();
		s->jiffies = j;
		if (!s->count)
			s->first_ns = s->last_ns;
	}
	s->count++;
	s->bytes += bytes;
}

/*
 * May the slot's tentative key be cached? Only when the map's path let its
 * first call in: the filter takes it, and it has a flow of its own (a folded
 * call has none) made on this CPU, whose maker the slot then keeps.
 */
static __always_inline bool fcache_admit(struct fcache_slot *s)
{
	struct flow_value *v;

	if (filtered_out(&s->key))
		return false;
	v = bpf_map_lookup_elem(&flows, &s->key);
	if (!v || !ident_known(v))
		return false;
	ident_get(&s->ident, v);
	s->valid = FCACHE_VALID;
	return true;
}

/*
 * Count one call (bytes long) of the current task on k through the slot
 * `which` of this CPU. A call on another flow than the slot's goes the map's
 * way (flow_account: the filter, the budget, the flow's making) and leaves
 * its key in the slot, tentative; the next call on it admits it.
 *
 * flow_account comes last, on every path that takes it, with nothing after
 * it: code after it that depended on the way there multiplied the paths the
 * verifier walks through flow_account past its million instructions.
 */
static __always_inline void fcache_count(__u32 which, struct flow_key *k, __u64 bytes)
{
	struct fcache_slot *s = bpf_map_lookup_elem(&flow_cache, &which);
	struct flow_value *v;

	if (!s)
		return; /* cannot be: the index is in range */
	if (!s->busy) {
		s->busy = 1;
		fcache_barrier();
		if (s->valid && key_same(&s->key, k) &&
		    (s->valid == FCACHE_VALID || fcache_admit(s))) {
			fcache_hit(s, bytes);
			fcache_barrier();
			s->busy = 0;
			return;
		}
		if (s->count) {
			/* another flow: the slot's calls go first; a flow user space
			 * took meanwhile is made again by the flush, which keeps the
			 * slot till then */
			v = bpf_map_lookup_elem(&flows, &s->key);
			if (v)
				fcache_add(v, s);
		}
		if (!s->count) {
			__builtin_memcpy(&s->key, k, sizeof(s->key));
			s->valid = FCACHE_TENTATIVE;
		}
		fcache_barrier();
		s->busy = 0;
	}
	flow_account(k, bytes);
}

/*
 * This CPU's slots into the map, and emptied. 0 when done; 1 when a slot
 * was in use (a program this interrupts) or its flow could not be made
 * again: that slot keeps its calls for the next flush.
 */
static __always_inline int fcache_flush(void)
{
	int ret = 0;

	for (__u32 i = 0; i < FCACHE_SLOTS; i++) {
		__u32 idx = i; /* i stays in a register, where the verifier follows it */
		struct fcache_slot *s = bpf_map_lookup_elem(&flow_cache, &idx);
		struct flow_slot_info info = { .not_current = true };
		struct flow_value *v;

		if (!s)
			continue;
		if (s->busy) {
			ret = 1;
			continue;
		}
		if (s->count) {
			v = flow_slot(&s->key, &s->ident, &info);
			if (!v) {
				ret = 1;
				continue;
			}
			if (info.folded) {
				stat_add(EBPFLOW_STAT_FOLDED, s->count);
				if (info.usage)
					__sync_fetch_and_add(&info.usage->folded, s->count);
			}
			fcache_add(v, s);
		}
		s->valid = 0;
	}
	return ret;
}

#endif /* EBPFLOW_FCACHE_BPF_H */
