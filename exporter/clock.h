/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel stamps calls with bpf_ktime_get_ns() (CLOCK_MONOTONIC); records
 * carry Unix time. The offset is taken afresh at each use so that a wall
 * clock step applies from then on.
 */
#ifndef EBPFLOW_CLOCK_H
#define EBPFLOW_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/*
 * Exponential back-off after a failure, in ns: min_ms after the first one,
 * doubled after each further one (at most 64 times min_ms), never above max_ms.
 */
static inline uint64_t clock_backoff_ns(unsigned int failures, uint64_t min_ms, uint64_t max_ms)
{
	unsigned int doublings = failures ? failures - 1 : 0;
	uint64_t ms = min_ms << (doublings < 6 ? doublings : 6);

	return (ms < max_ms ? ms : max_ms) * 1000000ull;
}

/* realtime minus monotonic, in ns */
static inline int64_t clock_epoch_offset_ns(void)
{
	return (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
}

static inline uint64_t clock_mono_to_epoch_ms(uint64_t mono_ns, int64_t offset_ns)
{
	return (uint64_t)((int64_t)mono_ns + offset_ns) / 1000000ull;
}

#endif
