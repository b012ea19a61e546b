// SPDX-License-Identifier: GPL-2.0-only
/* Small pure functions on flows: per-CPU merge, MTBS, names, addresses. */
#include "flow.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

bool flow_merge_percpu(const void *values, size_t stride, int ncpu, struct flow_totals *out)
{
	bool any = false;

	memset(out, 0, sizeof(*out));
	for (int cpu = 0; cpu < ncpu; cpu++) {
		const struct flow_value *v = (const void *)((const char *)values + (size_t)cpu * stride);
		bool earliest;

		if (!v->count && !v->bytes && !v->reverse_bytes && !v->failed &&
		    !v->health.hs_count && !v->health.rtt_count && !v->retrans_segs)
			continue; /* this CPU never saw the flow */
		/* who: the maker of the flow's first call (a CPU's slot keeps its first) */
		earliest = !any || (v->count && (!out->first_ns || v->first_ns < out->first_ns));
		out->count += v->count;
		out->bytes += v->bytes;
		out->reverse_bytes += v->reverse_bytes;
		out->failed += v->failed;
		flow_health_merge(&out->health, &v->health, v->retrans_segs);
		if (v->count && (!out->first_ns || v->first_ns < out->first_ns))
			out->first_ns = v->first_ns;
		if (v->last_ns > out->last_ns)
			out->last_ns = v->last_ns;
		if (v->close_ns > out->close_ns)
			out->close_ns = v->close_ns;
		if (earliest) {
			out->uid = v->uid;
			out->netns = v->netns;
			out->cgroup_id = v->cgroup_id;
			memcpy(out->comm, v->comm, sizeof(out->comm));
			out->comm[sizeof(out->comm) - 1] = '\0';
		}
		any = true;
	}
	return any;
}

static void min_max_merge(uint32_t *min, uint32_t *max, uint64_t count, uint32_t smin,
			  uint32_t smax, uint64_t scount)
{
	if (!scount)
		return; /* min and max mean nothing without a measure */
	if (!count || smin < *min)
		*min = smin;
	if (smax > *max)
		*max = smax;
}

void flow_health_merge(struct flow_health *dst, const struct tcp_health *src,
		       uint32_t retrans_segs)
{
	min_max_merge(&dst->hs_min_us, &dst->hs_max_us, dst->hs_count, src->hs_min_us,
		      src->hs_max_us, src->hs_count);
	min_max_merge(&dst->rtt_min_us, &dst->rtt_max_us, dst->rtt_count, src->rtt_min_us,
		      src->rtt_max_us, src->rtt_count);
	dst->hs_count += src->hs_count;
	dst->hs_sum_us += src->hs_sum_us;
	dst->rtt_count += src->rtt_count;
	dst->rtt_sum_us += src->rtt_sum_us;
	dst->retrans_segs += retrans_segs;
	dst->failed_refused += src->failed_refused;
	dst->failed_timeout += src->failed_timeout;
}

bool flow_health_newer(const struct flow_health *b, const struct flow_health *a)
{
	return b->hs_count > a->hs_count || b->rtt_count > a->rtt_count ||
	       b->retrans_segs > a->retrans_segs;
}

void flow_health_delta(struct flow_health *out, const struct flow_health *b,
		       const struct flow_health *a)
{
	*out = *b;
	out->hs_count -= a->hs_count;
	out->hs_sum_us -= a->hs_sum_us;
	out->rtt_count -= a->rtt_count;
	out->rtt_sum_us -= a->rtt_sum_us;
	out->retrans_segs -= a->retrans_segs;
	out->failed_refused -= a->failed_refused;
	out->failed_timeout -= a->failed_timeout;
}

/* Keys are multiples of 8 bytes: mix them a word at a time (a pass reads every flow). */
static unsigned int hash_words(const void *key, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull, w;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, (const char *)key + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (unsigned int)(h ^ (h >> 29));
}

unsigned int flow_key_hash(const void *key)
{
	return hash_words(key, sizeof(struct flow_key));
}

int flow_key_equal(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct flow_key)) == 0;
}

unsigned int proc_key_hash(const void *key)
{
	return hash_words(key, sizeof(struct proc_key));
}

int proc_key_equal(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct proc_key)) == 0;
}

double flow_mtbs_s(uint64_t count, uint64_t first_ns, uint64_t last_ns)
{
	if (count < 2 || last_ns < first_ns)
		return -1.0;
	return (double)(last_ns - first_ns) / 1e9 / (double)(count - 1);
}

const char *flow_end_reason_name(enum flow_end_reason r)
{
	switch (r) {
	case FLOW_END_IDLE:
		return "idle";
	case FLOW_END_ACTIVE:
		return "active";
	case FLOW_END_END:
		return "end";
	case FLOW_END_FORCED:
		return "forced";
	case FLOW_END_LACK:
		return "evicted";
	case FLOW_END_NONE:
		break;
	}
	return "unknown";
}

const char *flow_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	}
	return "?";
}

const char *flow_addr_str(const struct flow_key *k, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(k->ip_version == 4 ? AF_INET : AF_INET6, addr, buf, len))
		buf[0] = '\0';
	return buf;
}
