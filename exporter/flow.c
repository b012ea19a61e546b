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

		if (!v->count && !v->bytes && !v->reverse_bytes && !v->failed)
			continue; /* this CPU never saw the flow */
		/* who: the maker of the flow's first call (a CPU's slot keeps its first) */
		earliest = !any || (v->count && (!out->first_ns || v->first_ns < out->first_ns));
		out->count += v->count;
		out->bytes += v->bytes;
		out->reverse_bytes += v->reverse_bytes;
		out->failed += v->failed;
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
